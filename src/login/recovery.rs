//! Getting back in: password reset by emailed link, and confirming an email address. The
//! reset request answers the same, at the same speed, whether or not the address has an
//! account: the work happens after the answer.

use axum::http::StatusCode;

use super::model::{RESET_VALID_MINUTES, password_reset_email};
use crate::account::db::{self, TokenPurpose};
use crate::account::model::{check_new_password, link};
use crate::audit::{self, Outcome, action};
use crate::auth::attempts;
use crate::auth::model::{CostlyRequest, normalize_email};
use crate::auth::tokens;
use crate::core::CurrentUser;
use crate::error::AppResult;
use crate::notify;
use crate::state::AppState;
use crate::web::{FormErrors, RequestMeta, params};

/// Asks for a reset link for `typed`. `Ok(sent)` says whether a link may be on its way
/// (false for an empty address); `Err` is what to say, with what status, when refused.
pub async fn request_reset(
    state: &AppState,
    meta: &RequestMeta,
    typed: &str,
) -> AppResult<Result<bool, (StatusCode, &'static str)>> {
    if let Some(message) = params::unstorable(typed) {
        return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, message)));
    }
    let email = normalize_email(typed);
    let sent = !email.is_empty();
    let kind = CostlyRequest::PasswordReset;
    let per_hour = state.config.limits.reset_requests_per_hour;
    if sent && !attempts::reserve_costly(&state.db, kind, &meta.client_addr, per_hour).await? {
        return Ok(Err((StatusCode::TOO_MANY_REQUESTS, kind.refusal())));
    }
    if sent {
        // Done after answering, so the answer's timing says nothing about the address.
        let state = state.clone();
        let meta = meta.clone();
        tokio::spawn(async move {
            if let Err(e) = send_reset_link(&state, &email, &meta).await {
                tracing::error!(error = %e, "could not queue a password reset");
            }
        });
    }
    Ok(Ok(sent))
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
    let (token, hash) = tokens::new_token();
    db::create_token(
        &mut tx,
        owner.user_id,
        TokenPurpose::PasswordReset,
        &owner.email,
        &hash,
        RESET_VALID_MINUTES,
    )
    .await?;
    let link = link(
        &state.config.link_base(),
        &format!("/reset-password/{token}"),
    );
    let (subject, body) = password_reset_email(&link);
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

/// Whether a reset link still works (known, unused, unexpired).
pub async fn reset_link_works(state: &AppState, token: &str) -> AppResult<bool> {
    let hash = tokens::token_hash(token);
    let owner = db::token_owner(&state.db, &hash, TokenPurpose::PasswordReset).await?;
    Ok(owner.is_some())
}

/// Where a new password leads.
pub enum Reset {
    /// The link is unknown, used or expired.
    Gone,
    /// The new password is refused: told beside the field.
    Refused(FormErrors),
    /// Another request used the link meanwhile: show the link's page again.
    Raced,
    Done,
}

/// Sets the new password, uses up the link and ends every session of the account (whoever
/// had the old password is out). A second factor, if on, is still needed to log in.
pub async fn reset(
    state: &AppState,
    meta: &RequestMeta,
    token: &str,
    new_password: String,
) -> AppResult<Reset> {
    let hash = tokens::token_hash(token);
    let Some(owner) = db::token_owner(&state.db, &hash, TokenPurpose::PasswordReset).await? else {
        return Ok(Reset::Gone);
    };
    let field = "new_password";
    if let Err(errors) = check_new_password(&new_password, &owner.email, &owner.display_name, field)
    {
        return Ok(Reset::Refused(errors));
    }
    let password_hash = state.passwords.hash(new_password).await?;
    let mut tx = state.db.begin().await?;
    // Used up inside the transaction: two tabs posting at once cannot both succeed.
    let Some(owner) = db::use_token(&mut *tx, &hash, TokenPurpose::PasswordReset).await? else {
        return Ok(Reset::Raced);
    };
    db::set_password(&mut *tx, owner.user_id, &password_hash).await?;
    crate::auth::db::delete_user_sessions(&mut *tx, owner.user_id).await?;
    crate::auth::db::clear_login_failures(&mut *tx, &owner.email).await?;
    // Whoever had the password may have copied the private calendar address too.
    let feeds = crate::scheduling::db::revoke_calendar_feeds(&mut *tx, owner.user_id).await?;
    let actor = CurrentUser::actor(owner.user_id, owner.role, owner.display_name, owner.email);
    audit::record(
        &mut *tx,
        audit::Entry::new(action::PASSWORD_RESET, Some(&actor), meta)
            .detail(format!("{feeds} calendar feed address(es) revoked")),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(owner.user_id);
    Ok(Reset::Done)
}

/// Confirms the address the link was sent to, if it is still the account's; false when the
/// link is unknown, used or expired.
pub async fn verify_email(state: &AppState, meta: &RequestMeta, token: &str) -> AppResult<bool> {
    let hash = tokens::token_hash(token);
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
            audit::Entry::new(action::EMAIL_VERIFY, Some(&actor), meta),
        )
        .await?;
    }
    tx.commit().await?;
    if let Some(owner) = &owner {
        state.sessions.forget_user(owner.user_id);
    }
    Ok(owner.is_some())
}
