//! Screening queries. Patient-side queries always take the patient id from the session;
//! front-desk queries select status columns only, never answers, scores or notes.

use sqlx::PgExecutor;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};

use super::model::{Decision, DraftAnswers, ValidDecision};
use super::rules::{Flag, IntakeAnswers};
use crate::consent::model::ConsentFacts;
use crate::core::Role;

use crate::database::mapping::pg_enum;

pg_enum!(Decision, "eligibility", {
    Eligible => "eligible",
    NotEligible => "not_eligible",
    NeedsInformation => "needs_information",
});

#[derive(Clone, Debug)]
pub struct ScreeningRow {
    pub id: i64,
    pub patient_id: i64,
    pub status: String,
    pub intake: Json<IntakeAnswers>,
    pub draft_answers: Json<DraftAnswers>,
    pub flags: Json<Vec<Flag>>,
    pub urgent: bool,
    pub created_at: OffsetDateTime,
    pub submitted_at: Option<OffsetDateTime>,
}

/// A screening with its latest decision, as the patient may see it (no clinician note).
#[derive(Clone, Debug)]
pub struct ScreeningSummary {
    pub id: i64,
    pub status: String,
    pub urgent: bool,
    pub created_at: OffsetDateTime,
    pub submitted_at: Option<OffsetDateTime>,
    pub decision: Option<Decision>,
    pub patient_message: Option<String>,
    pub eligible_until: Option<Date>,
}

