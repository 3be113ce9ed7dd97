use sqlx::PgExecutor;

use crate::core::Role;

/// Queues one message for every active account with `role`.
pub async fn enqueue_for_role(
    db: impl PgExecutor<'_>,
    role: Role,
    kind: &str,
    subject: &str,
    body: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "INSERT INTO outbox (kind, recipient, subject, body)
         SELECT $2, email, $3, $4 FROM users WHERE role = $1 AND status = 'active'",
        role as Role,
        kind,
        subject,
        body,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Kinds whose body holds a secret link: emptied once delivered, so the database keeps no
/// usable link.
pub const SECRET_KINDS: [&str; 4] = [
    "password_reset",
    "email_verification",
    kind::REGISTRATION,
    kind::EMAIL_CHANGE,
];

/// Kinds of the emails that stand in for an answer a form no longer gives (whether an
/// address has an account).
pub mod kind {
    /// The link that finishes a registration (secret).
    pub const REGISTRATION: &str = "registration";
    /// To an address that already has an account, instead of creating a second one.
    pub const REGISTRATION_ATTEMPT: &str = "registration_attempt";
    /// The link that confirms a new address for an account (secret).
    pub const EMAIL_CHANGE: &str = "email_change";
    /// To an address that already has an account, instead of the link.
    pub const EMAIL_CHANGE_TAKEN: &str = "email_change_taken";
    /// To the old address once a change is confirmed.
    pub const EMAIL_CHANGED: &str = "email_changed";
}

/// Queues one message to one address.
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    kind: &str,
    recipient: &str,
    subject: &str,
    body: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO outbox (kind, recipient, subject, body) VALUES ($1, $2, $3, $4)",
        kind,
        recipient,
        subject,
        body,
    )
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct Queued {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

/// Due messages, locked for this transaction; other workers skip them.
pub async fn claim_due(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Queued>> {
    sqlx::query_as!(
        Queued,
        "SELECT id, recipient, subject, body, attempts FROM outbox o
         WHERE sent_at IS NULL AND next_attempt_at <= now()
           -- A reminder goes out only while its appointment is still booked.
           AND (appointment_id IS NULL OR EXISTS (
                SELECT 1 FROM appointments a WHERE a.id = o.appointment_id AND a.status = 'booked'))
         ORDER BY next_attempt_at, id
         LIMIT $1
         FOR UPDATE SKIP LOCKED",
        limit
    )
    .fetch_all(db)
    .await
}

pub async fn mark_sent(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL,
                body = CASE WHEN kind = ANY($2) THEN '' ELSE body END
         WHERE id = $1",
        id,
        &SECRET_KINDS.map(str::to_owned)
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt; the next one is `retry_in_minutes` away.
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    id: i64,
    error: &str,
    retry_in_minutes: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE outbox SET attempts = attempts + 1, last_error = left($2, 500),
                next_attempt_at = now() + make_interval(mins => $3)
         WHERE id = $1",
        id,
        error,
        retry_in_minutes,
    )
    .execute(db)
    .await?;
    Ok(())
}
