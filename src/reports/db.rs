//! The reports' queries: aggregates over a range of instants, each one pass over an index
//! (migrations/0015_reports.sql), and the few rows of one patient's summary that the other
//! features do not already read.

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use super::model::{CourseOutcome, InfusionGroup, OUTCOME_AFTER_INFUSION};
use crate::patients::model::SexAtBirth;

/// Signed infusions that started in [from, until), summed per period (`bounds` holds each
/// period's first instant, in order) and protocol.
pub async fn infusion_groups(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    until: OffsetDateTime,
    bounds: &[OffsetDateTime],
) -> sqlx::Result<Vec<InfusionGroup>> {
    sqlx::query_as!(
        InfusionGroup,
        r#"SELECT width_bucket(started_at, $3::timestamptz[]) AS "period!", protocol_id,
                  count(*) AS "infusions!",
                  coalesce(sum(coalesce(given_mg, dose_mg)), 0) AS "sum_mg!",
                  coalesce(sum(mg_per_kg * coalesce(given_mg / nullif(dose_mg, 0), 1)), 0)
                      AS "sum_mg_per_kg!",
                  count(mg_per_kg) AS "with_mg_per_kg!"
           FROM infusion_records
           WHERE signed_at IS NOT NULL AND started_at >= $1 AND started_at < $2
           GROUP BY 1, 2"#,
        from,
        until,
        bounds
    )
    .fetch_all(db)
    .await
}

/// In how many signed infusions that started in [from, until) each side effect came up.
pub async fn side_effect_counts(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT e.side_effect AS "side_effect!", count(DISTINCT e.record_id) AS "infusions!"
           FROM infusion_records r
           JOIN infusion_events e ON e.record_id = r.id AND e.kind = 'side_effect'
           WHERE r.signed_at IS NOT NULL AND r.started_at >= $1 AND r.started_at < $2
           GROUP BY e.side_effect"#,
        from,
        until
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.side_effect, r.infusions))
        .collect())
}

/// Appointments starting in [from, until): live or kept, no-shows, late cancellations.
#[derive(Clone, Copy, Debug)]
pub struct AppointmentCounts {
    pub kept: i64,
    pub no_shows: i64,
    pub late_cancellations: i64,
}

pub async fn appointment_counts(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> sqlx::Result<AppointmentCounts> {
    // Each count reads a partial index of its own, without the table.
    sqlx::query_as!(
        AppointmentCounts,
        r#"SELECT
               (SELECT count(*) FROM appointments
                WHERE starts_at >= $1 AND starts_at < $2
                  AND status IN ('booked', 'checked_in', 'completed')) AS "kept!",
               missed.no_shows AS "no_shows!", missed.late AS "late_cancellations!"
           FROM (SELECT count(*) FILTER (WHERE status = 'no_show') AS no_shows,
                        count(*) FILTER (WHERE status = 'cancelled') AS late
                 FROM appointments
                 WHERE starts_at >= $1 AND starts_at < $2
                   AND (status = 'no_show' OR (status = 'cancelled' AND late_cancellation))
                ) AS missed"#,
        from,
        until
    )
    .fetch_one(db)
    .await
}

/// The patients whose 6th signed infusion started in [from, until), with their baseline PHQ-9
/// (the first recorded before their first signed infusion started) and the first PHQ-9
/// recorded after the 6th started. Only patients with a signed infusion in the range can
/// qualify, so only their courses are looked at: the first six entries of each in one index,
/// and their two scores in another.
pub async fn course_outcomes(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> sqlx::Result<Vec<CourseOutcome>> {
    sqlx::query_as!(
        CourseOutcome,
        r#"WITH seen AS (
               SELECT DISTINCT patient_id FROM infusion_records
               WHERE signed_at IS NOT NULL AND started_at >= $1 AND started_at < $2),
           course AS (
               SELECT s.patient_id, six.first_at, six.nth_at
               FROM seen s
               CROSS JOIN LATERAL (
                   SELECT min(started_at) AS first_at, max(started_at) AS nth_at,
                          count(*) AS infusions
                   FROM (SELECT started_at FROM infusion_records r
                         WHERE r.patient_id = s.patient_id AND r.signed_at IS NOT NULL
                         ORDER BY r.started_at LIMIT $3) AS first_ones) AS six
               WHERE six.infusions = $3 AND six.nth_at >= $1 AND six.nth_at < $2)
           SELECT (SELECT q.total FROM questionnaire_results q
                   WHERE q.patient_id = c.patient_id AND q.instrument = 'phq9'
                     AND q.total IS NOT NULL AND q.recorded_at < c.first_at
                   ORDER BY q.recorded_at LIMIT 1) AS baseline,
                  (SELECT q.total FROM questionnaire_results q
                   WHERE q.patient_id = c.patient_id AND q.instrument = 'phq9'
                     AND q.total IS NOT NULL AND q.recorded_at > c.nth_at
                   ORDER BY q.recorded_at LIMIT 1) AS after_sixth
           FROM course c"#,
        from,
        until,
        OUTCOME_AFTER_INFUSION
    )
    .fetch_all(db)
    .await
}

/// Who the patient is and how to reach them, for the printable summary.
#[derive(Clone, Debug)]
pub struct SummaryPatient {
    pub id: i64,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub sex_at_birth: Option<SexAtBirth>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
}

pub async fn summary_patient(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Option<SummaryPatient>> {
    sqlx::query_as!(
        SummaryPatient,
        r#"SELECT p.id, p.legal_name, p.preferred_name, p.date_of_birth,
                  p.sex_at_birth AS "sex_at_birth: SexAtBirth", u.email AS "email?", p.phone,
                  p.address, p.emergency_contact_name, p.emergency_contact_phone,
                  p.weight_kg::float8 AS weight_kg, p.height_cm::float8 AS height_cm
           FROM patients p LEFT JOIN users u ON u.id = p.user_id
           WHERE p.id = $1"#,
        patient_id
    )
    .fetch_optional(db)
    .await
}

/// The latest scored result of an instrument, with its band.
#[derive(Clone, Debug)]
pub struct LatestScore {
    pub instrument: String,
    pub total: Option<i16>,
    pub band: Option<String>,
    pub recorded_at: OffsetDateTime,
}

/// The latest PHQ-9, GAD-7 and C-SSRS screener with a band (one index lookup each).
pub async fn latest_scores(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Vec<LatestScore>> {
    sqlx::query_as!(
        LatestScore,
        r#"SELECT i.instrument AS "instrument!", q.total, q.band, q.recorded_at
           FROM unnest(ARRAY['phq9', 'gad7', 'cssrs']) AS i (instrument)
           CROSS JOIN LATERAL (
               SELECT total, band, recorded_at FROM questionnaire_results
               WHERE patient_id = $1 AND instrument = i.instrument AND band IS NOT NULL
               ORDER BY recorded_at DESC LIMIT 1) AS q"#,
        patient_id
    )
    .fetch_all(db)
    .await
}
