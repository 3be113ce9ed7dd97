//! Account, session and login-failure queries.

use sqlx::PgExecutor;
use time::OffsetDateTime;

pub use super::model::AccountStatus;
use super::model::{LoginFailures, Role};
use crate::database::mapping::pg_enum;

pg_enum!(AccountStatus, "account_status", {
    Active => "active",
    Disabled => "disabled",
});

/// A session with its user and the clinic's session limits, in one round trip.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub session_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub display_name: String,
    pub email: String,
    pub status: AccountStatus,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub staff_idle_minutes: i32,
    pub patient_idle_minutes: i32,
    pub session_absolute_hours: i32,
    pub totp_enabled: bool,
    pub email_verified: bool,
    pub two_factor_front_desk: bool,
    pub two_factor_patients: bool,
}

pub async fn find_session(
    db: impl PgExecutor<'_>,
    id_hash: &[u8],
) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as!(
        SessionRow,
        r#"SELECT s.id AS session_id, s.user_id, u.role AS "role: Role", u.display_name, u.email,
                  u.status AS "status: AccountStatus", s.created_at, s.last_seen_at,
                  c.staff_idle_minutes, c.patient_idle_minutes, c.session_absolute_hours,
                  u.totp_enabled_at IS NOT NULL AS "totp_enabled!",
                  u.email_verified_at IS NOT NULL AS "email_verified!",
                  c.two_factor_front_desk, c.two_factor_patients
           FROM sessions s
           JOIN users u ON u.id = s.user_id
           CROSS JOIN clinic_settings c
           WHERE s.id_hash = $1"#,
        id_hash
    )
    .fetch_optional(db)
    .await
}

pub async fn create_session(
    db: impl PgExecutor<'_>,
    id_hash: &[u8],
    user_id: i64,
    client_addr: &str,
    user_agent: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sessions (id_hash, user_id, client_addr, user_agent)
         VALUES ($1, $2, left($3, 100), left($4, 500))",
        id_hash,
        user_id,
        client_addr,
        user_agent
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn touch_session(db: impl PgExecutor<'_>, id_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1",
        id_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_session(db: impl PgExecutor<'_>, id_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM sessions WHERE id_hash = $1", id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of an account at once (disabling, password change).
pub async fn delete_user_sessions(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

#[derive(Clone, Debug)]
pub struct LoginRow {
    pub id: i64,
    pub role: Role,
    pub display_name: String,
    pub email: String,
    pub status: AccountStatus,
    pub password_hash: String,
    pub totp_enabled: bool,
}

pub async fn find_login(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<LoginRow>> {
    sqlx::query_as!(
        LoginRow,
        r#"SELECT id, role AS "role: Role", display_name, email, status AS "status: AccountStatus",
                  password_hash, totp_enabled_at IS NOT NULL AS "totp_enabled!"
           FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(db)
    .await
}

pub async fn login_failures(
    db: impl PgExecutor<'_>,
    email: &str,
    client_addr: &str,
    window_minutes: i32,
) -> sqlx::Result<LoginFailures> {
    let row = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM login_failures
               WHERE email = $1 AND at > now() - make_interval(mins => $3)) AS "for_email!",
             (SELECT max(at) FROM login_failures
               WHERE email = $1 AND at > now() - make_interval(mins => $3)) AS last_for_email,
             (SELECT count(*) FROM login_failures
               WHERE client_addr = $2 AND at > now() - make_interval(mins => $3)) AS "from_address!""#,
        email,
        client_addr,
        window_minutes,
    )
    .fetch_one(db)
    .await?;
    Ok(LoginFailures {
        for_email: row.for_email,
        from_address: row.from_address,
        last_for_email: row.last_for_email,
    })
}

/// Records a failed (or not yet checked) attempt; returns its id.
pub async fn record_login_failure(
    db: impl PgExecutor<'_>,
    email: &str,
    client_addr: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO login_failures (email, client_addr) VALUES ($1, $2) RETURNING id",
        email,
        client_addr
    )
    .fetch_one(db)
    .await
}

/// Serialises counting attempts for one email and one client address until the caller's
/// transaction ends. Always email first, then address, so two requests cannot deadlock.
pub async fn lock_attempts(
    tx: &mut sqlx::PgConnection,
    email: &str,
    client_addr: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('login email ' || $1, 0))",
        email
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('login address ' || $1, 0))",
        client_addr
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Serialises counting one kind of request from one client address until the caller's
/// transaction ends.
pub async fn lock_address_requests(
    tx: &mut sqlx::PgConnection,
    kind: &str,
    client_addr: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('address requests ' || $1 || ' ' || $2, 0))",
        kind,
        client_addr
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// How many requests of `kind` came from `client_addr` in the last hour.
pub async fn address_requests_last_hour(
    db: impl PgExecutor<'_>,
    kind: &str,
    client_addr: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "made!" FROM address_requests
           WHERE client_addr = $2 AND kind = $1 AND at > now() - interval '1 hour'"#,
        kind,
        client_addr
    )
    .fetch_one(db)
    .await
}

pub async fn record_address_request(
    db: impl PgExecutor<'_>,
    kind: &str,
    client_addr: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO address_requests (kind, client_addr) VALUES ($1, $2)",
        kind,
        client_addr
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn forget_attempt(db: impl PgExecutor<'_>, attempt_id: i64) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM login_failures WHERE id = $1", attempt_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn clear_login_failures(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM login_failures WHERE email = $1", email)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn create_user(
    db: impl PgExecutor<'_>,
    email: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO users (email, display_name, role, password_hash) VALUES ($1, $2, $3, $4)
         RETURNING id",
        email,
        display_name,
        role as Role,
        password_hash,
    )
    .fetch_one(db)
    .await
}

/// Removes sessions long past their absolute lifetime (users who never came back) and
/// failed-login records older than a day. Returns how many sessions went.
pub async fn purge_stale(db: impl PgExecutor<'_> + Copy) -> sqlx::Result<u64> {
    let sessions = sqlx::query!(
        "DELETE FROM sessions
         WHERE created_at < now() - make_interval(hours => 24 + (SELECT session_absolute_hours FROM clinic_settings))"
    )
    .execute(db)
    .await?
    .rows_affected();
    sqlx::query!("DELETE FROM login_failures WHERE at < now() - interval '1 day'")
        .execute(db)
        .await?;
    sqlx::query!("DELETE FROM address_requests WHERE at < now() - interval '1 day'")
        .execute(db)
        .await?;
    // Unconfirmed registrations hold a name and date of birth: kept no longer than their link.
    sqlx::query!("DELETE FROM pending_registrations WHERE expires_at < now()")
        .execute(db)
        .await?;
    sqlx::query!("DELETE FROM pending_email_changes WHERE expires_at < now()")
        .execute(db)
        .await?;
    Ok(sessions)
}

/// Whether any account (active or not) uses this address.
pub async fn account_exists(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<bool> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE email = $1) AS "exists!""#,
        email
    )
    .fetch_one(db)
    .await?;
    Ok(exists)
}
