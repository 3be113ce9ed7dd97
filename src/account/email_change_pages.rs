//! Confirming a new email address from the link sent to it. Until the link is opened the
//! account keeps its old address; once it is, the old address is told.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::db;
use super::model;
use crate::app::AppState;
use crate::audit::{self, action};
use crate::auth::{CurrentUser, tokens};
use crate::error::AppResult;
use crate::notify::db::{enqueue, kind};
use crate::web::{PageContext, RequestMeta, render_with_status};

/// Where the confirmation stands, for the one page that shows it.
enum Step {
    /// The link works: ask for the press of a button (a link preview must change nothing).
    Confirm {
        token: String,
        new_email: String,
    },
    Done {
        new_email: String,
    },
    /// Unknown, used, replaced or expired.
    Gone,
    /// Another account took the address meanwhile.
    Taken,
}

#[derive(Template)]
#[template(path = "account/email_confirm.html")]
struct ConfirmPage {
    ctx: PageContext,
    step: Step,
}

fn show(ctx: PageContext, step: Step) -> AppResult<Response> {
    let status = match step {
        Step::Confirm { .. } | Step::Done { .. } => StatusCode::OK,
        Step::Gone => StatusCode::NOT_FOUND,
        Step::Taken => StatusCode::CONFLICT,
    };
    render_with_status(status, &ConfirmPage { ctx, step })
}

pub async fn confirm_form(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let change = db::pending_email_change(&state.db, &tokens::token_hash(&token)).await?;
    let step = match change {
        Some(change) => Step::Confirm {
            token,
            new_email: change.new_email,
        },
        None => Step::Gone,
    };
    show(ctx, step)
}

/// Moves the account to the new address (confirmed by this very link), refreshes its
/// sessions and tells the old address, whoever opens the link (logged in or not).
pub async fn confirm(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let hash = tokens::token_hash(&token);
    let mut tx = state.db.begin().await?;
    let Some(change) = db::take_pending_email_change(&mut *tx, &hash).await? else {
        return show(ctx, Step::Gone);
    };
    match db::set_confirmed_email(&mut *tx, change.user_id, &change.new_email).await {
        Ok(()) => {}
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => {
            // The address got an account since the link was sent: this link is spent.
            drop(tx);
            db::take_pending_email_change(&state.db, &hash).await?;
            return show(ctx, Step::Taken);
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
        audit::Entry::new(action::EMAIL_CHANGE, Some(&actor), &meta),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(change.user_id);
    show(
        ctx,
        Step::Done {
            new_email: change.new_email,
        },
    )
}
