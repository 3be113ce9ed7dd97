//! Queries of the infusion flowsheet. Routes, severities and pregnancy tests travel as their
//! text codes and are read back through the model's parsers.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::model::{AlertRanges, DoseOrder, Event, Protocol, Route, TreatmentRules, Vitals};

/// The clinic's flowsheet settings.
pub async fn rules(db: impl PgExecutor<'_>) -> sqlx::Result<TreatmentRules> {
    let row = sqlx::query!(
        "SELECT bp_hold_systolic, bp_hold_diastolic, max_dose_mg_per_kg, max_dose_mg,
                vitals_interval_minutes, alert_systolic_low, alert_systolic_high,
                alert_diastolic_low, alert_diastolic_high, alert_heart_rate_low,
                alert_heart_rate_high, alert_spo2_low, alert_resp_rate_low, alert_resp_rate_high,
                discharge_bp_margin, discharge_hr_margin, follow_up_every_infusions,
                follow_up_every_months, weight_change_confirm_pct, min_observation_minutes,
                discharge_systolic_min, short_infusion_pct, cadss_alert_threshold
         FROM clinic_settings"
    )
    .fetch_one(db)
    .await?;
    Ok(TreatmentRules {
        bp_hold_systolic: row.bp_hold_systolic,
        bp_hold_diastolic: row.bp_hold_diastolic,
        max_mg_per_kg: row.max_dose_mg_per_kg,
        max_mg: row.max_dose_mg,
        vitals_interval_minutes: row.vitals_interval_minutes,
        alerts: AlertRanges {
            systolic: (row.alert_systolic_low, row.alert_systolic_high),
            diastolic: (row.alert_diastolic_low, row.alert_diastolic_high),
            heart_rate: (row.alert_heart_rate_low, row.alert_heart_rate_high),
            spo2_low: row.alert_spo2_low,
            resp_rate: (row.alert_resp_rate_low, row.alert_resp_rate_high),
        },
        discharge_bp_margin: row.discharge_bp_margin,
        discharge_hr_margin: row.discharge_hr_margin,
        follow_up_every_infusions: row.follow_up_every_infusions,
        follow_up_every_months: row.follow_up_every_months,
        weight_change_confirm_pct: row.weight_change_confirm_pct,
        min_observation_minutes: row.min_observation_minutes,
        discharge_systolic_min: row.discharge_systolic_min,
        short_infusion_pct: row.short_infusion_pct,
        cadss_alert_threshold: row.cadss_alert_threshold,
    })
}

/// Every protocol, active ones first.
pub async fn protocols(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Protocol>> {
    let rows = sqlx::query!(
        r#"SELECT id, name, route::text AS "route!", mg_per_kg, minutes, active
           FROM infusion_protocols ORDER BY active DESC, name"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Protocol {
                id: r.id,
                name: r.name,
                route: Route::parse(&r.route)?,
                mg_per_kg: r.mg_per_kg,
                minutes: r.minutes,
                active: r.active,
            })
        })
        .collect())
}

/// The infusion appointment a flowsheet belongs to, and its record once opened.
#[derive(Clone, Debug)]
pub struct FlowsheetRow {
    pub appointment_id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    pub date_of_birth: Option<time::Date>,
    pub sex_at_birth: Option<String>,
    pub appointment_status: String,
    pub starts_at: OffsetDateTime,
    pub clinician_name: String,
    pub chair_name: Option<String>,
    pub record_id: Option<i64>,
    pub checked_in_at: Option<OffsetDateTime>,
    pub checked_in_by: Option<String>,
    pub fasting_confirmed: bool,
    pub escort_confirmed: bool,
    pub pregnancy_test: Option<String>,
    pub pregnancy_test_reason: Option<String>,
    pub weight_kg: Option<f64>,
    /// The weight on the patient's profile, and the one recorded at their last infusion.
    pub profile_weight_kg: Option<f64>,
    pub last_weight_kg: Option<f64>,
    pub bp_override_reason: Option<String>,
    pub protocol_name: Option<String>,
    pub mg_per_kg: Option<f64>,
    pub dose_mg: Option<f64>,
    /// The weight the order was worked out from.
    pub order_weight_kg: Option<f64>,
    pub route: Option<String>,
    pub minutes: Option<i32>,
    pub deviation_reason: Option<String>,
    pub lot_number: Option<String>,
    pub ordered_by: Option<String>,
    pub ordered_at: Option<OffsetDateTime>,
    pub started_at: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
    /// What was actually given (set at the end) and why it was less than ordered.
    pub given_mg: Option<f64>,
    pub given_reason: Option<String>,
    pub escort_present: bool,
    pub no_driving_acknowledged: bool,
    pub signed_name: Option<String>,
    pub signature_meaning: Option<String>,
    pub signed_at: Option<OffsetDateTime>,
}

