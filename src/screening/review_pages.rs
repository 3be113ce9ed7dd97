//! The clinician's side: the review queue, one screening in full, and the decision.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::db::{
    self, DecisionRow, QueueRow, ResultRow, Review, ReviewPatient, ScreeningRow, Viewer,
};
use super::instruments::{self, Band, InstrumentId};
use super::model::{self, AnswerSection, Decision, DecisionForm, StepForm};
use super::rules::{Flag, has_absolute_contraindication};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::patients::model::{SexAtBirth, age_on};
use crate::settings;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render, render_with_status, see_other};

fn band_label(code: Option<&str>) -> &'static str {
    code.and_then(Band::parse).map_or("", Band::label)
}

/// Where in the review queue: the first page, or the page after or before a screening.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    after: Option<i64>,
    before: Option<i64>,
    decided: Option<i64>,
}

#[derive(Template)]
#[template(path = "screening/queue.html")]
struct QueuePage {
    ctx: PageContext,
    rows: Vec<QueueRow>,
    /// The screening the "Previous" link pages back from, when there is an earlier page.
    previous_before: Option<i64>,
    /// The screening the "Next" link pages on from, when there is a later page.
    next_after: Option<i64>,
    /// Whether this is a later page (an empty one then links back to the start).
    paged: bool,
    decided: Option<i64>,
}

impl QueuePage {
    fn band(&self, code: &Option<String>) -> &'static str {
        band_label(code.as_deref())
    }
}

pub async fn queue(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<QueueQuery>,
) -> AppResult<Response> {
    let (rows, more_before, more_after) = match (query.before, query.after) {
        (Some(before), _) => {
            let mut rows =
                db::review_queue_before(&state.db, before, &viewer(&clinician, &meta)).await?;
            let more = rows.len() > db::QUEUE_PAGE;
            if more {
                rows.remove(0);
            }
            (rows, more, true)
        }
        (None, after) => {
            let mut rows =
                db::review_queue_after(&state.db, after, &viewer(&clinician, &meta)).await?;
            let more = rows.len() > db::QUEUE_PAGE;
            rows.truncate(db::QUEUE_PAGE);
            (rows, after.is_some(), more)
        }
    };
    render(&QueuePage {
        ctx,
        previous_before: rows.first().map(|r| r.id).filter(|_| more_before),
        next_after: rows.last().map(|r| r.id).filter(|_| more_after),
        rows,
        paged: query.after.is_some() || query.before.is_some(),
        decided: query.decided,
    })
}

/// A score line for the clinician: total, band, and the PCL-5 clusters.
struct ScoreLine {
    title: &'static str,
    total: String,
    band: &'static str,
    detail: String,
}

fn score_lines(results: &[ResultRow]) -> Vec<ScoreLine> {
    results
        .iter()
        .filter_map(|r| {
            let id = InstrumentId::parse(&r.instrument)?;
            let detail = match id {
                InstrumentId::Pcl5 => instruments::pcl5_clusters(&r.answers)
                    .map(|c| format!("Clusters: B {} · C {} · D {} · E {}", c.b, c.c, c.d, c.e))
                    .unwrap_or_default(),
                InstrumentId::Phq9 if instruments::phq9_item9_positive(&r.answers) => {
                    "Item 9 positive: follow up whatever the total".to_owned()
                }
                _ => String::new(),
            };
            Some(ScoreLine {
                title: instruments::instrument(id).title,
                total: r.total.map_or("no total".to_owned(), |t| t.to_string()),
                band: band_label(r.band.as_deref()),
                detail,
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "screening/clinician_review.html")]
struct ClinicianReviewPage {
    ctx: PageContext,
    screening: ScreeningRow,
    patient: ReviewPatient,
    age: i32,
    scores: Vec<ScoreLine>,
    flags: Vec<Flag>,
    sections: Vec<AnswerSection>,
    decisions: Vec<DecisionRow>,
    form: DecisionForm,
    errors: FormErrors,
    decisions_available: [Decision; 3],
    absolute: bool,
}

impl ClinicianReviewPage {
    fn tone(&self, flag: &Flag) -> &'static str {
        model::flag_tone(flag.kind)
    }
}

async fn review_page(
    ctx: PageContext,
    review: Review,
    form: DecisionForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let Review {
        screening,
        patient,
        results,
        decisions,
    } = review;
    let pcl5_taken = results.iter().any(|r| r.instrument == "pcl5");
    let sex = patient.sex_at_birth.as_deref().and_then(SexAtBirth::parse);
    let steps = model::steps(sex, pcl5_taken);
    let sections = model::answer_sections(&screening.intake, &screening.draft_answers, &steps);
    let flags = screening.flags.0.clone();
    let today = OffsetDateTime::now_utc().date();
    let status = errors.status();
    let page = ClinicianReviewPage {
        ctx,
        age: age_on(patient.date_of_birth, today),
        absolute: has_absolute_contraindication(&flags),
        screening,
        patient,
        scores: score_lines(&results),
        flags,
        sections,
        decisions,
        form,
        errors,
        decisions_available: Decision::ALL,
    };
    render_with_status(status, &page)
}

fn viewer<'a>(user: &'a CurrentUser, meta: &'a RequestMeta) -> Viewer<'a> {
    Viewer {
        user_id: user.id,
        role: user.role.as_str(),
        client_addr: &meta.client_addr,
        request_id: &meta.request_id,
    }
}

pub async fn review(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(screening_id): Path<i64>,
) -> AppResult<Response> {
    let review = db::review_and_audit(&state.db, screening_id, &viewer(&clinician, &meta))
        .await?
        .ok_or(AppError::NotFound)?;
    review_page(ctx, review, DecisionForm::default(), FormErrors::default()).await
}

pub async fn decide(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(screening_id): Path<i64>,
    Form(pairs): Form<StepForm>,
) -> AppResult<Response> {
    let review = db::review_and_audit(&state.db, screening_id, &viewer(&clinician, &meta))
        .await?
        .ok_or(AppError::NotFound)?;
    let patient_id = review.screening.patient_id;
    let flags = review.screening.flags.0.clone();
    let form = DecisionForm::from_pairs(&pairs);
    let eligibility_days = settings::load(&state.db).await?.eligibility_days;
    let today = OffsetDateTime::now_utc().date();
    let decision = match model::check_decision(&form, &flags, today, eligibility_days) {
        Ok(decision) => decision,
        Err(errors) => return review_page(ctx, review, form, errors).await,
    };
    let mut tx = state.db.begin().await?;
    db::record_decision(&mut tx, screening_id, &decision, clinician.id).await?;
    let detail = format!(
        "screening {screening_id}: {}{}",
        decision.decision.as_str(),
        if decision.override_reason.is_some() {
            " (override)"
        } else {
            ""
        }
    );
    let entry = audit::Entry::new(action::SCREENING_DECIDE, Some(&clinician), &meta)
        .patient(patient_id)
        .detail(detail);
    audit::record(&mut *tx, entry).await?;
    let note = format!("Reviewed with the decision on screening {screening_id}.");
    if crate::alerts::db::clear_for_screening(&mut *tx, screening_id, clinician.id, &note).await?
        > 0
    {
        let entry = audit::Entry::new(action::ALERT_CLEAR, Some(&clinician), &meta)
            .patient(patient_id)
            .detail(format!("risk answers of screening {screening_id}"));
        audit::record(&mut *tx, entry).await?;
    }
    tx.commit().await?;
    Ok(see_other(&format!(
        "/clinician/screenings?decided={screening_id}"
    )))
}
