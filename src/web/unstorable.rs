//! Refuses any request whose path holds a NUL byte, and a query or form body holding one on a
//! route whose handler does not check that text itself (`Route::checks_query_text`,
//! `Route::checks_text`): PostgreSQL cannot store U+0000 in text, so without this a NUL typed
//! into any field would end as a database error (a 500) instead of a message. The path check
//! runs after the anti-forgery check for every request; the others per route, after the
//! access check.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::params::{field_with_nul, path_holds_nul};
use crate::error::AppError;
use crate::state::AppState;

fn is_form(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn refused(field: Option<&str>) -> Response {
    // The field's name comes from the client: shown short (and escaped by the page).
    let named = field
        .map(|f| f.chars().take(40).collect::<String>())
        .filter(|f| !f.is_empty())
        .map(|f| format!(" (in \u{201c}{f}\u{201d})"))
        .unwrap_or_default();
    AppError::BadRequest(format!(
        "The form or address held a character that cannot be stored (a NUL byte){named}, so nothing was saved. Go back, remove it and try again."
    ))
    .into_response()
}

/// The path, for every request (a route's own layer checks its query and form).
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    if path_holds_nul(request.uri().path()) {
        return refused(None);
    }
    next.run(request).await
}

/// What one route leaves to the refusal page: its query and form body, unless its handler
/// checks that text itself (`Route::checks_query_text`, `Route::checks_text`).
#[derive(Clone)]
pub struct UnstorableChecks {
    pub state: AppState,
    pub form: bool,
    pub query: bool,
}

/// The query and the form body, as far as the route leaves them to this page.
pub async fn refuse_nul_in_request(
    State(checks): State<UnstorableChecks>,
    request: Request,
    next: Next,
) -> Response {
    if checks.query
        && let Some(field) = request
            .uri()
            .query()
            .and_then(|q| field_with_nul(q.as_bytes()))
    {
        return refused(Some(&field));
    }
    if !checks.form || !is_form(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, checks.state.config.limits.body_limit).await else {
        return AppError::PayloadTooLarge.into_response();
    };
    if let Some(field) = field_with_nul(&bytes) {
        return refused(Some(&field));
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
