//! Patient self-registration, which never says whether an address already has an account:
//! every well-formed form gets the same "check your email" page, and the address's owner
//! learns the rest by email. The account is created only when the emailed link is opened
//! and the password chosen at registration is typed again (so whoever registers someone
//! else's address cannot get the owner to confirm an account whose password they know).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::accounts::{self, AccountForm, CreateError, ValidAccount};
use super::model::{CostlyRequest, PASSWORD_MIN_CHARS, PASSWORD_RECOMMENDED_CHARS, Role};
use super::{attempts, db, session};
use crate::account::model::{
    self as links, REGISTRATION_CONFIRM_ATTEMPTS, REGISTRATION_VALID_MINUTES,
};
use crate::app::AppState;
use crate::audit::{self, action};
use crate::error::{AppError, AppResult};
use crate::notify::db::{enqueue, kind};
use crate::settings;
use crate::web::{FormErrors, PageContext, RequestMeta, csrf, render_with_status, see_other};

#[derive(Template)]
#[template(path = "auth/register.html")]
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
#[template(path = "auth/register_sent.html")]
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
    let settings = settings::load(&state.db).await?;
    let today = OffsetDateTime::now_utc().date();
    let account = match accounts::validate(&form, Some(Role::Patient), today, settings.allow_minors)
    {
        Ok(account) => account,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &register_page(ctx, form, errors),
            );
        }
    };
    let Some(date_of_birth) = account.date_of_birth else {
        return Err(AppError::BadRequest(
            "A patient needs a date of birth.".into(),
        ));
    };
    // Only a well-formed request is counted, and only then is the password hashed: each
    // address gets a share of hashing per hour, so registrations cannot crowd out logins.
    let per_hour = state.config.limits.registrations_per_hour;
    let request = CostlyRequest::Registration;
    if !attempts::reserve_costly(&state.db, request, &meta.client_addr, per_hour).await? {
        let mut errors = FormErrors::default();
        errors.add("email", request.refusal());
        return render_with_status(
            StatusCode::TOO_MANY_REQUESTS,
            &register_page(ctx, form, errors),
        );
    }
    // Hashed whether or not the address has an account: the same work, so the same time.
    let password_hash = state.passwords.hash(account.password.clone()).await?;
    let base = state.config.link_base();
    let mut tx = state.db.begin().await?;
    let has_account = db::account_exists(&mut *tx, &account.email).await?;
    if has_account {
        let (subject, body) = links::registration_attempt_email(
            &links::link(&base, "/login"),
            &links::link(&base, "/forgot-password"),
        );
        enqueue(
            &mut *tx,
            kind::REGISTRATION_ATTEMPT,
            &account.email,
            &subject,
            &body,
        )
        .await?;
    } else {
        let (token, token_hash) = links::new_token();
        db::save_pending_registration(
            &mut *tx,
            &account.email,
            &account.name,
            date_of_birth,
            &password_hash,
            &token_hash,
            REGISTRATION_VALID_MINUTES,
        )
        .await?;
        let link = links::link(&base, &format!("/register/confirm/{token}"));
        let (subject, body) = links::registration_email(&link);
        enqueue(
            &mut *tx,
            kind::REGISTRATION,
            &account.email,
            &subject,
            &body,
        )
        .await?;
    }
    let detail = if has_account {
        "the address has an account: its owner was told"
    } else {
        "confirmation link sent"
    };
    audit::record(
        &mut *tx,
        audit::Entry::new(action::REGISTER_REQUEST, None, &meta).detail(detail),
    )
    .await?;
    tx.commit().await?;
    let page = SentPage {
        ctx,
        email: account.email,
    };
    render_with_status(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "auth/register_confirm.html")]
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
    let hash = links::token_hash(&token);
    let Some(pending) =
        db::pending_registration(&state.db, &hash, REGISTRATION_CONFIRM_ATTEMPTS).await?
    else {
        return link_gone(ctx);
    };
    let page = ConfirmPage {
        ctx,
        token,
        email: Some(pending.email),
        errors: FormErrors::default(),
    };
    render_with_status(StatusCode::OK, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    password: String,
}

/// Creates the account (audited as a registration), with its address confirmed, and logs
/// the patient in.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> AppResult<Response> {
    let hash = links::token_hash(&token);
    // A password that cannot be stored is a slip (a NUL pasted in), not a try: not counted.
    if let Some(problem) = crate::web::params::unstorable(&form.password) {
        let Some(pending) =
            db::pending_registration(&state.db, &hash, REGISTRATION_CONFIRM_ATTEMPTS).await?
        else {
            return link_gone(ctx);
        };
        let mut errors = FormErrors::default();
        errors.add("password", problem);
        let page = ConfirmPage {
            ctx,
            token,
            email: Some(pending.email),
            errors,
        };
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    // Counted before the password is checked, like a login.
    let Some(pending) =
        db::reserve_registration_attempt(&state.db, &hash, REGISTRATION_CONFIRM_ATTEMPTS).await?
    else {
        return link_gone(ctx);
    };
    let typed_right = state
        .passwords
        .verify(form.password, Some(pending.password_hash.clone()))
        .await?;
    if !typed_right {
        let mut errors = FormErrors::default();
        errors.add(
            "password",
            "That is not the password chosen when registering. If you have forgotten it, register again.",
        );
        let page = ConfirmPage {
            ctx,
            token,
            email: Some(pending.email),
            errors,
        };
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let account = ValidAccount {
        role: Role::Patient,
        name: pending.display_name,
        email: pending.email,
        date_of_birth: Some(pending.date_of_birth),
        password: String::new(),
    };
    let mut tx = state.db.begin().await?;
    // Used up inside the transaction: two tabs confirming at once create one account.
    if !db::take_pending_registration(&mut *tx, &hash).await? {
        return link_gone(ctx);
    }
    let created = match accounts::create(
        &mut tx,
        &account,
        &pending.password_hash,
        None,
        action::REGISTER,
        Some(&meta),
    )
    .await
    {
        Ok(created) => created,
        // The address got an account since the link was sent: the link is spent.
        Err(CreateError::EmailTaken) => {
            drop(tx);
            db::take_pending_registration(&state.db, &hash).await?;
            return link_gone(ctx);
        }
        Err(CreateError::Failed(e)) => return Err(e),
    };
    crate::account::db::mark_email_verified(&mut *tx, created.user.id).await?;
    let session_token =
        session::begin(&mut tx, state.cookies, &headers, &meta, created.user.id).await?;
    tx.commit().await?;
    session::forget_presented(&state, &headers);

    let mut response = see_other(Role::Patient.home());
    let cookies = state.cookies;
    cookies.set(
        response.headers_mut(),
        cookies.session_name(),
        &session_token,
    );
    cookies.set(
        response.headers_mut(),
        cookies.csrf_name(),
        &csrf::new_token(),
    );
    Ok(response)
}
