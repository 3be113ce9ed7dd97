//! The export's queries: everything of one patient. The bundle reads them one after another
//! in one read-only snapshot; the long lists are streams (`fetch`), so rows arrive as the
//! bundle is written and memory does not grow with the length of the record.

use sqlx::PgExecutor;
use sqlx::types::Json;
use tokio_stream::{Stream, StreamExt};

use super::appointment::AppointmentRow;
use super::consent::{SignatureRow, WithdrawalRow};
use super::medication::InfusionRow;
use super::observation::VitalsRow;
use super::patient::PatientRow;
use super::practitioner::StaffRow;
use super::questionnaire_response::ResponseRow;
use crate::patients::model::SexAtBirth;
use crate::scheduling::model::{AppointmentKind, AppointmentStatus};

pub async fn patient(db: impl PgExecutor<'_>, patient_id: i64) -> sqlx::Result<Option<PatientRow>> {
    sqlx::query_as!(
        PatientRow,
        r#"SELECT p.id, p.legal_name, p.preferred_name, p.date_of_birth,
                  p.sex_at_birth AS "sex_at_birth: SexAtBirth", p.phone, u.email AS "email?", p.address,
                  p.emergency_contact_name, p.emergency_contact_phone
           FROM patients p LEFT JOIN users u ON u.id = p.user_id
           WHERE p.id = $1"#,
        patient_id
    )
    .fetch_optional(db)
    .await
}

/// Staff the record names: clinicians of appointments, who ordered an infusion given, who
/// countersigned a consent or withdrew it on the patient's behalf.
pub fn staff<'e>(
    db: impl PgExecutor<'e> + 'e,
    patient_id: i64,
) -> impl Stream<Item = sqlx::Result<StaffRow>> + Send + 'e {
    sqlx::query_as!(
        StaffRow,
        r#"SELECT u.id, u.display_name FROM users u
           WHERE u.id IN (
               SELECT clinician_id FROM appointments WHERE patient_id = $1
               UNION SELECT ordered_by FROM infusion_records
                     WHERE patient_id = $1 AND started_at IS NOT NULL
               UNION SELECT signer_user_id FROM consent_signatures
                     WHERE patient_id = $1 AND signer = 'clinician'
               UNION SELECT w.withdrawn_by FROM consent_withdrawals w
                     JOIN patients p ON p.id = w.patient_id
                     WHERE w.patient_id = $1 AND w.withdrawn_by IS DISTINCT FROM p.user_id)
           ORDER BY u.id"#,
        patient_id
    )
    .fetch(db)
}

/// The questionnaires the patient has answered, as stored (`phq9`, `follow_up`...).
pub async fn instruments_answered(
    db: impl PgExecutor<'_>,
    patient_id: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT DISTINCT instrument FROM questionnaire_results WHERE patient_id = $1",
        patient_id
    )
    .fetch_all(db)
    .await
}

/// Every questionnaire result (screening, before a session, follow-up), oldest first.
pub fn responses<'e>(
    db: impl PgExecutor<'e> + 'e,
    patient_id: i64,
) -> impl Stream<Item = sqlx::Result<ResponseRow>> + Send + 'e {
    sqlx::query!(
        r#"SELECT id, instrument, version, answers AS "answers: Json<Vec<Option<i16>>>", total,
                  recorded_at
           FROM questionnaire_results
           WHERE patient_id = $1
           ORDER BY recorded_at, id"#,
        patient_id
    )
    .fetch(db)
    .map(|row| {
        row.map(|r| ResponseRow {
            id: r.id,
            instrument: r.instrument,
            version: r.version,
            answers: r.answers.0,
            total: r.total,
            recorded_at: r.recorded_at,
        })
    })
}

/// The patient's signatures, each with its countersignature and whatever ended it.
pub fn signatures<'e>(
    db: impl PgExecutor<'e> + 'e,
    patient_id: i64,
) -> impl Stream<Item = sqlx::Result<SignatureRow>> + Send + 'e {
    sqlx::query_as!(
        SignatureRow,
        r#"SELECT s.id, s.version_id, v.version AS "version!", v.title, s.text_sha256,
                  v.published_at, s.signed_at,
                  (SELECT c.signer_user_id FROM consent_signatures c WHERE c.countersigns = s.id)
                      AS "countersigned_by?",
                  (SELECT min(w.withdrawn_at) FROM consent_withdrawals w
                   WHERE w.patient_id = s.patient_id AND w.withdrawn_at >= s.signed_at)
                      AS "withdrawn_at?",
                  (SELECT min(n.signed_at) FROM consent_signatures n
                   WHERE n.patient_id = s.patient_id AND n.signer = 'patient' AND n.id > s.id)
                      AS "replaced_at?"
           FROM consent_signatures s JOIN consent_versions v ON v.id = s.version_id
           WHERE s.patient_id = $1 AND s.signer = 'patient'
           ORDER BY s.id"#,
        patient_id
    )
    .fetch(db)
}

pub fn withdrawals<'e>(
    db: impl PgExecutor<'e> + 'e,
    patient_id: i64,
) -> impl Stream<Item = sqlx::Result<WithdrawalRow>> + Send + 'e {
    sqlx::query_as!(
        WithdrawalRow,
        r#"SELECT w.id, w.withdrawn_at,
                  coalesce(w.withdrawn_by = p.user_id, false) AS "by_patient!", w.withdrawn_by
           FROM consent_withdrawals w JOIN patients p ON p.id = w.patient_id
           WHERE w.patient_id = $1
           ORDER BY w.id"#,
        patient_id
    )
    .fetch(db)
}

pub fn appointments<'e>(
    db: impl PgExecutor<'e> + 'e,
    patient_id: i64,
) -> impl Stream<Item = sqlx::Result<AppointmentRow>> + Send + 'e {
    sqlx::query_as!(
        AppointmentRow,
        r#"SELECT id, kind AS "kind: AppointmentKind", status AS "status: AppointmentStatus",
                  starts_at, ends_at,
                  clinician_id, created_at
           FROM appointments
           WHERE patient_id = $1
           ORDER BY starts_at, id"#,
        patient_id
    )
    .fetch(db)
}

pub fn infusions<'e>(
    db: impl PgExecutor<'e> + 'e,
    patient_id: i64,
) -> impl Stream<Item = sqlx::Result<InfusionRow>> + Send + 'e {
    sqlx::query_as!(
        InfusionRow,
        r#"SELECT id, appointment_id, checked_in_at, weight_kg,
                  coalesce(given_mg, dose_mg) AS dose_mg, dose_mg AS ordered_mg, mg_per_kg, minutes,
                  route::text AS route, lot_number, ordered_by, started_at, ended_at
           FROM infusion_records
           WHERE patient_id = $1
           ORDER BY opened_at, id"#,
        patient_id
    )
    .fetch(db)
}

/// Every vitals reading of every infusion, in the order they were taken.
pub fn vitals<'e>(
    db: impl PgExecutor<'e> + 'e,
    patient_id: i64,
) -> impl Stream<Item = sqlx::Result<VitalsRow>> + Send + 'e {
    sqlx::query_as!(
        VitalsRow,
        r#"SELECT v.id, v.record_id, v.taken_at, v.systolic, v.diastolic, v.heart_rate, v.spo2,
                  v.resp_rate, (r.started_at IS NOT NULL) AS "administered!"
           FROM infusion_records r JOIN vitals_readings v ON v.record_id = r.id
           WHERE r.patient_id = $1
           ORDER BY r.opened_at, r.id, v.taken_at, v.id"#,
        patient_id
    )
    .fetch(db)
}
