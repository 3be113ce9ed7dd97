//! The patient's side of the screening: overview, step pages, review, submission, crisis page.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::db::{self, ScreeningRow, ScreeningSummary};
use super::instruments::{self, Instrument};
use super::intake;
use super::model::{self, AnswerSection, Question, ScreeningStanding, Step, StepForm};
use super::rules::IntakeAnswers;
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::patients::db::{ProfileRow, profile_for_user};
use crate::settings;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render, render_with_status, see_other};

async fn own_profile(state: &AppState, user: &CurrentUser) -> AppResult<ProfileRow> {
    profile_for_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn steps_for(state: &AppState, profile: &ProfileRow) -> AppResult<Vec<Step>> {
    let pcl5 = settings::load(&state.db).await?.pcl5_enabled;
    Ok(model::steps(profile.sex_at_birth, pcl5))
}

fn standing(summary: &ScreeningSummary, today: time::Date) -> ScreeningStanding {
    ScreeningStanding::of(
        Some(&summary.status),
        summary.urgent,
        summary.decision,
        summary.eligible_until,
        today,
    )
}

#[derive(Template)]
#[template(path = "screening/overview.html")]
struct OverviewPage {
    ctx: PageContext,
    profile_complete: bool,
    latest: Option<(ScreeningSummary, ScreeningStanding)>,
    history: Vec<(ScreeningSummary, ScreeningStanding)>,
    continue_at: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    notice: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<OverviewQuery>,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    let today = OffsetDateTime::now_utc().date();
    let entry = audit::Entry::new(action::SCREENING_VIEW, Some(&user), &meta)
        .patient(profile.id)
        .detail("screening history");
    audit::record_view(&state.db, entry).await?;
    let mut history: Vec<_> = db::summaries_for_patient(&state.db, profile.id, None, 20)
        .await?
        .into_iter()
        .map(|s| {
            let standing = standing(&s, today);
            (s, standing)
        })
        .collect();
    let latest = (!history.is_empty()).then(|| history.remove(0));
    let continue_at = match db::draft_for_patient(&state.db, profile.id).await? {
        Some(draft) => {
            let steps = steps_for(&state, &profile).await?;
            Some(first_incomplete(&steps, &draft))
        }
        None => None,
    };
    let notice = match query.notice.as_deref() {
        Some("saved") => {
            Some("Your answers are saved. Come back any time, on any device, to carry on.")
        }
        Some("submitted") => Some(
            "Thank you. Your screening has been sent to a clinician, who will review it and let you know here.",
        ),
        Some("profile") => Some("Please complete your details before starting the screening."),
        _ => None,
    };
    render(&OverviewPage {
        ctx,
        profile_complete: profile.is_complete(),
        latest,
        history,
        continue_at,
        notice,
    })
}

/// The first step still missing answers, or the review page when all are done.
fn first_incomplete(steps: &[Step], draft: &ScreeningRow) -> &'static str {
    steps
        .iter()
        .find(|s| !model::step_complete(&draft.intake, &draft.draft_answers, **s))
        .map_or("review", |s| s.slug())
}

pub async fn start(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    if !profile.is_complete() {
        return Ok(see_other("/patient/profile?from=screening"));
    }
    let mut tx = state.db.begin().await?;
    if let Some(id) = db::start_draft(&mut *tx, profile.id).await? {
        let entry = audit::Entry::new(action::SCREENING_START, Some(&user), &meta)
            .patient(profile.id)
            .detail(format!("screening {id}"));
        audit::record(&mut *tx, entry).await?;
    }
    tx.commit().await?;
    let steps = steps_for(&state, &profile).await?;
    let first = steps.first().map_or("review", |s| s.slug());
    Ok(see_other(&format!("/patient/screening/step/{first}")))
}

#[derive(Template)]
#[template(path = "screening/step.html")]
struct StepPage {
    ctx: PageContext,
    step: Step,
    number: usize,
    total: usize,
    questions: &'static [Question],
    instrument: Option<&'static Instrument>,
    medication_groups: &'static [(&'static str, &'static str)],
    values: BTreeMap<String, String>,
    errors: FormErrors,
    previous: Option<&'static str>,
}

