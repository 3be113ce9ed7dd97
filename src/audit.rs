//! The append-only audit trail. A request appends its entry to `audit_inbox`, where the
//! database stamps its id and time; [`seal`] then moves committed entries into
//! `audit_events`, each linked to the one before by a hash chain, so writing an entry never
//! waits on a global lock. `audit_events` refuses UPDATE, DELETE and TRUNCATE, and the
//! `audit_log` view reads both (migrations/0007_audit_inbox.sql).

use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;

use crate::core::CurrentUser;
use crate::core::RequestMeta;

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
    /// A registration form was accepted: a link was sent, or the address's owner was told.
    pub const REGISTER_REQUEST: &str = "account.register_request";
    pub const STAFF_CREATE: &str = "staff.create";
    pub const STAFF_DISABLE: &str = "staff.disable";
    pub const STAFF_ENABLE: &str = "staff.enable";
    pub const PATIENT_ACCOUNT_DISABLE: &str = "patient_account.disable";
    pub const PATIENT_ACCOUNT_ENABLE: &str = "patient_account.enable";
    pub const EMAIL_CHANGE_REQUEST: &str = "account.email_change_request";
    pub const USER_ADD_CLI: &str = "account.create_cli";
    pub const SETTINGS_UPDATE: &str = "settings.update";
    pub const ACCESS_DENIED: &str = "access.denied";
    pub const AUDIT_VIEW: &str = "audit.view";
    pub const PROFILE_UPDATE: &str = "patient.profile_update";
    /// The patient's details (name, birth date, contact) or home page read.
    pub const PROFILE_VIEW: &str = "patient.profile_view";
    pub const SCREENING_START: &str = "screening.start";
    pub const SCREENING_SAVE: &str = "screening.save";
    pub const SCREENING_SUBMIT: &str = "screening.submit";
    pub const SCREENING_VIEW: &str = "screening.view";
    pub const SCREENING_DECIDE: &str = "screening.decide";
    pub const PATIENT_LIST: &str = "patients.list";
    pub const CONSENT_VIEW: &str = "consent.view";
    pub const CONSENT_SIGN: &str = "consent.sign";
    pub const CONSENT_COUNTERSIGN: &str = "consent.countersign";
    pub const CONSENT_WITHDRAW: &str = "consent.withdraw";
    pub const CONSENT_DRAFT: &str = "consent.draft";
    pub const CONSENT_PUBLISH: &str = "consent.publish";
    pub const LOGIN_SECOND_FACTOR_FAILED: &str = "login.second_factor_failed";
    pub const LOGIN_RECOVERY_CODE: &str = "login.recovery_code";
    pub const TWO_FACTOR_ENABLE: &str = "account.two_factor_enable";
    pub const TWO_FACTOR_DISABLE: &str = "account.two_factor_disable";
    pub const RECOVERY_CODES_NEW: &str = "account.recovery_codes_new";
    pub const PASSWORD_CHANGE: &str = "account.password_change";
    pub const PASSWORD_RESET_REQUEST: &str = "account.password_reset_request";
    pub const PASSWORD_RESET: &str = "account.password_reset";
    pub const EMAIL_CHANGE: &str = "account.email_change";
    pub const EMAIL_VERIFY: &str = "account.email_verify";
    pub const REAUTH_FAILED: &str = "account.reauth_failed";
    pub const SESSION_END: &str = "session.end";
    pub const SESSION_END_BY_ADMIN: &str = "session.end_by_admin";
    pub const APPOINTMENT_BOOK: &str = "appointment.book";
    pub const APPOINTMENT_RESCHEDULE: &str = "appointment.reschedule";
    pub const APPOINTMENT_CANCEL: &str = "appointment.cancel";
    pub const APPOINTMENT_NO_SHOW: &str = "appointment.no_show";
    pub const APPOINTMENT_CHECK_IN: &str = "appointment.check_in";
    pub const APPOINTMENT_VIEW: &str = "appointment.view";
    pub const SCHEDULE_VIEW: &str = "schedule.view";
    pub const SCHEDULE_SETUP: &str = "schedule.setup";
    pub const CALENDAR_FEED: &str = "calendar.feed";
    pub const INFUSION_VIEW: &str = "infusion.view";
    pub const INFUSION_CHECK_IN: &str = "infusion.check_in";
    pub const INFUSION_ORDER: &str = "infusion.order";
    /// A standing order voided because what it was worked out from changed.
    pub const INFUSION_ORDER_VOID: &str = "infusion.order_void";
    pub const INFUSION_START: &str = "infusion.start";
    pub const INFUSION_VITALS: &str = "infusion.vitals";
    pub const INFUSION_EVENT: &str = "infusion.event";
    pub const INFUSION_END: &str = "infusion.end";
    pub const INFUSION_SIGN: &str = "infusion.sign";
    pub const INFUSION_ADDENDUM: &str = "infusion.addendum";
    pub const OUTCOMES_VIEW: &str = "outcomes.view";
    pub const PRE_SESSION_SUBMIT: &str = "pre_session.submit";
    pub const FOLLOW_UP_SUBMIT: &str = "follow_up.submit";
    pub const FHIR_EXPORT: &str = "export.fhir";
    pub const REPORT_VIEW: &str = "report.view";
    pub const REPORT_CSV: &str = "report.csv";
    pub const SUMMARY_VIEW: &str = "summary.view";
    pub const ALERT_RAISE: &str = "alert.raise";
    pub const ALERT_VIEW: &str = "alert.view";
    pub const ALERT_CLEAR: &str = "alert.clear";

    pub const ALL: &[&str] = &[
        LOGIN,
        LOGIN_FAILED,
        LOGIN_LOCKED,
        LOCKOUT,
        LOGOUT,
        SESSION_TIMEOUT,
        SESSION_PURGE,
        REGISTER,
        REGISTER_REQUEST,
        STAFF_CREATE,
        STAFF_DISABLE,
        STAFF_ENABLE,
        PATIENT_ACCOUNT_DISABLE,
        PATIENT_ACCOUNT_ENABLE,
        EMAIL_CHANGE_REQUEST,
        USER_ADD_CLI,
        SETTINGS_UPDATE,
        ACCESS_DENIED,
        AUDIT_VIEW,
        PROFILE_UPDATE,
        PROFILE_VIEW,
        SCREENING_START,
        SCREENING_SAVE,
        SCREENING_SUBMIT,
        SCREENING_VIEW,
        SCREENING_DECIDE,
        PATIENT_LIST,
        CONSENT_VIEW,
        CONSENT_SIGN,
        CONSENT_COUNTERSIGN,
        CONSENT_WITHDRAW,
        CONSENT_DRAFT,
        CONSENT_PUBLISH,
        LOGIN_SECOND_FACTOR_FAILED,
        LOGIN_RECOVERY_CODE,
        TWO_FACTOR_ENABLE,
        TWO_FACTOR_DISABLE,
        RECOVERY_CODES_NEW,
        PASSWORD_CHANGE,
        PASSWORD_RESET_REQUEST,
        PASSWORD_RESET,
        EMAIL_CHANGE,
        EMAIL_VERIFY,
        REAUTH_FAILED,
        SESSION_END,
        SESSION_END_BY_ADMIN,
        APPOINTMENT_BOOK,
        APPOINTMENT_RESCHEDULE,
        APPOINTMENT_CANCEL,
        APPOINTMENT_NO_SHOW,
        APPOINTMENT_CHECK_IN,
        APPOINTMENT_VIEW,
        SCHEDULE_VIEW,
        SCHEDULE_SETUP,
        CALENDAR_FEED,
        INFUSION_VIEW,
        INFUSION_CHECK_IN,
        INFUSION_ORDER,
        INFUSION_ORDER_VOID,
        INFUSION_START,
        INFUSION_VITALS,
        INFUSION_EVENT,
        INFUSION_END,
        INFUSION_SIGN,
        INFUSION_ADDENDUM,
        OUTCOMES_VIEW,
        PRE_SESSION_SUBMIT,
        FOLLOW_UP_SUBMIT,
        FHIR_EXPORT,
        REPORT_VIEW,
        REPORT_CSV,
        SUMMARY_VIEW,
        ALERT_RAISE,
        ALERT_VIEW,
        ALERT_CLEAR,
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

/// The detail of a view of a list: its name, how many rows it showed and which patients (by
/// id, each once), so one entry per view still answers "who saw this patient".
pub fn list_detail(list: &str, rows: usize, patient_ids: impl IntoIterator<Item = i64>) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let ids: Vec<String> = patient_ids
        .into_iter()
        .filter(|id| seen.insert(*id))
        .map(|id| id.to_string())
        .collect();
    if ids.is_empty() {
        format!("{list}: {rows} shown")
    } else {
        format!("{list}: {rows} shown; patients {}", ids.join(" "))
    }
}