/// A patient's screenings, newest first; with `only`, just that one (if it is theirs).
pub async fn summaries_for_patient(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    only: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<ScreeningSummary>> {
    sqlx::query_as!(
        ScreeningSummary,
        r#"SELECT s.id, s.status::text AS "status!", s.urgent, s.created_at, s.submitted_at,
                  d.decision AS "decision?: Decision", d.patient_message AS "patient_message?",
                  d.eligible_until AS "eligible_until?"
           FROM screenings s
           LEFT JOIN LATERAL (
               SELECT decision, patient_message, eligible_until FROM screening_decisions
               WHERE screening_id = s.id ORDER BY id DESC LIMIT 1
           ) d ON true
           WHERE s.patient_id = $1 AND ($2::bigint IS NULL OR s.id = $2)
           ORDER BY s.id DESC
           LIMIT $3"#,
        patient_id,
        only,
        limit
    )
    .fetch_all(db)
    .await
}

/// The patient's draft, if any.
pub async fn draft_for_patient(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Option<ScreeningRow>> {
    screening_of_patient(db, patient_id, None).await
}

/// A patient's own screening (any status), or `None` if it is not theirs.
pub async fn own_screening(
    db: impl PgExecutor<'_>,
    screening_id: i64,
    patient_id: i64,
) -> sqlx::Result<Option<ScreeningRow>> {
    screening_of_patient(db, patient_id, Some(screening_id)).await
}

/// One of a patient's screenings: the one with this id, or without an id their draft.
async fn screening_of_patient(
    db: impl PgExecutor<'_>,
    patient_id: i64,
    screening_id: Option<i64>,
) -> sqlx::Result<Option<ScreeningRow>> {
    sqlx::query_as!(
        ScreeningRow,
        r#"SELECT id, patient_id, status::text AS "status!", intake AS "intake: Json<IntakeAnswers>",
                  draft_answers AS "draft_answers: Json<DraftAnswers>", flags AS "flags: Json<Vec<Flag>>",
                  urgent, created_at, submitted_at
           FROM screenings
           WHERE patient_id = $1 AND (id = $2 OR ($2 IS NULL AND status = 'draft'))"#,
        patient_id,
        screening_id
    )
    .fetch_optional(db)
    .await
}

/// What the patient's latest sent screening says of allergies and medicines.
#[derive(Clone, Debug)]
pub struct MedicinesRow {
    pub screening_id: i64,
    pub submitted_at: OffsetDateTime,
    /// The allergies question's free text, as typed.
    pub allergies: String,
    pub flags: Json<Vec<Flag>>,
}

/// The latest sent screening that holds intake answers. One without any (`{}`: a decision
/// recorded without the questionnaire) says nothing about allergies, so the one before it
/// speaks rather than "not recorded" hiding what the patient wrote.
pub async fn latest_medicines(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Option<MedicinesRow>> {
    sqlx::query_as!(
        MedicinesRow,
        r#"SELECT id AS screening_id, submitted_at AS "submitted_at!",
                  coalesce(intake ->> 'allergies', '') AS "allergies!",
                  flags AS "flags: Json<Vec<Flag>>"
           FROM screenings
           WHERE patient_id = $1 AND status <> 'draft' AND intake <> '{}'::jsonb
           ORDER BY submitted_at DESC, id DESC
           LIMIT 1"#,
        patient_id
    )
    .fetch_optional(db)
    .await
}

/// Starts a draft, pre-filled with the intake answers of the patient's last screening.
/// Returns `None` when a draft already exists (one draft per patient).
pub async fn start_draft(db: impl PgExecutor<'_>, patient_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "INSERT INTO screenings (patient_id, intake)
         SELECT $1, coalesce((SELECT intake FROM screenings WHERE patient_id = $1
                              ORDER BY id DESC LIMIT 1), '{}')
         ON CONFLICT (patient_id) WHERE status = 'draft' DO NOTHING
         RETURNING id",
        patient_id
    )
    .fetch_optional(db)
    .await
}

pub async fn save_draft(
    db: impl PgExecutor<'_>,
    screening_id: i64,
    patient_id: i64,
    intake: &IntakeAnswers,
    draft_answers: &DraftAnswers,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE screenings SET intake = $3, draft_answers = $4, updated_at = now()
         WHERE id = $1 AND patient_id = $2 AND status = 'draft'",
        screening_id,
        patient_id,
        Json(intake) as _,
        Json(draft_answers) as _,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A scored instrument as it is stored with a submitted screening.
pub struct NewResult<'a> {
    pub instrument: &'a str,
    pub version: &'a str,
    pub answers: Vec<Option<i16>>,
    pub total: Option<i16>,
    pub band: Option<&'a str>,
}

/// Freezes a draft as submitted with its flags and scored instruments, in one statement.
/// Returns false when the draft was no longer a draft (submitted from another tab).
pub async fn submit(
    db: impl PgExecutor<'_>,
    screening_id: i64,
    patient_id: i64,
    flags: &[Flag],
    urgent: bool,
    results: &[NewResult<'_>],
) -> sqlx::Result<bool> {
    let find = |code: &str| results.iter().find(|r| r.instrument == code);
    let (phq9, gad7) = (find("phq9"), find("gad7"));
    let instruments: Vec<&str> = results.iter().map(|r| r.instrument).collect();
    let versions: Vec<&str> = results.iter().map(|r| r.version).collect();
    let answers: Vec<Json<&[Option<i16>]>> =
        results.iter().map(|r| Json(r.answers.as_slice())).collect();
    let totals: Vec<Option<i16>> = results.iter().map(|r| r.total).collect();
    let bands: Vec<Option<&str>> = results.iter().map(|r| r.band).collect();
    let submitted = sqlx::query_scalar!(
        r#"WITH submitted AS (
               UPDATE screenings SET status = 'submitted', flags = $3, urgent = $4,
                      submitted_at = now(), updated_at = now(),
                      phq9_total = $5, phq9_band = $6, gad7_total = $7, gad7_band = $8
               WHERE id = $1 AND patient_id = $2 AND status = 'draft'
               RETURNING id, patient_id),
           results AS (
               INSERT INTO questionnaire_results
                   (patient_id, instrument, version, answers, total, band, context, screening_id)
               SELECT s.patient_id, r.instrument, r.version, r.answers, r.total, r.band,
                      'screening', s.id
               FROM submitted s,
                    unnest($9::text[], $10::text[], $11::jsonb[], $12::int2[], $13::text[])
                        AS r(instrument, version, answers, total, band))
           SELECT count(*) AS "submitted!" FROM submitted"#,
        screening_id,
        patient_id,
        Json(flags) as _,
        urgent,
        phq9.and_then(|r| r.total),
        phq9.and_then(|r| r.band),
        gad7.and_then(|r| r.total),
        gad7.and_then(|r| r.band),
        &instruments as &[&str],
        &versions as &[&str],
        &answers as _,
        &totals as &[Option<i16>],
        &bands as &[Option<&str>],
    )
    .fetch_one(db)
    .await?;
    Ok(submitted == 1)
}

pub async fn notify_role(
    db: impl PgExecutor<'_>,
    role: Role,
    kind: &str,
    screening_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO staff_notifications (role, kind, screening_id) VALUES ($1, $2, $3)",
        role as Role,
        kind,
        screening_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn unread_notifications(db: impl PgExecutor<'_>, role: Role) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM staff_notifications WHERE role = $1 AND read_at IS NULL"#,
        role as Role
    )
    .fetch_one(db)
    .await
}

#[derive(Clone, Debug)]
pub struct QueueRow {
    pub id: i64,
    pub patient_id: i64,
    pub legal_name: String,
    pub date_of_birth: Date,
    pub submitted_at: Option<OffsetDateTime>,
    pub urgent: bool,
    pub flag_count: i32,
    pub phq9_total: Option<i16>,
    pub phq9_band: Option<String>,
    pub gad7_total: Option<i16>,
    pub gad7_band: Option<String>,
}

/// How many screenings one page of the queue shows. The queries below fetch one more (26)
/// to know whether another page follows; the number is written into them so that the
/// prepared plan knows how few rows it returns.
pub const QUEUE_PAGE: usize = 25;

/// A page of submitted screenings awaiting a decision, urgent first, then oldest: the first
/// page, or the one after the screening `after` (keyset paging: no rows are skipped over).
pub async fn review_queue_after(
    db: impl PgExecutor<'_>,
    after: Option<i64>,
    viewer: &Viewer<'_>,
) -> sqlx::Result<Vec<QueueRow>> {
    // The page is cut first and then joined to its patients: a lookup per row shown. The
    // view's audit entry (the 25 rows shown; the 26th only tells whether there is more) is
    // written by the same statement, committed without waiting for the disk like every read's.
    sqlx::query_as!(
        QueueRow,
        r#"WITH page AS (
               SELECT id, patient_id, submitted_at, urgent, jsonb_array_length(flags) AS flag_count,
                      phq9_total, phq9_band, gad7_total, gad7_band
               FROM screenings
               WHERE status = 'submitted'
                 AND (NOT urgent, submitted_at, id) > (
                     SELECT NOT urgent, submitted_at, id FROM screenings WHERE id = $1
                     UNION ALL SELECT false, '-infinity', 0
                     LIMIT 1)
               ORDER BY NOT urgent, submitted_at, id
               LIMIT 26
           ), seen AS (
               INSERT INTO audit_inbox
                   (actor_id, actor_role, action, outcome, client_addr, request_id, detail)
               SELECT $2, $3, $6, 'success', $4, $5,
                      'review queue: ' || shown.n || ' shown'
                          || coalesce('; patients ' || shown.ids, '')
               FROM (SELECT count(*) AS n, string_agg(DISTINCT patient_id::text, ' ') AS ids
                     FROM (SELECT patient_id FROM page
                           ORDER BY NOT urgent, submitted_at, id LIMIT 25) first) shown,
                    (SELECT set_config('synchronous_commit', 'off', true)) read_only
               RETURNING id
           )
           SELECT s.id, s.patient_id, p.legal_name, p.date_of_birth, s.submitted_at, s.urgent,
                  s.flag_count AS "flag_count!",
                  s.phq9_total, s.phq9_band, s.gad7_total, s.gad7_band
           FROM page s
           JOIN patients p ON p.id = s.patient_id
           WHERE (SELECT count(*) FROM seen) = 1
           ORDER BY NOT s.urgent, s.submitted_at, s.id"#,
        after.unwrap_or(0),
        viewer.user_id,
        viewer.role,
        viewer.client_addr,
        viewer.request_id,
        crate::audit::action::PATIENT_LIST,
    )
    .fetch_all(db)
    .await
}

/// The page of the queue just before the screening `before`, in queue order. It mirrors the
/// query above: a keyset comparison's direction and its sort order cannot be parameters.
pub async fn review_queue_before(
    db: impl PgExecutor<'_>,
    before: i64,
    viewer: &Viewer<'_>,
) -> sqlx::Result<Vec<QueueRow>> {
    let mut rows = sqlx::query_as!(
        QueueRow,
        r#"WITH page AS (
               SELECT id, patient_id, submitted_at, urgent, jsonb_array_length(flags) AS flag_count,
                      phq9_total, phq9_band, gad7_total, gad7_band
               FROM screenings
               WHERE status = 'submitted'
                 AND (NOT urgent, submitted_at, id) < (
                     SELECT NOT urgent, submitted_at, id FROM screenings WHERE id = $1)
               ORDER BY NOT urgent DESC, submitted_at DESC, id DESC
               LIMIT 26
           ), seen AS (
               INSERT INTO audit_inbox
                   (actor_id, actor_role, action, outcome, client_addr, request_id, detail)
               SELECT $2, $3, $6, 'success', $4, $5,
                      'review queue: ' || shown.n || ' shown'
                          || coalesce('; patients ' || shown.ids, '')
               FROM (SELECT count(*) AS n, string_agg(DISTINCT patient_id::text, ' ') AS ids
                     FROM (SELECT patient_id FROM page
                           ORDER BY NOT urgent DESC, submitted_at DESC, id DESC LIMIT 25) first) shown,
                    (SELECT set_config('synchronous_commit', 'off', true)) read_only
               RETURNING id
           )
           SELECT s.id, s.patient_id, p.legal_name, p.date_of_birth, s.submitted_at, s.urgent,
                  s.flag_count AS "flag_count!",
                  s.phq9_total, s.phq9_band, s.gad7_total, s.gad7_band
           FROM page s
           JOIN patients p ON p.id = s.patient_id
           WHERE (SELECT count(*) FROM seen) = 1
           ORDER BY NOT s.urgent DESC, s.submitted_at DESC, s.id DESC"#,
        before,
        viewer.user_id,
        viewer.role,
        viewer.client_addr,
        viewer.request_id,
        crate::audit::action::PATIENT_LIST,
    )
    .fetch_all(db)
    .await?;
    rows.reverse();
    Ok(rows)
}

