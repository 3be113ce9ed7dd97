//! The append-only audit trail. The database stamps each entry's id and time and refuses
//! UPDATE, DELETE and TRUNCATE; [`seal`] then links committed entries into a hash chain
//! (migrations/0003_audit_sealing.sql), so writing an entry never waits on a global lock.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::auth::CurrentUser;
use crate::web::RequestMeta;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// Actions recorded, spelled once so the admin filter lists exactly what can appear.
pub mod action {
    pub const LOGIN: &str = "login";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOGIN_LOCKED: &str = "login.locked";
    pub const LOCKOUT: &str = "login.lockout";
    pub const LOGOUT: &str = "logout";
    pub const SESSION_TIMEOUT: &str = "session.timeout";
    pub const SESSION_PURGE: &str = "session.purge";
    pub const REGISTER: &str = "account.register";
    pub const STAFF_CREATE: &str = "staff.create";
    pub const STAFF_DISABLE: &str = "staff.disable";
    pub const STAFF_ENABLE: &str = "staff.enable";
    pub const USER_ADD_CLI: &str = "account.create_cli";
    pub const SETTINGS_UPDATE: &str = "settings.update";
    pub const ACCESS_DENIED: &str = "access.denied";
    pub const AUDIT_VIEW: &str = "audit.view";
    pub const PROFILE_UPDATE: &str = "patient.profile_update";
    pub const SCREENING_START: &str = "screening.start";
    pub const SCREENING_SAVE: &str = "screening.save";
    pub const SCREENING_SUBMIT: &str = "screening.submit";
    pub const SCREENING_VIEW: &str = "screening.view";
    pub const SCREENING_DECIDE: &str = "screening.decide";
    pub const PATIENT_LIST: &str = "patients.list";

    pub const ALL: &[&str] = &[
        LOGIN,
        LOGIN_FAILED,
        LOGIN_LOCKED,
        LOCKOUT,
        LOGOUT,
        SESSION_TIMEOUT,
        SESSION_PURGE,
        REGISTER,
        STAFF_CREATE,
        STAFF_DISABLE,
        STAFF_ENABLE,
        USER_ADD_CLI,
        SETTINGS_UPDATE,
        ACCESS_DENIED,
        AUDIT_VIEW,
        PROFILE_UPDATE,
        SCREENING_START,
        SCREENING_SAVE,
        SCREENING_SUBMIT,
        SCREENING_VIEW,
        SCREENING_DECIDE,
        PATIENT_LIST,
    ];
}

/// One entry to append. `detail` is for ids and codes, never patient data.
#[derive(Clone, Debug, Default)]
pub struct Entry<'a> {
    pub actor_id: Option<i64>,
    pub actor_role: Option<&'a str>,
    pub action: &'a str,
    pub patient_id: Option<i64>,
    pub outcome: Option<Outcome>,
    pub client_addr: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub detail: Option<String>,
}

