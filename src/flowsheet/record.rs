//! The infusion record's changes, each one use case: check it against the record as it
//! stands (the rules in `model`), write it in one transaction with its audit entry and any
//! bedside alert, or say what stops it. The pages read the form, call one, and render.

use super::db::{self, CheckIn, FlowsheetRow, Signature};
use super::model::{
    self, CheckInForm, DISCHARGE_MEANING, DischargeForm, DischargeProblem, StartForm, VitalsForm,
};
use super::reference;
use super::sheet::{discharge_facts, latest_of, open_here, standing_gate, start_problems};
use crate::alerts::model::AlertKind;
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::scheduling::model::AppointmentStatus;
use crate::state::AppState;
use crate::web::{FormErrors, RequestMeta};

/// A change the record refused: what stops it, and the record as it stands to show it on.
pub struct Refused {
    pub sheet: FlowsheetRow,
    pub errors: FormErrors,
}

/// The record the change was made to (to go back to), or why it was not made.
pub type Done = Result<FlowsheetRow, Refused>;

/// Records `what` was done to (or seen of) this infusion's record, with the patient; inside
/// the change's transaction when there is one.
pub async fn audit_flowsheet(
    db: impl sqlx::PgExecutor<'_>,
    clinician: &CurrentUser,
    meta: &RequestMeta,
    what: &'static str,
    sheet: &FlowsheetRow,
) -> AppResult<()> {
    audit::record(
        db,
        audit::Entry::new(what, Some(clinician), meta)
            .patient(sheet.patient_id)
            .detail(format!("appointment {}", sheet.appointment_id)),
    )
    .await?;
    Ok(())
}

pub fn locked(sheet: &FlowsheetRow) -> Option<FormErrors> {
    sheet.signed_at.map(|_| {
        let mut errors = FormErrors::default();
        errors.add(
            "record",
            "This record is signed and locked. Add a signed addendum below instead.",
        );
        errors
    })
}

/// A clinician's typed signature: their own name (case and spacing aside) and the meaning
/// ticked.
pub fn check_signature(
    errors: &mut FormErrors,
    clinician: &CurrentUser,
    name: &str,
    meaning: Option<&str>,
) {
    if !crate::consent::model::same_name(name, &clinician.name) {
        errors.add(
            "signed_name",
            format!(
                "Type your name as your account shows it: {}.",
                clinician.name
            ),
        );
    }
    if meaning.is_none() {
        errors.add(
            "meaning",
            "Tick the box to confirm what your signature means.",
        );
    }
}

/// Raises a bedside alert on this infusion, inside the change's transaction.
pub async fn raise_bedside_alert(
    state: &AppState,
    tx: &mut sqlx::PgConnection,
    clinician: &CurrentUser,
    meta: &RequestMeta,
    sheet: &FlowsheetRow,
    kind: AlertKind,
    detail: &str,
) -> AppResult<()> {
    let alert = crate::alerts::db::NewAlert {
        patient_id: sheet.patient_id,
        appointment_id: Some(sheet.appointment_id),
        detail,
        ..Default::default()
    };
    crate::alerts::raise(state, tx, Some(clinician), meta, kind, alert).await?;
    Ok(())
}

