//! Moving one's account to a new address: a link is sent to the new address, and the
//! account changes only when it is opened (the page is `email_change_pages.rs`).

use super::db;
use super::model::{self, EMAIL_CHANGE_VALID_MINUTES};
use crate::audit::{self, action};
use crate::auth::tokens;
use crate::core::CurrentUser;
use crate::core::RequestMeta;
use crate::error::AppResult;
use crate::notify::db::enqueue;
use crate::notify::{self, db::kind};
use crate::state::AppState;

/// Keeps the change waiting and emails the new address: a confirmation link, or, when the
/// address has an account already, a note to its owner. The same answer either way, so only
/// the address's owner learns which.
pub async fn send_link(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    email: &str,
) -> AppResult<()> {
    let taken = crate::auth::db::account_exists(&state.db, email).await?;
    let (token, token_hash) = tokens::new_token();
    let mut tx = state.db.begin().await?;
    db::save_pending_email_change(
        &mut *tx,
        user.id,
        email,
        &token_hash,
        EMAIL_CHANGE_VALID_MINUTES,
    )
    .await?;
    let (email_kind, (subject, body)) = if taken {
        (kind::EMAIL_CHANGE_TAKEN, model::email_change_taken_email())
    } else {
        let path = format!("/account/email/confirm/{token}");
        let link = model::link(&state.config.link_base(), &path);
        (kind::EMAIL_CHANGE, model::email_change_email(&link))
    };
    notify::db::enqueue(&mut *tx, email_kind, email, &subject, &body).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::EMAIL_CHANGE_REQUEST, Some(user), meta),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What opening a confirmation link did.
pub enum Confirmed {
    Done {
        new_email: String,
    },
    /// Unknown, used, replaced or expired.
    Gone,
    /// Another account took the address meanwhile: the link is spent.
    Taken,
}

/// Moves the account to the new address (confirmed by this very link), refreshes its
/// sessions and tells the old address.
pub async fn confirm(state: &AppState, meta: &RequestMeta, token: &str) -> AppResult<Confirmed> {
    let hash = tokens::token_hash(token);
    let mut tx = state.db.begin().await?;
    let Some(change) = db::take_pending_email_change(&mut *tx, &hash).await? else {
        return Ok(Confirmed::Gone);
    };
    match db::set_confirmed_email(&mut *tx, change.user_id, &change.new_email).await {
        Ok(()) => {}
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => {
            // The address got an account since the link was sent: this link is spent.
            drop(tx);
            db::take_pending_email_change(&state.db, &hash).await?;
            return Ok(Confirmed::Taken);
        }
        Err(e) => return Err(e.into()),
    }
    let (subject, body) = model::email_changed_email(&model::masked_email(&change.new_email));
    enqueue(
        &mut *tx,
        kind::EMAIL_CHANGED,
        &change.old_email,
        &subject,
        &body,
    )
    .await?;
    let actor = CurrentUser::actor(
        change.user_id,
        change.role,
        change.display_name,
        change.new_email.clone(),
    );
    audit::record(
        &mut *tx,
        audit::Entry::new(action::EMAIL_CHANGE, Some(&actor), meta),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(change.user_id);
    Ok(Confirmed::Done {
        new_email: change.new_email,
    })
}
