//! Accounts, password hashing, sessions, roles and login throttling.

pub mod accounts;
pub mod attempts;
pub mod db;
pub mod model;
pub(crate) mod pages;
pub mod password;
mod registration;
pub mod session;
pub mod session_cache;
pub mod two_factor;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::AppError;
use crate::web::routes::{Access, Route, SIGNED_IN};
use model::{Role, SessionEnd};

/// The logged-in user, loaded from the session for each request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub name: String,
    pub email: String,
    /// The session this request came with (0 when there is none, as for a login's own entry).
    pub session_id: i64,
    /// Two-factor login is required of this account and not set up yet: until it is, every
    /// page sends the user to set it up.
    pub must_enrol_two_factor: bool,
    pub email_verified: bool,
}

impl CurrentUser {
    /// Who did something, for the audit trail, before any session exists.
    pub fn actor(id: i64, role: Role, name: String, email: String) -> CurrentUser {
        CurrentUser {
            id,
            role,
            name,
            email,
            session_id: 0,
            must_enrol_two_factor: false,
            email_verified: false,
        }
    }
}

/// Set on a request whose session had just ended (timeout, disabled account).
#[derive(Clone, Copy, Debug)]
pub struct EndedSession(pub SessionEnd);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Forbidden)
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/login", Access::Everyone)
            .get(pages::login_form)
            .post(pages::login)
            .checks_text(),
        Route::new("/register", Access::Everyone)
            .get(registration::register_form)
            .post(registration::register)
            .checks_text(),
        Route::new("/register/confirm/{token}", Access::Everyone)
            .get(registration::confirm_form)
            .post(registration::confirm)
            .checks_text(),
        Route::new("/logout", SIGNED_IN).post(pages::logout),
    ]
}