impl StepPage {
    fn value(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }

    fn is(&self, key: &str, value: &str) -> bool {
        self.value(key) == value
    }
}

/// The stored answers as form values, so a step page shows what was saved.
fn stored_values(
    intake: &IntakeAnswers,
    draft: &model::DraftAnswers,
    step: Step,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    match step {
        Step::Instrument(id) => {
            for (index, answer) in model::instrument_answers(draft, id).iter().enumerate() {
                if let Some(v) = answer {
                    values.insert(format!("item{}", index + 1), v.to_string());
                }
            }
        }
        Step::Medications => {
            values.insert("medications".into(), intake.medications.clone());
            values.insert("allergies".into(), intake.allergies.clone());
            for (key, _) in model::MEDICATION_GROUPS {
                if model::yes_no(intake, key) == Some(true) {
                    values.insert((*key).to_owned(), "on".into());
                }
            }
        }
        _ => {
            for question in model::questions(step) {
                if let Some(answer) = model::yes_no(intake, question.key) {
                    values.insert(
                        question.key.to_owned(),
                        if answer { "yes" } else { "no" }.into(),
                    );
                }
            }
            if let Some(n) = intake.antidepressant_trials {
                values.insert("antidepressant_trials".into(), n.to_string());
            }
        }
    }
    values
}

fn step_page(
    ctx: PageContext,
    steps: &[Step],
    step: Step,
    values: BTreeMap<String, String>,
    errors: FormErrors,
) -> StepPage {
    let number = steps.iter().position(|s| *s == step).map_or(1, |i| i + 1);
    let previous = number
        .checked_sub(2)
        .and_then(|i| steps.get(i))
        .map(|s| s.slug());
    StepPage {
        ctx,
        step,
        number,
        total: steps.len(),
        questions: model::questions(step),
        instrument: step.instrument().map(instruments::instrument),
        medication_groups: model::MEDICATION_GROUPS,
        values,
        errors,
        previous,
    }
}

async fn draft_and_step(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
) -> AppResult<Option<(ProfileRow, ScreeningRow, Vec<Step>, Step)>> {
    let profile = own_profile(state, user).await?;
    let Some(draft) = db::draft_for_patient(&state.db, profile.id).await? else {
        return Ok(None);
    };
    let steps = steps_for(state, &profile).await?;
    let step = model::find_step(&steps, slug).ok_or(AppError::NotFound)?;
    Ok(Some((profile, draft, steps, step)))
}

pub async fn step_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let Some((profile, draft, steps, step)) = draft_and_step(&state, &user, &slug).await? else {
        return Ok(see_other("/patient/screening"));
    };
    // The slug named a step of this questionnaire, so it is one of ours, not typed text.
    let entry = audit::Entry::new(action::SCREENING_VIEW, Some(&user), &meta)
        .patient(profile.id)
        .detail(format!("screening {} step {slug}", draft.id));
    audit::record_view(&state.db, entry).await?;
    let values = stored_values(&draft.intake, &draft.draft_answers, step);
    render(&step_page(ctx, &steps, step, values, FormErrors::default()))
}

pub async fn step_save(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(slug): Path<String>,
    Form(form): Form<StepForm>,
) -> AppResult<Response> {
    let Some((profile, draft, steps, step)) = draft_and_step(&state, &user, &slug).await? else {
        return Ok(see_other("/patient/screening"));
    };
    let action = model::StepAction::of(&form);
    let mut intake = draft.intake.0.clone();
    let mut answers = draft.draft_answers.0.clone();
    let continuing = action == model::StepAction::Continue;
    if let Err(errors) = model::apply_step(step, &form, &mut intake, &mut answers, continuing) {
        let values = form
            .iter()
            .filter(|(k, _)| k != "csrf_token")
            .cloned()
            .collect();
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &step_page(ctx, &steps, step, values, errors),
        );
    }
    let draft = intake::SavedStep {
        draft: &draft,
        patient_id: profile.id,
        step,
        intake: &intake,
        answers: &answers,
    };
    if intake::save_step(&state, &user, &meta, draft).await? {
        return Ok(see_other("/patient/screening/support?draft=1"));
    }
    Ok(see_other(&model::after_step(&steps, step, action)))
}

