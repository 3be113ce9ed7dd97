//! Moving one's account to a new address: a link is sent to the new address, and the
//! account changes only when it is opened (see `email_change_pages.rs`).

use super::db;
use super::model::{self, EMAIL_CHANGE_VALID_MINUTES};
use crate::app::AppState;
use crate::audit::{self, action};
use crate::auth::CurrentUser;
use crate::auth::tokens;
use crate::error::AppResult;
use crate::notify::{self, db::kind};
use crate::web::RequestMeta;

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
