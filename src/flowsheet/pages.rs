//! The clinician's infusion flowsheet: one page per infusion appointment, from check-in to the
//! signed discharge, and the forms that fill it. Every view and change is audited.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::db::{
    self, AddendumRow, CheckIn, EventRow, FlowsheetRow, PreSessionScore, ReadingRow, Signature,
    VoidedOrderRow,
};
use super::model::{
    self, ADDENDUM_MEANING, CheckInFacts, DISCHARGE_MEANING, DischargeFacts, DischargeProblem,
    DoseForm, EventForm, GivenForm, Protocol, Route, Severity, SideEffect, StandingOrder,
    TreatmentRules, VitalSign, Vitals, VitalsForm,
};
use super::reference;
use super::sheet::{SheetRecord, latest_of, read_sheet, standing_gate};
use crate::alerts::db::AlertRow;
use crate::alerts::model::AlertKind;
use crate::app::AppState;
use crate::audit::{self, action};
use crate::auth::CurrentUser;
use crate::auth::model::Role;
use crate::clinic_time::ClinicZone;
use crate::error::{AppError, AppResult};
use crate::patients::model::{SexAtBirth, pregnancy_relevant};
use crate::scheduling::model::{AppointmentStatus, GateProblem};
use crate::screening::rules::AllergiesAndInteractions;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

/// The check-in checklist as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    pub fasting: Option<String>,
    #[serde(default)]
    pub escort: Option<String>,
    #[serde(default)]
    pub pregnancy_test: String,
    /// Why the test does not apply, when "not applicable" is chosen.
    #[serde(default)]
    pub pregnancy_test_reason: String,
    /// The weight as typed, in `weight_unit` ("kg" or "lb").
    #[serde(default)]
    pub weight_kg: String,
    #[serde(default)]
    pub weight_unit: String,
    /// Ticked to confirm a weight far from the last one.
    #[serde(default)]
    pub weight_confirmed: Option<String>,
    #[serde(flatten)]
    pub vitals: VitalsForm,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub bp_override_reason: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct DischargeForm {
    #[serde(default)]
    pub escort_present: Option<String>,
    #[serde(default)]
    pub no_driving: Option<String>,
    #[serde(default)]
    pub signed_name: String,
    #[serde(default)]
    pub meaning: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AddendumForm {
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub signed_name: String,
    #[serde(default)]
    pub meaning: Option<String>,
}

/// Which form of the page a problem belongs to (its messages show there only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    CheckIn,
    Order,
    Start,
    Vitals,
    Event,
    End,
    Discharge,
    Addendum,
}

/// What the clinician typed, kept when a form is refused so nothing is lost.
#[derive(Default)]
pub struct Typed {
    pub check_in: Option<CheckInForm>,
    pub dose: Option<DoseForm>,
    pub start: StartForm,
    pub vitals: VitalsForm,
    pub event: EventForm,
    pub given: GivenForm,
    pub discharge: Option<DischargeForm>,
    pub addendum: AddendumForm,
    pub refused: Option<(Section, FormErrors)>,
    /// A refused clearing of an alert: which one, the typed note and the message.
    pub alert_clear: Option<(i64, String, String)>,
}

/// A reading as the timeline shows it: local time and the signs outside the alert ranges.
pub struct TimelineRow {
    pub reading: ReadingRow,
    pub time: String,
    pub alerts: Vec<VitalSign>,
}

impl TimelineRow {
    pub fn alert(&self, sign: &VitalSign) -> bool {
        self.alerts.contains(sign)
    }
}

#[derive(Template)]
#[template(path = "flowsheet/flowsheet.html")]
struct FlowsheetPage {
    ctx: PageContext,
    sheet: FlowsheetRow,
    rules: TreatmentRules,
    zone: ClinicZone,
    protocols: Vec<Protocol>,
    routes: [Route; 3],
    side_effects: [SideEffect; 16],
    severities: [Severity; 3],
    signs: [VitalSign; 5],
    timeline: Vec<TimelineRow>,
    chart: String,
    events: Vec<(EventRow, String)>,
    addenda: Vec<(AddendumRow, String)>,
    voided: Vec<(VoidedOrderRow, String)>,
    short_infusion: bool,
    pre_session: Vec<PreSessionScore>,
    alerts: Vec<AlertRow>,
    gate: Vec<GateProblem>,
    start_problems: Vec<String>,
    allergies: AllergiesAndInteractions,
    bp_held: bool,
    pregnancy_relevant: bool,
    discharge_problems: Vec<String>,
    last_reading: Option<OffsetDateTime>,
    next_due: Option<OffsetDateTime>,
    overdue: bool,
    typed: Typed,
    empty_errors: FormErrors,
    discharge_meaning: &'static str,
    addendum_meaning: &'static str,
}

