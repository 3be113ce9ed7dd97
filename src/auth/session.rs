//! Server-side sessions in PostgreSQL. The cookie holds 256 random bits; the table holds
//! only their SHA-256. A request's session, user and the clinic's limits come in one query,
//! or from the process's session cache, and are written back at most once a minute.
//!
//! Plain functions of a pool, the session cache and the time: reading the cookie and the
//! middleware that runs them for every request are the web edge's (`web::session`).

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgExecutor, PgPool};
use time::OffsetDateTime;

use super::CurrentUser;
use super::db::{self, AccountStatus, SessionRow};
use super::model::{SessionEnd, SessionLimits, SessionVerdict, session_verdict};
use super::session_cache::{SessionCache, SessionKey};
use super::{tokens, two_factor};
use crate::audit::{self, Outcome};
use crate::core::RequestMeta;

/// The key a session is stored under: the SHA-256 of its cookie's value.
pub fn key(token: &str) -> SessionKey {
    Sha256::digest(token.as_bytes()).into()
}

fn limits(row: &SessionRow) -> SessionLimits {
    SessionLimits::from_settings(
        row.staff_idle_minutes,
        row.patient_idle_minutes,
        row.session_absolute_hours,
    )
}

/// The session behind `key` and whether it is still live, from the cache when it has it.
/// A cached copy that looks ended is checked against the database before anything ends:
/// another process may have seen the user since the copy was made.
pub async fn find_live(
    pool: &PgPool,
    cache: &SessionCache,
    key: &SessionKey,
    now: OffsetDateTime,
) -> sqlx::Result<Option<(SessionRow, SessionVerdict)>> {
    if let Some(row) = cache.get(key) {
        let verdict = verdict(&row, now);
        if matches!(verdict, SessionVerdict::Live { touch: false }) {
            return Ok(Some((row, verdict)));
        }
        cache.forget(key);
    }
    let generation = cache.generation();
    let Some(row) = db::find_session(pool, key).await? else {
        return Ok(None);
    };
    let verdict = verdict(&row, now);
    if matches!(verdict, SessionVerdict::Live { touch: false }) {
        cache.remember(*key, row.clone(), generation);
    }
    Ok(Some((row, verdict)))
}

fn verdict(row: &SessionRow, now: OffsetDateTime) -> SessionVerdict {
    if row.status == AccountStatus::Disabled {
        SessionVerdict::Ended(SessionEnd::Disabled)
    } else {
        session_verdict(limits(row), row.role, row.created_at, row.last_seen_at, now)
    }
}

/// The user a session row is for, as every page sees them.
pub fn current_user(row: SessionRow) -> CurrentUser {
    let must_enrol = !row.totp_enabled
        && two_factor::required_for(row.role, row.two_factor_front_desk, row.two_factor_patients);
    CurrentUser {
        id: row.user_id,
        role: row.role,
        name: row.display_name,
        email: row.email,
        session_id: row.session_id,
        must_enrol_two_factor: must_enrol,
        email_verified: row.email_verified,
    }
}

/// Records the session's activity (see `SessionVerdict::Live`).
pub async fn touch(pool: &PgPool, key: &SessionKey) -> sqlx::Result<()> {
    db::touch_session(pool, key).await
}

/// Ends a session that ran out or whose account was disabled, audited when the request's
/// metadata is known, and forgets this process's copy.
pub async fn end_expired(
    pool: &PgPool,
    cache: &SessionCache,
    key: &SessionKey,
    user: &CurrentUser,
    end: SessionEnd,
    meta: Option<&RequestMeta>,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    db::delete_session(&mut *tx, key).await?;
    if let Some(meta) = meta {
        let entry = audit::Entry::new(audit::action::SESSION_TIMEOUT, Some(user), meta)
            .outcome(Outcome::Success)
            .detail(end.as_str());
        audit::record(&mut *tx, entry).await?;
    }
    tx.commit().await?;
    cache.forget(key);
    Ok(())
}

/// Starts a fresh session for `user_id` and returns the cookie value. The session the
/// request came with (`presented`), if any, is ended first, so the id always changes at
/// login.
pub async fn begin(
    db: &mut PgConnection,
    presented: Option<&str>,
    client_addr: &str,
    user_agent: &str,
    user_id: i64,
) -> sqlx::Result<String> {
    if let Some(old) = presented {
        db::delete_session(&mut *db, &key(old)).await?;
    }
    let token = tokens::random_hex(32);
    db::create_session(&mut *db, &key(&token), user_id, client_addr, user_agent).await?;
    Ok(token)
}

/// Forgets this process's copy of the session `presented`, once a transaction that ended it
/// has committed (other processes hear of it from PostgreSQL).
pub fn forget_presented(cache: &SessionCache, presented: Option<&str>) {
    if let Some(token) = presented {
        cache.forget(&key(token));
    }
}

/// Ends the session `presented` (logout).
pub async fn end(db: impl PgExecutor<'_>, presented: Option<&str>) -> sqlx::Result<()> {
    if let Some(token) = presented {
        db::delete_session(db, &key(token)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Role;
    use time::Duration;
    use time::macros::datetime;

    fn row(role: Role, status: AccountStatus, totp_enabled: bool) -> SessionRow {
        let start = datetime!(2026-11-28 09:00 UTC);
        SessionRow {
            session_id: 8,
            user_id: 3,
            role,
            display_name: "Casey".into(),
            email: "casey@clinic.test".into(),
            status,
            created_at: start,
            last_seen_at: start,
            staff_idle_minutes: 15,
            patient_idle_minutes: 30,
            session_absolute_hours: 12,
            totp_enabled,
            email_verified: true,
            two_factor_front_desk: true,
            two_factor_patients: false,
        }
    }

    #[test]
    fn a_disabled_account_ends_its_session_whatever_the_time() {
        let now = datetime!(2026-11-28 09:00:30 UTC);
        let live = row(Role::Clinician, AccountStatus::Active, true);
        assert_eq!(verdict(&live, now), SessionVerdict::Live { touch: false });
        let disabled = row(Role::Clinician, AccountStatus::Disabled, true);
        assert_eq!(
            verdict(&disabled, now),
            SessionVerdict::Ended(SessionEnd::Disabled)
        );
        // The clinic's limits come with the row: 15 idle minutes for staff.
        assert_eq!(
            verdict(&live, now + Duration::minutes(15)),
            SessionVerdict::Ended(SessionEnd::Idle)
        );
    }

    #[test]
    fn the_user_must_set_up_a_second_factor_only_when_their_role_requires_one() {
        let user = current_user(row(Role::Clinician, AccountStatus::Active, false));
        assert!(user.must_enrol_two_factor);
        assert_eq!((user.id, user.session_id), (3, 8));
        let enrolled = current_user(row(Role::Clinician, AccountStatus::Active, true));
        assert!(!enrolled.must_enrol_two_factor);
        // This clinic asks it of the front desk but not of patients.
        let desk = current_user(row(Role::FrontDesk, AccountStatus::Active, false));
        assert!(desk.must_enrol_two_factor);
        let patient = current_user(row(Role::Patient, AccountStatus::Active, false));
        assert!(!patient.must_enrol_two_factor);
    }

    #[test]
    fn a_session_is_stored_under_the_sha256_of_its_cookie() {
        let token = tokens::random_hex(32);
        assert_eq!(key(&token).to_vec(), tokens::token_hash(&token));
        assert_ne!(key(&token), key(&tokens::random_hex(32)));
    }
}
