//! Clinical alert queries. Raising is idempotent per origin; clearing fills who, when and the
//! note once (the database refuses any other change).

use sqlx::PgExecutor;
use sqlx::types::Json;
use time::OffsetDateTime;

/// An alert to raise, with where it came from.
#[derive(Clone, Debug, Default)]
pub struct NewAlert<'a> {
    pub patient_id: i64,
    pub kind: &'a str,
    pub screening_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub result_id: Option<i64>,
    pub detail: &'a str,
    pub answers: Option<&'a [Option<i16>]>,
}

/// Raises the alert unless the same one is already open; true when it is new.
pub async fn raise(db: impl PgExecutor<'_>, alert: &NewAlert<'_>) -> sqlx::Result<bool> {
    let raised = sqlx::query_scalar!(
        "INSERT INTO clinical_alerts
             (patient_id, kind, screening_id, appointment_id, result_id, detail, answers)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (patient_id, kind, coalesce(screening_id, 0), coalesce(appointment_id, 0),
                      coalesce(result_id, 0)) WHERE cleared_at IS NULL
         DO NOTHING
         RETURNING id",
        alert.patient_id,
        alert.kind,
        alert.screening_id,
        alert.appointment_id,
        alert.result_id,
        alert.detail,
        alert.answers.map(Json) as _,
    )
    .fetch_optional(db)
    .await?;
    Ok(raised.is_some())
}

#[derive(Clone, Debug)]
pub struct AlertRow {
    pub id: i64,
    pub patient_id: i64,
    pub kind: String,
    pub appointment_id: Option<i64>,
    pub detail: String,
    pub raised_at: OffsetDateTime,
    pub cleared_at: Option<OffsetDateTime>,
    pub cleared_by_name: Option<String>,
    pub clearing_note: Option<String>,
}

/// A patient's alerts, open ones first, then the latest cleared; at most `limit`.
pub async fn for_patient(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<AlertRow>> {
    sqlx::query_as!(
        AlertRow,
        r#"SELECT a.id, a.patient_id, a.kind, a.appointment_id, a.detail, a.raised_at,
                  a.cleared_at, u.display_name AS "cleared_by_name?", a.clearing_note
           FROM clinical_alerts a LEFT JOIN users u ON u.id = a.cleared_by
           WHERE a.patient_id = $1
           ORDER BY a.cleared_at IS NOT NULL, coalesce(a.cleared_at, a.raised_at) DESC, a.id DESC
           LIMIT $2"#,
        patient_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// The kinds of the patient's open alerts (for the booking gate).
pub async fn open_kinds(db: impl PgExecutor<'_>, patient_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT DISTINCT kind FROM clinical_alerts WHERE patient_id = $1 AND cleared_at IS NULL",
        patient_id
    )
    .fetch_all(db)
    .await
}

/// An open alert in the clinicians' list.
#[derive(Clone, Debug)]
pub struct OpenAlert {
    pub id: i64,
    pub patient_id: i64,
    pub legal_name: String,
    pub kind: String,
    pub raised_at: OffsetDateTime,
}

/// The oldest open alerts of every patient, at most `limit`.
pub async fn open_list(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<OpenAlert>> {
    sqlx::query_as!(
        OpenAlert,
        "SELECT a.id, a.patient_id, p.legal_name, a.kind, a.raised_at
         FROM clinical_alerts a JOIN patients p ON p.id = a.patient_id
         WHERE a.cleared_at IS NULL
         ORDER BY a.raised_at, a.id
         LIMIT $1",
        limit
    )
    .fetch_all(db)
    .await
}

pub async fn open_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM clinical_alerts WHERE cleared_at IS NULL"#)
        .fetch_one(db)
        .await
}

/// Clears one open alert of the patient; its kind, or `None` when there is no such open alert.
pub async fn clear(
    db: impl PgExecutor<'_>,
    alert_id: i64,
    patient_id: i64,
    by: i64,
    note: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "UPDATE clinical_alerts SET cleared_by = $3, cleared_at = now(), clearing_note = $4
         WHERE id = $1 AND patient_id = $2 AND cleared_at IS NULL
         RETURNING kind",
        alert_id,
        patient_id,
        by,
        note
    )
    .fetch_optional(db)
    .await
}

/// Clears the open risk answers raised while this screening was a draft: the clinician's
/// decision on the (urgent) screening is their documented review of them.
pub async fn clear_for_screening(
    db: impl PgExecutor<'_>,
    screening_id: i64,
    by: i64,
    note: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE clinical_alerts SET cleared_by = $2, cleared_at = now(), clearing_note = $3
         WHERE screening_id = $1 AND kind = 'risk_answer' AND cleared_at IS NULL",
        screening_id,
        by,
        note
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
