//! Server-side sessions in PostgreSQL. The cookie holds 256 random bits; the table holds
//! only their SHA-256. A request loads its session, user and the clinic's limits in one
//! query, or from the process's session cache, and writes back at most once a minute.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::db::{self, AccountStatus, SessionRow};
use super::model::{SessionEnd, SessionLimits, SessionVerdict, session_verdict};
use super::session_cache::SessionKey;
use super::{CurrentUser, EndedSession, two_factor};
use crate::app::AppState;
use crate::audit::{self, Outcome};
use crate::error::AppError;
use crate::web::{RequestMeta, cookies};

fn token_hash(token: &str) -> SessionKey {
    Sha256::digest(token.as_bytes()).into()
}

fn limits(row: &SessionRow) -> SessionLimits {
    SessionLimits::from_settings(
        row.staff_idle_minutes,
        row.patient_idle_minutes,
        row.session_absolute_hours,
    )
}

/// The session behind `key` and whether it is still live, from the cache when it has it.
/// A cached copy that looks ended is checked against the database before anything ends:
/// another process may have seen the user since the copy was made.
async fn find_live(
    state: &AppState,
    key: &SessionKey,
) -> sqlx::Result<Option<(SessionRow, SessionVerdict)>> {
    let now = OffsetDateTime::now_utc();
    if let Some(row) = state.sessions.get(key) {
        let verdict = verdict(&row, now);
        if matches!(verdict, SessionVerdict::Live { touch: false }) {
            return Ok(Some((row, verdict)));
        }
        state.sessions.forget(key);
    }
    let generation = state.sessions.generation();
    let Some(row) = db::find_session(&state.db, key).await? else {
        return Ok(None);
    };
    let verdict = verdict(&row, now);
    if matches!(verdict, SessionVerdict::Live { touch: false }) {
        state.sessions.remember(*key, row.clone(), generation);
    }
    Ok(Some((row, verdict)))
}

fn verdict(row: &SessionRow, now: OffsetDateTime) -> SessionVerdict {
    if row.status == AccountStatus::Disabled {
        SessionVerdict::Ended(SessionEnd::Disabled)
    } else {
        session_verdict(limits(row), row.role, row.created_at, row.last_seen_at, now)
    }
}

pub async fn load(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let cookies = state.cookies;
    // Stylesheets, scripts and icons are the same for everyone: no session lookup for them.
    if request.uri().path().starts_with("/static/") {
        return next.run(request).await;
    }
    let key = cookies::read(request.headers(), cookies.session_name()).map(token_hash);
    let mut clear_cookie = false;
    let mut user = None;

    if let Some(key) = key {
        let found = match find_live(&state, &key).await {
            Ok(found) => found,
            Err(e) => return AppError::from(e).into_response(),
        };
        match found {
            None => clear_cookie = true,
            Some((row, verdict)) => {
                let must_enrol = !row.totp_enabled
                    && two_factor::required_for(
                        row.role,
                        row.two_factor_front_desk,
                        row.two_factor_patients,
                    );
                let current = CurrentUser {
                    id: row.user_id,
                    role: row.role,
                    name: row.display_name,
                    email: row.email,
                    session_id: row.session_id,
                    must_enrol_two_factor: must_enrol,
                    email_verified: row.email_verified,
                };
                match verdict {
                    SessionVerdict::Live { touch } => {
                        if touch && let Err(e) = db::touch_session(&state.db, &key).await {
                            tracing::warn!(error = %e, "could not record session activity");
                        }
                        user = Some(current);
                    }
                    SessionVerdict::Ended(end) => {
                        clear_cookie = true;
                        let meta = request.extensions().get::<RequestMeta>().cloned();
                        if let Err(e) = end_session(&state, &key, &current, end, meta).await {
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

async fn end_session(
    state: &AppState,
    hash: &SessionKey,
    user: &CurrentUser,
    end: SessionEnd,
    meta: Option<RequestMeta>,
) -> sqlx::Result<()> {
    let mut tx = state.db.begin().await?;
    db::delete_session(&mut *tx, hash).await?;
    if let Some(meta) = &meta {
        let entry = audit::Entry::new(audit::action::SESSION_TIMEOUT, Some(user), meta)
            .outcome(Outcome::Success)
            .detail(end.as_str());
        audit::record(&mut *tx, entry).await?;
    }
    tx.commit().await?;
    state.sessions.forget(hash);
    Ok(())
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
    if let Some(old) = cookies::read(request_headers, cookies.session_name()) {
        db::delete_session(&mut *db, &token_hash(old)).await?;
    }
    let token = super::tokens::random_hex(32);
    let agent = crate::web::user_agent(request_headers);
    db::create_session(
        &mut *db,
        &token_hash(&token),
        user_id,
        &meta.client_addr,
        &agent,
    )
    .await?;
    Ok(token)
}

/// Forgets this process's copy of the session the request came with, once a transaction
/// that ended it has committed (other processes hear of it from PostgreSQL).
pub fn forget_presented(state: &AppState, request_headers: &HeaderMap) {
    if let Some(token) = cookies::read(request_headers, state.cookies.session_name()) {
        state.sessions.forget(&token_hash(token));
    }
}

/// Ends the session the request came with (logout).
pub async fn end(
    db: impl PgExecutor<'_>,
    cookies: cookies::Cookies,
    request_headers: &HeaderMap,
) -> sqlx::Result<()> {
    if let Some(token) = cookies::read(request_headers, cookies.session_name()) {
        db::delete_session(db, &token_hash(token)).await?;
    }
    Ok(())
}
