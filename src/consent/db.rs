//! Consent queries. Patient-side reads take the patient id from the session; the database
//! refuses changes to published versions, signatures and withdrawals (migration 0008).

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::model::{ConsentFacts, Draft};

/// A version as the admin's list shows it.
#[derive(Clone, Debug)]
pub struct VersionSummary {
    pub id: i64,
    pub title: String,
    pub version: Option<i32>,
    pub published_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
    pub signatures: i64,
}

/// Every version, drafts first, then the newest published.
pub async fn versions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<VersionSummary>> {
    sqlx::query_as!(
        VersionSummary,
        r#"SELECT v.id, v.title, v.version, v.published_at, v.updated_at,
                  (SELECT count(*) FROM consent_signatures s
                   WHERE s.version_id = v.id AND s.signer = 'patient') AS "signatures!"
           FROM consent_versions v
           ORDER BY v.version DESC NULLS FIRST, v.id DESC
           LIMIT 200"#
    )
    .fetch_all(db)
    .await
}

/// One version in full.
#[derive(Clone, Debug)]
pub struct Version {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub version: Option<i32>,
    pub text_sha256: Option<String>,
    pub published_at: Option<OffsetDateTime>,
}

impl Version {
    pub fn is_published(&self) -> bool {
        self.published_at.is_some()
    }
}

pub async fn version(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Version>> {
    sqlx::query_as!(
        Version,
        "SELECT id, title, body, version, text_sha256, published_at
         FROM consent_versions WHERE id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// The version in force: the newest published one.
pub async fn current_version(db: impl PgExecutor<'_>) -> sqlx::Result<Option<Version>> {
    sqlx::query_as!(
        Version,
        "SELECT id, title, body, version, text_sha256, published_at
         FROM consent_versions WHERE version IS NOT NULL
         ORDER BY version DESC LIMIT 1"
    )
    .fetch_optional(db)
    .await
}

pub async fn create_draft(db: impl PgExecutor<'_>, draft: &Draft, by: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO consent_versions (title, body, created_by) VALUES ($1, $2, $3) RETURNING id",
        draft.title,
        draft.body,
        by
    )
    .fetch_one(db)
    .await
}

/// Saves a draft; false if it is no longer a draft (published meanwhile) or is gone.
pub async fn save_draft(db: impl PgExecutor<'_>, id: i64, draft: &Draft) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE consent_versions SET title = $2, body = $3, updated_at = now()
         WHERE id = $1 AND published_at IS NULL",
        id,
        draft.title,
        draft.body
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Publishes a draft, returning its new version number (None if it is not a draft). Takes a
/// lock so that two admins publishing at once get consecutive numbers; run it in a transaction.
pub async fn publish(tx: &mut sqlx::PgConnection, id: i64, by: i64) -> sqlx::Result<Option<i32>> {
    sqlx::query!("LOCK TABLE consent_versions IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let version = sqlx::query_scalar!(
        "UPDATE consent_versions SET published_at = now(), published_by = $2, updated_at = now()
         WHERE id = $1 AND published_at IS NULL
         RETURNING version",
        id,
        by
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(version.flatten())
}

/// Discards a draft; published versions stay (the database would refuse anyway).
pub async fn discard_draft(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM consent_versions WHERE id = $1 AND published_at IS NULL",
        id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a patient's consent status is derived from.
pub async fn facts(db: impl PgExecutor<'_>, patient_id: i64) -> sqlx::Result<ConsentFacts> {
    let row = sqlx::query!(
        r#"SELECT latest_version, signed_version AS "signed_version?", signed_at AS "signed_at?",
                  withdrawn_at AS "withdrawn_at?"
           FROM consent_facts WHERE patient_id = $1"#,
        patient_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map_or_else(ConsentFacts::default, |r| ConsentFacts {
        latest_version: r.latest_version,
        signed_version: r.signed_version,
        signed_at: r.signed_at,
        withdrawn_at: r.withdrawn_at,
    }))
}

/// Holds the patient's row until the transaction ends, so that two signatures or a signature
/// and a withdrawal of one patient happen one after the other, each seeing the other.
pub async fn lock_patient(db: impl PgExecutor<'_>, patient_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT id FROM patients WHERE id = $1 FOR UPDATE",
        patient_id
    )
    .fetch_optional(db)
    .await?;
    Ok(())
}

/// A signature to record: who, for which patient and text, and from where.
pub struct NewSignature<'a> {
    pub version_id: i64,
    pub patient_id: i64,
    pub signer_user_id: i64,
    pub countersigns: Option<i64>,
    pub printed_name: &'a str,
    pub meaning: &'a str,
    pub text_sha256: &'a str,
    pub client_addr: &'a str,
    pub user_agent: &'a str,
}

pub async fn record_signature(
    db: impl PgExecutor<'_>,
    signature: &NewSignature<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO consent_signatures
             (version_id, patient_id, signer, signer_user_id, countersigns, printed_name,
              meaning, text_sha256, client_addr, user_agent)
         VALUES ($1, $2, CASE WHEN $4::bigint IS NULL THEN 'patient' ELSE 'clinician' END::consent_signer,
                 $3, $4, $5, $6, $7, $8, $9)
         RETURNING id",
        signature.version_id,
        signature.patient_id,
        signature.signer_user_id,
        signature.countersigns,
        signature.printed_name,
        signature.meaning,
        signature.text_sha256,
        signature.client_addr,
        signature.user_agent,
    )
    .fetch_one(db)
    .await
}

pub struct NewWithdrawal<'a> {
    pub patient_id: i64,
    pub withdrawn_by: i64,
    pub reason: Option<&'a str>,
    pub client_addr: &'a str,
    pub user_agent: &'a str,
}

pub async fn record_withdrawal(
    db: impl PgExecutor<'_>,
    withdrawal: &NewWithdrawal<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO consent_withdrawals (patient_id, withdrawn_by, reason, client_addr, user_agent)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        withdrawal.patient_id,
        withdrawal.withdrawn_by,
        withdrawal.reason,
        withdrawal.client_addr,
        withdrawal.user_agent,
    )
    .fetch_one(db)
    .await
}

