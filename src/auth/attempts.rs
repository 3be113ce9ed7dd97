//! Guesses are counted before they are checked. A password (or a second-factor code) is
//! only checked once its attempt is recorded, in one short transaction that holds a lock on
//! the email and on the client address, so however many guesses arrive at once, at most the
//! configured number per account and per address is ever checked in a window.

use sqlx::PgPool;

use super::db;
use super::model::{
    CostlyRequest, LockoutPolicy, LoginFailures, LoginGate, login_gate, within_hourly_limit,
};
use crate::error::AppResult;

/// The outcome of asking to check one guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// Counted as a failure already; `release` it if the guess turns out right.
    Granted {
        attempt_id: i64,
        /// The failures counted before this one.
        before: LoginFailures,
    },
    /// Not to be checked at all.
    Refused(LoginGate),
}

/// Records an attempt for `email` from `client_addr` if the lockout allows one more.
pub async fn reserve(
    pool: &PgPool,
    policy: LockoutPolicy,
    email: &str,
    client_addr: &str,
) -> AppResult<Reservation> {
    let mut tx = pool.begin().await?;
    db::lock_attempts(&mut tx, email, client_addr).await?;
    let before = db::login_failures(&mut *tx, email, client_addr, policy.window_minutes()).await?;
    let gate = login_gate(policy, before);
    if gate != LoginGate::Open {
        return Ok(Reservation::Refused(gate));
    }
    let attempt_id = db::record_login_failure(&mut *tx, email, client_addr).await?;
    tx.commit().await?;
    Ok(Reservation::Granted { attempt_id, before })
}

/// A right guess was not a failure: its reserved attempt no longer counts.
pub async fn release(pool: &PgPool, reservation: Reservation) -> AppResult<()> {
    if let Reservation::Granted { attempt_id, .. } = reservation {
        db::forget_attempt(pool, attempt_id).await?;
    }
    Ok(())
}

/// Counts one registration or password-reset request from `client_addr` if the address has
/// not used its hour's share; false means refuse it. Counted before the work, under a lock,
/// so parallel requests cannot overshoot the limit either.
pub async fn reserve_costly(
    pool: &PgPool,
    kind: CostlyRequest,
    client_addr: &str,
    per_hour: u32,
) -> AppResult<bool> {
    let mut tx = pool.begin().await?;
    db::lock_address_requests(&mut tx, kind.as_str(), client_addr).await?;
    let made = db::address_requests_last_hour(&mut *tx, kind.as_str(), client_addr).await?;
    if !within_hourly_limit(per_hour, made) {
        return Ok(false);
    }
    db::record_address_request(&mut *tx, kind.as_str(), client_addr).await?;
    tx.commit().await?;
    Ok(true)
}
