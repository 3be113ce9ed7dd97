//! Login's queries: the second-factor challenge and its codes, and registrations waiting
//! for their emailed link.

use sqlx::PgExecutor;
use time::Date;

use crate::core::Role;

/// Records that the code of `step` was used; false if that step (or a later one) already was.
pub async fn use_step(db: impl PgExecutor<'_>, user_id: i64, step: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET totp_last_step = $2
         WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        user_id,
        step
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses up a recovery code; false if it is not one of the account's unused codes.
pub async fn use_recovery_code(
    db: impl PgExecutor<'_>,
    user_id: i64,
    code_hash: &[u8],
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE recovery_codes SET used_at = now()
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        user_id,
        code_hash
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn create_challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: i64,
    next: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO login_challenges (token_hash, user_id, next) VALUES ($1, $2, $3)",
        token_hash,
        user_id,
        next
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A login waiting for its second factor, with the account it is for.
#[derive(Clone, Debug)]
pub struct Challenge {
    pub user_id: i64,
    pub role: Role,
    pub display_name: String,
    pub email: String,
    pub next: String,
    pub attempts: i32,
    pub totp_secret: Option<Vec<u8>>,
    pub last_step: Option<i64>,
}

/// A live challenge (younger than `max_minutes`, from an active account).
pub async fn challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    max_minutes: i32,
) -> sqlx::Result<Option<Challenge>> {
    sqlx::query_as!(
        Challenge,
        r#"SELECT c.user_id, u.role AS "role: Role", u.display_name, u.email, c.next, c.attempts,
                  u.totp_secret, u.totp_last_step AS last_step
           FROM login_challenges c JOIN users u ON u.id = c.user_id
           WHERE c.token_hash = $1 AND u.status = 'active'
             AND c.created_at > now() - make_interval(mins => $2)"#,
        token_hash,
        max_minutes
    )
    .fetch_optional(db)
    .await
}

/// Counts one more code against the challenge if it has attempts left, before the code is
/// checked; returns the attempts made including this one, or `None` when none are left.
pub async fn reserve_challenge_attempt(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    max_attempts: i32,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        "UPDATE login_challenges SET attempts = attempts + 1
         WHERE token_hash = $1 AND attempts < $2 RETURNING attempts",
        token_hash,
        max_attempts
    )
    .fetch_optional(db)
    .await
}

/// Ends a challenge, and any older ones of the same account (and expired ones of anyone).
pub async fn end_challenge(db: impl PgExecutor<'_>, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM login_challenges
         WHERE token_hash = $1
            OR user_id = (SELECT user_id FROM login_challenges WHERE token_hash = $1)
            OR created_at < now() - interval '1 hour'",
        token_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn create_patient(
    db: impl PgExecutor<'_>,
    user_id: i64,
    legal_name: &str,
    date_of_birth: Date,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO patients (user_id, legal_name, date_of_birth) VALUES ($1, $2, $3)
         RETURNING id",
        user_id,
        legal_name,
        date_of_birth,
    )
    .fetch_one(db)
    .await
}

/// Stores a registration waiting for its emailed link, replacing any earlier one for the
/// same address (whose link stops working).
pub async fn save_pending_registration(
    db: impl PgExecutor<'_>,
    email: &str,
    display_name: &str,
    date_of_birth: Date,
    password_hash: &str,
    token_hash: &[u8],
    valid_minutes: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO pending_registrations
             (email, display_name, date_of_birth, password_hash, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6))
         ON CONFLICT (email) DO UPDATE
         SET display_name = EXCLUDED.display_name, date_of_birth = EXCLUDED.date_of_birth,
             password_hash = EXCLUDED.password_hash, token_hash = EXCLUDED.token_hash,
             attempts = 0, created_at = now(), expires_at = EXCLUDED.expires_at",
        email,
        display_name,
        date_of_birth,
        password_hash,
        token_hash,
        valid_minutes
    )
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct PendingRegistration {
    pub email: String,
    pub display_name: String,
    pub date_of_birth: Date,
    pub password_hash: String,
}

/// The registration a live link is for (unexpired, tries left), without using it up.
pub async fn pending_registration(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    max_attempts: i32,
) -> sqlx::Result<Option<PendingRegistration>> {
    sqlx::query_as!(
        PendingRegistration,
        "SELECT email, display_name, date_of_birth, password_hash FROM pending_registrations
         WHERE token_hash = $1 AND expires_at > now() AND attempts < $2",
        token_hash,
        max_attempts
    )
    .fetch_optional(db)
    .await
}

/// Counts one password try against a live link before the password is checked, so parallel
/// tries cannot exceed `max_attempts`; `None` when the link is unknown, expired or spent.
pub async fn reserve_registration_attempt(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    max_attempts: i32,
) -> sqlx::Result<Option<PendingRegistration>> {
    sqlx::query_as!(
        PendingRegistration,
        "UPDATE pending_registrations SET attempts = attempts + 1
         WHERE token_hash = $1 AND expires_at > now() AND attempts < $2
         RETURNING email, display_name, date_of_birth, password_hash",
        token_hash,
        max_attempts
    )
    .fetch_optional(db)
    .await
}

/// Uses up a registration's link; false if another request already did (or it is gone).
pub async fn take_pending_registration(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM pending_registrations WHERE token_hash = $1",
        token_hash
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