pub async fn record(db: impl PgExecutor<'_>, entry: Entry<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_inbox
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

/// Appends the entry of a read: a page, list or download that showed patient data and
/// changed nothing else. Its commit does not wait for the disk (as the screening review's
/// does): a database crash could lose at most the last fraction of a second of view entries,
/// never a clinical write, and a page pays no disk flush for being read. Call it on the pool,
/// never inside a transaction that writes anything else (the setting would cover its commit).
pub async fn record_view(db: impl PgExecutor<'_>, entry: Entry<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "WITH read_only AS (SELECT set_config('synchronous_commit', 'off', true))
         INSERT INTO audit_inbox
            (actor_id, actor_role, action, patient_id, outcome, client_addr, request_id, detail)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 FROM read_only",
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
        r#"SELECT a.id AS "id!", a.at AS "at!", a.actor_id, u.email AS "actor_email?",
                  a.actor_role, a.action AS "action!", a.patient_id, a.outcome AS "outcome!",
                  a.client_addr, a.request_id, a.detail
           FROM audit_log a
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

/// An entry waiting in the inbox, with what its hash covers.
struct Waiting {
    id: i64,
    at: OffsetDateTime,
    actor_id: Option<i64>,
    actor_role: Option<String>,
    action: String,
    patient_id: Option<i64>,
    outcome: String,
    client_addr: Option<String>,
    request_id: Option<String>,
    detail: Option<String>,
}

/// What an entry's hash covers: the previous hash, then every field as text joined by the
/// unit separator, absent ones empty. The database's `audit_event_digest` is the same
/// definition, which `verify_chain` uses; a test holds the two together.
fn digest(prev_hash: &[u8], entry: &Waiting) -> Vec<u8> {
    let at = entry.at.to_offset(time::UtcOffset::UTC);
    let fields = [
        entry.id.to_string(),
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.microsecond()
        ),
        entry.actor_id.map(|id| id.to_string()).unwrap_or_default(),
        entry.actor_role.clone().unwrap_or_default(),
        entry.action.clone(),
        entry
            .patient_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        entry.outcome.clone(),
        entry.client_addr.clone().unwrap_or_default(),
        entry.request_id.clone().unwrap_or_default(),
        entry.detail.clone().unwrap_or_default(),
    ];
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(fields.join("\u{1f}").as_bytes());
    hasher.finalize().to_vec()
}

/// Seals every committed entry waiting in the inbox; returns how many were sealed.
pub async fn seal(db: &PgPool) -> sqlx::Result<i64> {
    const BATCH: i64 = 5000;
    let mut total = 0;
    loop {
        let sealed = seal_batch(db, BATCH).await?;
        total += sealed;
        if sealed < BATCH {
            return Ok(total);
        }
    }
}

/// Moves up to `batch` entries, oldest first, from the inbox to the end of the chain.
async fn seal_batch(db: &PgPool, batch: i64) -> sqlx::Result<i64> {
    let mut tx = db.begin().await?;
    // One sealer at a time across all processes, so the chain has one end.
    sqlx::query!("SELECT pg_advisory_xact_lock(7244001)")
        .execute(&mut *tx)
        .await?;
    let waiting = sqlx::query_as!(
        Waiting,
        "SELECT id, at, actor_id, actor_role, action, patient_id, outcome, client_addr,
                request_id, detail
         FROM audit_inbox ORDER BY id LIMIT $1",
        batch
    )
    .fetch_all(&mut *tx)
    .await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let end =
        sqlx::query!("SELECT chain_seq, hash FROM audit_events ORDER BY chain_seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (mut seq, mut prev_hash) = end.map_or((0, Vec::new()), |e| (e.chain_seq, e.hash));
    let (mut ids, mut seqs, mut prev_hashes, mut hashes) = (vec![], vec![], vec![], vec![]);
    for entry in &waiting {
        seq += 1;
        let hash = digest(&prev_hash, entry);
        ids.push(entry.id);
        seqs.push(seq);
        prev_hashes.push(std::mem::replace(&mut prev_hash, hash.clone()));
        hashes.push(hash);
    }
    // The database's sealing function moves them, checking each link against the entry it
    // moves; the app itself may not delete from the inbox.
    let sealed = sqlx::query_scalar!(
        r#"SELECT audit_seal_entries($1, $2, $3, $4) AS "sealed!""#,
        &ids,
        &seqs,
        &prev_hashes,
        &hashes,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(sealed)
}

/// Reclaims the space of entries already moved out of the inbox.
pub async fn tidy_inbox(db: &PgPool) -> sqlx::Result<()> {
    // VACUUM cannot run in a transaction, hence the simple protocol.
    sqlx::raw_sql("VACUUM (SKIP_LOCKED) audit_inbox")
        .execute(db)
        .await?;
    Ok(())
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
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM audit_log"#)
        .fetch_one(db)
        .await
}

/// The newest sealed entry: its place in the chain and its hash. A copy kept outside the
/// database shows later whether the chain was cut back or rewritten behind the app's back,
/// which the chain alone cannot (deleting its newest entries leaves a shorter, intact chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: Vec<u8>,
}

impl Anchor {
    /// One line, as `clinic audit anchor` prints it and `--anchor` reads it back.
    pub fn line(&self) -> String {
        format!(
            "audit-anchor seq={} sha256={}",
            self.seq,
            hex::encode(&self.hash)
        )
    }

    /// Reads [`Anchor::line`] back; `None` unless both parts are there and well formed.
    pub fn parse(line: &str) -> Option<Anchor> {
        let mut seq = None;
        let mut hash = None;
        for word in line.split_whitespace() {
            if let Some(value) = word.strip_prefix("seq=") {
                seq = value.parse::<i64>().ok().filter(|n| *n > 0);
            } else if let Some(value) = word.strip_prefix("sha256=") {
                hash = hex::decode(value).ok().filter(|h| h.len() == 32);
            }
        }
        Some(Anchor {
            seq: seq?,
            hash: hash?,
        })
    }
}

/// What became of an anchored entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorCheck {
    Holds,
    /// No entry at that place: the chain was cut back.
    Gone,
    /// An entry is there with another hash: the chain was rewritten.
    Changed,
}

/// The current head of the sealed chain, if anything has been sealed.
pub async fn anchor(db: impl PgExecutor<'_>) -> sqlx::Result<Option<Anchor>> {
    let head =
        sqlx::query!("SELECT chain_seq, hash FROM audit_events ORDER BY chain_seq DESC LIMIT 1")
            .fetch_optional(db)
            .await?;
    Ok(head.map(|h| Anchor {
        seq: h.chain_seq,
        hash: h.hash,
    }))
}

pub async fn check_anchor(db: impl PgExecutor<'_>, anchor: &Anchor) -> sqlx::Result<AnchorCheck> {
    let hash = sqlx::query_scalar!(
        "SELECT hash FROM audit_events WHERE chain_seq = $1",
        anchor.seq
    )
    .fetch_optional(db)
    .await?;
    Ok(match hash {
        None => AnchorCheck::Gone,
        Some(hash) if hash == anchor.hash => AnchorCheck::Holds,
        Some(_) => AnchorCheck::Changed,
    })
}

/// Mails the day's anchor to every active administrator, once a day however many app
/// processes call it; returns the anchor when this call queued it.
pub async fn mail_daily_anchor(db: &PgPool) -> sqlx::Result<Option<Anchor>> {
    seal(db).await?;
    let mut tx = db.begin().await?;
    // One process at a time decides whether today's has gone.
    sqlx::query!("SELECT pg_advisory_xact_lock(7244003)")
        .execute(&mut *tx)
        .await?;
    let Some(anchor) = anchor(&mut *tx).await? else {
        return Ok(None);
    };
    let line = anchor.line();
    let body = format!(
        "Today's anchor of the clinic's audit trail:\n\n{line}\n\nKeep this message. To check later that no audit entry up to this one was removed or changed, run:\n\n  clinic audit verify --anchor '{line}'\n"
    );
    let queued = sqlx::query!(
        "INSERT INTO outbox (kind, recipient, subject, body)
         SELECT 'audit_anchor', email, 'Audit trail anchor', $1 FROM users
         WHERE role = 'admin' AND status = 'active'
           AND NOT EXISTS (SELECT 1 FROM outbox WHERE kind = 'audit_anchor'
                           AND created_at > now() - interval '23 hours')",
        body
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((queued.rows_affected() > 0).then_some(anchor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_view_names_its_list_its_size_and_each_patient_once() {
        assert_eq!(list_detail("review queue", 0, []), "review queue: 0 shown");
        assert_eq!(
            list_detail("clinical alerts", 3, [7, 3, 7]),
            "clinical alerts: 3 shown; patients 7 3"
        );
    }

    #[test]
    fn an_anchor_line_reads_back_and_nothing_else_does() {
        let anchor = Anchor {
            seq: 42,
            hash: vec![0xab; 32],
        };
        assert_eq!(Anchor::parse(&anchor.line()), Some(anchor.clone()));
        assert_eq!(
            Anchor::parse(&format!("  {}\n", anchor.line())),
            Some(anchor)
        );
        for bad in [
            "",
            "audit-anchor seq=42",
            "audit-anchor sha256=abab",
            "audit-anchor seq=0 sha256=abababababababababababababababababababababababababababababababab",
            "audit-anchor seq=x sha256=abababababababababababababababababababababababababababababababab",
            "audit-anchor seq=9 sha256=abab",
        ] {
            assert_eq!(Anchor::parse(bad), None, "{bad}");
        }
    }
}
