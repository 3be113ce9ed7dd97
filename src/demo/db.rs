//! The demo's own queries: its mark on the database, and the few writes the app makes only
//! at "now" that a past infusion needs at its own time (the flowsheet's moments, pre-session
//! scores). Everything else the demo writes goes through the features' own db functions.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::flowsheet::model::{Event, Vitals};

/// Takes the demo's lock (two starts at once load once) and says whether the demo made this
/// database.
pub async fn lock_mark(tx: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query!("LOCK TABLE demo_clinic IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM demo_clinic) AS "made!""#)
        .fetch_one(&mut *tx)
        .await
}

pub async fn set_mark(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!("INSERT INTO demo_clinic DEFAULT VALUES ON CONFLICT DO NOTHING")
        .execute(db)
        .await?;
    Ok(())
}

/// Accounts whose address is not a demo address: a real clinic's people.
pub async fn accounts_outside(db: impl PgExecutor<'_>, domain: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users WHERE right(email, length($1)) <> $1"#,
        domain
    )
    .fetch_one(db)
    .await
}

/// A past infusion's record up to its end (or still running when `ended` is none).
pub struct PastRecord {
    pub appointment_id: i64,
    pub patient_id: i64,
    pub clinician: i64,
    pub checked_in: OffsetDateTime,
    pub weight_kg: f64,
    pub protocol_id: i64,
    pub mg_per_kg: f64,
    pub dose_mg: f64,
    pub route: &'static str,
    pub minutes: i32,
    pub lot_number: String,
    pub ordered: OffsetDateTime,
    pub started: OffsetDateTime,
}

pub async fn past_record(db: impl PgExecutor<'_>, record: &PastRecord) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO infusion_records
             (appointment_id, patient_id, opened_by, opened_at, checked_in_by, checked_in_at,
              fasting_confirmed, escort_confirmed, pregnancy_test, weight_kg, protocol_id,
              mg_per_kg, dose_mg, route, minutes, lot_number, ordered_by, ordered_at,
              started_at)
         VALUES ($1, $2, $3, $4, $3, $4, true, true, 'not_applicable', $5, $6, $7, $8,
                 $9::text::dose_route, $10, $11, $3, $12, $13)
         RETURNING id",
        record.appointment_id,
        record.patient_id,
        record.clinician,
        record.checked_in,
        record.weight_kg,
        record.protocol_id,
        record.mg_per_kg,
        record.dose_mg,
        record.route,
        record.minutes,
        record.lot_number,
        record.ordered,
        record.started,
    )
    .fetch_one(db)
    .await
}

pub async fn past_reading(
    db: impl PgExecutor<'_>,
    record_id: i64,
    at: OffsetDateTime,
    phase: &str,
    vitals: &Vitals,
    clinician: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO vitals_readings (record_id, taken_at, phase, systolic, diastolic,
                                      heart_rate, spo2, resp_rate, recorded_by)
         VALUES ($1, $2, $3::text::vitals_phase, $4, $5, $6, $7, $8, $9)",
        record_id,
        at,
        phase,
        vitals.systolic,
        vitals.diastolic,
        vitals.heart_rate,
        vitals.spo2,
        vitals.resp_rate,
        clinician
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A MOAA/S or CADSS score, or a side effect, at its time.
pub async fn past_event(
    db: impl PgExecutor<'_>,
    record_id: i64,
    at: OffsetDateTime,
    event: &Event,
    clinician: i64,
) -> sqlx::Result<()> {
    let (kind, effect, severity, moaas, cadss) = match event {
        Event::SideEffect {
            effect, severity, ..
        } => (
            "side_effect",
            Some(effect.code()),
            Some(severity.code()),
            None,
            None,
        ),
        Event::Moaas { score, .. } => ("moaas", None, None, Some(*score), None),
        Event::Cadss { total, .. } => ("cadss", None, None, None, Some(*total)),
    };
    sqlx::query!(
        "INSERT INTO infusion_events (record_id, at, kind, side_effect, severity, moaas,
                                      cadss_total, recorded_by)
         VALUES ($1, $2, $3, $4, $5::text::event_severity, $6, $7, $8)",
        record_id,
        at,
        kind,
        effect,
        severity,
        moaas,
        cadss,
        clinician
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Signs a past discharge at its time, escort present and no driving acknowledged.
pub async fn sign_past(
    db: impl PgExecutor<'_>,
    record_id: i64,
    at: OffsetDateTime,
    clinician: i64,
    name: &str,
    meaning: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE infusion_records SET escort_present = true, no_driving_acknowledged = true,
                signed_by = $3, signed_name = $4, signature_meaning = $5, signed_at = $2
         WHERE id = $1 AND ended_at IS NOT NULL AND signed_at IS NULL",
        record_id,
        at,
        clinician,
        name,
        meaning
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Puts an infusion's pre-session questionnaires at the time they were taken.
pub async fn date_pre_session(
    db: impl PgExecutor<'_>,
    appointment_id: i64,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE questionnaire_results SET recorded_at = $2
         WHERE appointment_id = $1 AND context = 'session'",
        appointment_id,
        at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Demo addresses count as confirmed: nobody reads their mail.
pub async fn confirm_email(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}
