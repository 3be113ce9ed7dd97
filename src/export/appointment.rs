//! The Appointment resource: a booking with the patient and the clinician. Pure: no I/O.

use serde::Serialize;
use time::OffsetDateTime;

use super::model::{Coding, Concept, Id, Instant, Ref, Resource, coding};
use crate::scheduling::model::{AppointmentKind, AppointmentStatus};

const APPOINTMENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0276";

#[derive(Clone, Debug, PartialEq)]
pub struct AppointmentRow {
    pub id: i64,
    pub kind: AppointmentKind,
    pub status: AppointmentStatus,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub clinician_id: i64,
    pub created_at: OffsetDateTime,
}

/// The FHIR status of a stored appointment status.
pub fn appointment_status(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::CheckedIn => "arrived",
        AppointmentStatus::Completed => "fulfilled",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::NoShow => "noshow",
    }
}

fn appointment_kind(kind: AppointmentKind) -> (&'static str, &'static [Coding<'static>]) {
    static ROUTINE: [Coding<'static>; 1] =
        [coding(APPOINTMENT_TYPE, "ROUTINE", "Routine appointment")];
    static FOLLOW_UP: [Coding<'static>; 1] = [coding(
        APPOINTMENT_TYPE,
        "FOLLOWUP",
        "A follow up visit from a previous appointment",
    )];
    match kind {
        AppointmentKind::Infusion => ("Ketamine infusion", &ROUTINE),
        AppointmentKind::FollowUp => ("Follow-up", &FOLLOW_UP),
        AppointmentKind::Consultation => ("Consultation", &ROUTINE),
    }
}

#[derive(Debug, Serialize)]
pub struct Participant {
    pub actor: Ref,
    pub required: &'static str,
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Appointment", rename_all = "camelCase")]
pub struct Appointment {
    pub id: Id,
    pub status: &'static str,
    pub appointment_type: Concept<'static>,
    pub description: &'static str,
    pub start: Instant,
    pub end: Instant,
    pub minutes_duration: i64,
    pub created: Instant,
    pub participant: [Participant; 2],
}

impl Resource for Appointment {
    fn id(&self) -> Id {
        self.id
    }
}

/// A booking: the patient and the clinician, both required, and the chair time.
pub fn appointment(patient_id: i64, row: &AppointmentRow) -> Appointment {
    let (description, kind) = appointment_kind(row.kind);
    let participant = |actor: Id| Participant {
        actor: Ref(actor),
        required: "required",
        status: "accepted",
    };
    Appointment {
        id: Id::Appointment(row.id),
        status: appointment_status(row.status),
        appointment_type: Concept::of(kind),
        description,
        start: Instant(row.starts_at),
        end: Instant(row.ends_at),
        minutes_duration: (row.ends_at - row.starts_at).whole_minutes(),
        created: Instant(row.created_at),
        participant: [
            participant(Id::Patient(patient_id)),
            participant(Id::Practitioner(row.clinician_id)),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use time::macros::datetime;

    fn json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn appointment_statuses_map_to_fhir() {
        let pairs = [
            (AppointmentStatus::Booked, "booked"),
            (AppointmentStatus::CheckedIn, "arrived"),
            (AppointmentStatus::Completed, "fulfilled"),
            (AppointmentStatus::Cancelled, "cancelled"),
            (AppointmentStatus::NoShow, "noshow"),
        ];
        for (ours, fhir) in pairs {
            assert_eq!(appointment_status(ours), fhir);
        }
        let row = AppointmentRow {
            id: 9,
            kind: AppointmentKind::Infusion,
            status: AppointmentStatus::NoShow,
            starts_at: datetime!(2024-03-05 19:00 UTC),
            ends_at: datetime!(2024-03-05 21:30 UTC),
            clinician_id: 3,
            created_at: datetime!(2024-02-28 10:00 UTC),
        };
        let booking = json(&appointment(7, &row));
        assert_eq!(booking["status"], "noshow");
        assert_eq!(booking["minutesDuration"], 150);
        assert_eq!(booking["start"], "2024-03-05T19:00:00Z");
        assert_eq!(
            booking["participant"][0]["actor"]["reference"],
            "Patient/patient-7"
        );
        assert_eq!(
            booking["participant"][1]["actor"]["reference"],
            "Practitioner/staff-3"
        );
        assert_eq!(booking["participant"][1]["status"], "accepted");
    }
}