/// The flowsheet of an infusion appointment (None: no such infusion).
pub async fn flowsheet(
    db: impl PgExecutor<'_>,
    appointment_id: i64,
) -> sqlx::Result<Option<FlowsheetRow>> {
    sqlx::query_as!(
        FlowsheetRow,
        r#"SELECT a.id AS appointment_id, a.patient_id, p.legal_name AS patient_name,
                  p.date_of_birth, p.sex_at_birth::text AS sex_at_birth,
                  a.status::text AS "appointment_status!", a.starts_at,
                  u.display_name AS clinician_name, c.name AS "chair_name?",
                  r.id AS "record_id?", r.checked_in_at AS "checked_in_at?",
                  ci.display_name AS "checked_in_by?",
                  coalesce(r.fasting_confirmed, false) AS "fasting_confirmed!",
                  coalesce(r.escort_confirmed, false) AS "escort_confirmed!",
                  r.pregnancy_test::text AS "pregnancy_test?",
                  r.pregnancy_test_reason AS "pregnancy_test_reason?", r.weight_kg AS "weight_kg?",
                  p.weight_kg::float8 AS "profile_weight_kg?",
                  (SELECT l.weight_kg FROM infusion_records l
                   WHERE l.patient_id = a.patient_id AND l.appointment_id <> a.id
                     AND l.started_at IS NOT NULL
                   ORDER BY l.started_at DESC LIMIT 1) AS "last_weight_kg?",
                  r.bp_override_reason AS "bp_override_reason?",
                  pr.name AS "protocol_name?", r.mg_per_kg AS "mg_per_kg?",
                  r.dose_mg AS "dose_mg?", r.order_weight_kg AS "order_weight_kg?",
                  r.route::text AS "route?", r.minutes AS "minutes?",
                  r.deviation_reason AS "deviation_reason?", r.lot_number AS "lot_number?",
                  ob.display_name AS "ordered_by?", r.ordered_at AS "ordered_at?",
                  r.started_at AS "started_at?", r.ended_at AS "ended_at?",
                  r.given_mg AS "given_mg?", r.given_reason AS "given_reason?",
                  coalesce(r.escort_present, false) AS "escort_present!",
                  coalesce(r.no_driving_acknowledged, false) AS "no_driving_acknowledged!",
                  r.signed_name AS "signed_name?", r.signature_meaning AS "signature_meaning?",
                  r.signed_at AS "signed_at?"
           FROM appointments a
           JOIN patients p ON p.id = a.patient_id
           JOIN users u ON u.id = a.clinician_id
           LEFT JOIN chairs c ON c.id = a.chair_id
           LEFT JOIN infusion_records r ON r.appointment_id = a.id
           LEFT JOIN users ci ON ci.id = r.checked_in_by
           LEFT JOIN users ob ON ob.id = r.ordered_by
           LEFT JOIN infusion_protocols pr ON pr.id = r.protocol_id
           WHERE a.id = $1 AND a.kind = 'infusion'"#,
        appointment_id
    )
    .fetch_optional(db)
    .await
}

/// One vitals reading as the timeline shows it.
#[derive(Clone, Debug)]
pub struct ReadingRow {
    pub taken_at: OffsetDateTime,
    pub phase: String,
    pub vitals: Vitals,
    pub recorded_by: String,
}