/// A patient's signature with its version and, if given, the clinician's countersignature.
#[derive(Clone, Debug)]
pub struct SignatureRow {
    pub id: i64,
    pub patient_id: i64,
    pub version_id: i64,
    pub version: i32,
    pub title: String,
    pub printed_name: String,
    pub meaning: String,
    pub text_sha256: String,
    pub signed_at: OffsetDateTime,
    pub client_addr: String,
    pub user_agent: String,
    pub countersignature: Option<Countersignature>,
}

#[derive(Clone, Debug)]
pub struct Countersignature {
    pub printed_name: String,
    pub meaning: String,
    pub text_sha256: String,
    pub signed_at: OffsetDateTime,
    pub client_addr: String,
    pub user_agent: String,
}

/// A signature row as selected, the countersignature's columns empty when there is none.
struct SignatureFlat {
    id: i64,
    patient_id: i64,
    version_id: i64,
    version: i32,
    title: String,
    printed_name: String,
    meaning: String,
    text_sha256: String,
    signed_at: OffsetDateTime,
    client_addr: String,
    user_agent: String,
    c_printed_name: Option<String>,
    c_meaning: Option<String>,
    c_text_sha256: Option<String>,
    c_signed_at: Option<OffsetDateTime>,
    c_client_addr: Option<String>,
    c_user_agent: Option<String>,
}

impl From<SignatureFlat> for SignatureRow {
    fn from(r: SignatureFlat) -> Self {
        let countersignature = match (
            r.c_printed_name,
            r.c_meaning,
            r.c_text_sha256,
            r.c_signed_at,
            r.c_client_addr,
            r.c_user_agent,
        ) {
            (
                Some(printed_name),
                Some(meaning),
                Some(text_sha256),
                Some(signed_at),
                Some(client_addr),
                Some(user_agent),
            ) => Some(Countersignature {
                printed_name,
                meaning,
                text_sha256,
                signed_at,
                client_addr,
                user_agent,
            }),
            _ => None,
        };
        SignatureRow {
            id: r.id,
            patient_id: r.patient_id,
            version_id: r.version_id,
            version: r.version,
            title: r.title,
            printed_name: r.printed_name,
            meaning: r.meaning,
            text_sha256: r.text_sha256,
            signed_at: r.signed_at,
            client_addr: r.client_addr,
            user_agent: r.user_agent,
            countersignature,
        }
    }
}

/// A patient's signatures, newest first; with `only`, just that one (if it is theirs).
pub async fn signatures_of_patient(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    only: Option<i64>,
) -> sqlx::Result<Vec<SignatureRow>> {
    let rows = sqlx::query_as!(
        SignatureFlat,
        r#"SELECT s.id, s.patient_id, s.version_id, v.version AS "version!", v.title,
                  s.printed_name, s.meaning, s.text_sha256, s.signed_at, s.client_addr,
                  s.user_agent,
                  c.printed_name AS "c_printed_name?", c.meaning AS "c_meaning?",
                  c.text_sha256 AS "c_text_sha256?", c.signed_at AS "c_signed_at?",
                  c.client_addr AS "c_client_addr?", c.user_agent AS "c_user_agent?"
           FROM consent_signatures s
           JOIN consent_versions v ON v.id = s.version_id
           LEFT JOIN consent_signatures c ON c.countersigns = s.id
           WHERE s.patient_id = $1 AND s.signer = 'patient' AND ($2::bigint IS NULL OR s.id = $2)
           ORDER BY s.id DESC
           LIMIT 100"#,
        patient_id,
        only
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(SignatureRow::from).collect())
}

