use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::auth::db::AccountStatus;
use crate::core::Role;

#[derive(Clone, Debug)]
pub struct StaffRow {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub status: AccountStatus,
    pub created_at: OffsetDateTime,
}

impl StaffRow {
    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }
}

/// Staff accounts by name, `limit` from `offset` (patients are never listed here).
pub async fn staff_page(
    db: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<StaffRow>> {
    sqlx::query_as!(
        StaffRow,
        r#"SELECT id, display_name, email, role AS "role: Role", status AS "status: AccountStatus",
                  created_at
           FROM users WHERE role <> 'patient'
           ORDER BY role, display_name, id
           LIMIT $1 OFFSET $2"#,
        limit,
        offset
    )
    .fetch_all(db)
    .await
}

#[derive(Clone, Debug)]
pub struct Overview {
    pub active_staff: i64,
    pub disabled_staff: i64,
    pub live_sessions: i64,
}

pub async fn overview(db: impl PgExecutor<'_>) -> sqlx::Result<Overview> {
    sqlx::query_as!(
        Overview,
        r#"SELECT
             (SELECT count(*) FROM users WHERE role <> 'patient' AND status = 'active') AS "active_staff!",
             (SELECT count(*) FROM users WHERE role <> 'patient' AND status = 'disabled') AS "disabled_staff!",
             (SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE u.role <> 'patient') AS "live_sessions!""#
    )
    .fetch_one(db)
    .await
}

/// Sets a staff account's status; returns its role, or `None` if there is no such staff account.
pub async fn set_staff_status(
    db: impl PgExecutor<'_>,
    user_id: i64,
    status: AccountStatus,
) -> sqlx::Result<Option<Role>> {
    sqlx::query_scalar!(
        r#"UPDATE users SET status = $2, updated_at = now()
           WHERE id = $1 AND role <> 'patient'
           RETURNING role AS "role: Role""#,
        user_id,
        status as AccountStatus,
    )
    .fetch_optional(db)
    .await
}

/// Sets the status of the login of the patient numbered `patient_id`; returns the account's
/// id, or `None` when there is no such patient or they have no login.
pub async fn set_patient_account_status(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    status: AccountStatus,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"UPDATE users u SET status = $2, updated_at = now()
           FROM patients p
           WHERE p.id = $1 AND p.user_id = u.id AND u.role = 'patient'
           RETURNING u.id"#,
        patient_id,
        status as AccountStatus,
    )
    .fetch_optional(db)
    .await
}