impl FlowsheetPage {
    fn errors(&self, section: Section) -> &FormErrors {
        match &self.typed.refused {
            Some((at, errors)) if *at == section => errors,
            _ => &self.empty_errors,
        }
    }

    fn time(&self, at: &OffsetDateTime) -> String {
        self.zone.format(*at)
    }

    fn alert_label(&self, code: &str) -> &'static str {
        AlertKind::parse(code).map_or("Alert", AlertKind::label)
    }

    fn alert_prompt(&self, code: &str) -> &'static str {
        AlertKind::parse(code).map_or("Note", AlertKind::clearing_prompt)
    }

    fn alert_action(&self, id: &i64) -> String {
        format!("/infusions/{}/alerts/{id}/clear", self.sheet.appointment_id)
    }

    fn alert_typed(&self, id: &i64) -> &str {
        match &self.typed.alert_clear {
            Some((at, note, _)) if at == id => note,
            _ => "",
        }
    }

    fn alert_error(&self, id: &i64) -> Option<&str> {
        match &self.typed.alert_clear {
            Some((at, _, message)) if at == id => Some(message),
            _ => None,
        }
    }

    fn clock(&self, at: &Option<OffsetDateTime>) -> String {
        at.map(|at| self.zone.clock(at)).unwrap_or_default()
    }

    fn unix(&self, at: &Option<OffsetDateTime>) -> i64 {
        at.map_or(0, OffsetDateTime::unix_timestamp)
    }

    fn num(&self, value: &f64) -> String {
        model::plain_number(*value)
    }

    fn number(&self, value: &Option<f64>) -> String {
        value.map(model::plain_number).unwrap_or_default()
    }

    fn route_label(&self, code: &Option<String>) -> &'static str {
        code.as_deref()
            .and_then(Route::parse)
            .map_or("", Route::label)
    }

    fn protocol_of(&self, id: &str) -> bool {
        self.typed
            .dose
            .as_ref()
            .is_some_and(|d| d.protocol_id == id)
    }

    fn check_in_form(&self) -> CheckInForm {
        self.typed.check_in.clone().unwrap_or_else(|| CheckInForm {
            fasting: self.sheet.fasting_confirmed.then(|| "yes".to_owned()),
            escort: self.sheet.escort_confirmed.then(|| "yes".to_owned()),
            pregnancy_test: self.sheet.pregnancy_test.clone().unwrap_or_default(),
            pregnancy_test_reason: self.sheet.pregnancy_test_reason.clone().unwrap_or_default(),
            weight_kg: self.number(&self.sheet.weight_kg),
            weight_unit: "kg".to_owned(),
            weight_confirmed: None,
            vitals: VitalsForm::default(),
        })
    }

    /// The weights to compare today's with, beside the field.
    fn weight_hint(&self) -> String {
        let mut known = Vec::new();
        if let Some(kg) = self.sheet.profile_weight_kg {
            known.push(format!("profile {} kg", model::plain_number(kg)));
        }
        if let Some(kg) = self.sheet.last_weight_kg {
            known.push(format!("last infusion {} kg", model::plain_number(kg)));
        }
        if known.is_empty() {
            "No earlier weight on record.".to_owned()
        } else {
            format!(
                "Earlier: {}. A weight more than {}% from the last one must be confirmed.",
                known.join(", "),
                self.rules.weight_change_confirm_pct
            )
        }
    }

    fn given_hint(&self) -> String {
        format!(
            "Leave empty if the whole order was given ({} mg).",
            self.number(&self.sheet.dose_mg)
        )
    }

    fn dose_hint(&self) -> String {
        format!(
            "Leave empty for the protocol's dose. Clinic maximum: {} mg/kg and {} mg.",
            model::plain_number(self.rules.max_mg_per_kg),
            model::plain_number(self.rules.max_mg)
        )
    }

    fn dose_form(&self) -> DoseForm {
        self.typed.dose.clone().unwrap_or_default()
    }

    fn discharge_form(&self) -> DischargeForm {
        self.typed
            .discharge
            .clone()
            .unwrap_or_else(|| DischargeForm {
                escort_present: self.sheet.escort_present.then(|| "yes".to_owned()),
                no_driving: self.sheet.no_driving_acknowledged.then(|| "yes".to_owned()),
                ..DischargeForm::default()
            })
    }

    /// A gate problem with what to do, as clinicians read it (the flowsheet is theirs).
    fn gate_line(&self, problem: &GateProblem) -> String {
        format!(
            "{} {}",
            problem.message(Role::Clinician),
            problem.what_to_do(Role::Clinician)
        )
    }

    fn instrument_label(&self, code: &str) -> &'static str {
        if code == "phq9" { "PHQ-9" } else { "GAD-7" }
    }

    fn moaas_options(&self) -> Vec<(i16, &'static str)> {
        (0..=5)
            .rev()
            .filter_map(|score| model::moaas_label(score).map(|label| (score, label)))
            .collect()
    }

    fn event_label(&self, row: &EventRow) -> String {
        match row.kind.as_str() {
            "side_effect" => {
                let effect = row
                    .side_effect
                    .as_deref()
                    .and_then(SideEffect::parse)
                    .map_or("Side effect", SideEffect::label);
                let severity = row
                    .severity
                    .as_deref()
                    .and_then(Severity::parse)
                    .map_or("", Severity::label);
                format!("{effect} ({})", severity.to_lowercase())
            }
            "moaas" => {
                let score = row.moaas.unwrap_or_default();
                format!(
                    "MOAA/S {score}: {}",
                    model::moaas_label(score).unwrap_or_default()
                )
            }
            _ => format!("CADSS total {}", row.cadss_total.unwrap_or_default()),
        }
    }
}

