//! The flowsheet as its page shows it: the infusion appointment's record with its readings,
//! events, addenda, voided orders, pre-session totals, the patient's open alerts, the gate as
//! it stands and the vitals chart. Read once per change of the patient's record and kept (see
//! `super::remembered`).

use time::OffsetDateTime;

use super::chart::{self, Chart, Guide, Series};
use super::db::{
    self, AddendumRow, EventRow, FlowsheetRow, PreSessionScore, ReadingRow, VoidedOrderRow,
};
use super::model::{TreatmentRules, VitalSign, Vitals};
use super::reference;
use crate::alerts::db::AlertRow;
use crate::app::AppState;
use crate::clinic_time::ClinicZone;
use crate::error::AppResult;
use crate::scheduling::model::GateProblem;
use crate::screening::rules::AllergiesAndInteractions;

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
