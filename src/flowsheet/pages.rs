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
    self, AddendumRow, EventRow, FlowsheetRow, PreSessionScore, ReadingRow, Signature,
    VoidedOrderRow,
};
use super::model::{
    self, ADDENDUM_MEANING, AddendumForm, CheckInForm, DISCHARGE_MEANING, DischargeForm, DoseForm,
    EventForm, GivenForm, Protocol, Route, Severity, SideEffect, StartForm, TreatmentRules,
    VitalSign, VitalsForm,
};
use super::record::{self, audit_flowsheet, check_signature, locked, raise_bedside_alert};
use super::reference;
use super::sheet::{
    SheetRecord, discharge_facts, is_pregnancy_relevant, latest_of, open_here, read_sheet,
    start_problems,
};
use crate::alerts::db::AlertRow;
use crate::alerts::model::AlertKind;
use crate::audit::action;
use crate::clinic_time::ClinicZone;
use crate::core::CurrentUser;
use crate::core::Role;
use crate::error::{AppError, AppResult};
use crate::scheduling::model::GateProblem;
use crate::screening::rules::AllergiesAndInteractions;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

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
    match record::check_in(&state, &clinician, &meta, sheet, &form).await? {
        Ok(sheet) => Ok(back_to(&sheet, "order")),
        Err(no) => {
            let typed = Typed {
                check_in: Some(form),
                ..Typed::default()
            };
            refused(&state, ctx, no.sheet, typed, Section::CheckIn, no.errors).await
        }
    }
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
    match record::start(&state, &clinician, &meta, sheet, &form).await? {
        Ok(sheet) => Ok(back_to(&sheet, "vitals")),
        Err(no) => {
            let typed = Typed {
                start: form,
                ..Typed::default()
            };
            refused(&state, ctx, no.sheet, typed, Section::Start, no.errors).await
        }
    }
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
    match record::vitals(&state, &clinician, &meta, sheet, &form).await? {
        Ok(sheet) => Ok(back_to(&sheet, "vitals")),
        Err(no) => {
            let typed = Typed {
                vitals: form,
                ..Typed::default()
            };
            refused(&state, ctx, no.sheet, typed, Section::Vitals, no.errors).await
        }
    }
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

/// Discharge: the checks must pass, then the clinician signs and the record locks.
pub async fn discharge(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(form): Form<DischargeForm>,
) -> AppResult<Response> {
    let sheet = sheet_or_not_found(&state, appointment_id).await?;
    match record::discharge(&state, &clinician, &meta, sheet, &form).await? {
        Ok(sheet) => Ok(back_to(&sheet, "signature")),
        Err(no) => {
            let typed = Typed {
                discharge: Some(form),
                ..Typed::default()
            };
            refused(&state, ctx, no.sheet, typed, Section::Discharge, no.errors).await
        }
    }
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
