//! Infrastructure for signing in: password hashing, sessions and their cache, login
//! throttling, two-factor secrets and random tokens. Login itself is the `login` feature.

pub mod attempts;
pub mod db;
pub mod model;
pub mod password;
pub mod session;
pub mod session_cache;
pub mod tokens;
pub mod two_factor;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::AppError;
use model::Role;

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