pub async fn readings(db: impl PgExecutor<'_>, record_id: i64) -> sqlx::Result<Vec<ReadingRow>> {
    let rows = sqlx::query!(
        r#"SELECT v.taken_at, v.phase::text AS "phase!", v.systolic, v.diastolic, v.heart_rate,
                  v.spo2, v.resp_rate, u.display_name
           FROM vitals_readings v JOIN users u ON u.id = v.recorded_by
           WHERE v.record_id = $1 ORDER BY v.taken_at, v.id"#,
        record_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReadingRow {
            taken_at: r.taken_at,
            phase: r.phase,
            vitals: Vitals {
                systolic: r.systolic,
                diastolic: r.diastolic,
                heart_rate: r.heart_rate,
                spo2: r.spo2,
                resp_rate: r.resp_rate,
            },
            recorded_by: r.display_name,
        })
        .collect())
}

/// One event as the flowsheet lists it.
#[derive(Clone, Debug)]
pub struct EventRow {
    pub at: OffsetDateTime,
    pub kind: String,
    pub side_effect: Option<String>,
    pub severity: Option<String>,
    pub intervention: Option<String>,
    pub note: Option<String>,
    pub moaas: Option<i16>,
    pub cadss_total: Option<i16>,
    pub recorded_by: String,
}

pub async fn events(db: impl PgExecutor<'_>, record_id: i64) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as!(
        EventRow,
        r#"SELECT e.at, e.kind, e.side_effect, e.severity::text AS severity, e.intervention,
                  e.note, e.moaas, e.cadss_total, u.display_name AS recorded_by
           FROM infusion_events e JOIN users u ON u.id = e.recorded_by
           WHERE e.record_id = $1 ORDER BY e.at, e.id"#,
        record_id
    )
    .fetch_all(db)
    .await
}

#[derive(Clone, Debug)]
pub struct AddendumRow {
    pub body: String,
    pub signed_name: String,
    pub signature_meaning: String,
    pub signed_at: OffsetDateTime,
}

pub async fn addenda(db: impl PgExecutor<'_>, record_id: i64) -> sqlx::Result<Vec<AddendumRow>> {
    sqlx::query_as!(
        AddendumRow,
        "SELECT body, signed_name, signature_meaning, signed_at
         FROM infusion_addenda WHERE record_id = $1 ORDER BY signed_at, id",
        record_id
    )
    .fetch_all(db)
    .await
}

/// The record of the appointment, opened by `clinician` if it was not yet; its id.
pub async fn open_record(
    tx: &mut PgConnection,
    appointment_id: i64,
    patient_id: i64,
    clinician: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO infusion_records (appointment_id, patient_id, opened_by)
         VALUES ($1, $2, $3)
         ON CONFLICT (appointment_id) DO UPDATE SET appointment_id = EXCLUDED.appointment_id
         RETURNING id",
        appointment_id,
        patient_id,
        clinician
    )
    .fetch_one(tx)
    .await
}

/// The check-in checklist as confirmed.
pub struct CheckIn<'a> {
    pub fasting_confirmed: bool,
    pub escort_confirmed: bool,
    pub pregnancy_test: Option<&'a str>,
    pub pregnancy_test_reason: Option<&'a str>,
    pub weight_kg: f64,
    pub at: OffsetDateTime,
}