/// The infusion appointment's flowsheet, or 404 when there is no such infusion.
async fn sheet_or_not_found(state: &AppState, appointment_id: i64) -> AppResult<FlowsheetRow> {
    db::flowsheet(&state.db, appointment_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Draws the flowsheet; `typed` holds a refused form's input and messages (answered 422).
async fn flowsheet_page(
    state: &AppState,
    ctx: PageContext,
    record: SheetRecord,
    typed: Typed,
) -> AppResult<Response> {
    let zone = crate::scheduling::reference::current(state)
        .await?
        .settings
        .zone();
    let treatment = reference::current(state).await?;
    let rules = treatment.rules.clone();
    let protocols = treatment.protocols.clone();
    let SheetRecord {
        sheet,
        readings,
        events,
        addenda,
        voided,
        pre_session,
        alerts,
        gate,
        chart,
        allergies,
    } = record;
    let now = state.clock.now();
    let baseline = latest_of(&readings, "baseline");
    let bp_held = baseline.is_some_and(|b| model::bp_holds_start(&b, &rules));
    let pregnancy_relevant = is_pregnancy_relevant(&sheet);
    let start_problems = start_problems(&sheet, baseline.as_ref(), &gate, &rules);
    let mut discharge_problems: Vec<String> =
        model::discharge_problems(&discharge_facts(&sheet, &readings, &events, now), &rules)
            .iter()
            .map(|p| p.message_with(&rules))
            .collect();
    discharge_problems.extend(model::discharge_held_by_alerts(&open_here(
        &alerts,
        sheet.appointment_id,
    )));
    let short_infusion = match (sheet.started_at, sheet.ended_at, sheet.minutes) {
        (Some(start), Some(end), Some(minutes)) => {
            model::is_short_infusion(end - start, minutes, rules.short_infusion_pct)
        }
        _ => false,
    };
    let last_reading = readings.last().map(|r| r.taken_at);
    let next_due = model::next_reading_due(
        sheet.started_at,
        last_reading.filter(|at| sheet.started_at.is_some_and(|s| *at >= s)),
        sheet.signed_at.is_some(),
        rules.vitals_interval_minutes,
    );
    let overdue = model::is_overdue(next_due, now);
    let timeline = readings
        .into_iter()
        .map(|reading| TimelineRow {
            time: zone.clock(reading.taken_at),
            alerts: model::alerts(&reading.vitals, &rules.alerts),
            reading,
        })
        .collect();
    let status = match &typed.refused {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    render_with_status(
        status,
        &FlowsheetPage {
            ctx,
            rules,
            zone,
            protocols,
            routes: Route::ALL,
            side_effects: SideEffect::ALL,
            severities: Severity::ALL,
            signs: VitalSign::ALL,
            timeline,
            chart,
            events: zone.label_each(events, |e| e.at),
            addenda: zone.label_each(addenda, |a| a.signed_at),
            voided: zone.label_each(voided, |v| v.voided_at),
            short_infusion,
            pre_session,
            alerts,
            gate,
            start_problems,
            allergies,
            bp_held,
            pregnancy_relevant,
            discharge_problems,
            last_reading,
            next_due,
            overdue,
            typed,
            empty_errors: FormErrors::default(),
            discharge_meaning: DISCHARGE_MEANING,
            addendum_meaning: ADDENDUM_MEANING,
            sheet,
        },
    )
}

/// The pregnancy test concerns the patient (see `pregnancy_relevant`); a sex at birth not
/// among the known codes counts as not recorded.
fn is_pregnancy_relevant(sheet: &FlowsheetRow) -> bool {
    pregnancy_relevant(sheet.sex_at_birth.as_deref().and_then(SexAtBirth::parse))
}

/// What discharge is judged on, as the record stands `now` (the app's clock).
fn discharge_facts(
    sheet: &FlowsheetRow,
    readings: &[ReadingRow],
    events: &[EventRow],
    now: OffsetDateTime,
) -> DischargeFacts {
    let ratings: Vec<(OffsetDateTime, i16)> = events
        .iter()
        .filter(|e| e.kind == "moaas")
        .filter_map(|e| e.moaas.map(|score| (e.at, score)))
        .collect();
    DischargeFacts {
        since_end: sheet.ended_at.map(|end| now - end),
        baseline: latest_of(readings, "baseline"),
        latest: latest_of(readings, "recovery"),
        moaas_after_end: model::moaas_after_end(&ratings, sheet.ended_at),
        escort_present: sheet.escort_present,
        no_driving_acknowledged: sheet.no_driving_acknowledged,
    }
}

/// What still stops the start, in the words of the checklist: the gate, a closed
/// appointment, the check-in, and the order checked against today's weight and the caps.
fn start_problems(
    sheet: &FlowsheetRow,
    baseline: Option<&Vitals>,
    gate: &[GateProblem],
    rules: &TreatmentRules,
) -> Vec<String> {
    // The flowsheet is the clinicians' own: they read the gate's precise reasons.
    let mut problems: Vec<String> = gate.iter().map(|p| p.message(Role::Clinician)).collect();
    if let Some(closed) = model::closed_appointment(&sheet.appointment_status) {
        problems.push(closed.to_owned());
    }
    let check_in = CheckInFacts {
        checked_in: sheet.checked_in_at.is_some(),
        fasting_confirmed: sheet.fasting_confirmed,
        escort_confirmed: sheet.escort_confirmed,
        pregnancy_test: sheet.pregnancy_test.as_deref(),
        pregnancy_test_reason: sheet.pregnancy_test_reason.as_deref(),
        pregnancy_relevant: is_pregnancy_relevant(sheet),
        baseline_taken: baseline.is_some(),
    };
    problems.extend(
        model::check_in_problems(&check_in)
            .into_iter()
            .map(|p| p.message().to_owned()),
    );
    let order = match (sheet.mg_per_kg, sheet.dose_mg, sheet.ordered_at) {
        (Some(mg_per_kg), Some(dose_mg), Some(_)) => Some(StandingOrder {
            mg_per_kg,
            dose_mg,
            ordered_for_kg: sheet.order_weight_kg,
        }),
        _ => None,
    };
    problems.extend(
        model::order_problems(order, sheet.weight_kg, rules)
            .iter()
            .map(|p| p.message(rules)),
    );
    problems
}

/// Records `what` was done to (or seen of) this infusion's record, with the patient; inside
/// the change's transaction when there is one.
async fn audit_flowsheet(
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

fn back_to(sheet: &FlowsheetRow, anchor: &str) -> Response {
    see_other(&format!("/infusions/{}#{anchor}", sheet.appointment_id))
}

/// A refused form: the page again with the typed input and the messages.
async fn refused(
    state: &AppState,
    ctx: PageContext,
    sheet: FlowsheetRow,
    mut typed: Typed,
    section: Section,
    errors: FormErrors,
) -> AppResult<Response> {
    typed.refused = Some((section, errors));
    let record = read_sheet(state, sheet).await?;
    flowsheet_page(state, ctx, record, typed).await
}

fn locked(sheet: &FlowsheetRow) -> Option<FormErrors> {
    sheet.signed_at.map(|_| {
        let mut errors = FormErrors::default();
        errors.add(
            "record",
            "This record is signed and locked. Add a signed addendum below instead.",
        );
        errors
    })
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
) -> AppResult<Response> {
    let record = super::remembered::sheet(&state, appointment_id).await?;
    audit_flowsheet(
        &state.db,
        &clinician,
        &meta,
        action::INFUSION_VIEW,
        &record.sheet,
    )
    .await?;
    flowsheet_page(&state, ctx, (*record).clone(), Typed::default()).await
}

/// The check-in: checklist, today's weight and the baseline vitals, all or nothing. A weight
/// other than the one a standing order was worked out from voids that order (kept, with the
/// reason); the clinician orders again.
pub async fn check_in(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<CheckInForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    let rules = reference::current(&state).await?.rules.clone();
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
        let typed = Typed {
            check_in: Some(form),
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::CheckIn, errors).await;
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
            audit::Entry::new(action::INFUSION_ORDER_VOID, Some(&clinician), &meta)
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
    audit_flowsheet(
        &mut *tx,
        &clinician,
        &meta,
        action::INFUSION_CHECK_IN,
        &sheet,
    )
    .await?;
    tx.commit().await?;
    Ok(back_to(&sheet, "order"))
}

/// The dose order, from the protocol and today's weight.
pub async fn order(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<DoseForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    let treatment = reference::current(&state).await?;
    let checked = model::check_dose_order(
        &form,
        &treatment.protocols,
        sheet.weight_kg,
        &treatment.rules,
    );
    let record = sheet.record_id.filter(|_| {
        sheet.started_at.is_none() && model::closed_appointment(&sheet.appointment_status).is_none()
    });
    let (Ok(order), Some(record)) = (&checked, record) else {
        let mut errors = checked.err().unwrap_or_default();
        if sheet.started_at.is_some() {
            errors.add(
                "record",
                "The infusion has started: the order can no longer change.",
            );
        }
        errors.check(
            "record",
            model::closed_appointment(&sheet.appointment_status),
        );
        let typed = Typed {
            dose: Some(form),
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::Order, errors).await;
    };
    let weight_kg = sheet.weight_kg.unwrap_or_default();
    let mut tx = state.db.begin().await?;
    if !db::save_order(&mut *tx, record, order, weight_kg, clinician.id).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::default();
        errors.add(
            "weight",
            "The check-in changed while you ordered (or the infusion started): check the \
             weight and order again.",
        );
        let typed = Typed {
            dose: Some(form),
            ..Typed::default()
        };
        let sheet = sheet_or_not_found(&state, appointment_id).await?;
        return refused(&state, ctx, sheet, typed, Section::Order, errors).await;
    }
    audit_flowsheet(&mut *tx, &clinician, &meta, action::INFUSION_ORDER, &sheet).await?;
    tx.commit().await?;
    Ok(back_to(&sheet, "start"))
}

/// The start. Inside its transaction, with the record locked, it checks the check-in and the
/// order again against today's weight and every cap, so nothing changed since the page was
/// drawn slips through.
pub async fn start(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<StartForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    let rules = reference::current(&state).await?.rules.clone();
    let clinic = crate::scheduling::reference::current(&state).await?;
    let gate = standing_gate(&state, &clinic.settings, &sheet).await?;
    let mut tx = state.db.begin().await?;
    if let Some(record) = sheet.record_id {
        db::lock_record(&mut tx, record).await?;
    }
    let sheet = db::flowsheet(&mut *tx, appointment_id)
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
        let typed = Typed {
            start: form,
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::Start, errors).await;
    };
    db::start(&mut *tx, record, held.then_some(reason), state.clock.now()).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::INFUSION_START, Some(&clinician), &meta)
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
    Ok(back_to(&sheet, "vitals"))
}

/// A reading during or after the infusion.
pub async fn vitals(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<VitalsForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    let checked = model::check_vitals(&form);
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
        let typed = Typed {
            vitals: form,
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::Vitals, errors).await;
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
    let rules = &reference::current(&state).await?.rules;
    if let Some(detail) = model::reading_alert(vitals, &rules.alerts) {
        raise_bedside_alert(
            &state,
            &mut tx,
            &clinician,
            &meta,
            &sheet,
            AlertKind::Vitals,
            &detail,
        )
        .await?;
    }
    audit_flowsheet(&mut *tx, &clinician, &meta, action::INFUSION_VITALS, &sheet).await?;
    tx.commit().await?;
    Ok(back_to(&sheet, "vitals"))
}

pub async fn event(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<EventForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    let checked = model::check_event(&form);
    let record = sheet
        .record_id
        .filter(|_| sheet.started_at.is_some() && sheet.signed_at.is_none());
    let (Ok(event), Some(record)) = (&checked, record) else {
        let mut errors = checked.err().unwrap_or_default();
        if sheet.started_at.is_none() {
            errors.add(
                "record",
                "Events are recorded once the infusion has started.",
            );
        }
        errors.check(
            "record",
            locked(&sheet).map(|_| "This record is signed and locked."),
        );
        let typed = Typed {
            event: form,
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::Event, errors).await;
    };
    let mut tx = state.db.begin().await?;
    db::add_event(&mut *tx, record, event, clinician.id, state.clock.now()).await?;
    let rules = &reference::current(&state).await?.rules;
    if let Some((kind, detail)) = model::event_alert(event, rules) {
        raise_bedside_alert(&state, &mut tx, &clinician, &meta, &sheet, kind, &detail).await?;
    }
    audit_flowsheet(&mut *tx, &clinician, &meta, action::INFUSION_EVENT, &sheet).await?;
    tx.commit().await?;
    Ok(back_to(&sheet, "events"))
}

/// The end, with the amount actually given: the ordered dose unless less is recorded with a
/// reason; more than ordered is refused.
pub async fn end(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<GivenForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    let (Some(record), Some(ordered_mg), None) = (
        sheet.record_id.filter(|_| sheet.started_at.is_some()),
        sheet.dose_mg,
        sheet.ended_at,
    ) else {
        return Ok(back_to(&sheet, "discharge"));
    };
    let (given_mg, reason) = match model::check_amount_given(&form, ordered_mg) {
        Ok(given) => given,
        Err(errors) => {
            let typed = Typed {
                given: form,
                ..Typed::default()
            };
            return refused(&state, ctx, sheet, typed, Section::End, errors).await;
        }
    };
    let mut tx = state.db.begin().await?;
    if db::end(
        &mut *tx,
        record,
        state.clock.now(),
        given_mg,
        reason.as_deref(),
    )
    .await?
    {
        audit_flowsheet(&mut *tx, &clinician, &meta, action::INFUSION_END, &sheet).await?;
    }
    tx.commit().await?;
    Ok(back_to(&sheet, "discharge"))
}

/// A clinician's typed signature: their own name (case and spacing aside) and the meaning
/// ticked.
fn check_signature(
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

/// Discharge: the checks must pass, then the clinician signs and the record locks.
pub async fn discharge(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<DischargeForm>,
) -> AppResult<Response> {
    let mut sheet = sheet_or_not_found(&state, appointment_id).await?;
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
        let typed = Typed {
            discharge: Some(form),
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::Discharge, unstorable).await;
    }
    let Some(record) = sheet.record_id.filter(|_| sheet.signed_at.is_none()) else {
        let errors = locked(&sheet).unwrap_or_else(|| {
            let mut errors = FormErrors::default();
            errors.add("record", "Open the infusion with its check-in first.");
            errors
        });
        let typed = Typed {
            discharge: Some(form),
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::Discharge, errors).await;
    };
    let escort_present = form.escort_present.is_some();
    let no_driving = form.no_driving.is_some();
    // The ticks are kept even when something else is still missing.
    db::save_discharge_checks(&state.db, record, escort_present, no_driving).await?;
    sheet.escort_present = escort_present;
    sheet.no_driving_acknowledged = no_driving;
    let rules = &reference::current(&state).await?.rules;
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
        &clinician,
        &form.signed_name,
        form.meaning.as_deref(),
    );
    if !errors.is_empty() {
        let typed = Typed {
            discharge: Some(form),
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::Discharge, errors).await;
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
        audit_flowsheet(&mut *tx, &clinician, &meta, action::INFUSION_SIGN, &sheet).await?;
    }
    tx.commit().await?;
    Ok(back_to(&sheet, "signature"))
}

