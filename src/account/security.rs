//! The steps behind one's own account pages: checking the current password (counted like a
//! login), changing the password, confirmation links, ending sessions, and turning the
//! second factor on or off. Each write is one transaction, audited.

use time::OffsetDateTime;

use super::db::{self, TokenPurpose};
use super::model::{self, VERIFY_VALID_MINUTES};
use crate::audit::{self, Outcome, action};
use crate::auth::attempts::{self, Reservation};
use crate::auth::model::refusal_message;
use crate::auth::{tokens, two_factor};
use crate::core::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{RequestMeta, params};
use crate::{notify, settings};

const WRONG_PASSWORD: &str = "That is not your current password.";

/// Checks the current password typed into a form; returns what to say beside the field when
/// it is not accepted. Each check counts towards the account's lockout like a login (counted
/// before the hash is computed), and a wrong one is audited.
pub async fn current_password_problem(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    typed: &str,
) -> AppResult<Option<String>> {
    // A NUL pasted in is a slip, not a guess: told, never counted or checked.
    if let Some(problem) = params::unstorable(typed) {
        return Ok(Some(problem.to_owned()));
    }
    let policy = settings::load(&state.db).await?.lockout_policy();
    let reservation = attempts::reserve(&state.db, policy, &user.email, &meta.client_addr).await?;
    if let Reservation::Refused(gate) = reservation {
        audit::record(
            &state.db,
            audit::Entry::new(action::REAUTH_FAILED, Some(user), meta)
                .outcome(Outcome::Denied)
                .detail("locked"),
        )
        .await?;
        return Ok(Some(refusal_message(gate, OffsetDateTime::now_utc())));
    }
    let stored = db::password_hash(&state.db, user.id).await?;
    let ok = state
        .passwords
        .verify(typed.to_owned(), Some(stored))
        .await?;
    if ok {
        attempts::release(&state.db, reservation).await?;
        return Ok(None);
    }
    audit::record(
        &state.db,
        audit::Entry::new(action::REAUTH_FAILED, Some(user), meta).outcome(Outcome::Failure),
    )
    .await?;
    Ok(Some(WRONG_PASSWORD.to_owned()))
}

/// Sets the new password and ends every other session of the account; whoever had the old
/// password may have copied the private calendar address too, so that goes as well.
pub async fn change_password(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    new_password: String,
) -> AppResult<()> {
    let hash = state.passwords.hash(new_password).await?;
    let mut tx = state.db.begin().await?;
    db::set_password(&mut *tx, user.id, &hash).await?;
    let ended = db::end_other_sessions(&mut *tx, user.id, user.session_id).await?;
    let feeds = crate::scheduling::db::revoke_calendar_feeds(&mut *tx, user.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::PASSWORD_CHANGE, Some(user), meta).detail(format!(
            "{ended} other sessions ended; {feeds} calendar feed address(es) revoked"
        )),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(())
}

/// Sends a confirmation link for the account's current address.
pub async fn send_verification(state: &AppState, user_id: i64, email: &str) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let (token, hash) = tokens::new_token();
    db::create_token(
        &mut tx,
        user_id,
        TokenPurpose::EmailVerification,
        email,
        &hash,
        VERIFY_VALID_MINUTES,
    )
    .await?;
    let link = model::link(&state.config.link_base(), &format!("/verify-email/{token}"));
    let (subject, body) = model::verification_email(&link);
    notify::db::enqueue(
        &mut *tx,
        TokenPurpose::EmailVerification.as_str(),
        email,
        &subject,
        &body,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends one of the user's own sessions; false when it is not theirs (or gone).
pub async fn end_session(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    session_id: i64,
) -> AppResult<bool> {
    let mut tx = state.db.begin().await?;
    if !db::end_own_session(&mut *tx, user.id, session_id).await? {
        return Ok(false);
    }
    audit::record(
        &mut *tx,
        audit::Entry::new(action::SESSION_END, Some(user), meta)
            .detail(format!("session {session_id}")),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(true)
}

/// Ends every session of the user but the one this request came with.
pub async fn end_other_sessions(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let ended = db::end_other_sessions(&mut *tx, user.id, user.session_id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::SESSION_END, Some(user), meta)
            .detail(format!("{ended} other sessions")),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(())
}

/// Stores ten new recovery codes and returns them, to be shown this once.
async fn issue_recovery_codes(tx: &mut sqlx::PgConnection, user_id: i64) -> AppResult<Vec<String>> {
    let codes = two_factor::new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .map(|c| two_factor::recovery_code_hash(c))
        .collect();
    db::replace_recovery_codes(tx, user_id, &hashes).await?;
    Ok(codes)
}

/// Turns the second factor on with the confirmed enrolment key (`step` is the step of the
/// code that confirmed it) and returns the first recovery codes; `None` when another request
/// turned it on meanwhile.
pub async fn enable_two_factor(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    step: i64,
) -> AppResult<Option<Vec<String>>> {
    let mut tx = state.db.begin().await?;
    if !db::enable_two_factor(&mut *tx, user.id, step).await? {
        return Ok(None);
    }
    let codes = issue_recovery_codes(&mut tx, user.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::TWO_FACTOR_ENABLE, Some(user), meta),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(Some(codes))
}

/// Replaces the recovery codes with ten new ones and returns them.
pub async fn new_recovery_codes(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
) -> AppResult<Vec<String>> {
    let mut tx = state.db.begin().await?;
    let codes = issue_recovery_codes(&mut tx, user.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::RECOVERY_CODES_NEW, Some(user), meta),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

pub async fn disable_two_factor(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    db::disable_two_factor(&mut tx, user.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::TWO_FACTOR_DISABLE, Some(user), meta),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(())
}
