//! The pages for getting back in: asking for a reset link, choosing a new password from it,
//! and confirming an email address. The steps are in `recovery.rs`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::recovery::{self, Reset};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

#[derive(Template)]
#[template(path = "login/forgot.html")]
struct ForgotPage {
    ctx: PageContext,
    email: String,
    sent: bool,
    error: Option<&'static str>,
}

pub async fn forgot_form(ctx: PageContext) -> AppResult<Response> {
    let page = ForgotPage {
        ctx,
        email: String::new(),
        sent: false,
        error: None,
    };
    render_with_status(StatusCode::OK, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let answer = recovery::request_reset(&state, &meta, &form.email).await?;
    let (status, sent, error) = match answer {
        Ok(sent) => (StatusCode::OK, sent, None),
        Err((status, message)) => (status, false, Some(message)),
    };
    let page = ForgotPage {
        ctx,
        email: form.email.trim().to_owned(),
        sent,
        error,
    };
    render_with_status(status, &page)
}

#[derive(Template)]
#[template(path = "login/reset.html")]
struct ResetPage {
    ctx: PageContext,
    token: String,
    /// False when the link is unknown, used or expired.
    usable: bool,
    errors: FormErrors,
}

pub async fn reset_form(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let usable = recovery::reset_link_works(&state, &token).await?;
    let page = ResetPage {
        ctx,
        token,
        usable,
        errors: FormErrors::default(),
    };
    let status = if usable {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    render_with_status(status, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new_password: String,
}

pub async fn reset(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let (status, usable, errors) =
        match recovery::reset(&state, &meta, &token, form.new_password).await? {
            Reset::Done => return Ok(see_other("/login?ended=reset")),
            Reset::Raced => return Ok(see_other(&format!("/reset-password/{token}"))),
            Reset::Gone => (StatusCode::NOT_FOUND, false, FormErrors::default()),
            Reset::Refused(errors) => (StatusCode::UNPROCESSABLE_ENTITY, true, errors),
        };
    let page = ResetPage {
        ctx,
        token,
        usable,
        errors,
    };
    render_with_status(status, &page)
}

#[derive(Template)]
#[template(path = "login/verified.html")]
struct VerifiedPage {
    ctx: PageContext,
    verified: bool,
}

/// Confirms the address the link was sent to, if it is still the account's.
pub async fn verify_email(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let verified = recovery::verify_email(&state, &meta, &token).await?;
    let status = if verified {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    render_with_status(status, &VerifiedPage { ctx, verified })
}
