//! Queries for account security: second factor, recovery codes, login challenges, emailed
//! tokens and the user's own sessions. Secrets and tokens are stored as SHA-256 where only a
//! comparison is needed; the TOTP key must be kept whole to compute codes.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::core::Role;

#[derive(Clone, Debug)]
pub struct TwoFactorRow {
    pub secret: Option<Vec<u8>>,
    pub pending_secret: Option<Vec<u8>>,
    pub enabled_at: Option<OffsetDateTime>,
    pub last_step: Option<i64>,
    pub recovery_codes_left: i64,
}

pub async fn two_factor(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<TwoFactorRow> {
    sqlx::query_as!(
        TwoFactorRow,
        r#"SELECT totp_secret AS secret, totp_pending_secret AS pending_secret,
                  totp_enabled_at AS enabled_at, totp_last_step AS last_step,
                  (SELECT count(*) FROM recovery_codes r
                   WHERE r.user_id = u.id AND r.used_at IS NULL) AS "recovery_codes_left!"
           FROM users u WHERE id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// The enrolment key, kept while the user has not confirmed it, so reloading the page shows
/// the same QR code; `fresh` is stored only if there is none yet.
pub async fn pending_secret(
    db: impl PgExecutor<'_>,
    user_id: i64,
    fresh: &[u8],
) -> sqlx::Result<Vec<u8>> {
    let secret = sqlx::query_scalar!(
        "UPDATE users SET totp_pending_secret = coalesce(totp_pending_secret, $2)
         WHERE id = $1 RETURNING totp_pending_secret",
        user_id,
        fresh
    )
    .fetch_one(db)
    .await?;
    Ok(secret.unwrap_or_else(|| fresh.to_vec()))
}

/// Makes the confirmed enrolment key the account's second factor; `step` is the step of the
/// code that confirmed it, which may not be used again.
pub async fn enable_two_factor(
    db: impl PgExecutor<'_>,
    user_id: i64,
    step: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
                totp_enabled_at = now(), totp_last_step = $2, updated_at = now()
         WHERE id = $1 AND totp_pending_secret IS NOT NULL",
        user_id,
        step
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn disable_two_factor(tx: &mut sqlx::PgConnection, user_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL,
                totp_last_step = NULL, updated_at = now()
         WHERE id = $1",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Replaces every recovery code of the account with these (hashed) ones.
pub async fn replace_recovery_codes(
    tx: &mut sqlx::PgConnection,
    user_id: i64,
    hashes: &[Vec<u8>],
) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])",
        user_id,
        hashes
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What an emailed link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    PasswordReset,
    EmailVerification,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::EmailVerification => "email_verification",
        }
    }
}

/// Stores a new single-use token and voids the account's earlier ones for the same purpose.
pub async fn create_token(
    tx: &mut sqlx::PgConnection,
    user_id: i64,
    purpose: TokenPurpose,
    email: &str,
    token_hash: &[u8],
    valid_minutes: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE account_tokens SET used_at = now()
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user_id,
        purpose.as_str()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))",
        token_hash,
        user_id,
        purpose.as_str(),
        email,
        valid_minutes
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct TokenOwner {
    pub user_id: i64,
    pub role: Role,
    pub display_name: String,
    pub email: String,
}

/// The account a live token belongs to, without using it up (to show the reset form).
pub async fn token_owner(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    purpose: TokenPurpose,
) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as!(
        TokenOwner,
        r#"SELECT u.id AS user_id, u.role AS "role: Role", u.display_name, u.email
           FROM account_tokens t JOIN users u ON u.id = t.user_id
           WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL
             AND t.expires_at > now() AND t.email = u.email AND u.status = 'active'"#,
        token_hash,
        purpose.as_str()
    )
    .fetch_optional(db)
    .await
}

/// Uses up a live token, returning its account; None if it is unknown, used or expired.
pub async fn use_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    purpose: TokenPurpose,
) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as!(
        TokenOwner,
        r#"WITH used AS (
               UPDATE account_tokens SET used_at = now()
               WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
               RETURNING user_id, email
           )
           SELECT u.id AS user_id, u.role AS "role: Role", u.display_name, u.email
           FROM used JOIN users u ON u.id = used.user_id
           WHERE used.email = u.email AND u.status = 'active'"#,
        token_hash,
        purpose.as_str()
    )
    .fetch_optional(db)
    .await
}

