//! Booking, shared by the front desk, clinicians and patients: a week of open slots, the
//! infusion gate for one patient, and making, moving and cancelling an appointment in one
//! transaction with its reminder and audit entry.

use time::{Date, Duration, OffsetDateTime, Weekday};

use std::sync::Arc;

use super::db::{self, BusyRow, NewAppointment};
use super::model::{
    self, AppointmentKind, AppointmentStatus, ChairCalendar, ClinicianCalendar, GateFacts,
    GateProblem, Slot, WorkingBlock,
};
use super::reference::Reference;
use crate::audit::{self, action};
use crate::consent::model::consent_status;
use crate::core::CurrentUser;
use crate::core::RequestMeta;
use crate::error::AppResult;
use crate::screening::model::ScreeningStanding;
use crate::settings::ClinicSettings;
use crate::state::AppState;

/// Slots are offered no sooner than this, so nobody books a time that is already starting.
const LEAD_MINUTES: i64 = 30;

fn weekday(number: i16) -> Option<Weekday> {
    Some(match number {
        1 => Weekday::Monday,
        2 => Weekday::Tuesday,
        3 => Weekday::Wednesday,
        4 => Weekday::Thursday,
        5 => Weekday::Friday,
        6 => Weekday::Saturday,
        7 => Weekday::Sunday,
        _ => return None,
    })
}

/// The Monday of the week holding `day`.
pub fn week_start(day: Date) -> Date {
    day - Duration::days(i64::from(day.weekday().number_days_from_monday()))
}

/// Clinicians' and chairs' calendars around `days`: working hours, bookings and time off.
async fn calendars(
    state: &AppState,
    reference: &Reference,
    days: &[Date],
) -> AppResult<(Vec<ClinicianCalendar>, Vec<ChairCalendar>)> {
    let Some((from, until)) = span_of(reference, days) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let busy = db::busy_between(&state.db, from, until).await?;
    Ok(calendars_from(reference, &busy))
}

/// The days themselves, in UTC: a slot lies within its day, and the busy times read for them
/// include bookings that began the day before and run into it.
fn span_of(reference: &Reference, days: &[Date]) -> Option<(OffsetDateTime, OffsetDateTime)> {
    let (first, last) = (days.first()?, days.last()?);
    let zone = reference.settings.zone();
    Some((
        zone.to_utc(*first, time::Time::MIDNIGHT),
        zone.to_utc(*last + Duration::days(1), time::Time::MIDNIGHT),
    ))
}

fn calendars_from(
    reference: &Reference,
    busy: &[BusyRow],
) -> (Vec<ClinicianCalendar>, Vec<ChairCalendar>) {
    let chairs: Vec<ChairCalendar> = reference
        .chairs
        .iter()
        .filter(|c| c.active)
        .map(|c| ChairCalendar {
            chair_id: c.id,
            busy: busy
                .iter()
                .filter(|b| b.chair_id == Some(c.id))
                .map(|b| b.busy())
                .collect(),
        })
        .collect();
    let mut clinicians: Vec<ClinicianCalendar> = Vec::new();
    for row in &reference.hours {
        let Some(day) = weekday(row.weekday) else {
            continue;
        };
        let block = WorkingBlock {
            weekday: day,
            starts: row.starts,
            ends: row.ends,
        };
        match clinicians.last_mut() {
            Some(c) if c.clinician_id == row.clinician_id => c.blocks.push(block),
            _ => clinicians.push(ClinicianCalendar {
                clinician_id: row.clinician_id,
                blocks: vec![block],
                busy: busy
                    .iter()
                    .filter(|b| b.clinician_id == Some(row.clinician_id))
                    .map(|b| b.busy())
                    .collect(),
            }),
        }
    }
    (clinicians, chairs)
}

fn earliest_bookable() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::minutes(LEAD_MINUTES)
}

