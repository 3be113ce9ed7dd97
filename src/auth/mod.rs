//! Infrastructure for signing in: password hashing, sessions and their cache, login
//! throttling, two-factor secrets and random tokens. Login itself is the `login` feature.

pub mod attempts;
pub mod cookies;
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

pub use crate::core::CurrentUser;

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
