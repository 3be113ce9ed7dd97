//! One patient's printable summary, for clinicians and admins: who they are and how to reach
//! them, their eligibility and open risk flags, consent, the course of infusions with response
//! and remission, the latest scores, and what is booked next. It reads through the other
//! features' queries; only the contact details and the latest bands are its own.

use std::sync::Arc;

use time::{Date, OffsetDateTime};

use super::db::{self, SummaryPatient};
use crate::cache::Kept;
use crate::clinic_time::ClinicZone;
use crate::consent::model::ConsentFacts;
use crate::error::{AppError, AppResult};
use crate::flowsheet::remembered::{PATIENTS, Stamp, by_patient};
use crate::outcomes::db::CourseTotals;
use crate::outcomes::model::{Phq9Course, ScorePoint, phq9_course};
use crate::scheduling::db::AppointmentRow;
use crate::scheduling::model::AppointmentStatus;
use crate::screening::instruments::Band;
use crate::screening::model::{Decision, ScreeningStanding};
use crate::screening::rules::{AllergiesAndInteractions, Flag, FlagKind};
use crate::state::AppState;

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

/// What the summary shows of the patient, read again only after a change to their record
/// (see `RememberedSummaries`).
pub struct SummaryRecord {
    pub patient: SummaryPatient,
    pub eligibility: Eligibility,
    /// From the latest screening that holds the patient's answers (see `latest_medicines`).
    pub allergies: AllergiesAndInteractions,
    pub consent_facts: ConsentFacts,
    pub totals: CourseTotals,
    pub phq9: Phq9Course,
    pub scores: Vec<ScoreLine>,
    /// Booked or checked-in appointments not over when read, soonest first.
    pub coming: Vec<AppointmentRow>,
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

/// The summaries of the patients lately shown, by patient.
pub struct RememberedSummaries(Kept<i64, SummaryRecord, Stamp>);

impl Default for RememberedSummaries {
    fn default() -> Self {
        RememberedSummaries(Kept::new(PATIENTS))
    }
}

/// The patient's printable summary, from memory while the patient's record is unchanged, or
/// 404 when there is no such patient.
pub async fn remembered(
    state: &AppState,
    patient_id: i64,
    zone: ClinicZone,
) -> AppResult<Arc<SummaryRecord>> {
    let read = read_summary(state, patient_id, zone);
    by_patient(
        state,
        &state.cache.kept::<RememberedSummaries>().0,
        patient_id,
        read,
    )
    .await
}
