//! The registration pages: the form, the "check your email" page and the confirmation link.
//! The steps are in `registration.rs`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::accounts::AccountForm;
use super::registration::{self, Confirmation, Refusal};
use crate::auth::model::{PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

#[derive(Template)]
#[template(path = "login/register.html")]
struct RegisterPage {
    ctx: PageContext,
    form: AccountForm,
    errors: FormErrors,
    password_hint: String,
}

fn register_page(ctx: PageContext, form: AccountForm, errors: FormErrors) -> RegisterPage {
    // The password is never sent back into the page.
    let form = AccountForm {
        password: String::new(),
        ..form
    };
    let password_hint = format!(
        "At least {PASSWORD_MIN_CHARS} characters; {PASSWORD_RECOMMENDED_CHARS} or more is better. A few unrelated words make a strong, memorable password."
    );
    RegisterPage {
        ctx,
        form,
        errors,
        password_hint,
    }
}

pub async fn register_form(ctx: PageContext) -> AppResult<Response> {
    if let Some(user) = &ctx.user {
        return Ok(see_other(user.role.home()));
    }
    render_with_status(
        StatusCode::OK,
        &register_page(ctx, AccountForm::default(), FormErrors::default()),
    )
}

#[derive(Template)]
#[template(path = "login/register_sent.html")]
struct SentPage {
    ctx: PageContext,
    email: String,
}

pub async fn register(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    Form(form): Form<AccountForm>,
) -> AppResult<Response> {
    match registration::request(&state, &meta, &form).await? {
        Ok(email) => render_with_status(StatusCode::OK, &SentPage { ctx, email }),
        Err(Refusal { status, errors }) => {
            render_with_status(status, &register_page(ctx, form, errors))
        }
    }
}

#[derive(Template)]
#[template(path = "login/register_confirm.html")]
struct ConfirmPage {
    ctx: PageContext,
    token: String,
    /// `None` when the link is unknown, used, expired or its address now has an account.
    email: Option<String>,
    errors: FormErrors,
}

fn link_gone(ctx: PageContext) -> AppResult<Response> {
    let page = ConfirmPage {
        ctx,
        token: String::new(),
        email: None,
        errors: FormErrors::default(),
    };
    render_with_status(StatusCode::NOT_FOUND, &page)
}

/// Shows the confirmation form; a link preview opening it creates nothing.
pub async fn confirm_form(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let Some(email) = registration::pending_email(&state, &token).await? else {
        return link_gone(ctx);
    };
    let page = ConfirmPage {
        ctx,
        token,
        email: Some(email),
        errors: FormErrors::default(),
    };
    render_with_status(StatusCode::OK, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    password: String,
}

/// Creates the account, with its address confirmed, and logs the patient in.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> AppResult<Response> {
    match registration::confirm(&state, &meta, &headers, &token, form.password).await? {
        Confirmation::Done(response) => Ok(response),
        Confirmation::Gone => link_gone(ctx),
        Confirmation::Refused { email, problem } => {
            let mut errors = FormErrors::default();
            errors.add("password", problem);
            let page = ConfirmPage {
                ctx,
                token,
                email: Some(email),
                errors,
            };
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
