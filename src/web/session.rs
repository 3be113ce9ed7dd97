//! The session at the HTTP edge: the middleware that finds each request's session from its
//! cookie (through `auth::session`), and the cookie side of starting and ending one.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::{RequestMeta, cookies};
use crate::auth::model::{SessionEnd, SessionVerdict};
use crate::auth::session;
use crate::error::AppError;
use crate::state::AppState;

/// Set on a request whose session had just ended (timeout, disabled account).
#[derive(Clone, Copy, Debug)]
pub struct EndedSession(pub SessionEnd);

pub async fn load(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let cookies = state.cookies;
    // Stylesheets, scripts and icons are the same for everyone: no session lookup for them.
    if request.uri().path().starts_with("/static/") {
        return next.run(request).await;
    }
    let key = cookies::read(request.headers(), cookies.session_name()).map(session::key);
    let mut clear_cookie = false;
    let mut user = None;

    if let Some(key) = key {
        let now = OffsetDateTime::now_utc();
        let found = match session::find_live(&state.db, &state.sessions, &key, now).await {
            Ok(found) => found,
            Err(e) => return AppError::from(e).into_response(),
        };
        match found {
            None => clear_cookie = true,
            Some((row, verdict)) => {
                let current = session::current_user(row);
                match verdict {
                    SessionVerdict::Live { touch } => {
                        if touch && let Err(e) = session::touch(&state.db, &key).await {
                            tracing::warn!(error = %e, "could not record session activity");
                        }
                        user = Some(current);
                    }
                    SessionVerdict::Ended(end) => {
                        clear_cookie = true;
                        let meta = request.extensions().get::<RequestMeta>().cloned();
                        let ended = session::end_expired(
                            &state.db,
                            &state.sessions,
                            &key,
                            &current,
                            end,
                            meta.as_ref(),
                        );
                        if let Err(e) = ended.await {
                            return AppError::from(e).into_response();
                        }
                        request.extensions_mut().insert(EndedSession(end));
                    }
                }
            }
        }
    }

    if let Some(user) = &user {
        request.extensions_mut().insert(user.clone());
    }
    let mut response = next.run(request).await;
    if clear_cookie && !cookies::sets(response.headers(), cookies.session_name()) {
        cookies.clear(response.headers_mut(), cookies.session_name());
    }
    if let Some(user) = user {
        response.extensions_mut().insert(user);
    }
    response
}

/// The session cookie the request came with.
fn presented(cookies: cookies::Cookies, request_headers: &HeaderMap) -> Option<&str> {
    cookies::read(request_headers, cookies.session_name())
}

/// Starts a fresh session for `user_id` and returns the cookie value. Any session the request
/// came with is ended first, so the id always changes at login.
pub async fn begin(
    db: &mut PgConnection,
    cookies: cookies::Cookies,
    request_headers: &HeaderMap,
    meta: &RequestMeta,
    user_id: i64,
) -> sqlx::Result<String> {
    let agent = super::user_agent(request_headers);
    let old = presented(cookies, request_headers);
    session::begin(db, old, &meta.client_addr, &agent, user_id).await
}

/// Forgets this process's copy of the session the request came with, once a transaction
/// that ended it has committed (other processes hear of it from PostgreSQL).
pub fn forget_presented(state: &AppState, request_headers: &HeaderMap) {
    session::forget_presented(&state.sessions, presented(state.cookies, request_headers));
}

/// Ends the session the request came with (logout).
pub async fn end(
    db: impl PgExecutor<'_>,
    cookies: cookies::Cookies,
    request_headers: &HeaderMap,
) -> sqlx::Result<()> {
    session::end(db, presented(cookies, request_headers)).await
}