/// The check-in: checklist, today's weight and the baseline vitals, all or nothing. A weight
/// other than the one a standing order was worked out from voids that order (kept, with the
/// reason); the clinician orders again.
pub async fn check_in(
    state: &AppState,
    clinician: &CurrentUser,
    meta: &RequestMeta,
    sheet: FlowsheetRow,
    form: &CheckInForm,
) -> AppResult<Done> {
    let rules = reference::current(state).await?.rules.clone();
    let mut errors = locked(&sheet).unwrap_or_default();
    errors.check_storable(&[
        ("fasting", form.fasting.as_deref().unwrap_or_default()),
        ("escort", form.escort.as_deref().unwrap_or_default()),
        ("pregnancy_test", &form.pregnancy_test),
        ("pregnancy_test_reason", &form.pregnancy_test_reason),
        ("weight_kg", &form.weight_kg),
        ("weight_unit", &form.weight_unit),
        (
            "weight_kg",
            form.weight_confirmed.as_deref().unwrap_or_default(),
        ),
    ]);
    if sheet.started_at.is_some() {
        errors.add(
            "record",
            "The infusion has started: the check-in can no longer change.",
        );
    }
    errors.check(
        "record",
        model::closed_appointment(&sheet.appointment_status),
    );
    let weight = crate::patients::model::parse_weight(&form.weight_kg, &form.weight_unit);
    match &weight {
        Err(message) => errors.add("weight_kg", *message),
        Ok(kg) => {
            let last = sheet.last_weight_kg.or(sheet.profile_weight_kg);
            if form.weight_confirmed.is_none()
                && model::weight_needs_confirmation(last, *kg, rules.weight_change_confirm_pct)
            {
                errors.add(
                    "weight_kg",
                    format!(
                        "{} kg is more than {}% away from the last weight ({} kg). Check the \
                         unit and the scale; if it is right, tick \"The weight is right\".",
                        model::plain_number(*kg),
                        rules.weight_change_confirm_pct,
                        model::plain_number(last.unwrap_or_default())
                    ),
                );
            }
        }
    }
    let pregnancy = match form.pregnancy_test.trim() {
        "" => None,
        code @ ("negative" | "positive" | "not_applicable") => Some(code.to_owned()),
        _ => {
            errors.add("pregnancy_test", "Choose one of the results listed.");
            None
        }
    };
    let reason = form.pregnancy_test_reason.trim();
    let pregnancy_reason =
        (pregnancy.as_deref() == Some("not_applicable") && !reason.is_empty()).then_some(reason);
    if reason.chars().count() > model::TEXT_MAX {
        errors.add(
            "pregnancy_test_reason",
            "Keep the reason to 500 characters or fewer.",
        );
    }
    let vitals = model::check_vitals(&form.vitals);
    if let Err(problems) = &vitals {
        for (field, message) in problems.all() {
            errors.add(field, message.clone());
        }
    }
    let (Ok(weight_kg), Ok(vitals), true) = (weight, vitals, errors.is_empty()) else {
        return Ok(Err(Refused { sheet, errors }));
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let record = db::open_record(
        &mut tx,
        sheet.appointment_id,
        sheet.patient_id,
        clinician.id,
    )
    .await?;
    db::lock_record(&mut tx, record).await?;
    let ordered_for = db::flowsheet(&mut *tx, sheet.appointment_id)
        .await?
        .filter(|s| s.ordered_at.is_some())
        .map(|s| s.order_weight_kg.or(s.weight_kg));
    if let Some(reason) = ordered_for.and_then(|kg| model::order_voided_by(kg, weight_kg))
        && db::void_order(&mut tx, record, &reason, clinician.id).await?
    {
        audit::record(
            &mut *tx,
            audit::Entry::new(action::INFUSION_ORDER_VOID, Some(clinician), meta)
                .patient(sheet.patient_id)
                .detail(format!(
                    "appointment {}; weight changed after the order",
                    sheet.appointment_id
                )),
        )
        .await?;
    }
    let check_in = CheckIn {
        fasting_confirmed: form.fasting.is_some(),
        escort_confirmed: form.escort.is_some(),
        pregnancy_test: pregnancy.as_deref(),
        pregnancy_test_reason: pregnancy_reason,
        weight_kg,
        at: now,
    };
    db::save_check_in(&mut *tx, record, &check_in, clinician.id).await?;
    db::add_reading(&mut *tx, record, "baseline", &vitals, clinician.id, now).await?;
    // The front desk may not have checked the patient in yet: the clinician's check-in does.
    if sheet.appointment_status == "booked" {
        crate::scheduling::db::check_in(&mut tx, sheet.appointment_id, clinician.id).await?;
    }
    audit_flowsheet(&mut *tx, clinician, meta, action::INFUSION_CHECK_IN, &sheet).await?;
    tx.commit().await?;
    Ok(Ok(sheet))
}

/// The start. Inside its transaction, with the record locked, it checks the check-in and the
/// order again against today's weight and every cap, so nothing changed since the page was
/// drawn slips through.
pub async fn start(
    state: &AppState,
    clinician: &CurrentUser,
    meta: &RequestMeta,
    sheet: FlowsheetRow,
    form: &StartForm,
) -> AppResult<Done> {
    let rules = reference::current(state).await?.rules.clone();
    let clinic = crate::scheduling::reference::current(state).await?;
    let gate = standing_gate(state, &clinic.settings, &sheet).await?;
    let mut tx = state.db.begin().await?;
    if let Some(record) = sheet.record_id {
        db::lock_record(&mut tx, record).await?;
    }
    let sheet = db::flowsheet(&mut *tx, sheet.appointment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let readings = match sheet.record_id {
        Some(id) => db::readings(&mut *tx, id).await?,
        None => Vec::new(),
    };
    let baseline = latest_of(&readings, "baseline");
    let mut errors = FormErrors::default();
    errors.check_storable(&[("bp_override_reason", &form.bp_override_reason)]);
    for problem in start_problems(&sheet, baseline.as_ref(), &gate, &rules) {
        errors.add("start", problem);
    }
    let reason = form.bp_override_reason.trim();
    let held = baseline.is_some_and(|b| model::bp_holds_start(&b, &rules));
    if held && reason.is_empty() {
        errors.add(
            "bp_override_reason",
            format!(
                "The baseline blood pressure is above the clinic's hold threshold ({}/{} mmHg). Take it again, or give the reason to start anyway.",
                rules.bp_hold_systolic, rules.bp_hold_diastolic
            ),
        );
    } else if reason.chars().count() > model::TEXT_MAX {
        errors.add("bp_override_reason", "Keep the reason to 500 characters.");
    }
    if sheet.started_at.is_some() {
        errors.add("start", "The infusion has already started.");
    }
    let Some(record) = sheet.record_id.filter(|_| errors.is_empty()) else {
        tx.rollback().await?;
        return Ok(Err(Refused { sheet, errors }));
    };
    db::start(&mut *tx, record, held.then_some(reason), state.clock.now()).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::INFUSION_START, Some(clinician), meta)
            .patient(sheet.patient_id)
            .detail(if held {
                format!(
                    "appointment {}; blood pressure hold overridden",
                    sheet.appointment_id
                )
            } else {
                format!("appointment {}", sheet.appointment_id)
            }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(sheet))
}

/// A reading during or after the infusion.
pub async fn vitals(
    state: &AppState,
    clinician: &CurrentUser,
    meta: &RequestMeta,
    sheet: FlowsheetRow,
    form: &VitalsForm,
) -> AppResult<Done> {
    let checked = model::check_vitals(form);
    let record = sheet
        .record_id
        .filter(|_| sheet.started_at.is_some() && sheet.signed_at.is_none());
    let (Ok(vitals), Some(record)) = (&checked, record) else {
        let mut errors = checked.err().unwrap_or_default();
        errors.check(
            "record",
            locked(&sheet).map(|_| "This record is signed and locked."),
        );
        if sheet.started_at.is_none() {
            errors.add(
                "record",
                "Start the infusion first; baseline vitals belong to the check-in.",
            );
        }
        return Ok(Err(Refused { sheet, errors }));
    };
    let phase = if sheet.ended_at.is_some() {
        "recovery"
    } else {
        "infusion"
    };
    let mut tx = state.db.begin().await?;
    db::add_reading(
        &mut *tx,
        record,
        phase,
        vitals,
        clinician.id,
        state.clock.now(),
    )
    .await?;
    let rules = &reference::current(state).await?.rules;
    if let Some(detail) = model::reading_alert(vitals, &rules.alerts) {
        raise_bedside_alert(
            state,
            &mut tx,
            clinician,
            meta,
            &sheet,
            AlertKind::Vitals,
            &detail,
        )
        .await?;
    }
    audit_flowsheet(&mut *tx, clinician, meta, action::INFUSION_VITALS, &sheet).await?;
    tx.commit().await?;
    Ok(Ok(sheet))
}

/// Discharge: the checks must pass, then the clinician signs and the record locks.
pub async fn discharge(
    state: &AppState,
    clinician: &CurrentUser,
    meta: &RequestMeta,
    mut sheet: FlowsheetRow,
    form: &DischargeForm,
) -> AppResult<Done> {
    // Before anything is kept, even the ticks.
    let mut unstorable = FormErrors::default();
    unstorable.check_storable(&[
        (
            "escort_present",
            form.escort_present.as_deref().unwrap_or_default(),
        ),
        ("no_driving", form.no_driving.as_deref().unwrap_or_default()),
        ("signed_name", &form.signed_name),
        ("meaning", form.meaning.as_deref().unwrap_or_default()),
    ]);
    if !unstorable.is_empty() {
        return Ok(Err(Refused {
            sheet,
            errors: unstorable,
        }));
    }
    let Some(record) = sheet.record_id.filter(|_| sheet.signed_at.is_none()) else {
        let errors = locked(&sheet).unwrap_or_else(|| {
            let mut errors = FormErrors::default();
            errors.add("record", "Open the infusion with its check-in first.");
            errors
        });
        return Ok(Err(Refused { sheet, errors }));
    };
    let escort_present = form.escort_present.is_some();
    let no_driving = form.no_driving.is_some();
    // The ticks are kept even when something else is still missing.
    db::save_discharge_checks(&state.db, record, escort_present, no_driving).await?;
    sheet.escort_present = escort_present;
    sheet.no_driving_acknowledged = no_driving;
    let rules = &reference::current(state).await?.rules;
    let readings = db::readings(&state.db, record).await?;
    let events = db::events(&state.db, record).await?;
    let facts = discharge_facts(&sheet, &readings, &events, state.clock.now());
    let mut errors = FormErrors::default();
    let alerts = crate::alerts::db::for_patient(&state.db, sheet.patient_id, 50).await?;
    let held = model::discharge_held_by_alerts(&open_here(&alerts, sheet.appointment_id));
    errors.check("alerts", held);
    for problem in model::discharge_problems(&facts, rules) {
        let field = match problem {
            DischargeProblem::NoEscort => "escort_present",
            DischargeProblem::NoDrivingNotAcknowledged => "no_driving",
            _ => "discharge",
        };
        errors.add(field, problem.message_with(rules));
    }
    check_signature(
        &mut errors,
        clinician,
        &form.signed_name,
        form.meaning.as_deref(),
    );
    if !errors.is_empty() {
        return Ok(Err(Refused { sheet, errors }));
    }
    let signature = Signature {
        clinician: clinician.id,
        name: form.signed_name.trim(),
        meaning: DISCHARGE_MEANING,
    };
    let mut tx = state.db.begin().await?;
    if db::sign_discharge(&mut *tx, record, escort_present, no_driving, &signature).await? {
        crate::scheduling::db::close(
            &mut tx,
            sheet.appointment_id,
            AppointmentStatus::Completed,
            false,
            clinician.id,
            None,
        )
        .await?;
        audit_flowsheet(&mut *tx, clinician, meta, action::INFUSION_SIGN, &sheet).await?;
    }
    tx.commit().await?;
    Ok(Ok(sheet))
}
