//! Calendars: each appointment as an iCalendar event, for the `.ics` download and the private
//! feeds. Clinicians' events name no patients: calendar services are outside the clinic.

use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use time::OffsetDateTime;

use super::db::AppointmentRow;
use super::model::AppointmentStatus;

/// An iCalendar UTC time, e.g. `20261201T150000Z`.
fn ics_stamp(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_default()
}

/// Who reads the calendar: a patient sees their clinician; a clinician sees no patient.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Patient,
    Clinician,
}

fn event(row: &AppointmentRow, reader: Reader, clinic_name: &str) -> Event {
    let summary = match reader {
        Reader::Patient => format!("{} at {clinic_name}", row.kind.label()),
        Reader::Clinician => match &row.chair_name {
            Some(chair) => format!("{} ({chair})", row.kind.label()),
            None => row.kind.label().to_owned(),
        },
    };
    let description = match reader {
        Reader::Patient => format!("With {}.", row.clinician_name),
        Reader::Clinician => format!("Appointment {} (details in the clinic system).", row.id),
    };
    let status = if row.status == AppointmentStatus::Cancelled {
        EventStatus::Cancelled
    } else {
        EventStatus::Confirmed
    };
    Event::new()
        .uid(&format!("appointment-{}@clinic", row.id))
        .summary(&summary)
        .description(&description)
        .location(clinic_name)
        .add_property("DTSTART", ics_stamp(row.from))
        .add_property("DTEND", ics_stamp(row.until))
        .add_property("DTSTAMP", ics_stamp(OffsetDateTime::now_utc()))
        .status(status)
        .done()
}

/// The clinic's calendar holding these appointments as `reader` may see them.
pub fn calendar_of(rows: &[AppointmentRow], reader: Reader, clinic_name: &str) -> Calendar {
    let mut calendar = Calendar::new();
    calendar.name(clinic_name);
    for row in rows {
        calendar.push(event(row, reader, clinic_name));
    }
    calendar.done()
}
