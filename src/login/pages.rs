//! Login, its second step and logout: each handler reads the form, calls one step of
//! `flow.rs` and shows the answer.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::flow::{self, CodeStep, Credentials};
use crate::auth::model::{SessionEnd, safe_return_path};
use crate::core::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    ended: Option<String>,
}

#[derive(Template)]
#[template(path = "login/login.html")]
struct LoginPage {
    ctx: PageContext,
    email: String,
    next: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

pub async fn login_form(ctx: PageContext, Query(query): Query<LoginQuery>) -> AppResult<Response> {
    if let Some(user) = &ctx.user {
        return Ok(see_other(user.role.home()));
    }
    let next = query
        .next
        .as_deref()
        .and_then(safe_return_path)
        .unwrap_or_default()
        .to_owned();
    let notice = query
        .ended
        .as_deref()
        .and_then(SessionEnd::parse)
        .map(SessionEnd::notice);
    let page = LoginPage {
        ctx,
        email: String::new(),
        next,
        notice,
        error: None,
    };
    render_with_status(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let next = safe_return_path(&form.next).unwrap_or_default().to_owned();
    let typed = Credentials {
        email: &form.email,
        password: &form.password,
        next: &form.next,
    };
    match flow::password_login(&state, &meta, &headers, typed, &next).await? {
        Ok(response) => Ok(response),
        Err(refusal) => {
            let page = LoginPage {
                ctx,
                email: form.email.trim().to_owned(),
                next,
                notice: None,
                error: Some(refusal.message),
            };
            render_with_status(refusal.status, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "login/login_code.html")]
struct CodePage {
    ctx: PageContext,
    errors: FormErrors,
}

pub async fn code_form(
    State(state): State<AppState>,
    ctx: PageContext,
    headers: HeaderMap,
) -> AppResult<Response> {
    if !flow::challenge_is_live(&state, &headers).await? {
        return Ok(see_other("/login"));
    }
    let page = CodePage {
        ctx,
        errors: FormErrors::default(),
    };
    render_with_status(page.errors.status(), &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn check_code(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    let mut response = match flow::check_code(&state, &meta, &headers, &form.code).await? {
        CodeStep::NoChallenge => return Ok(see_other("/login")),
        CodeStep::Refused(status, problem) => {
            let mut errors = FormErrors::default();
            errors.add("code", problem);
            return render_with_status(status, &CodePage { ctx, errors });
        }
        CodeStep::Spent => see_other("/login?ended=codes"),
        CodeStep::Passed(response) => response,
    };
    state
        .cookies
        .clear(response.headers_mut(), state.cookies.challenge_name());
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    flow::log_out(&state, &user, &meta, &headers).await?;
    let mut response = see_other("/login?ended=logout");
    state
        .cookies
        .clear(response.headers_mut(), state.cookies.session_name());
    Ok(response)
}
