//! The flowsheet as its page shows it: the infusion appointment's record with its readings,
//! events, addenda, voided orders, pre-session totals, the patient's open alerts, the gate as
//! it stands and the vitals chart. Read once per change of the patient's record and kept (see
//! `super::remembered`).

use time::OffsetDateTime;

use super::chart::{self, Chart, Guide, Series};
use super::db::{
    self, AddendumRow, EventRow, FlowsheetRow, PreSessionScore, ReadingRow, VoidedOrderRow,
};
use super::model::{
    self, CheckInFacts, DischargeFacts, StandingOrder, TreatmentRules, VitalSign, Vitals,
};
use super::reference;
use crate::alerts::db::AlertRow;
use crate::alerts::model::AlertKind;
use crate::clinic_time::ClinicZone;
use crate::core::Role;
use crate::error::AppResult;
use crate::patients::model::{SexAtBirth, pregnancy_relevant};
use crate::scheduling::model::GateProblem;
use crate::screening::rules::AllergiesAndInteractions;
use crate::state::AppState;

/// What a flowsheet shows of the record, read again only after a change to the patient's
/// record (see `super::remembered`).
#[derive(Clone)]
pub struct SheetRecord {
    pub sheet: FlowsheetRow,
    pub readings: Vec<ReadingRow>,
    pub events: Vec<EventRow>,
    pub addenda: Vec<AddendumRow>,
    pub voided: Vec<VoidedOrderRow>,
    pub pre_session: Vec<PreSessionScore>,
    /// The patient's open clinical alerts, shown at the top.
    pub alerts: Vec<AlertRow>,
    /// Consent and screening as they stand (today: see `standing_gate`).
    pub gate: Vec<GateProblem>,
    /// The vitals chart, drawn once per change.
    pub chart: String,
    /// Beside the dose order: allergies and interacting medicines from the latest screening.
    pub allergies: AllergiesAndInteractions,
}