/// Open slots for `kind` on `days`, from the working hours, bookings and time off. The
/// slots of a span are worked out once per schedule version (`reference::slots`); only the
/// ones too soon to book are left out per request.
pub async fn open_slots(
    state: &AppState,
    reference: &Arc<Reference>,
    kind: AppointmentKind,
    days: &[Date],
) -> AppResult<Vec<Slot>> {
    let Some((from, until)) = span_of(reference, days) else {
        return Ok(Vec::new());
    };
    let settings = &reference.settings;
    let all = super::reference::slots(state, reference, kind.as_str(), from, until, |busy| {
        let (clinicians, chairs) = calendars_from(reference, busy);
        model::open_slots(
            days,
            settings.zone(),
            kind.length(&settings.scheduling()),
            kind.needs_chair(),
            &clinicians,
            &chairs,
            from,
        )
    })
    .await?;
    let earliest = earliest_bookable();
    Ok(all
        .iter()
        .filter(|s| s.starts >= earliest)
        .cloned()
        .collect())
}

/// The seven days of a week, from its Monday.
pub fn week_days(monday: Date) -> Vec<Date> {
    (0..7).map(|n| monday + Duration::days(n)).collect()
}

/// Everything that stops an infusion for this patient at `starts` (empty: bookable).
pub async fn gate(
    state: &AppState,
    settings: &ClinicSettings,
    patient_id: i64,
    starts: OffsetDateTime,
    moving: Option<i64>,
) -> AppResult<Vec<GateProblem>> {
    let today = OffsetDateTime::now_utc().date();
    let latest = crate::screening::db::summaries_for_patient(&state.db, patient_id, None, 1)
        .await?
        .into_iter()
        .next();
    let screening = match &latest {
        Some(s) => ScreeningStanding::of(
            Some(&s.status),
            s.urgent,
            s.decision,
            s.eligible_until,
            today,
        ),
        None => ScreeningStanding::NotStarted,
    };
    let consent = consent_status(&crate::consent::db::facts(&state.db, patient_id).await?);
    let other_infusions = db::infusions_near(&state.db, patient_id, starts, moving).await?;
    let open_alerts = crate::alerts::db::open_kinds(&state.db, patient_id)
        .await?
        .iter()
        .filter_map(|code| crate::alerts::model::AlertKind::parse(code))
        .collect();
    let facts = GateFacts {
        screening,
        consent,
        other_infusions,
        open_alerts,
    };
    Ok(model::infusion_gate(&facts, starts, &settings.scheduling()))
}

/// What the person booking asked for: one of the offered times, written as
/// `start-clinician-chair` (Unix seconds, ids, chair 0 for none).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SlotChoice {
    #[serde(default)]
    pub slot: String,
    #[serde(default)]
    pub override_reason: String,
}

impl SlotChoice {
    pub fn value_of(slot: &Slot) -> String {
        format!(
            "{}-{}-{}",
            slot.starts.unix_timestamp(),
            slot.clinician_id,
            slot.chair_id.unwrap_or(0)
        )
    }

    /// (start, clinician, chair) if the value is well formed.
    pub fn parts(&self) -> Option<(OffsetDateTime, i64, Option<i64>)> {
        let mut parts = self.slot.trim().splitn(3, '-');
        let starts = parts.next()?.parse::<i64>().ok()?;
        let clinician = parts.next()?.parse::<i64>().ok()?;
        let chair = parts.next()?.parse::<i64>().ok()?;
        let starts = OffsetDateTime::from_unix_timestamp(starts).ok()?;
        // A forged value far in the past or future would overflow the slot arithmetic.
        let years = crate::core::params::EARLIEST_YEAR..=crate::core::params::LATEST_YEAR;
        if !years.contains(&starts.year()) {
            return None;
        }
        Some((starts, clinician, (chair != 0).then_some(chair)))
    }
}

