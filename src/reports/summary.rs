//! One patient's printable summary, for clinicians and admins: who they are and how to reach
//! them, their eligibility and open risk flags, consent, the course of infusions with response
//! and remission, the latest scores, and what is booked next. It reads through the other
//! features' queries; only the contact details and the latest bands are its own.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use time::{Date, OffsetDateTime};

use super::db::{self, SummaryPatient};
use crate::app::AppState;
use crate::audit::{self, action};
use crate::auth::CurrentUser;
use crate::clinic_time::ClinicZone;
use crate::consent::model::{ConsentFacts, ConsentStatus, consent_status};
use crate::error::{AppError, AppResult};
use crate::flowsheet::model::plain_number;
use crate::outcomes::db::CourseTotals;
use crate::outcomes::model::{Phq9Course, ScorePoint, phq9_course};
use crate::scheduling::db::AppointmentRow;
use crate::scheduling::model::AppointmentStatus;
use crate::screening::instruments::Band;
use crate::screening::model::{Decision, ScreeningStanding};
use crate::screening::rules::{AllergiesAndInteractions, Flag, FlagKind};
use crate::web::{PageContext, RequestMeta, render};

/// Appointments listed as coming up.
const UPCOMING_SHOWN: usize = 10;

/// The latest screening's standing, its decision and its flags.
pub struct Eligibility {
    pub standing: ScreeningStanding,
    /// The latest decision: what, and until when an eligible one lasts.
    pub decision: Option<(Decision, Option<Date>)>,
    /// Flags of the latest submitted screening, and whether a clinician has decided on it.
    pub flags: Vec<Flag>,
    pub flags_reviewed: bool,
}

impl Eligibility {
    pub fn flag_tone(&self, flag: &Flag) -> &'static str {
        match flag.kind {
            FlagKind::SuicideRisk | FlagKind::AbsoluteContraindication => "alert",
            _ => "caution",
        }
    }
}

async fn eligibility(state: &AppState, patient_id: i64, today: Date) -> AppResult<Eligibility> {
    // The newest two: a draft in progress, and the one before it, which holds the decision.
    let screenings =
        crate::screening::db::summaries_for_patient(&state.db, patient_id, None, 2).await?;
    let standing = screenings
        .first()
        .map_or(ScreeningStanding::NotStarted, |s| {
            ScreeningStanding::of(
                Some(&s.status),
                s.urgent,
                s.decision,
                s.eligible_until,
                today,
            )
        });
    let decision = (screenings.iter()).find_map(|s| s.decision.map(|d| (d, s.eligible_until)));
    let submitted = screenings.iter().find(|s| s.status != "draft");
    let flags = match submitted {
        Some(s) => crate::screening::db::own_screening(&state.db, s.id, patient_id)
            .await?
            .map(|row| row.flags.0)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(Eligibility {
        standing,
        decision,
        flags,
        flags_reviewed: submitted.is_some_and(|s| s.decision.is_some()),
    })
}

/// A latest score as the summary lists it.
pub struct ScoreLine {
    pub name: &'static str,
    pub result: String,
    pub when: String,
}

fn score_lines(scores: Vec<db::LatestScore>, zone: ClinicZone) -> Vec<ScoreLine> {
    [
        ("phq9", "PHQ-9"),
        ("gad7", "GAD-7"),
        ("cssrs", "C-SSRS screener"),
    ]
    .into_iter()
    .map(|(code, name)| {
        let found = scores.iter().find(|s| s.instrument == code);
        let band = |s: &db::LatestScore| {
            (s.band.as_deref())
                .and_then(Band::parse)
                .map_or("", Band::label)
        };
        let result = match found {
            None => "Not yet taken".to_owned(),
            // The screener's result is its risk band; its "total" counts yes answers.
            Some(s) if code == "cssrs" => band(s).to_owned(),
            Some(s) => match s.total {
                Some(total) => format!("{total} ({})", band(s).to_lowercase()),
                None => band(s).to_owned(),
            },
        };
        ScoreLine {
            name,
            result,
            when: found
                .map(|s| zone.format(s.recorded_at))
                .unwrap_or_default(),
        }
    })
    .collect()
}

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

/// What the summary shows of the patient, read again only after a change to their record
/// (see `crate::flowsheet::remembered`).
pub struct SummaryRecord {
    patient: SummaryPatient,
    eligibility: Eligibility,
    /// From the latest screening that holds the patient's answers (see `latest_medicines`).
    allergies: AllergiesAndInteractions,
    consent_facts: ConsentFacts,
    totals: CourseTotals,
    phq9: Phq9Course,
    scores: Vec<ScoreLine>,
    /// Booked or checked-in appointments not over when read, soonest first.
    coming: Vec<AppointmentRow>,
}

/// Reads the summary of the patient (404 when there is no such patient).
pub async fn read_summary(
    state: &AppState,
    patient_id: i64,
    zone: ClinicZone,
) -> AppResult<SummaryRecord> {
    let patient = db::summary_patient(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = OffsetDateTime::now_utc();
    let eligibility = eligibility(state, patient_id, zone.date_of(now)).await?;
    let medicines = crate::screening::db::latest_medicines(&state.db, patient_id).await?;
    let allergies = AllergiesAndInteractions::of(
        (medicines.as_ref()).map(|m| (m.allergies.as_str(), m.flags.0.as_slice(), m.submitted_at)),
    );
    let consent_facts = crate::consent::db::facts(&state.db, patient_id).await?;
    let totals = crate::outcomes::db::course_totals(&state.db, patient_id).await?;
    let phq9: Vec<ScorePoint> = (crate::outcomes::db::scores(&state.db, patient_id).await?)
        .into_iter()
        .filter(|s| s.instrument == "phq9")
        .map(|s| ScorePoint {
            at: s.recorded_at,
            total: s.total,
        })
        .collect();
    let scores = score_lines(db::latest_scores(&state.db, patient_id).await?, zone);
    let appointments =
        crate::scheduling::db::appointments_of_patient(&state.db, patient_id).await?;
    let coming = (appointments.into_iter().rev())
        .filter(|a| a.until > now)
        .filter(|a| {
            matches!(
                a.status,
                AppointmentStatus::Booked | AppointmentStatus::CheckedIn
            )
        })
        .collect();
    Ok(SummaryRecord {
        patient,
        eligibility,
        allergies,
        consent_facts,
        totals,
        phq9: phq9_course(&phq9),
        scores,
        coming,
    })
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
    let record = crate::flowsheet::remembered::summary(&state, patient_id, zone).await?;
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
