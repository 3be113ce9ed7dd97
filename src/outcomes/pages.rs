//! Each patient's course over time: PHQ-9 and GAD-7 as charts and tables, the baseline,
//! response and remission, infusions and milligrams, side effects and the follow-up's
//! status. Clinicians see any patient's; a patient sees their own, without clinical notes.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::course::{Course, course};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{PageContext, RequestMeta, render};

#[derive(Template)]
#[template(path = "outcomes/course.html")]
struct OutcomesPage {
    ctx: PageContext,
    patient_id: i64,
    course: Course,
    for_clinician: bool,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ProgressQuery {
    notice: Option<String>,
    /// A page of the scores table (anything unreadable is the first).
    scores: Option<String>,
}

impl ProgressQuery {
    fn scores_page(&self) -> Option<usize> {
        self.scores.as_deref().and_then(|page| page.parse().ok())
    }
}

async fn audit_view(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    patient_id: i64,
) -> AppResult<()> {
    audit::record(
        &state.db,
        audit::Entry::new(action::OUTCOMES_VIEW, Some(user), meta).patient(patient_id),
    )
    .await?;
    Ok(())
}

/// Any patient's course, for clinicians.
pub async fn for_clinician(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(patient_id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<ProgressQuery>,
) -> AppResult<Response> {
    // Read first: an unknown patient is a 404, with nothing to audit.
    let course = course(&state, patient_id, query.scores_page()).await?;
    audit_view(&state, &clinician, &meta, patient_id).await?;
    render(&OutcomesPage {
        ctx,
        patient_id,
        course,
        for_clinician: true,
        notice: None,
    })
}

/// The patient's own progress: the same charts and their sessions, no clinical notes.
pub async fn for_patient(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    axum::extract::Query(query): axum::extract::Query<ProgressQuery>,
) -> AppResult<Response> {
    let patient_id = crate::scheduling::db::patient_of_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let course = course(&state, patient_id, query.scores_page()).await?;
    audit_view(&state, &user, &meta, patient_id).await?;
    render(&OutcomesPage {
        ctx,
        patient_id,
        course,
        for_clinician: false,
        notice: (query.notice.as_deref() == Some("follow-up"))
            .then_some("Thank you: your bladder and memory check is in."),
    })
}
