//! The patient's side: read and sign the consent in force, see the signed copies, withdraw.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::db::{self, SignatureRow, Version};
use super::model::{self, ConsentStatus, PATIENT_MEANING, SignForm, WithdrawForm};
use super::signed_copy_pages as signed_copy;
use super::signing::{self, Signing};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::patients::db::{ProfileRow, profile_for_user};
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other, user_agent};

async fn own_profile(state: &AppState, user: &CurrentUser) -> AppResult<ProfileRow> {
    profile_for_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "consent/patient.html")]
struct ConsentPage {
    ctx: PageContext,
    status: ConsentStatus,
    /// The version in force and its rendered text, when there is one to sign.
    current: Option<(Version, String)>,
    signatures: Vec<(SignatureRow, String)>,
    form: SignForm,
    errors: FormErrors,
    notice: Option<&'static str>,
    withdrawn_on: Option<String>,
    meaning: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "signed" => Some("Thank you. Your consent is signed and recorded."),
        "already" => {
            Some("You have already signed this version of the consent; nothing more is needed.")
        }
        "withdrawn" => Some(
            "Your consent is withdrawn. The clinic has been told, and no infusions will be given until you sign again.",
        ),
        "not-signed" => Some("There is no signed consent to withdraw."),
        _ => None,
    }
}

async fn consent_page(
    state: &AppState,
    ctx: PageContext,
    profile: &ProfileRow,
    form: SignForm,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> AppResult<Response> {
    let facts = db::facts(&state.db, profile.id).await?;
    let status = model::consent_status(&facts);
    let current = db::current_version(&state.db).await?.map(|v| {
        let html = model::render_document(&v.body);
        (v, html)
    });
    let zone = crate::settings::load(&state.db).await?.zone();
    let signatures = zone.label_each(
        db::signatures_of_patient(&state.db, profile.id, None).await?,
        |r| r.signed_at,
    );
    let http_status = errors.status();
    render_with_status(
        http_status,
        &ConsentPage {
            ctx,
            withdrawn_on: status.withdrawn_at().map(|at| zone.format(at)),
            status,
            current,
            signatures,
            form,
            errors,
            notice,
            meaning: PATIENT_MEANING,
        },
    )
}

pub async fn consent(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    audit::record(
        &state.db,
        audit::Entry::new(action::CONSENT_VIEW, Some(&user), &meta).patient(profile.id),
    )
    .await?;
    let form = SignForm::default();
    let notice = notice(query.notice.as_deref());
    consent_page(&state, ctx, &profile, form, FormErrors::default(), notice).await
}

pub async fn sign(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<SignForm>,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    let agent = user_agent(&headers);
    match signing::sign(&state, (&user, &meta, &agent), &profile, form).await? {
        Signing::Already => Ok(see_other("/patient/consent?notice=already")),
        Signing::Refused { form, errors } => {
            consent_page(&state, ctx, &profile, form, errors, None).await
        }
        Signing::Signed => Ok(see_other("/patient/consent?notice=signed")),
    }
}

pub async fn signed_copy(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(signature_id): Path<i64>,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    let copy = signed_copy::load(&state, &user, &meta, signature_id, Some(profile.id)).await?;
    signed_copy::page(&state, ctx, copy, None).await
}

#[derive(Template)]
#[template(path = "consent/withdraw.html")]
struct WithdrawPage {
    ctx: PageContext,
    form: WithdrawForm,
    errors: FormErrors,
}

fn withdraw_page(ctx: PageContext, form: WithdrawForm, errors: FormErrors) -> AppResult<Response> {
    let status = errors.status();
    render_with_status(status, &WithdrawPage { ctx, form, errors })
}

pub async fn withdraw_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    if !model::can_withdraw(model::consent_status(
        &db::facts(&state.db, profile.id).await?,
    )) {
        return Ok(see_other("/patient/consent?notice=not-signed"));
    }
    withdraw_page(ctx, WithdrawForm::default(), FormErrors::default())
}

pub async fn withdraw(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<WithdrawForm>,
) -> AppResult<Response> {
    let profile = own_profile(&state, &user).await?;
    let reason = match model::check_withdrawal(&form) {
        Ok(reason) => reason,
        Err(errors) => return withdraw_page(ctx, form, errors),
    };
    let agent = user_agent(&headers);
    let who = (&user, &meta, agent.as_str());
    if !signing::withdraw(&state, who, profile.id, reason.as_deref()).await? {
        return Ok(see_other("/patient/consent?notice=not-signed"));
    }
    Ok(see_other("/patient/consent?notice=withdrawn"))
}
