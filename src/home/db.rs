use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

#[derive(Clone, Debug)]
pub struct OwnPatientRecord {
    pub id: i64,
    pub legal_name: String,
    pub date_of_birth: Date,
    pub created_at: OffsetDateTime,
}

/// The patient record of the logged-in user: ownership comes from the session's user id.
pub async fn own_patient_record(
    db: impl PgExecutor<'_>,
    user_id: i64,
) -> sqlx::Result<Option<OwnPatientRecord>> {
    sqlx::query_as!(
        OwnPatientRecord,
        "SELECT id, legal_name, date_of_birth, created_at FROM patients WHERE user_id = $1",
        user_id
    )
    .fetch_optional(db)
    .await
}
