//! Getting back in: password reset by emailed link, and confirming an email address. The
//! reset request answers the same, at the same speed, whether or not the address has an
//! account: the work happens after the answer.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::db::{self, TokenPurpose};
use super::model::{self, RESET_VALID_MINUTES};
use crate::app::AppState;
use crate::audit::{self, Outcome, action};
use crate::auth::CurrentUser;
use crate::auth::attempts;
use crate::auth::model::CostlyRequest;
use crate::auth::model::normalize_email;
use crate::error::AppResult;
use crate::notify;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

#[derive(Template)]
#[template(path = "account/forgot.html")]
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
    if let Some(message) = crate::web::params::unstorable(&form.email) {
        let page = ForgotPage {
            ctx,
            email: form.email.trim().to_owned(),
            sent: false,
            error: Some(message),
        };
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let email = normalize_email(&form.email);
    let sent = !email.is_empty();
    let kind = CostlyRequest::PasswordReset;
    let per_hour = state.config.limits.reset_requests_per_hour;
    if sent && !attempts::reserve_costly(&state.db, kind, &meta.client_addr, per_hour).await? {
        let page = ForgotPage {
            ctx,
            email: form.email.trim().to_owned(),
            sent: false,
            error: Some(kind.refusal()),
        };
        return render_with_status(StatusCode::TOO_MANY_REQUESTS, &page);
    }
    if sent {
        // Done after answering, so the answer's timing says nothing about the address.
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = send_reset_link(&state, &email, &meta).await {
                tracing::error!(error = %e, "could not queue a password reset");
            }
        });
    }
    let page = ForgotPage {
        ctx,
        email: form.email.trim().to_owned(),
        sent,
        error: None,
    };
    render_with_status(StatusCode::OK, &page)
}

async fn send_reset_link(state: &AppState, email: &str, meta: &RequestMeta) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let Some(owner) = db::active_account(&mut *tx, email).await? else {
        let entry = audit::Entry::new(action::PASSWORD_RESET_REQUEST, None, meta)
            .outcome(Outcome::Failure)
            .detail("no active account with that address");
        audit::record(&mut *tx, entry).await?;
        tx.commit().await?;
        return Ok(());
    };
    let (token, hash) = model::new_token();
    db::create_token(
        &mut tx,
        owner.user_id,
        TokenPurpose::PasswordReset,
        &owner.email,
        &hash,
        RESET_VALID_MINUTES,
    )
    .await?;
    let link = model::link(
        &state.config.link_base(),
        &format!("/reset-password/{token}"),
    );
    let (subject, body) = model::password_reset_email(&link);
    notify::db::enqueue(
        &mut *tx,
        TokenPurpose::PasswordReset.as_str(),
        &owner.email,
        &subject,
        &body,
    )
    .await?;
    let actor = CurrentUser::actor(owner.user_id, owner.role, owner.display_name, owner.email);
    audit::record(
        &mut *tx,
        audit::Entry::new(action::PASSWORD_RESET_REQUEST, Some(&actor), meta),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "account/reset.html")]
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
    let usable = db::token_owner(
        &state.db,
        &model::token_hash(&token),
        TokenPurpose::PasswordReset,
    )
    .await?
    .is_some();
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

/// Sets the new password, uses up the link and ends every session of the account (whoever
/// had the old password is out). A second factor, if on, is still needed to log in.
pub async fn reset(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    let hash = model::token_hash(&token);
    let Some(owner) = db::token_owner(&state.db, &hash, TokenPurpose::PasswordReset).await? else {
        let page = ResetPage {
            ctx,
            token,
            usable: false,
            errors: FormErrors::default(),
        };
        return render_with_status(StatusCode::NOT_FOUND, &page);
    };
    if let Err(errors) = model::check_new_password(
        &form.new_password,
        &owner.email,
        &owner.display_name,
        "new_password",
    ) {
        let page = ResetPage {
            ctx,
            token,
            usable: true,
            errors,
        };
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let password_hash = state.passwords.hash(form.new_password).await?;
    let mut tx = state.db.begin().await?;
    // Used up inside the transaction: two tabs posting at once cannot both succeed.
    let Some(owner) = db::use_token(&mut *tx, &hash, TokenPurpose::PasswordReset).await? else {
        return Ok(see_other(&format!("/reset-password/{token}")));
    };
    db::set_password(&mut *tx, owner.user_id, &password_hash).await?;
    crate::auth::db::delete_user_sessions(&mut *tx, owner.user_id).await?;
    crate::auth::db::clear_login_failures(&mut *tx, &owner.email).await?;
    // Whoever had the password may have copied the private calendar address too.
    let feeds = crate::scheduling::db::revoke_calendar_feeds(&mut *tx, owner.user_id).await?;
    let actor = CurrentUser::actor(owner.user_id, owner.role, owner.display_name, owner.email);
    audit::record(
        &mut *tx,
        audit::Entry::new(action::PASSWORD_RESET, Some(&actor), &meta)
            .detail(format!("{feeds} calendar feed address(es) revoked")),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(owner.user_id);
    Ok(see_other("/login?ended=reset"))
}

#[derive(Template)]
#[template(path = "account/verified.html")]
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
    let hash = model::token_hash(&token);
    let mut tx = state.db.begin().await?;
    let owner = db::use_token(&mut *tx, &hash, TokenPurpose::EmailVerification).await?;
    if let Some(owner) = &owner {
        db::mark_email_verified(&mut *tx, owner.user_id).await?;
        let actor = CurrentUser::actor(
            owner.user_id,
            owner.role,
            owner.display_name.clone(),
            owner.email.clone(),
        );
        audit::record(
            &mut *tx,
            audit::Entry::new(action::EMAIL_VERIFY, Some(&actor), &meta),
        )
        .await?;
    }
    tx.commit().await?;
    if let Some(owner) = &owner {
        state.sessions.forget_user(owner.user_id);
    }
    let status = if owner.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    render_with_status(
        status,
        &VerifiedPage {
            ctx,
            verified: owner.is_some(),
        },
    )
}
