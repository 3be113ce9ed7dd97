//! Queries of each patient's course: scores over time, infusions and milligrams, side
//! effects, sessions, the pre-session measures and the follow-up questionnaire.

use sqlx::PgExecutor;
use time::OffsetDateTime;

/// A scored questionnaire total on the patient's timeline.
#[derive(Clone, Debug)]
pub struct ScoreRow {
    pub instrument: String,
    pub total: i16,
    pub recorded_at: OffsetDateTime,
}

/// PHQ-9 and GAD-7 totals, oldest first (a course of years stays well under the limit).
pub async fn scores(db: impl PgExecutor<'_>, patient_id: i64) -> sqlx::Result<Vec<ScoreRow>> {
    sqlx::query_as!(
        ScoreRow,
        r#"SELECT instrument, total AS "total!", recorded_at
           FROM questionnaire_results
           WHERE patient_id = $1 AND instrument IN ('phq9', 'gad7') AND total IS NOT NULL
           ORDER BY recorded_at, id
           LIMIT 5000"#,
        patient_id
    )
    .fetch_all(db)
    .await
}

/// The course in numbers: infusions given, their milligrams, and the follow-up's clock.
#[derive(Clone, Debug)]
pub struct CourseTotals {
    pub infusions: i64,
    pub total_mg: f64,
    pub last_30_days: i64,
    pub first_infusion: Option<OffsetDateTime>,
    pub last_infusion: Option<OffsetDateTime>,
    pub last_follow_up: Option<OffsetDateTime>,
    pub since_follow_up: i64,
    /// When the infusions of the 30 days before the reading started: the count above, kept
    /// current from memory as the days pass.
    pub recent_starts: Vec<OffsetDateTime>,
    /// Infusions that ended with less given than ordered.
    pub reduced: i64,
    /// Of each ended infusion: how long it ran (seconds) and the minutes ordered, pairwise.
    pub run_seconds: Vec<i64>,
    pub run_minutes: Vec<i32>,
}

pub async fn course_totals(db: impl PgExecutor<'_>, patient_id: i64) -> sqlx::Result<CourseTotals> {
    sqlx::query_as!(
        CourseTotals,
        r#"WITH given AS (
               SELECT started_at, ended_at, minutes, coalesce(given_mg, dose_mg) AS dose_mg,
                      given_mg < dose_mg AS reduced
               FROM infusion_records
               WHERE patient_id = $1 AND started_at IS NOT NULL),
           follow_up AS (
               SELECT max(recorded_at) AS at FROM questionnaire_results
               WHERE patient_id = $1 AND instrument = 'follow_up')
           SELECT count(*) AS "infusions!", coalesce(sum(dose_mg), 0) AS "total_mg!",
                  count(*) FILTER (WHERE started_at > now() - interval '30 days') AS "last_30_days!",
                  min(started_at) AS first_infusion, max(started_at) AS last_infusion,
                  (SELECT at FROM follow_up) AS last_follow_up,
                  count(*) FILTER (WHERE started_at > coalesce((SELECT at FROM follow_up), '-infinity'))
                      AS "since_follow_up!",
                  coalesce(array_agg(started_at) FILTER (WHERE started_at > now() - interval '30 days'),
                           '{}') AS "recent_starts!",
                  count(*) FILTER (WHERE reduced) AS "reduced!",
                  coalesce(array_agg(extract(epoch FROM ended_at - started_at)::bigint ORDER BY started_at)
                               FILTER (WHERE ended_at IS NOT NULL AND minutes IS NOT NULL), '{}')
                      AS "run_seconds!",
                  coalesce(array_agg(minutes ORDER BY started_at)
                               FILTER (WHERE ended_at IS NOT NULL AND minutes IS NOT NULL), '{}')
                      AS "run_minutes!"
           FROM given"#,
        patient_id
    )
    .fetch_one(db)
    .await
}

/// How often each side effect came up: in how many sessions.
#[derive(Clone, Debug)]
pub struct SideEffectCount {
    pub side_effect: String,
    pub sessions: i64,
}