/// An active account by email, for sending it a reset link.
pub async fn active_account(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as!(
        TokenOwner,
        r#"SELECT id AS user_id, role AS "role: Role", display_name, email
           FROM users WHERE email = $1 AND status = 'active'"#,
        email
    )
    .fetch_optional(db)
    .await
}

pub async fn mark_email_verified(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET email_verified_at = now(), updated_at = now() WHERE id = $1",
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn password_hash(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user_id)
        .fetch_one(db)
        .await
}

pub async fn set_password(db: impl PgExecutor<'_>, user_id: i64, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
        user_id,
        hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Stores a change of address waiting for the new address to confirm it, replacing the
/// account's earlier one (whose link stops working).
pub async fn save_pending_email_change(
    db: impl PgExecutor<'_>,
    user_id: i64,
    new_email: &str,
    token_hash: &[u8],
    valid_minutes: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO pending_email_changes (user_id, new_email, token_hash, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(mins => $4))
         ON CONFLICT (user_id) DO UPDATE
         SET new_email = EXCLUDED.new_email, token_hash = EXCLUDED.token_hash,
             created_at = now(), expires_at = EXCLUDED.expires_at",
        user_id,
        new_email,
        token_hash,
        valid_minutes
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The address the account is waiting to move to, if a live request waits.
pub async fn waiting_email_change(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT new_email FROM pending_email_changes WHERE user_id = $1 AND expires_at > now()",
        user_id
    )
    .fetch_optional(db)
    .await
}

/// A change of address and the active account it is for.
#[derive(Clone, Debug)]
pub struct PendingEmailChange {
    pub user_id: i64,
    pub role: Role,
    pub display_name: String,
    pub old_email: String,
    pub new_email: String,
}

/// The change a live link is for, without using it up (to show the confirmation page).
pub async fn pending_email_change(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<PendingEmailChange>> {
    sqlx::query_as!(
        PendingEmailChange,
        r#"SELECT u.id AS user_id, u.role AS "role: Role", u.display_name, u.email AS old_email,
                  p.new_email
           FROM pending_email_changes p JOIN users u ON u.id = p.user_id
           WHERE p.token_hash = $1 AND p.expires_at > now() AND u.status = 'active'"#,
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// Uses up a live link, returning its change; `None` if it is unknown, used or expired.
pub async fn take_pending_email_change(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<PendingEmailChange>> {
    sqlx::query_as!(
        PendingEmailChange,
        r#"WITH taken AS (
               DELETE FROM pending_email_changes
               WHERE token_hash = $1 AND expires_at > now()
               RETURNING user_id, new_email
           )
           SELECT u.id AS user_id, u.role AS "role: Role", u.display_name, u.email AS old_email,
                  taken.new_email
           FROM taken JOIN users u ON u.id = taken.user_id
           WHERE u.status = 'active'"#,
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// Changes the login email to an address its owner has just confirmed.
pub async fn set_confirmed_email(
    db: impl PgExecutor<'_>,
    user_id: i64,
    email: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET email = $2, email_verified_at = now(), updated_at = now()
         WHERE id = $1",
        user_id,
        email
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One of the user's sessions, as their list shows it.
#[derive(Clone, Debug)]
pub struct SessionListRow {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub client_addr: String,
    pub user_agent: String,
}

pub async fn sessions_of_user(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> sqlx::Result<Vec<SessionListRow>> {
    sqlx::query_as!(
        SessionListRow,
        "SELECT id, created_at, last_seen_at, client_addr, user_agent
         FROM sessions WHERE user_id = $1
         ORDER BY last_seen_at DESC LIMIT 100",
        user_id
    )
    .fetch_all(db)
    .await
}

/// Ends one of the user's own sessions; false if it is not theirs (or gone).
pub async fn end_own_session(
    db: impl PgExecutor<'_>,
    user_id: i64,
    session_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE id = $1 AND user_id = $2",
        session_id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of the user except `keep`; returns how many ended.
pub async fn end_other_sessions(
    db: impl PgExecutor<'_>,
    user_id: i64,
    keep: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE user_id = $1 AND id <> $2",
        user_id,
        keep
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