/// Saves the checklist (before the start only: a started record keeps its check-in).
pub async fn save_check_in(
    db: impl PgExecutor<'_>,
    record_id: i64,
    check_in: &CheckIn<'_>,
    clinician: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE infusion_records SET fasting_confirmed = $2, escort_confirmed = $3,
                pregnancy_test = $4::text::pregnancy_test, weight_kg = $5, checked_in_by = $6,
                checked_in_at = $7, pregnancy_test_reason = $8
         WHERE id = $1 AND started_at IS NULL",
        record_id,
        check_in.fasting_confirmed,
        check_in.escort_confirmed,
        check_in.pregnancy_test,
        check_in.weight_kg,
        clinician,
        check_in.at,
        check_in.pregnancy_test_reason
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A reading taken `at` (the app's clock: observation time after the end is measured on it).
pub async fn add_reading(
    db: impl PgExecutor<'_>,
    record_id: i64,
    phase: &str,
    vitals: &Vitals,
    clinician: i64,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO vitals_readings (record_id, phase, systolic, diastolic, heart_rate, spo2,
                                      resp_rate, recorded_by, taken_at)
         VALUES ($1, $2::text::vitals_phase, $3, $4, $5, $6, $7, $8, $9)",
        record_id,
        phase,
        vitals.systolic,
        vitals.diastolic,
        vitals.heart_rate,
        vitals.spo2,
        vitals.resp_rate,
        clinician,
        at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records the order (before the start only); false when the infusion already started.
/// The order is saved only while the record still holds the weight it was worked out from
/// (`weight_kg`): false when the weight changed meanwhile or the infusion started.
pub async fn save_order(
    db: impl PgExecutor<'_>,
    record_id: i64,
    order: &DoseOrder,
    weight_kg: f64,
    clinician: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE infusion_records SET protocol_id = $2, mg_per_kg = $3, dose_mg = $4,
                route = $5::text::dose_route, minutes = $6, deviation_reason = $7,
                lot_number = $8, ordered_by = $9, ordered_at = now(), order_weight_kg = $10
         WHERE id = $1 AND started_at IS NULL AND weight_kg = $10",
        record_id,
        order.protocol_id,
        order.mg_per_kg,
        order.dose_mg,
        order.route.code(),
        order.minutes,
        order.deviation_reason,
        order.lot_number,
        clinician,
        weight_kg
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks the record for the rest of the transaction, so what the start checks is what it
/// starts (a check-in or order changed meanwhile waits, then sees the start).
pub async fn lock_record(tx: &mut PgConnection, record_id: i64) -> sqlx::Result<()> {
    sqlx::query_scalar!(
        "SELECT id FROM infusion_records WHERE id = $1 FOR UPDATE",
        record_id
    )
    .fetch_optional(tx)
    .await?;
    Ok(())
}

/// Voids the standing order (before the start only): it is kept, as it was, with the reason,
/// and the record has no order until the clinician orders again. False when there was none.
pub async fn void_order(
    tx: &mut PgConnection,
    record_id: i64,
    reason: &str,
    clinician: i64,
) -> sqlx::Result<bool> {
    let kept = sqlx::query!(
        "INSERT INTO voided_dose_orders (record_id, protocol_id, mg_per_kg, dose_mg, route,
                                         minutes, lot_number, weight_kg, ordered_by, ordered_at,
                                         voided_by, reason)
         SELECT id, protocol_id, mg_per_kg, dose_mg, route, minutes, lot_number,
                coalesce(order_weight_kg, weight_kg), ordered_by, ordered_at, $2, $3
         FROM infusion_records
         WHERE id = $1 AND ordered_at IS NOT NULL AND started_at IS NULL",
        record_id,
        clinician,
        reason
    )
    .execute(&mut *tx)
    .await?;
    if kept.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE infusion_records SET protocol_id = NULL, mg_per_kg = NULL, dose_mg = NULL,
                route = NULL, minutes = NULL, deviation_reason = NULL, lot_number = NULL,
                ordered_by = NULL, ordered_at = NULL, order_weight_kg = NULL
         WHERE id = $1",
        record_id
    )
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// An order voided before the start, as the flowsheet lists it.
#[derive(Clone, Debug)]
pub struct VoidedOrderRow {
    pub dose_mg: f64,
    pub mg_per_kg: f64,
    pub weight_kg: Option<f64>,
    pub reason: String,
    pub voided_by: String,
    pub voided_at: OffsetDateTime,
}

pub async fn voided_orders(
    db: impl PgExecutor<'_>,
    record_id: i64,
) -> sqlx::Result<Vec<VoidedOrderRow>> {
    sqlx::query_as!(
        VoidedOrderRow,
        "SELECT v.dose_mg, v.mg_per_kg, v.weight_kg, v.reason, u.display_name AS voided_by,
                v.voided_at
         FROM voided_dose_orders v JOIN users u ON u.id = v.voided_by
         WHERE v.record_id = $1 ORDER BY v.voided_at, v.id",
        record_id
    )
    .fetch_all(db)
    .await
}

/// Starts the infusion (once), with the reason a held blood pressure was overridden.
pub async fn start(
    db: impl PgExecutor<'_>,
    record_id: i64,
    bp_override_reason: Option<&str>,
    at: OffsetDateTime,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE infusion_records SET started_at = $3, bp_override_reason = $2
         WHERE id = $1 AND started_at IS NULL AND ordered_at IS NOT NULL",
        record_id,
        bp_override_reason,
        at
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the infusion (once) `at`, with the amount actually given and why it was less.
pub async fn end(
    db: impl PgExecutor<'_>,
    record_id: i64,
    at: OffsetDateTime,
    given_mg: f64,
    given_reason: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE infusion_records SET ended_at = $2, given_mg = $3, given_reason = $4
         WHERE id = $1 AND started_at IS NOT NULL AND ended_at IS NULL",
        record_id,
        at,
        given_mg,
        given_reason
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An event recorded `at` (the app's clock: a MOAA/S counts for discharge after the end).
pub async fn add_event(
    db: impl PgExecutor<'_>,
    record_id: i64,
    event: &Event,
    clinician: i64,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    let (kind, effect, severity, intervention, note, moaas, cadss) = match event {
        Event::SideEffect {
            effect,
            severity,
            intervention,
            note,
        } => (
            "side_effect",
            Some(effect.code()),
            Some(severity.code()),
            intervention.as_deref(),
            note.as_deref(),
            None,
            None,
        ),
        Event::Moaas { score, note } => (
            "moaas",
            None,
            None,
            None,
            note.as_deref(),
            Some(*score),
            None,
        ),
        Event::Cadss { total, note } => (
            "cadss",
            None,
            None,
            None,
            note.as_deref(),
            None,
            Some(*total),
        ),
    };
    sqlx::query!(
        "INSERT INTO infusion_events (record_id, kind, side_effect, severity, intervention, note,
                                      moaas, cadss_total, recorded_by, at)
         VALUES ($1, $2, $3, $4::text::event_severity, $5, $6, $7, $8, $9, $10)",
        record_id,
        kind,
        effect,
        severity,
        intervention,
        note,
        moaas,
        cadss,
        clinician,
        at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A clinician's signature: who, the printed name and what it means.
pub struct Signature<'a> {
    pub clinician: i64,
    pub name: &'a str,
    pub meaning: &'a str,
}

/// Signs the discharge (once): the record is locked from then on.
pub async fn sign_discharge(
    db: impl PgExecutor<'_>,
    record_id: i64,
    escort_present: bool,
    no_driving_acknowledged: bool,
    signature: &Signature<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE infusion_records SET escort_present = $2, no_driving_acknowledged = $3,
                signed_by = $4, signed_name = $5, signature_meaning = $6, signed_at = now()
         WHERE id = $1 AND ended_at IS NOT NULL AND signed_at IS NULL",
        record_id,
        escort_present,
        no_driving_acknowledged,
        signature.clinician,
        signature.name,
        signature.meaning
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The discharge's facts as last confirmed (kept while the signature is still missing).
pub async fn save_discharge_checks(
    db: impl PgExecutor<'_>,
    record_id: i64,
    escort_present: bool,
    no_driving_acknowledged: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE infusion_records SET escort_present = $2, no_driving_acknowledged = $3
         WHERE id = $1 AND signed_at IS NULL",
        record_id,
        escort_present,
        no_driving_acknowledged
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn add_addendum(
    db: impl PgExecutor<'_>,
    record_id: i64,
    body: &str,
    signature: &Signature<'_>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO infusion_addenda (record_id, body, signed_by, signed_name, signature_meaning)
         VALUES ($1, $2, $3, $4, $5)",
        record_id,
        body,
        signature.clinician,
        signature.name,
        signature.meaning
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The appointment is done once its discharge is signed.
pub async fn complete_appointment(
    db: impl PgExecutor<'_>,
    appointment_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE appointments SET status = 'completed', updated_at = now()
         WHERE id = $1 AND status IN ('booked', 'checked_in')",
        appointment_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Saves the clinic's flowsheet settings.
pub async fn save_rules(db: impl PgExecutor<'_>, rules: &TreatmentRules) -> sqlx::Result<()> {
    let a = &rules.alerts;
    sqlx::query!(
        "UPDATE clinic_settings SET bp_hold_systolic = $1, bp_hold_diastolic = $2,
                max_dose_mg_per_kg = $3, max_dose_mg = $4, vitals_interval_minutes = $5,
                alert_systolic_low = $6, alert_systolic_high = $7, alert_diastolic_low = $8,
                alert_diastolic_high = $9, alert_heart_rate_low = $10, alert_heart_rate_high = $11,
                alert_spo2_low = $12, alert_resp_rate_low = $13, alert_resp_rate_high = $14,
                discharge_bp_margin = $15, discharge_hr_margin = $16,
                follow_up_every_infusions = $17, follow_up_every_months = $18,
                weight_change_confirm_pct = $19, min_observation_minutes = $20,
                discharge_systolic_min = $21, short_infusion_pct = $22,
                cadss_alert_threshold = $23, updated_at = now()",
        rules.bp_hold_systolic,
        rules.bp_hold_diastolic,
        rules.max_mg_per_kg,
        rules.max_mg,
        rules.vitals_interval_minutes,
        a.systolic.0,
        a.systolic.1,
        a.diastolic.0,
        a.diastolic.1,
        a.heart_rate.0,
        a.heart_rate.1,
        a.spo2_low,
        a.resp_rate.0,
        a.resp_rate.1,
        rules.discharge_bp_margin,
        rules.discharge_hr_margin,
        rules.follow_up_every_infusions,
        rules.follow_up_every_months,
        rules.weight_change_confirm_pct,
        rules.min_observation_minutes,
        rules.discharge_systolic_min,
        rules.short_infusion_pct,
        rules.cadss_alert_threshold
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Adds a protocol; a name already taken is refused by `infusion_protocols_name_key`.
pub async fn add_protocol(
    db: impl PgExecutor<'_>,
    name: &str,
    route: Route,
    mg_per_kg: f64,
    minutes: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO infusion_protocols (name, route, mg_per_kg, minutes)
         VALUES ($1, $2::text::dose_route, $3, $4)",
        name,
        route.code(),
        mg_per_kg,
        minutes
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Protocols are never deleted (records name them); they are retired and brought back.
pub async fn set_protocol_active(
    db: impl PgExecutor<'_>,
    id: i64,
    active: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE infusion_protocols SET active = $2 WHERE id = $1",
        id,
        active
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A pre-session questionnaire total recorded for an infusion.
#[derive(Clone, Debug)]
pub struct PreSessionScore {
    pub instrument: String,
    pub total: i16,
    pub band: Option<String>,
    /// PHQ-9 item 9 (thoughts of self-harm) as answered, for the clinician's attention.
    pub item9: Option<i16>,
    pub recorded_at: OffsetDateTime,
}

pub async fn pre_session_scores(
    db: impl PgExecutor<'_>,
    appointment_id: i64,
) -> sqlx::Result<Vec<PreSessionScore>> {
    sqlx::query_as!(
        PreSessionScore,
        r#"SELECT instrument, total AS "total!", band,
                  CASE WHEN instrument = 'phq9' THEN (answers->>8)::smallint END AS item9,
                  recorded_at
           FROM questionnaire_results
           WHERE appointment_id = $1 AND context = 'session' AND total IS NOT NULL
           ORDER BY instrument DESC"#,
        appointment_id
    )
    .fetch_all(db)
    .await
}

/// The patient's record version (migration 0016): it moves on with every change the course
/// and flowsheet pages show of the patient.
pub async fn record_version(db: impl PgExecutor<'_>, patient_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT coalesce((SELECT version FROM patient_record_versions WHERE patient_id = $1), 0)
                  AS "version!""#,
        patient_id
    )
    .fetch_one(db)
    .await
}