#[derive(Clone, Debug)]
pub struct ReviewPatient {
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub sex_at_birth: Option<String>,
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct ResultRow {
    pub instrument: String,
    pub answers: Vec<Option<i16>>,
    pub total: Option<i16>,
    pub band: Option<String>,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct DecisionRow {
    pub decision: Decision,
    pub clinician_note: String,
    pub patient_message: String,
    pub override_reason: Option<String>,
    pub eligible_until: Option<String>,
    pub decided_by: String,
    pub decided_on: String,
}

/// Everything a clinician reviews: the screening, its patient, scores and past decisions.
#[derive(Clone, Debug)]
pub struct Review {
    pub screening: ScreeningRow,
    pub patient: ReviewPatient,
    pub results: Vec<ResultRow>,
    pub decisions: Vec<DecisionRow>,
}

/// Who is looking, for the audit entry written with the read.
pub struct Viewer<'a> {
    pub user_id: i64,
    pub role: &'a str,
    pub client_addr: &'a str,
    pub request_id: &'a str,
}

/// Reads a submitted screening for review and records the view in the audit trail in the
/// same statement: the answers are never shown without their audit entry, and the page costs
/// one round trip instead of four.
pub async fn review_and_audit(
    db: impl PgExecutor<'_>,
    screening_id: i64,
    viewer: &Viewer<'_>,
) -> sqlx::Result<Option<Review>> {
    let row = sqlx::query!(
        r#"WITH seen AS (
               INSERT INTO audit_inbox
                   (actor_id, actor_role, action, patient_id, outcome, client_addr, request_id, detail)
               SELECT $2, $3, $6, patient_id, 'success', $4, $5, 'screening ' || id
               FROM screenings WHERE id = $1 AND status <> 'draft'
               RETURNING id
           )
           SELECT s.id, s.patient_id, s.status::text AS "status!",
                  s.intake AS "intake: Json<IntakeAnswers>",
                  s.draft_answers AS "draft_answers: Json<DraftAnswers>",
                  s.flags AS "flags: Json<Vec<Flag>>",
                  s.urgent, s.created_at, s.submitted_at,
                  p.legal_name, p.preferred_name, p.date_of_birth,
                  p.sex_at_birth::text AS sex_at_birth,
                  p.weight_kg::float8 AS weight_kg, p.height_cm::float8 AS height_cm,
                  (SELECT coalesce(jsonb_agg(jsonb_build_object(
                              'instrument', r.instrument, 'answers', r.answers,
                              'total', r.total, 'band', r.band) ORDER BY r.id), '[]')
                   FROM questionnaire_results r WHERE r.screening_id = s.id)
                      AS "results!: Json<Vec<ResultRow>>",
                  (SELECT coalesce(jsonb_agg(jsonb_build_object(
                              'decision', d.decision, 'clinician_note', d.clinician_note,
                              'patient_message', d.patient_message,
                              'override_reason', d.override_reason,
                              'eligible_until', d.eligible_until::text,
                              'decided_by', (SELECT display_name FROM users WHERE id = d.decided_by),
                              'decided_on', (d.decided_at AT TIME ZONE 'UTC')::date::text)
                              ORDER BY d.id DESC), '[]')
                   FROM screening_decisions d
                   WHERE d.screening_id = s.id) AS "decisions!: Json<Vec<DecisionRow>>",
                  (SELECT count(*) FROM seen) AS "audited!",
                  -- A read changes nothing but its audit entry, so its commit need not wait
                  -- for the disk: on a database crash at most the last fraction of a second
                  -- of read entries could be lost, never a clinical write.
                  set_config('synchronous_commit', 'off', true) AS "commit_mode!"
           FROM screenings s JOIN patients p ON p.id = s.patient_id
           WHERE s.id = $1 AND s.status <> 'draft'"#,
        screening_id,
        viewer.user_id,
        viewer.role,
        viewer.client_addr,
        viewer.request_id,
        crate::audit::action::SCREENING_VIEW,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Review {
        screening: ScreeningRow {
            id: r.id,
            patient_id: r.patient_id,
            status: r.status,
            intake: r.intake,
            draft_answers: r.draft_answers,
            flags: r.flags,
            urgent: r.urgent,
            created_at: r.created_at,
            submitted_at: r.submitted_at,
        },
        patient: ReviewPatient {
            legal_name: r.legal_name,
            preferred_name: r.preferred_name,
            date_of_birth: r.date_of_birth,
            sex_at_birth: r.sex_at_birth,
            weight_kg: r.weight_kg,
            height_cm: r.height_cm,
        },
        results: r.results.0,
        decisions: r.decisions.0,
    }))
}

