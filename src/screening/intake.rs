//! The patient's screening as it is filled in and sent: saving a step (a risk answer reaches
//! clinicians at once) and submitting it with its scores, flags and urgency.

use super::db::{self, NewResult, ScreeningRow};
use super::instruments::{self, InstrumentId};
use super::model::{self, DraftAnswers, Step};
use super::rules::{self, IntakeAnswers};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::core::RequestMeta;
use crate::core::Role;
use crate::error::{AppError, AppResult};
use crate::notify;
use crate::state::AppState;

/// A step's answers applied to the draft, to be saved.
pub struct SavedStep<'a> {
    pub draft: &'a ScreeningRow,
    pub patient_id: i64,
    pub step: Step,
    pub intake: &'a IntakeAnswers,
    pub answers: &'a DraftAnswers,
}

/// Saves the step's answers, audited. True when they hold a risk answer newly raised as an
/// alert: the patient is shown the crisis resources at once.
pub async fn save_step(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    saved: SavedStep<'_>,
) -> AppResult<bool> {
    let SavedStep {
        draft,
        patient_id,
        step,
        intake,
        answers,
    } = saved;
    let mut tx = state.db.begin().await?;
    if !db::save_draft(&mut *tx, draft.id, patient_id, intake, answers).await? {
        return Err(AppError::BadRequest(
            "This screening has already been sent, so it can no longer be changed.".into(),
        ));
    }
    let entry = audit::Entry::new(action::SCREENING_SAVE, Some(user), meta)
        .patient(patient_id)
        .detail(format!("screening {} step {}", draft.id, step.slug()));
    audit::record(&mut *tx, entry).await?;
    // A risk answer reaches clinicians as soon as it is saved, before the screening is sent,
    // and the patient sees the crisis resources at once.
    let phq9 = model::instrument_answers(answers, InstrumentId::Phq9);
    let cssrs = model::instrument_answers(answers, InstrumentId::Cssrs);
    let risk = rules::suicide_risk_flags(&phq9, &cssrs);
    let mut crisis = false;
    if !risk.is_empty() {
        let reasons: Vec<&str> = risk.iter().map(|f| f.reason.as_str()).collect();
        let detail = format!("In a screening not yet sent: {}", reasons.join("; "));
        let alert = crate::alerts::db::NewAlert {
            patient_id,
            screening_id: Some(draft.id),
            detail: &detail,
            ..Default::default()
        };
        crisis = crate::alerts::raise(
            state,
            &mut tx,
            Some(user),
            meta,
            crate::alerts::model::AlertKind::RiskAnswer,
            alert,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(crisis)
}

/// Sends the complete draft with its scores and flags; an urgent one (a suicide-risk flag)
/// tells clinicians at once. `None` when it was sent already; `Some(urgent)` once sent.
pub async fn submit(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    draft: &ScreeningRow,
    steps: &[Step],
) -> AppResult<Option<bool>> {
    let patient_id = draft.patient_id;
    let phq9 = model::instrument_answers(&draft.draft_answers, InstrumentId::Phq9);
    let cssrs = model::instrument_answers(&draft.draft_answers, InstrumentId::Cssrs);
    let flags = rules::flags(&draft.intake, &phq9, &cssrs);
    let urgent = rules::has_suicide_risk(&flags);
    let results: Vec<NewResult> = steps
        .iter()
        .filter_map(|s| s.instrument())
        .map(|id| {
            let answers = model::instrument_answers(&draft.draft_answers, id);
            let score = instruments::score(id, &answers);
            NewResult {
                instrument: id.code(),
                version: instruments::instrument(id).version,
                total: score.map(|s| s.total),
                band: score.map(|s| s.band.code()),
                answers,
            }
        })
        .collect();

    let mut tx = state.db.begin().await?;
    if !db::submit(&mut *tx, draft.id, patient_id, &flags, urgent, &results).await? {
        return Ok(None);
    }
    if urgent {
        db::notify_role(&mut *tx, Role::Clinician, "urgent_screening", draft.id).await?;
        if state.mailer.is_some() {
            let (subject, body) =
                notify::model::urgent_screening_email(state.config.public_url.as_deref());
            notify::db::enqueue_for_role(
                &mut *tx,
                Role::Clinician,
                "urgent_screening",
                &subject,
                &body,
            )
            .await?;
        }
    }
    let detail = format!(
        "screening {}; {} flag(s){}",
        draft.id,
        flags.len(),
        if urgent { "; urgent" } else { "" }
    );
    let entry = audit::Entry::new(action::SCREENING_SUBMIT, Some(user), meta)
        .patient(patient_id)
        .detail(detail);
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    if urgent {
        tracing::warn!(
            screening_id = draft.id,
            "urgent screening submitted: suicide-risk flag"
        );
    }
    Ok(Some(urgent))
}