/// Whose signature this is (a patient's signature; a countersignature's id finds nothing).
pub async fn signer_patient(
    db: impl PgExecutor<'_>,
    signature_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT patient_id FROM consent_signatures WHERE id = $1 AND signer = 'patient'",
        signature_id
    )
    .fetch_optional(db)
    .await
}

#[derive(Clone, Debug)]
pub struct Withdrawal {
    pub reason: Option<String>,
    pub withdrawn_at: OffsetDateTime,
    pub withdrawn_by: String,
}

/// A patient's withdrawals, newest first.
pub async fn withdrawals_of_patient(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Vec<Withdrawal>> {
    sqlx::query_as!(
        Withdrawal,
        r#"SELECT w.reason, w.withdrawn_at, u.display_name AS withdrawn_by
           FROM consent_withdrawals w JOIN users u ON u.id = w.withdrawn_by
           WHERE w.patient_id = $1
           ORDER BY w.id DESC
           LIMIT 100"#,
        patient_id
    )
    .fetch_all(db)
    .await
}

/// A patient signature waiting for a clinician's countersignature.
#[derive(Clone, Debug)]
pub struct AwaitingRow {
    pub signature_id: i64,
    pub patient_id: i64,
    pub legal_name: String,
    pub date_of_birth: time::Date,
    pub version: i32,
    pub signed_at: OffsetDateTime,
}

/// Patient signatures with no countersignature, newest first, a page at a time (keyset on id).
pub async fn awaiting_countersignature(
    db: impl PgExecutor<'_>,
    before_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<AwaitingRow>> {
    sqlx::query_as!(
        AwaitingRow,
        r#"SELECT s.id AS signature_id, s.patient_id, p.legal_name, p.date_of_birth,
                  v.version AS "version!", s.signed_at
           FROM consent_awaiting_countersignature q
           JOIN consent_signatures s ON s.id = q.signature_id
           JOIN patients p ON p.id = s.patient_id
           JOIN consent_versions v ON v.id = s.version_id
           WHERE q.signature_id < $1
           ORDER BY q.signature_id DESC
           LIMIT $2"#,
        before_id.unwrap_or(i64::MAX),
        limit
    )
    .fetch_all(db)
    .await
}

/// Cancels the patient's future live infusions (consent withdrawn); returns how many. Each
/// gets its history line and loses its unsent reminder, as any cancellation does; the
/// statements are scheduling's own, written here so consent does not reach into scheduling
/// (scheduling reads consent for its booking gate).
pub async fn cancel_future_infusions(
    tx: &mut sqlx::PgConnection,
    patient_id: i64,
    by: i64,
) -> sqlx::Result<u64> {
    let cancelled = sqlx::query_scalar!(
        "UPDATE appointments SET status = 'cancelled', updated_at = now()
         WHERE patient_id = $1 AND kind = 'infusion' AND status = 'booked'
           AND starts_at > now()
         RETURNING id",
        patient_id
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in &cancelled {
        record_withdrawal_cancel(&mut *tx, *id, by).await?;
        drop_unsent_reminders(&mut *tx, *id).await?;
    }
    Ok(cancelled.len() as u64)
}

/// Tells the front desk, in the app, that a patient withdrew consent.
pub async fn tell_front_desk_of_withdrawal(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO staff_notifications (role, kind, patient_id)
         VALUES ('front_desk', 'consent_withdrawn', $1)",
        patient_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Consent withdrawals the front desk has not seen yet: (patient id, name).
pub async fn unseen_withdrawals(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        "SELECT p.id, p.legal_name FROM staff_notifications n JOIN patients p ON p.id = n.patient_id
         WHERE n.role = 'front_desk' AND n.kind = 'consent_withdrawn' AND n.read_at IS NULL
         ORDER BY n.created_at DESC LIMIT 50"
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.legal_name)).collect())
}

/// The front desk has seen this patient's withdrawal notices.
pub async fn mark_withdrawals_seen(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    by: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE staff_notifications SET read_at = now(), read_by = $2
         WHERE patient_id = $1 AND kind = 'consent_withdrawn' AND read_at IS NULL",
        patient_id,
        by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The appointment's history line for a cancellation by withdrawal.
async fn record_withdrawal_cancel(
    db: impl PgExecutor<'_>,
    appointment_id: i64,
    by: i64,
) -> sqlx::Result<()> {
    let (change, note) = ("cancelled", Some("consent withdrawn"));
    sqlx::query!(
        "INSERT INTO appointment_changes (appointment_id, change, during, by_user, note)
         SELECT id, $2, during, $3, $4 FROM appointments WHERE id = $1",
        appointment_id,
        change,
        by,
        note
    )
    .execute(db)
    .await?;
    Ok(())
}

async fn drop_unsent_reminders(db: impl PgExecutor<'_>, appointment_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM outbox WHERE appointment_id = $1 AND sent_at IS NULL",
        appointment_id
    )
    .execute(db)
    .await?;
    Ok(())
}