#[derive(Template)]
#[template(path = "screening/review.html")]
struct ReviewPage {
    ctx: PageContext,
    sections: Vec<AnswerSection>,
    ready: bool,
    error: Option<&'static str>,
}

async fn review_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    meta: &RequestMeta,
    error: Option<&'static str>,
) -> AppResult<Response> {
    let profile = own_profile(state, user).await?;
    let Some(draft) = db::draft_for_patient(&state.db, profile.id).await? else {
        return Ok(see_other("/patient/screening"));
    };
    let entry = audit::Entry::new(action::SCREENING_VIEW, Some(user), meta)
        .patient(profile.id)
        .detail(format!("screening {} (review before sending)", draft.id));
    audit::record(&state.db, entry).await?;
    let steps = steps_for(state, &profile).await?;
    let sections = model::answer_sections(&draft.intake, &draft.draft_answers, &steps);
    let ready = sections.iter().all(|s| s.complete) && profile.is_complete();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_with_status(
        status,
        &ReviewPage {
            ctx,
            sections,
            ready,
            error,
        },
    )
}

pub async fn review(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    review_page(&state, ctx, &user, &meta, None).await
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    let Some(draft) = db::draft_for_patient(&state.db, profile.id).await? else {
        return Ok(see_other("/patient/screening"));
    };
    let steps = steps_for(&state, &profile).await?;
    let complete = profile.is_complete()
        && steps
            .iter()
            .all(|s| model::step_complete(&draft.intake, &draft.draft_answers, *s));
    if !complete {
        return review_page(
            &state,
            ctx,
            &user,
            &meta,
            Some("Some questions are not answered yet: they are marked below."),
        )
        .await;
    }
    Ok(see_other(
        match intake::submit(&state, &user, &meta, &draft, &steps).await? {
            None => "/patient/screening",
            Some(true) => "/patient/screening/support",
            Some(false) => "/patient/screening?notice=submitted",
        },
    ))
}

#[derive(Template)]
#[template(path = "screening/support.html")]
struct SupportPage {
    ctx: PageContext,
    clinic_name: String,
    clinic_phone: String,
    /// Raised by a saved step of a screening not yet sent.
    draft: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SupportQuery {
    #[serde(default)]
    draft: Option<String>,
}

/// Shown at once after a screening (sent, or a saved step) that raises a suicide-risk flag.
pub async fn support(
    State(state): State<AppState>,
    ctx: PageContext,
    axum::extract::Query(query): axum::extract::Query<SupportQuery>,
) -> AppResult<Response> {
    let settings = settings::load(&state.db).await?;
    render(&SupportPage {
        ctx,
        clinic_name: settings.clinic_name,
        clinic_phone: settings.clinic_phone,
        draft: query.draft.is_some(),
    })
}

#[derive(Template)]
#[template(path = "screening/view.html")]
struct ViewPage {
    ctx: PageContext,
    summary: ScreeningSummary,
    standing: ScreeningStanding,
    sections: Vec<AnswerSection>,
}

/// A patient reads back one of their own screenings (read-only).
pub async fn view_own(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(screening_id): Path<i64>,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    let screening = db::own_screening(&state.db, screening_id, profile.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entry = audit::Entry::new(action::SCREENING_VIEW, Some(&user), &meta)
        .patient(profile.id)
        .detail(format!("screening {screening_id}"));
    audit::record(&state.db, entry).await?;
    if screening.status == "draft" {
        return Ok(see_other("/patient/screening/review"));
    }
    let summary = db::summaries_for_patient(&state.db, profile.id, Some(screening_id), 1)
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    let steps = steps_for(&state, &profile).await?;
    let today = OffsetDateTime::now_utc().date();
    let standing = standing(&summary, today);
    let sections = model::answer_sections(&screening.intake, &screening.draft_answers, &steps);
    render(&ViewPage {
        ctx,
        summary,
        standing,
        sections,
    })
}
