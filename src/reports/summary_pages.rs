//! The printable summary's page: the patient's kept summary (see `super::summary`) laid out
//! for now, with what is coming up and the infusions that ran short by today's setting.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use time::OffsetDateTime;

use super::summary::{self, SummaryRecord};
use crate::audit::{self, action};
use crate::clinic_time::ClinicZone;
use crate::consent::model::{ConsentStatus, consent_status};
use crate::core::CurrentUser;
use crate::error::AppResult;
use crate::flowsheet::model::plain_number;
use crate::outcomes::model::ScorePoint;
use crate::screening::rules::Flag;
use crate::state::AppState;
use crate::web::{PageContext, RequestMeta, render};

/// Appointments listed as coming up.
const UPCOMING_SHOWN: usize = 10;

/// An appointment coming up.
pub struct UpcomingLine {
    pub when: String,
    pub kind: &'static str,
    pub clinician: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "reports/summary.html")]
struct SummaryPage {
    ctx: PageContext,
    clinic_name: String,
    printed: String,
    age: i32,
    upcoming: Vec<UpcomingLine>,
    zone: ClinicZone,
    record: std::sync::Arc<SummaryRecord>,
    /// Infusions that ran for much less than the minutes ordered (the clinic's share today).
    shortened: usize,
}

impl SummaryPage {
    pub fn consent(&self) -> ConsentStatus {
        consent_status(&self.record.consent_facts)
    }

    /// Counted now, not when the record was read: the window moves on with the days.
    pub fn last_30_days(&self) -> usize {
        let month_ago = OffsetDateTime::now_utc() - time::Duration::days(30);
        (self.record.totals.recent_starts.iter())
            .filter(|at| **at > month_ago)
            .count()
    }

    pub fn when(&self, at: &Option<OffsetDateTime>) -> String {
        at.map(|at| self.zone.format(at)).unwrap_or_default()
    }

    pub fn withdrawn(&self) -> Option<String> {
        self.consent().withdrawn_at().map(|at| self.zone.format(at))
    }

    pub fn point(&self, point: &Option<ScorePoint>) -> String {
        point
            .map(|p| format!("{} on {}", p.total, self.zone.format(p.at)))
            .unwrap_or_default()
    }

    /// Interacting medicines not already among the risk flags above (they differ when the
    /// latest screening was recorded without the patient's answers).
    pub fn other_interactions(&self) -> Vec<&Flag> {
        let flagged = &self.record.eligibility.flags;
        (self.record.allergies.interactions.iter())
            .filter(|i| !flagged.iter().any(|f| f.kind == i.kind && f.code == i.code))
            .collect()
    }

    pub fn total_mg(&self) -> String {
        plain_number(self.record.totals.total_mg)
    }

    pub fn number(&self, value: &Option<f64>, unit: &str) -> String {
        value
            .map(|v| format!("{} {unit}", plain_number(v)))
            .unwrap_or_else(|| "—".to_owned())
    }
}

/// `GET /clinician/patients/{id}/summary`: one page, made to print.
pub async fn summary(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(patient_id): Path<i64>,
) -> AppResult<Response> {
    let clinic = crate::scheduling::reference::current(&state).await?;
    let zone = clinic.settings.zone();
    let record = summary::remembered(&state, patient_id, zone).await?;
    let entry = audit::Entry::new(action::SUMMARY_VIEW, Some(&user), &meta).patient(patient_id);
    audit::record(&state.db, entry).await?;
    let now = OffsetDateTime::now_utc();
    let today = zone.date_of(now);
    // What was coming when the record was read, less what has ended since.
    let upcoming = (record.coming.iter())
        .filter(|a| a.until > now)
        .take(UPCOMING_SHOWN)
        .map(|a| UpcomingLine {
            when: zone.format(a.from),
            kind: a.kind.label(),
            clinician: a.clinician_name.clone(),
            status: a.status.label(),
        })
        .collect();
    let short_pct = crate::flowsheet::reference::current(&state)
        .await?
        .rules
        .short_infusion_pct;
    let totals = &record.totals;
    let shortened = (totals.run_seconds.iter().zip(&totals.run_minutes))
        .filter(|&(&ran, &minutes)| {
            crate::flowsheet::model::is_short_infusion(
                time::Duration::seconds(ran),
                minutes,
                short_pct,
            )
        })
        .count();
    render(&SummaryPage {
        ctx,
        shortened,
        clinic_name: clinic.settings.clinic_name.clone(),
        printed: zone.format(now),
        age: crate::patients::model::age_on(record.patient.date_of_birth, today),
        upcoming,
        zone,
        record,
    })
}
