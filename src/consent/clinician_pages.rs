//! The clinician's side: signatures waiting for a countersignature, each patient's consent
//! record, the signed copies, and countersigning.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::db::{self, AwaitingRow, SignatureRow, Withdrawal};
use super::model::{self, ConsentStatus, SignForm};
use super::signed_copy_pages::{self as signed_copy, CountersignForm};
use super::signing;
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render, see_other, user_agent};

const PAGE: i64 = 25;

#[derive(Template)]
#[template(path = "consent/awaiting.html")]
struct AwaitingPage {
    ctx: PageContext,
    rows: Vec<(AwaitingRow, String)>,
    next_before: Option<i64>,
    paged: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct AwaitingQuery {
    before: Option<i64>,
}

/// Patients' signatures no clinician has countersigned yet, newest first.
pub async fn awaiting(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<AwaitingQuery>,
) -> AppResult<Response> {
    let mut rows = db::awaiting_countersignature(&state.db, query.before, PAGE + 1).await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    audit::record(
        &state.db,
        audit::Entry::new(action::PATIENT_LIST, Some(&clinician), &meta)
            .detail("consent signatures awaiting countersignature"),
    )
    .await?;
    let zone = crate::settings::load(&state.db).await?.zone();
    render(&AwaitingPage {
        ctx,
        next_before: rows.last().map(|r| r.signature_id).filter(|_| more),
        paged: query.before.is_some(),
        rows: zone.label_each(rows, |r| r.signed_at),
    })
}

#[derive(Template)]
#[template(path = "consent/record.html")]
struct RecordPage {
    ctx: PageContext,
    patient_id: i64,
    legal_name: String,
    date_of_birth: time::Date,
    status: ConsentStatus,
    signatures: Vec<(SignatureRow, String)>,
    withdrawals: Vec<(Withdrawal, String)>,
}

/// One patient's consent record: status, every signature and every withdrawal.
pub async fn record(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(patient_id): Path<i64>,
) -> AppResult<Response> {
    let patient = crate::patients::db::identity(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &state.db,
        audit::Entry::new(action::CONSENT_VIEW, Some(&clinician), &meta)
            .patient(patient_id)
            .detail("consent record"),
    )
    .await?;
    let status = model::consent_status(&db::facts(&state.db, patient_id).await?);
    let zone = crate::settings::load(&state.db).await?.zone();
    let signatures = zone.label_each(
        db::signatures_of_patient(&state.db, patient_id, None).await?,
        |r| r.signed_at,
    );
    let withdrawals = zone.label_each(
        db::withdrawals_of_patient(&state.db, patient_id).await?,
        |r| r.withdrawn_at,
    );
    render(&RecordPage {
        ctx,
        patient_id,
        legal_name: patient.legal_name,
        date_of_birth: patient.date_of_birth,
        status,
        signatures,
        withdrawals,
    })
}

fn empty_countersign_form(clinician: &CurrentUser) -> CountersignForm {
    CountersignForm {
        printed_name: clinician.name.clone(),
        understood: false,
        errors: FormErrors::default(),
    }
}

pub async fn signed_copy(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(signature_id): Path<i64>,
) -> AppResult<Response> {
    let copy = signed_copy::load(&state, &clinician, &meta, signature_id, None).await?;
    let form = empty_countersign_form(&clinician);
    signed_copy::page(&state, ctx, copy, Some(form)).await
}

pub async fn countersign(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(signature_id): Path<i64>,
    Form(form): Form<SignForm>,
) -> AppResult<Response> {
    let copy = signed_copy::load(&state, &clinician, &meta, signature_id, None).await?;
    let done = format!("/clinician/consent/signatures/{signature_id}");
    if copy.0.countersignature.is_some() {
        return Ok(see_other(&done));
    }
    let agent = user_agent(&headers);
    let who = (&clinician, &meta, agent.as_str());
    if let Err(errors) = signing::countersign(&state, who, &copy.0, &form).await? {
        let form = CountersignForm {
            printed_name: form.printed_name,
            understood: form.understood.is_some(),
            errors,
        };
        return signed_copy::page(&state, ctx, copy, Some(form)).await;
    }
    Ok(see_other(&done))
}