/// Why a chosen slot cannot be booked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No time was chosen.
    NoSlotChosen,
    /// A patient books for themselves only once their email is confirmed.
    EmailUnverified,
    /// The time has passed (or starts too soon to book).
    Past,
    /// The clinician does not work then.
    OutsideHours,
    /// The appointment being moved is no longer booked.
    NotLive,
    /// The patient already has an appointment overlapping that time.
    PatientBusy,
    /// Someone else booked it a moment ago (the database refused the clash).
    JustTaken,
    /// The infusion gate: these conditions are missing.
    Gate(Vec<GateProblem>),
    /// An override needs its reason written down.
    OverrideReasonMissing,
    /// The form holds text that cannot be stored (a NUL byte).
    UnstorableText,
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::NoSlotChosen => "Choose one of the times below.".to_owned(),
            Refusal::EmailUnverified => {
                "Please confirm your email address before booking: open the link we sent you, or send a new one from your account page.".to_owned()
            }
            Refusal::Past => {
                "That time has passed or starts too soon to book. Choose one of the times below.".to_owned()
            }
            Refusal::OutsideHours => {
                "That time is outside the clinician's working hours. Choose one of the times below.".to_owned()
            }
            Refusal::PatientBusy => {
                "The patient already has an appointment at that time. Choose another time.".to_owned()
            }
            Refusal::NotLive => {
                "This appointment is no longer booked, so it cannot be moved.".to_owned()
            }
            Refusal::JustTaken => {
                "That time was just taken. Please choose one of the other times below.".to_owned()
            }
            Refusal::Gate(_) => "This infusion cannot be booked yet:".to_owned(),
            Refusal::OverrideReasonMissing => {
                "Write the reason for booking past the interval or monthly limit.".to_owned()
            }
            Refusal::UnstorableText => crate::core::params::UNSTORABLE.to_owned(),
        }
    }
}

/// A booking to make: for whom, what, when, and whether it moves an existing appointment.
pub struct Request<'a> {
    pub patient_id: i64,
    pub kind: AppointmentKind,
    pub choice: &'a SlotChoice,
    pub moving: Option<i64>,
}

/// Why a time that is not open was refused: it passed, the clinician does not work then, or
/// it was free by working hours but someone booked it (or the clinician is off).
fn why_not_open(
    clinicians: &[ClinicianCalendar],
    settings: &ClinicSettings,
    kind: AppointmentKind,
    starts: OffsetDateTime,
    clinician_id: i64,
) -> Refusal {
    if starts < earliest_bookable() {
        return Refusal::Past;
    }
    let free_calendar: Vec<ClinicianCalendar> = clinicians
        .iter()
        .filter(|c| c.clinician_id == clinician_id)
        .map(|c| ClinicianCalendar {
            busy: Vec::new(),
            ..c.clone()
        })
        .collect();
    let zone = settings.zone();
    let by_hours = model::open_slots(
        &[zone.date_of(starts)],
        zone,
        kind.length(&settings.scheduling()),
        false,
        &free_calendar,
        &[],
        earliest_bookable(),
    );
    if by_hours.iter().any(|s| s.starts == starts) {
        Refusal::JustTaken
    } else {
        Refusal::OutsideHours
    }
}

