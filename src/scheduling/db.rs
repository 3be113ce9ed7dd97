//! Scheduling queries. The database, not these functions, guarantees that no chair, clinician
//! or patient is booked twice (exclusion constraints in migration 0011).

use sqlx::PgExecutor;
use sqlx::postgres::types::PgRange;
use time::{OffsetDateTime, Time};

use super::model::{AppointmentKind, AppointmentStatus, Busy, InfusionProgress};

use crate::database::mapping::pg_enum;

pg_enum!(AppointmentKind, "appointment_kind", {
    Consultation => "consultation",
    Infusion => "infusion",
    FollowUp => "follow_up",
});

pg_enum!(AppointmentStatus, "appointment_status", {
    Booked => "booked",
    CheckedIn => "checked_in",
    Completed => "completed",
    Cancelled => "cancelled",
    NoShow => "no_show",
});

fn range(from: OffsetDateTime, until: OffsetDateTime) -> PgRange<OffsetDateTime> {
    PgRange::from(from..until)
}

#[derive(Clone, Debug)]
pub struct Chair {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

pub async fn chairs(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Chair>> {
    sqlx::query_as!(
        Chair,
        "SELECT id, name, active FROM chairs ORDER BY active DESC, name LIMIT 500"
    )
    .fetch_all(db)
    .await
}

pub async fn add_chair(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!("INSERT INTO chairs (name) VALUES ($1) RETURNING id", name)
        .fetch_one(db)
        .await
}

pub async fn set_chair_active(
    db: impl PgExecutor<'_>,
    id: i64,
    active: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!("UPDATE chairs SET active = $2 WHERE id = $1", id, active)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Clone, Debug)]
pub struct Clinician {
    pub id: i64,
    pub display_name: String,
}

/// Active clinicians, by name.
pub async fn clinicians(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Clinician>> {
    sqlx::query_as!(
        Clinician,
        "SELECT id, display_name FROM users
         WHERE role = 'clinician' AND status = 'active'
         ORDER BY display_name, id LIMIT 500"
    )
    .fetch_all(db)
    .await
}

#[derive(Clone, Debug)]
pub struct HoursRow {
    pub id: i64,
    pub clinician_id: i64,
    pub weekday: i16,
    pub starts: Time,
    pub ends: Time,
}

pub async fn working_hours(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<HoursRow>> {
    sqlx::query_as!(
        HoursRow,
        "SELECT h.id, h.clinician_id, h.weekday, h.starts, h.ends
         FROM clinician_hours h JOIN users u ON u.id = h.clinician_id
         WHERE u.status = 'active'
         ORDER BY h.clinician_id, h.weekday, h.starts"
    )
    .fetch_all(db)
    .await
}

pub async fn add_hours(
    db: impl PgExecutor<'_>,
    clinician_id: i64,
    weekday: i16,
    starts: Time,
    ends: Time,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO clinician_hours (clinician_id, weekday, starts, ends)
         SELECT id, $2, $3, $4 FROM users WHERE id = $1 AND role = 'clinician'
         RETURNING id",
        clinician_id,
        weekday,
        starts,
        ends
    )
    .fetch_one(db)
    .await
}

pub async fn remove_hours(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!("DELETE FROM clinician_hours WHERE id = $1", id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Clone, Debug)]
pub struct TimeOffRow {
    pub id: i64,
    pub clinician_id: i64,
    pub display_name: String,
    pub from: OffsetDateTime,
    pub until: OffsetDateTime,
    pub reason: String,
}

/// Time off that has not ended yet, soonest first.
pub async fn upcoming_time_off(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<TimeOffRow>> {
    sqlx::query_as!(
        TimeOffRow,
        r#"SELECT t.id, t.clinician_id, u.display_name, lower(t.during) AS "from!",
                  upper(t.during) AS "until!", t.reason
           FROM time_off t JOIN users u ON u.id = t.clinician_id
           WHERE upper(t.during) > now()
           ORDER BY lower(t.during) LIMIT 200"#
    )
    .fetch_all(db)
    .await
}

pub async fn add_time_off(
    db: impl PgExecutor<'_>,
    clinician_id: i64,
    from: OffsetDateTime,
    until: OffsetDateTime,
    reason: &str,
    by: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO time_off (clinician_id, during, reason, created_by)
         SELECT id, $2, $3, $4 FROM users WHERE id = $1 AND role = 'clinician'
         RETURNING id",
        clinician_id,
        range(from, until),
        reason,
        by
    )
    .fetch_one(db)
    .await
}

pub async fn remove_time_off(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!("DELETE FROM time_off WHERE id = $1", id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A busy stretch: a booking (of its clinician and its chair, if any) or time off.
#[derive(Clone, Debug)]
pub struct BusyRow {
    pub clinician_id: Option<i64>,
    pub chair_id: Option<i64>,
    pub from: OffsetDateTime,
    pub until: OffsetDateTime,
}

impl BusyRow {
    pub fn busy(&self) -> Busy {
        Busy {
            from: self.from,
            until: self.until,
        }
    }
}

/// Who is busy when around a stretch: each clinician's and each chair's bookings, and the
/// clinicians' time off. The bookings come from the covering index alone.
/// Moves on with every committed change to appointments, time off or a patient's name.
pub async fn schedule_version(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!("SELECT version FROM schedule_version")
        .fetch_one(db)
        .await
}

pub async fn busy_between(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> sqlx::Result<Vec<BusyRow>> {
    sqlx::query_as!(
        BusyRow,
        r#"SELECT clinician_id AS "clinician_id?", chair_id, starts_at AS "from!",
                  ends_at AS "until!"
           FROM appointments
           WHERE starts_at >= $1::timestamptz - interval '1 day' AND starts_at < $2
             AND ends_at > $1 AND status IN ('booked', 'checked_in', 'completed')
           UNION ALL
           SELECT clinician_id, NULL, lower(during), upper(during)
           FROM time_off WHERE during && tstzrange($1, $2)"#,
        from,
        until
    )
    .fetch_all(db)
    .await
}

/// An appointment to make.
pub struct NewAppointment<'a> {
    pub patient_id: i64,
    pub kind: AppointmentKind,
    pub clinician_id: i64,
    pub chair_id: Option<i64>,
    pub from: OffsetDateTime,
    pub until: OffsetDateTime,
    pub gate_override: Option<&'a str>,
    pub booked_by: i64,
}

/// Inserts the appointment and its first history entry. A clash is refused by PostgreSQL
/// (SQLSTATE 23P01 on one of the `appointments_*_free` constraints).
pub async fn book(tx: &mut sqlx::PgConnection, new: &NewAppointment<'_>) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during,
                                   gate_override, booked_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        new.patient_id,
        new.kind as AppointmentKind,
        new.clinician_id,
        new.chair_id,
        range(new.from, new.until),
        new.gate_override,
        new.booked_by
    )
    .fetch_one(&mut *tx)
    .await?;
    record_change(&mut *tx, id, "booked", new.booked_by, None).await?;
    Ok(id)
}

async fn record_change(
    db: impl PgExecutor<'_>,
    appointment_id: i64,
    change: &str,
    by: i64,
    note: Option<&str>,
) -> sqlx::Result<()> {
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

/// Whether an error is a double booking refused by the database.
pub fn is_clash(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("23P01"))
}

/// One appointment, with names for showing it.
#[derive(Clone, Debug)]
pub struct AppointmentRow {
    pub id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub kind: AppointmentKind,
    pub clinician_id: i64,
    pub clinician_name: String,
    pub chair_id: Option<i64>,
    pub chair_name: Option<String>,
    pub from: OffsetDateTime,
    pub until: OffsetDateTime,
    pub status: AppointmentStatus,
    pub late_cancellation: bool,
}

pub async fn appointment(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<AppointmentRow>> {
    sqlx::query_as!(
        AppointmentRow,
        r#"SELECT a.id, a.patient_id, p.legal_name AS patient_name, a.kind AS "kind: AppointmentKind",
                  a.clinician_id, u.display_name AS clinician_name, a.chair_id,
                  c.name AS "chair_name?", a.starts_at AS "from", a.ends_at AS "until",
                  a.status AS "status: AppointmentStatus", a.late_cancellation
           FROM appointments a
           JOIN patients p ON p.id = a.patient_id
           JOIN users u ON u.id = a.clinician_id
           LEFT JOIN chairs c ON c.id = a.chair_id
           WHERE a.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// An appointment in the day and week views; clinician and chair names come from the lists
/// the page already holds.
#[derive(Clone, Debug)]
pub struct ScheduleRow {
    pub id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub kind: AppointmentKind,
    pub clinician_id: i64,
    pub chair_id: Option<i64>,
    pub from: OffsetDateTime,
    pub until: OffsetDateTime,
    pub status: AppointmentStatus,
    /// The flowsheet's milestones as bits (1 started, 2 ended, 4 signed); none without one.
    pub progress: Option<i32>,
}

impl ScheduleRow {
    pub fn infusion(&self) -> InfusionProgress {
        let bits = self.progress.unwrap_or(0);
        InfusionProgress {
            started: bits & 1 != 0,
            ended: bits & 2 != 0,
            signed: bits & 4 != 0,
        }
    }
}

/// Which appointments a schedule shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Showing {
    /// Those holding their time (the week).
    Live,
    /// Cancelled and no-show ones too, and how far each flowsheet has gone (the chair board).
    All,
}

/// Appointments overlapping a stretch, by start. The patient's name and the flowsheet's
/// progress come from one lookup each per row: a join would be planned for far more rows
/// than a day holds.
pub async fn appointments_between(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    until: OffsetDateTime,
    showing: Showing,
) -> sqlx::Result<Vec<ScheduleRow>> {
    match showing {
        Showing::Live => {
            sqlx::query_as!(
                ScheduleRow,
                r#"SELECT a.id, a.patient_id,
                          (SELECT legal_name FROM patients WHERE id = a.patient_id) AS "patient_name!",
                          a.kind AS "kind: AppointmentKind", a.clinician_id, a.chair_id,
                          a.starts_at AS "from", a.ends_at AS "until",
                          a.status AS "status: AppointmentStatus",
                          NULL::int AS "progress?"
                   FROM appointments a
                   WHERE a.starts_at >= $1::timestamptz - interval '1 day' AND a.starts_at < $2
                     AND a.ends_at > $1 AND a.status IN ('booked', 'checked_in', 'completed')
                   ORDER BY a.starts_at, a.id
                   LIMIT 2000"#,
                from,
                until
            )
            .fetch_all(db)
            .await
        }
        Showing::All => {
            sqlx::query_as!(
                ScheduleRow,
                r#"SELECT a.id, a.patient_id,
                          (SELECT legal_name FROM patients WHERE id = a.patient_id) AS "patient_name!",
                          a.kind AS "kind: AppointmentKind", a.clinician_id, a.chair_id,
                          a.starts_at AS "from", a.ends_at AS "until",
                          a.status AS "status: AppointmentStatus",
                          (SELECT (r.started_at IS NOT NULL)::int + 2 * (r.ended_at IS NOT NULL)::int
                                  + 4 * (r.signed_at IS NOT NULL)::int
                           FROM infusion_records r WHERE r.appointment_id = a.id) AS "progress?"
                   FROM appointments a
                   WHERE a.starts_at >= $1::timestamptz - interval '1 day' AND a.starts_at < $2
                     AND a.ends_at > $1
                   ORDER BY a.starts_at, a.id
                   LIMIT 2000"#,
                from,
                until
            )
            .fetch_all(db)
            .await
        }
    }
}

/// A patient's appointments, newest first (cancelled ones too: their history).
pub async fn appointments_of_patient(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Vec<AppointmentRow>> {
    sqlx::query_as!(
        AppointmentRow,
        r#"SELECT a.id, a.patient_id, p.legal_name AS patient_name, a.kind AS "kind: AppointmentKind",
                  a.clinician_id, u.display_name AS clinician_name, a.chair_id,
                  c.name AS "chair_name?", a.starts_at AS "from", a.ends_at AS "until",
                  a.status AS "status: AppointmentStatus", a.late_cancellation
           FROM appointments a
           JOIN patients p ON p.id = a.patient_id
           JOIN users u ON u.id = a.clinician_id
           LEFT JOIN chairs c ON c.id = a.chair_id
           WHERE a.patient_id = $1
           ORDER BY a.starts_at DESC
           LIMIT 200"#,
        patient_id
    )
    .fetch_all(db)
    .await
}

/// Starts of the patient's live infusions within 30 days either side of `around`, other
/// than `except` (the one being moved).
pub async fn infusions_near(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    around: OffsetDateTime,
    except: Option<i64>,
) -> sqlx::Result<Vec<OffsetDateTime>> {
    let rows = sqlx::query_scalar!(
        r#"SELECT starts_at FROM appointments
           WHERE patient_id = $1 AND kind = 'infusion'
             AND status IN ('booked', 'checked_in', 'completed')
             AND starts_at BETWEEN $2::timestamptz - interval '30 days'
                                   AND $2::timestamptz + interval '30 days'
             AND id <> coalesce($3::bigint, 0)"#,
        patient_id,
        around,
        except
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Ends a live appointment as cancelled or a no-show; false if it was not live.
pub async fn close(
    tx: &mut sqlx::PgConnection,
    id: i64,
    status: AppointmentStatus,
    late: bool,
    by: i64,
    note: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE appointments SET status = $2, late_cancellation = $3, updated_at = now()
         WHERE id = $1 AND status IN ('booked', 'checked_in')",
        id,
        status as AppointmentStatus,
        late
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let change = match status {
        AppointmentStatus::NoShow => "no_show",
        AppointmentStatus::CheckedIn => "checked_in",
        AppointmentStatus::Completed => "completed",
        _ => "cancelled",
    };
    record_change(&mut *tx, id, change, by, note).await?;
    drop_unsent_reminders(&mut *tx, id).await?;
    Ok(true)
}

pub async fn check_in(tx: &mut sqlx::PgConnection, id: i64, by: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE appointments SET status = 'checked_in', updated_at = now()
         WHERE id = $1 AND status = 'booked'",
        id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    record_change(&mut *tx, id, "checked_in", by, None).await?;
    drop_unsent_reminders(&mut *tx, id).await?;
    Ok(true)
}

/// Moves a booked appointment; a clash is refused by the database as for a booking.
pub async fn reschedule(
    tx: &mut sqlx::PgConnection,
    id: i64,
    clinician_id: i64,
    chair_id: Option<i64>,
    from: OffsetDateTime,
    until: OffsetDateTime,
    by: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE appointments SET clinician_id = $2, chair_id = $3, during = $4, updated_at = now()
         WHERE id = $1 AND status = 'booked'",
        id,
        clinician_id,
        chair_id,
        range(from, until)
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    record_change(&mut *tx, id, "rescheduled", by, None).await?;
    drop_unsent_reminders(&mut *tx, id).await?;
    Ok(true)
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

/// Queues the reminder for an appointment, due at `send_at`, to the patient's login email.
pub async fn queue_reminder(
    db: impl PgExecutor<'_>,
    appointment_id: i64,
    subject: &str,
    body: &str,
    send_at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO outbox (kind, recipient, subject, body, next_attempt_at, appointment_id)
         SELECT 'appointment_reminder', u.email, $2, $3, $4, a.id
         FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN users u ON u.id = p.user_id
         WHERE a.id = $1",
        appointment_id,
        subject,
        body,
        send_at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Which role may see whose appointments is decided by the pages; this names the patient of
/// a user, for patient-side pages.
pub async fn patient_of_user(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("SELECT id FROM patients WHERE user_id = $1", user_id)
        .fetch_optional(db)
        .await
}

#[derive(Clone, Debug)]
pub struct ChangeRow {
    pub at: OffsetDateTime,
    pub change: String,
    pub by_name: String,
}

/// What happened to an appointment, oldest first.
pub async fn history(db: impl PgExecutor<'_>, appointment_id: i64) -> sqlx::Result<Vec<ChangeRow>> {
    sqlx::query_as!(
        ChangeRow,
        "SELECT c.at, c.change, u.display_name AS by_name
         FROM appointment_changes c JOIN users u ON u.id = c.by_user
         WHERE c.appointment_id = $1 ORDER BY c.id LIMIT 200",
        appointment_id
    )
    .fetch_all(db)
    .await
}

pub async fn has_calendar_feed(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL) AS "exists!""#,
        user_id
    )
    .fetch_one(db)
    .await?;
    Ok(found)
}

/// Revokes the user's calendar feed address, if any: after a password reset or change (a
/// feed address may have leaked with the password) and when the account is disabled.
pub async fn revoke_calendar_feeds(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE calendar_feeds SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Revokes the user's feed address, if any, and stores the new one's hash.
pub async fn replace_calendar_feed(
    tx: &mut sqlx::PgConnection,
    user_id: i64,
    token_hash: &[u8],
) -> sqlx::Result<()> {
    revoke_calendar_feeds(&mut *tx, user_id).await?;
    sqlx::query!(
        "INSERT INTO calendar_feeds (token_hash, user_id) VALUES ($1, $2)",
        token_hash,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct FeedOwner {
    pub user_id: i64,
    pub role: crate::auth::model::Role,
    pub display_name: String,
    pub email: String,
}

pub async fn calendar_feed_owner(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<FeedOwner>> {
    sqlx::query_as!(
        FeedOwner,
        r#"SELECT u.id AS user_id, u.role AS "role: crate::auth::model::Role", u.display_name, u.email
           FROM calendar_feeds f JOIN users u ON u.id = f.user_id
           WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND u.status = 'active'"#,
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// A clinician's appointments from a month ago on, for their feed.
pub async fn feed_of_clinician(
    db: impl PgExecutor<'_>,
    clinician_id: i64,
) -> sqlx::Result<Vec<AppointmentRow>> {
    sqlx::query_as!(
        AppointmentRow,
        r#"SELECT a.id, a.patient_id, p.legal_name AS patient_name, a.kind AS "kind: AppointmentKind",
                  a.clinician_id, u.display_name AS clinician_name, a.chair_id,
                  c.name AS "chair_name?", a.starts_at AS "from", a.ends_at AS "until",
                  a.status AS "status: AppointmentStatus", a.late_cancellation
           FROM appointments a
           JOIN patients p ON p.id = a.patient_id
           JOIN users u ON u.id = a.clinician_id
           LEFT JOIN chairs c ON c.id = a.chair_id
           WHERE a.clinician_id = $1 AND a.starts_at > now() - interval '30 days'
           ORDER BY a.starts_at
           LIMIT 2000"#,
        clinician_id
    )
    .fetch_all(db)
    .await
}
