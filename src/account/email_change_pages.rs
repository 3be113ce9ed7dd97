//! The page of the link confirming a new email address. Until the link is opened the account
//! keeps its old address; once it is, the old address is told (see `email_change.rs`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::db;
use super::email_change::{self, Confirmed};
use crate::auth::tokens;
use crate::error::AppResult;
use crate::state::AppState;
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

/// Moves the account to the new address, whoever opens the link (logged in or not).
pub async fn confirm(
    State(state): State<AppState>,
    ctx: PageContext,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let step = match email_change::confirm(&state, &meta, &token).await? {
        Confirmed::Done { new_email } => Step::Done { new_email },
        Confirmed::Gone => Step::Gone,
        Confirmed::Taken => Step::Taken,
    };
    show(ctx, step)
}