pub async fn record_decision(
    db: &mut sqlx::PgConnection,
    screening_id: i64,
    decision: &ValidDecision,
    clinician_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO screening_decisions
             (screening_id, decision, clinician_note, patient_message, override_reason,
              acknowledged, eligible_until, decided_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        screening_id,
        decision.decision as Decision,
        decision.clinician_note,
        decision.patient_message,
        decision.override_reason,
        Json(&decision.acknowledged) as _,
        decision.eligible_until,
        clinician_id,
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "UPDATE screenings SET status = 'decided', updated_at = now() WHERE id = $1",
        screening_id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "UPDATE staff_notifications SET read_by = $2, read_at = now()
         WHERE screening_id = $1 AND read_at IS NULL",
        screening_id,
        clinician_id
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// A patient's screening standing for the front desk: status columns only.
#[derive(Clone, Debug)]
pub struct DeskRow {
    pub patient_id: i64,
    pub legal_name: String,
    pub date_of_birth: Date,
    pub phone: Option<String>,
    pub status: Option<String>,
    pub urgent: Option<bool>,
    pub decision: Option<Decision>,
    pub eligible_until: Option<Date>,
    pub consent: ConsentFacts,
}

/// A desk row as selected; the consent facts are folded into [`ConsentFacts`].
struct DeskFlat {
    patient_id: i64,
    legal_name: String,
    date_of_birth: Date,
    phone: Option<String>,
    status: Option<String>,
    urgent: Option<bool>,
    decision: Option<Decision>,
    eligible_until: Option<Date>,
    latest_version: Option<i32>,
    signed_version: Option<i32>,
    signed_at: Option<OffsetDateTime>,
    withdrawn_at: Option<OffsetDateTime>,
}

/// What the front desk searches by: any part of the name or of the phone number (digits
/// only), and the exact date of birth; empty parts do not filter.
#[derive(Clone, Debug, Default)]
pub struct PatientSearch {
    pub name: String,
    pub phone_digits: String,
    pub born: Option<Date>,
}

/// `text` for a LIKE pattern, its wildcard characters taken literally.
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Patients matching the search (any case), by name.
pub async fn desk_patients(
    db: &mut sqlx::PgConnection,
    search: &PatientSearch,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<DeskRow>> {
    use sqlx::Connection;
    // Planned with the values, so that empty filters drop out and the trigram indexes serve
    // the ones given (one plan for all values could use neither).
    let mut tx = db.begin().await?;
    sqlx::query_scalar!(
        r#"SELECT set_config('plan_cache_mode', 'force_custom_plan', true) AS "setting!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    let name = like_literal(&search.name.to_lowercase());
    let phone = like_literal(&search.phone_digits);
    let rows = sqlx::query_as!(
        DeskFlat,
        r#"SELECT p.id AS patient_id, p.legal_name, p.date_of_birth, p.phone,
                  s.status::text AS "status?", s.urgent AS "urgent?",
                  d.decision AS "decision?: Decision", d.eligible_until AS "eligible_until?",
                  c.latest_version AS "latest_version?", c.signed_version AS "signed_version?",
                  c.signed_at AS "signed_at?", c.withdrawn_at AS "withdrawn_at?"
           FROM patients p
           JOIN consent_facts c ON c.patient_id = p.id
           LEFT JOIN LATERAL (
               SELECT id, status, urgent FROM screenings WHERE patient_id = p.id
               ORDER BY id DESC LIMIT 1
           ) s ON true
           LEFT JOIN LATERAL (
               SELECT decision, eligible_until FROM screening_decisions WHERE screening_id = s.id
               ORDER BY id DESC LIMIT 1
           ) d ON true
           WHERE ($1 = '' OR lower(p.legal_name) LIKE '%' || $1 || '%')
             AND ($2 = '' OR regexp_replace(coalesce(p.phone, ''), '[^0-9]', '', 'g') LIKE '%' || $2 || '%')
             AND ($3::date IS NULL OR p.date_of_birth = $3)
           ORDER BY lower(p.legal_name) COLLATE "C", p.id
           LIMIT $4 OFFSET $5"#,
        name,
        phone,
        search.born,
        limit,
        offset
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| DeskRow {
            patient_id: r.patient_id,
            legal_name: r.legal_name,
            date_of_birth: r.date_of_birth,
            phone: r.phone,
            status: r.status,
            urgent: r.urgent,
            decision: r.decision,
            eligible_until: r.eligible_until,
            consent: ConsentFacts {
                latest_version: r.latest_version,
                signed_version: r.signed_version,
                signed_at: r.signed_at,
                withdrawn_at: r.withdrawn_at,
            },
        })
        .collect())
}