/// Books the chosen slot for the patient, or says why not. The slot must be one of the open
/// ones now; the database is the final word on clashes.
pub async fn book(
    state: &AppState,
    reference: &Reference,
    by: &CurrentUser,
    meta: &RequestMeta,
    request: &Request<'_>,
) -> AppResult<Result<i64, Refusal>> {
    let Request {
        patient_id,
        kind,
        choice,
        moving,
    } = *request;
    let settings = &reference.settings;
    if [&choice.slot, &choice.override_reason]
        .iter()
        .any(|text| crate::core::params::holds_nul(text))
    {
        return Ok(Err(Refusal::UnstorableText));
    }
    let Some((starts, clinician_id, wanted_chair)) = choice.parts() else {
        return Ok(Err(Refusal::NoSlotChosen));
    };
    let zone = settings.zone();
    let day = zone.date_of(starts);
    let length = kind.length(&settings.scheduling());
    let (clinicians, chairs) = calendars(state, reference, &[day]).await?;
    let open = model::open_slots(
        &[day],
        zone,
        length,
        kind.needs_chair(),
        &clinicians,
        &chairs,
        earliest_bookable(),
    );
    let Some(slot) = open
        .iter()
        .find(|s| s.starts == starts && s.clinician_id == clinician_id)
    else {
        return Ok(Err(why_not_open(
            &clinicians,
            settings,
            kind,
            starts,
            clinician_id,
        )));
    };
    // Keep the chair the person saw if it is still free, else any free one.
    let chair_id = if kind.needs_chair() {
        open.iter()
            .find(|s| {
                s.starts == starts && s.clinician_id == clinician_id && s.chair_id == wanted_chair
            })
            .map_or(slot.chair_id, |s| s.chair_id)
    } else {
        None
    };
    let mut gate_override = None;
    if kind == AppointmentKind::Infusion {
        let problems = gate(state, settings, patient_id, starts, moving).await?;
        if !problems.is_empty() {
            if !model::may_override_gate(by.role, &problems) {
                return Ok(Err(Refusal::Gate(problems)));
            }
            let reason = choice.override_reason.trim();
            if reason.is_empty() {
                return Ok(Err(Refusal::OverrideReasonMissing));
            }
            gate_override = Some(reason.chars().take(500).collect::<String>());
        }
    }
    let ends = starts + kind.length(&settings.scheduling());
    let mut tx = state.db.begin().await?;
    let result = match moving {
        None => db::book(
            &mut tx,
            &NewAppointment {
                patient_id,
                kind,
                clinician_id: slot.clinician_id,
                chair_id,
                from: starts,
                until: ends,
                gate_override: gate_override.as_deref(),
                booked_by: by.id,
            },
        )
        .await
        .map(Some),
        Some(id) => db::reschedule(
            &mut tx,
            id,
            slot.clinician_id,
            chair_id,
            starts,
            ends,
            by.id,
        )
        .await
        .map(|moved| moved.then_some(id)),
    };
    let id = match result {
        Ok(Some(id)) => id,
        Ok(None) => return Ok(Err(Refusal::NotLive)),
        Err(e) if db::is_clash(&e) => {
            let patient_busy = matches!(&e, sqlx::Error::Database(d)
                if d.constraint() == Some("appointments_patient_free"));
            return Ok(Err(if patient_busy {
                Refusal::PatientBusy
            } else {
                Refusal::JustTaken
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let rules = settings.scheduling();
    let (subject, body) = super::model::reminder_email(kind, &zone, starts, &settings.clinic_name);
    let send_at = model::reminder_at(&rules, starts, OffsetDateTime::now_utc());
    db::queue_reminder(&mut *tx, id, &subject, &body, send_at).await?;
    let what = if moving.is_some() {
        action::APPOINTMENT_RESCHEDULE
    } else {
        action::APPOINTMENT_BOOK
    };
    let detail = format!(
        "appointment {id}: {}{}",
        kind.as_str(),
        if gate_override.is_some() {
            " (gate overridden)"
        } else {
            ""
        }
    );
    audit::record(
        &mut *tx,
        audit::Entry::new(what, Some(by), meta)
            .patient(patient_id)
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Cancels or marks a no-show; a cancellation this close to the start is marked late.
pub async fn close(
    state: &AppState,
    settings: &ClinicSettings,
    by: &CurrentUser,
    meta: &RequestMeta,
    appointment: &db::AppointmentRow,
    status: AppointmentStatus,
    note: Option<&str>,
) -> AppResult<bool> {
    let late = status == AppointmentStatus::Cancelled
        && model::is_late_cancellation(
            &settings.scheduling(),
            appointment.from,
            OffsetDateTime::now_utc(),
        );
    let mut tx = state.db.begin().await?;
    if !db::close(&mut tx, appointment.id, status, late, by.id, note).await? {
        return Ok(false);
    }
    let what = if status == AppointmentStatus::NoShow {
        action::APPOINTMENT_NO_SHOW
    } else {
        action::APPOINTMENT_CANCEL
    };
    audit::record(
        &mut *tx,
        audit::Entry::new(what, Some(by), meta)
            .patient(appointment.patient_id)
            .detail(format!(
                "appointment {}{}",
                appointment.id,
                if late { " (late)" } else { "" }
            )),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