pub async fn side_effect_counts(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Vec<SideEffectCount>> {
    sqlx::query_as!(
        SideEffectCount,
        r#"SELECT e.side_effect AS "side_effect!", count(DISTINCT e.record_id) AS "sessions!"
           FROM infusion_events e JOIN infusion_records r ON r.id = e.record_id
           WHERE r.patient_id = $1 AND e.kind = 'side_effect'
           GROUP BY e.side_effect ORDER BY 2 DESC, 1"#,
        patient_id
    )
    .fetch_all(db)
    .await
}

/// One infusion in the patient's list of sessions.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub appointment_id: i64,
    pub starts_at: OffsetDateTime,
    pub dose_mg: Option<f64>,
    pub route: Option<String>,
    pub started_at: Option<OffsetDateTime>,
    pub signed_at: Option<OffsetDateTime>,
}

/// The patient's infusions with a record, newest first, a page at a time (before a start time).
pub async fn sessions(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    before: Option<OffsetDateTime>,
    limit: i64,
) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as!(
        SessionRow,
        r#"SELECT r.appointment_id, a.starts_at, coalesce(r.given_mg, r.dose_mg) AS dose_mg,
                  r.route::text AS route, r.started_at,
                  r.signed_at
           FROM infusion_records r JOIN appointments a ON a.id = r.appointment_id
           WHERE r.patient_id = $1 AND a.starts_at < coalesce($2::timestamptz, 'infinity')
           ORDER BY a.starts_at DESC
           LIMIT $3"#,
        patient_id,
        before,
        limit
    )
    .fetch_all(db)
    .await
}

/// One instrument taken before an infusion; false when it was already taken for it.
pub struct PreSessionResult<'a> {
    pub instrument: &'a str,
    pub version: &'a str,
    pub answers: &'a [Option<i16>],
    pub total: i16,
    pub band: &'a str,
}

pub async fn record_pre_session(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    appointment_id: i64,
    result: &PreSessionResult<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, band,
                                            context, appointment_id)
         VALUES ($1, $2, $3, $4, $5, $6, 'session', $7)
         ON CONFLICT (appointment_id, instrument) WHERE appointment_id IS NOT NULL DO NOTHING",
        patient_id,
        result.instrument,
        result.version,
        sqlx::types::Json(result.answers) as _,
        result.total,
        result.band,
        appointment_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The patient's own infusion that may take pre-session questionnaires now: booked or
/// checked in, starting within the next three days (or started today).
pub async fn own_upcoming_infusion(
    db: impl PgExecutor<'_>,
    user_id: i64,
    appointment_id: i64,
) -> sqlx::Result<Option<(i64, OffsetDateTime)>> {
    let row = sqlx::query!(
        "SELECT a.patient_id, a.starts_at FROM appointments a
         JOIN patients p ON p.id = a.patient_id
         WHERE a.id = $2 AND p.user_id = $1 AND a.kind = 'infusion'
           AND a.status IN ('booked', 'checked_in')
           AND a.starts_at BETWEEN now() - interval '12 hours' AND now() + interval '3 days'",
        user_id,
        appointment_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.patient_id, r.starts_at)))
}

/// Records a follow-up questionnaire (band: "review" or "routine").
/// Records a follow-up questionnaire; its id.
pub async fn record_follow_up(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    result: &PreSessionResult<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, band,
                                            context)
         VALUES ($1, $2, $3, $4, $5, $6, 'follow_up')
         RETURNING id",
        patient_id,
        result.instrument,
        result.version,
        sqlx::types::Json(result.answers) as _,
        result.total,
        result.band
    )
    .fetch_one(db)
    .await
}

/// The latest follow-up questionnaire: when, its answers and whether it needs review.
#[derive(Clone, Debug)]
pub struct FollowUpRow {
    pub recorded_at: OffsetDateTime,
    pub answers: sqlx::types::Json<Vec<Option<i16>>>,
    pub band: Option<String>,
}

pub async fn latest_follow_up(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Option<FollowUpRow>> {
    sqlx::query_as!(
        FollowUpRow,
        r#"SELECT recorded_at, answers AS "answers: sqlx::types::Json<Vec<Option<i16>>>", band
           FROM questionnaire_results
           WHERE patient_id = $1 AND instrument = 'follow_up'
           ORDER BY recorded_at DESC LIMIT 1"#,
        patient_id
    )
    .fetch_optional(db)
    .await
}