/// Reads the rest of the flowsheet of `sheet`.
pub async fn read_sheet(state: &AppState, sheet: FlowsheetRow) -> AppResult<SheetRecord> {
    let clinic = crate::scheduling::reference::current(state).await?;
    let treatment = reference::current(state).await?;
    let (readings, events, addenda, voided) = match sheet.record_id {
        Some(id) => (
            db::readings(&state.db, id).await?,
            db::events(&state.db, id).await?,
            db::addenda(&state.db, id).await?,
            db::voided_orders(&state.db, id).await?,
        ),
        None => (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
    };
    let medicines = crate::screening::db::latest_medicines(&state.db, sheet.patient_id).await?;
    Ok(SheetRecord {
        allergies: AllergiesAndInteractions::of(
            (medicines.as_ref())
                .map(|m| (m.allergies.as_str(), m.flags.0.as_slice(), m.submitted_at)),
        ),
        chart: vitals_chart(&readings, &treatment.rules, clinic.settings.zone()),
        pre_session: db::pre_session_scores(&state.db, sheet.appointment_id).await?,
        alerts: crate::alerts::db::for_patient(&state.db, sheet.patient_id, 50)
            .await?
            .into_iter()
            .filter(|a| a.cleared_at.is_none())
            .collect(),
        gate: standing_gate(state, &clinic.settings, &sheet).await?,
        readings,
        events,
        addenda,
        voided,
        sheet,
    })
}

/// Screening, suicide-risk review and consent as they stand now; the interval and the
/// 30-day limit were settled when the infusion was booked.
pub async fn standing_gate(
    state: &AppState,
    settings: &crate::settings::ClinicSettings,
    sheet: &FlowsheetRow,
) -> AppResult<Vec<GateProblem>> {
    let problems = crate::scheduling::booking::gate(
        state,
        settings,
        sheet.patient_id,
        sheet.starts_at,
        Some(sheet.appointment_id),
    )
    .await?;
    Ok(problems
        .into_iter()
        .filter(|p| !matches!(p, GateProblem::TooSoon { .. } | GateProblem::TooMany { .. }))
        .collect())
}

/// The latest reading of a phase: the baseline, or (for discharge, which judges the vitals
/// taken since the infusion ended) the latest in recovery.
pub fn latest_of(readings: &[ReadingRow], phase: &str) -> Option<Vitals> {
    readings
        .iter()
        .rev()
        .find(|r| r.phase == phase)
        .map(|r| r.vitals)
}

/// Blood pressure and heart rate over the session, with the alert bounds.
fn vitals_chart(readings: &[ReadingRow], rules: &TreatmentRules, zone: ClinicZone) -> String {
    let points = |sign: VitalSign| -> Vec<(OffsetDateTime, f64)> {
        readings
            .iter()
            .map(|r| (r.taken_at, f64::from(sign.of(&r.vitals))))
            .collect()
    };
    let systolic = points(VitalSign::Systolic);
    let diastolic = points(VitalSign::Diastolic);
    let heart_rate = points(VitalSign::HeartRate);
    chart::line_chart(&Chart {
        title: "Blood pressure and heart rate",
        y_min: 40.0,
        y_max: 200.0,
        y_unit: "mmHg / bpm",
        series: &[
            Series {
                label: "Systolic",
                class: "systolic",
                points: &systolic,
            },
            Series {
                label: "Diastolic",
                class: "diastolic",
                points: &diastolic,
            },
            Series {
                label: "Heart rate",
                class: "heart-rate",
                points: &heart_rate,
            },
        ],
        guides: &[Guide {
            label: "Systolic alert",
            value: f64::from(rules.alerts.systolic.1),
            class: "alert",
        }],
        zone,
    })
}

/// The pregnancy test concerns the patient (see `pregnancy_relevant`); a sex at birth not
/// among the known codes counts as not recorded.
pub fn is_pregnancy_relevant(sheet: &FlowsheetRow) -> bool {
    pregnancy_relevant(sheet.sex_at_birth.as_deref().and_then(SexAtBirth::parse))
}

/// What discharge is judged on, as the record stands `now` (the app's clock).
pub fn discharge_facts(
    sheet: &FlowsheetRow,
    readings: &[ReadingRow],
    events: &[EventRow],
    now: OffsetDateTime,
) -> DischargeFacts {
    let ratings: Vec<(OffsetDateTime, i16)> = events
        .iter()
        .filter(|e| e.kind == "moaas")
        .filter_map(|e| e.moaas.map(|score| (e.at, score)))
        .collect();
    DischargeFacts {
        since_end: sheet.ended_at.map(|end| now - end),
        baseline: latest_of(readings, "baseline"),
        latest: latest_of(readings, "recovery"),
        moaas_after_end: model::moaas_after_end(&ratings, sheet.ended_at),
        escort_present: sheet.escort_present,
        no_driving_acknowledged: sheet.no_driving_acknowledged,
    }
}

/// What still stops the start, in the words of the checklist: the gate, a closed
/// appointment, the check-in, and the order checked against today's weight and the caps.
pub fn start_problems(
    sheet: &FlowsheetRow,
    baseline: Option<&Vitals>,
    gate: &[GateProblem],
    rules: &TreatmentRules,
) -> Vec<String> {
    // The flowsheet is the clinicians' own: they read the gate's precise reasons.
    let mut problems: Vec<String> = gate.iter().map(|p| p.message(Role::Clinician)).collect();
    if let Some(closed) = model::closed_appointment(&sheet.appointment_status) {
        problems.push(closed.to_owned());
    }
    let check_in = CheckInFacts {
        checked_in: sheet.checked_in_at.is_some(),
        fasting_confirmed: sheet.fasting_confirmed,
        escort_confirmed: sheet.escort_confirmed,
        pregnancy_test: sheet.pregnancy_test.as_deref(),
        pregnancy_test_reason: sheet.pregnancy_test_reason.as_deref(),
        pregnancy_relevant: is_pregnancy_relevant(sheet),
        baseline_taken: baseline.is_some(),
    };
    problems.extend(
        model::check_in_problems(&check_in)
            .into_iter()
            .map(|p| p.message().to_owned()),
    );
    let order = match (sheet.mg_per_kg, sheet.dose_mg, sheet.ordered_at) {
        (Some(mg_per_kg), Some(dose_mg), Some(_)) => Some(StandingOrder {
            mg_per_kg,
            dose_mg,
            ordered_for_kg: sheet.order_weight_kg,
        }),
        _ => None,
    };
    problems.extend(
        model::order_problems(order, sheet.weight_kg, rules)
            .iter()
            .map(|p| p.message(rules)),
    );
    problems
}

/// The kinds of this infusion's alerts still open.
pub fn open_here(alerts: &[AlertRow], appointment_id: i64) -> Vec<AlertKind> {
    alerts
        .iter()
        .filter(|a| a.cleared_at.is_none() && a.appointment_id == Some(appointment_id))
        .filter_map(|a| AlertKind::parse(&a.kind))
        .collect()
}