/// A signed correction beneath a signed record.
pub async fn addendum(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<AddendumForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    let mut errors = FormErrors::default();
    errors.check_storable(&[
        ("body", &form.body),
        ("signed_name", &form.signed_name),
        ("meaning", form.meaning.as_deref().unwrap_or_default()),
    ]);
    let body = form.body.trim();
    if body.is_empty() {
        errors.add("body", "Write the correction or addition.");
    } else if body.chars().count() > 4000 {
        errors.add("body", "Keep an addendum to 4,000 characters.");
    }
    check_signature(
        &mut errors,
        &clinician,
        &form.signed_name,
        form.meaning.as_deref(),
    );
    let record = sheet.record_id.filter(|_| sheet.signed_at.is_some());
    if record.is_none() {
        errors.add(
            "body",
            "Addenda follow a signed record; until it is signed, record things in the flowsheet.",
        );
    }
    let (Some(record), true) = (record, errors.is_empty()) else {
        let typed = Typed {
            addendum: form,
            ..Typed::default()
        };
        return refused(&state, ctx, sheet, typed, Section::Addendum, errors).await;
    };
    let signature = Signature {
        clinician: clinician.id,
        name: form.signed_name.trim(),
        meaning: ADDENDUM_MEANING,
    };
    let mut tx = state.db.begin().await?;
    db::add_addendum(&mut *tx, record, body, &signature).await?;
    audit_flowsheet(
        &mut *tx,
        &clinician,
        &meta,
        action::INFUSION_ADDENDUM,
        &sheet,
    )
    .await?;
    tx.commit().await?;
    Ok(back_to(&sheet, "addenda"))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClearAlertForm {
    #[serde(default)]
    pub note: String,
}

/// A clinician clears one of the patient's alerts from the flowsheet with the note (the risk
/// assessment, the review or the action taken).
pub async fn clear_alert(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path((appointment_id, alert_id)): Path<(i64, i64)>,
    Form(form): Form<ClearAlertForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    let cleared = crate::alerts::clear(
        &state,
        &clinician,
        &meta,
        sheet.patient_id,
        alert_id,
        &form.note,
    )
    .await?;
    match cleared {
        Ok(_) => Ok(back_to(&sheet, "alerts")),
        Err(message) => {
            let typed = Typed {
                alert_clear: Some((alert_id, form.note, message)),
                ..Typed::default()
            };
            let record = read_sheet(&state, sheet).await?;
            let mut page = flowsheet_page(&state, ctx, record, typed).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

/// The kinds of this infusion's alerts still open.
fn open_here(alerts: &[AlertRow], appointment_id: i64) -> Vec<AlertKind> {
    alerts
        .iter()
        .filter(|a| a.cleared_at.is_none() && a.appointment_id == Some(appointment_id))
        .filter_map(|a| AlertKind::parse(&a.kind))
        .collect()
}

/// Raises a bedside alert on this infusion, inside the change's transaction.
async fn raise_bedside_alert(
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