impl<'a> Entry<'a> {
    /// An entry for `action` taken by `actor` (if anyone is logged in) during `request`.
    pub fn new(action: &'a str, actor: Option<&'a CurrentUser>, request: &'a RequestMeta) -> Self {
        Entry {
            actor_id: actor.map(|a| a.id),
            actor_role: actor.map(|a| a.role.as_str()),
            action,
            client_addr: Some(&request.client_addr),
            request_id: Some(&request.request_id),
            ..Entry::default()
        }
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    pub fn patient(mut self, patient_id: i64) -> Self {
        self.patient_id = Some(patient_id);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

pub async fn record(db: impl PgExecutor<'_>, entry: Entry<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_events
            (actor_id, actor_role, action, patient_id, outcome, client_addr, request_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        entry.actor_id,
        entry.actor_role,
        entry.action,
        entry.patient_id,
        entry.outcome.unwrap_or(Outcome::Success).as_str(),
        entry.client_addr,
        entry.request_id,
        entry.detail,
    )
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct AuditRow {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub patient_id: Option<i64>,
    pub outcome: String,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

impl AuditRow {
    /// For people: "2026-11-28 09:12:03".
    pub fn when(&self) -> String {
        let format =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        self.at
            .to_offset(time::UtcOffset::UTC)
            .format(format)
            .unwrap_or_default()
    }

    /// For machines (the `datetime` attribute).
    pub fn when_iso(&self) -> String {
        self.at
            .to_offset(time::UtcOffset::UTC)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_email: Option<String>,
    pub patient_id: Option<i64>,
    pub action: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// Keyset pagination: only entries older than this id.
    pub before_id: Option<i64>,
}

/// Newest first, `limit` rows.
pub async fn search(
    db: &mut sqlx::PgConnection,
    filter: &AuditFilter,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    use sqlx::Connection;
    // Connections plan statements once for all values; here the best plan depends on which
    // filters are set (an index per filter), so plan this one with the values.
    let mut tx = db.begin().await?;
    sqlx::query_scalar!(
        r#"SELECT set_config('plan_cache_mode', 'force_custom_plan', true) AS "setting!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    let rows = sqlx::query_as!(
        AuditRow,
        r#"SELECT a.id, a.at, a.actor_id, u.email AS "actor_email?", a.actor_role, a.action,
                  a.patient_id, a.outcome, a.client_addr, a.request_id, a.detail
           FROM audit_events a
           LEFT JOIN users u ON u.id = a.actor_id
           WHERE ($1::text IS NULL OR a.actor_id = (SELECT id FROM users WHERE email = $1))
             AND ($2::bigint IS NULL OR a.patient_id = $2)
             AND ($3::text IS NULL OR a.action = $3)
             AND ($4::timestamptz IS NULL OR a.at >= $4)
             AND ($5::timestamptz IS NULL OR a.at < $5)
             AND ($6::bigint IS NULL OR a.id < $6)
           ORDER BY a.id DESC
           LIMIT $7"#,
        filter.actor_email,
        filter.patient_id,
        filter.action,
        filter.from,
        filter.until,
        filter.before_id,
        limit,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// The result of checking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainCheck {
    Intact,
    /// The first entry whose hash or link to its predecessor does not match.
    Broken {
        id: i64,
    },
}

/// Links every committed, unsealed entry into the chain; returns how many were sealed.
pub async fn seal(db: impl PgExecutor<'_> + Copy) -> sqlx::Result<i64> {
    const BATCH: i32 = 5000;
    let mut total = 0;
    loop {
        let sealed = sqlx::query_scalar!(r#"SELECT audit_seal($1) AS "sealed!""#, BATCH)
            .fetch_one(db)
            .await?;
        total += i64::from(sealed);
        if sealed < BATCH {
            return Ok(total);
        }
    }
}

/// Checks the sealed chain in order: consecutive positions, each entry linked to the one
/// before, and each hash matching the entry's content.
pub async fn verify_chain(db: impl PgExecutor<'_>) -> sqlx::Result<ChainCheck> {
    let first_broken = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM (
               SELECT id, hash, prev_hash, chain_seq,
                      coalesce(lag(chain_seq) OVER (ORDER BY chain_seq), 0) AS previous_seq,
                      coalesce(lag(hash) OVER (ORDER BY chain_seq), '\x'::bytea) AS expected_prev,
                      audit_event_digest(prev_hash, id, at, actor_id, actor_role, action,
                                         patient_id, outcome, client_addr, request_id, detail)
                          AS recomputed
               FROM audit_events
               WHERE chain_seq IS NOT NULL
           ) chain
           WHERE chain_seq <> previous_seq + 1 OR prev_hash <> expected_prev OR hash <> recomputed
           ORDER BY chain_seq
           LIMIT 1"#
    )
    .fetch_optional(db)
    .await?;
    Ok(match first_broken {
        Some(id) => ChainCheck::Broken { id },
        None => ChainCheck::Intact,
    })
}

pub async fn count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM audit_events"#)
        .fetch_one(db)
        .await
}
