//! The pre-session PHQ-9 and GAD-7: the patient fills them on their own phone in the days
//! before an infusion; the clinician sees the totals at check-in.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;

use super::db::{self, PreSessionResult};
use crate::alerts::model::AlertKind;
use crate::app::AppState;
use crate::audit::{self, action};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::screening::instruments::{self, Instrument, InstrumentId};
use crate::web::params::unstorable_opt;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

/// The two instruments taken before each infusion, in the order they are shown.
const MEASURES: [InstrumentId; 2] = [InstrumentId::Phq9, InstrumentId::Gad7];

/// Form field names, one per item ("phq9_1" … "gad7_7"); static so errors can name them.
const PHQ9_KEYS: [&str; 9] = [
    "phq9_1", "phq9_2", "phq9_3", "phq9_4", "phq9_5", "phq9_6", "phq9_7", "phq9_8", "phq9_9",
];
const GAD7_KEYS: [&str; 7] = [
    "gad7_1", "gad7_2", "gad7_3", "gad7_4", "gad7_5", "gad7_6", "gad7_7",
];

fn keys(id: InstrumentId) -> &'static [&'static str] {
    match id {
        InstrumentId::Phq9 => &PHQ9_KEYS,
        _ => &GAD7_KEYS,
    }
}

#[derive(Template)]
#[template(path = "outcomes/measures.html")]
struct MeasuresPage {
    ctx: PageContext,
    appointment_id: i64,
    when: String,
    measures: Vec<(&'static Instrument, &'static [&'static str])>,
    typed: HashMap<String, String>,
    errors: FormErrors,
    done: bool,
    crisis: bool,
}

impl MeasuresPage {
    fn chosen(&self, key: &str, value: &i16) -> bool {
        self.typed
            .get(key)
            .is_some_and(|v| v.trim() == value.to_string())
    }
}

async fn own_infusion(
    state: &AppState,
    user: &CurrentUser,
    appointment_id: i64,
) -> AppResult<(i64, String)> {
    let (patient_id, starts) = db::own_upcoming_infusion(&state.db, user.id, appointment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let zone = crate::settings::load(&state.db).await?.zone();
    Ok((patient_id, zone.format(starts)))
}

fn page(
    ctx: PageContext,
    appointment_id: i64,
    when: String,
    typed: HashMap<String, String>,
    errors: FormErrors,
    done: bool,
    crisis: bool,
) -> AppResult<Response> {
    let status = errors.status();
    render_with_status(
        status,
        &MeasuresPage {
            ctx,
            appointment_id,
            when,
            measures: MEASURES
                .iter()
                .map(|id| (instruments::instrument(*id), keys(*id)))
                .collect(),
            typed,
            errors,
            done,
            crisis,
        },
    )
}

pub async fn form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
) -> AppResult<Response> {
    let (patient_id, when) = own_infusion(&state, &user, appointment_id).await?;
    let entry = audit::Entry::new(action::APPOINTMENT_VIEW, Some(&user), &meta)
        .patient(patient_id)
        .detail(format!(
            "pre-session measures of appointment {appointment_id}"
        ));
    audit::record_view(&state.db, entry).await?;
    let done = crate::flowsheet::db::pre_session_scores(&state.db, appointment_id)
        .await?
        .len()
        == MEASURES.len();
    page(
        ctx,
        appointment_id,
        when,
        HashMap::new(),
        FormErrors::default(),
        done,
        false,
    )
}

/// Every item must be answered; both totals are recorded together, once per infusion.
pub async fn submit(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Path(appointment_id): Path<i64>,
    Form(typed): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let (patient_id, when) = own_infusion(&state, &user, appointment_id).await?;
    let mut errors = FormErrors::default();
    // Unstorable text is refused before anything is written, even a risk alert: the answers
    // are shown back for the patient to send again.
    for key in PHQ9_KEYS.iter().chain(&GAD7_KEYS) {
        errors.check(key, unstorable_opt(typed.get(*key).map(String::as_str)));
    }
    if !errors.is_empty() {
        return page(ctx, appointment_id, when, typed, errors, false, false);
    }
    let mut taken = Vec::new();
    let mut risk = Vec::new();
    for id in MEASURES {
        let form = instruments::instrument(id);
        let answers: Vec<Option<i16>> = keys(id)
            .iter()
            .zip(form.items)
            .map(|(key, item)| {
                let value = typed
                    .get(*key)
                    .and_then(|v| v.trim().parse::<i16>().ok())
                    .filter(|v| form.options.iter().any(|o| o.value == *v));
                if value.is_none() {
                    errors.add(
                        key,
                        format!("Answer question {} of the {}.", item.number, form.title),
                    );
                }
                value
            })
            .collect();
        if id == InstrumentId::Phq9 {
            let flags = crate::screening::rules::suicide_risk_flags(&answers, &[]);
            if !flags.is_empty() {
                risk = vec![(flags, answers.clone())];
            }
        }
        if let Some(score) = instruments::score(id, &answers) {
            taken.push((form, answers, score));
        }
    }
    let crisis = !risk.is_empty();
    let mut tx = state.db.begin().await?;
    // A risk answer reaches a clinician even when the form is not complete: the answers that
    // raised it are kept with the alert.
    for (flags, answers) in &risk {
        let detail = pre_session_risk_detail(flags);
        let alert = crate::alerts::db::NewAlert {
            patient_id,
            appointment_id: Some(appointment_id),
            detail: &detail,
            answers: Some(answers),
            ..Default::default()
        };
        crate::alerts::raise(
            &state,
            &mut tx,
            Some(&user),
            &meta,
            AlertKind::RiskAnswer,
            alert,
        )
        .await?;
    }
    if !errors.is_empty() {
        tx.commit().await?;
        return page(ctx, appointment_id, when, typed, errors, false, crisis);
    }
    for (form, answers, score) in &taken {
        let result = PreSessionResult {
            instrument: form.id.code(),
            version: form.version,
            answers,
            total: score.total,
            band: score.band.code(),
        };
        db::record_pre_session(&mut *tx, patient_id, appointment_id, &result).await?;
    }
    audit::record(
        &mut *tx,
        audit::Entry::new(action::PRE_SESSION_SUBMIT, Some(&user), &meta)
            .patient(patient_id)
            .detail(format!("appointment {appointment_id}")),
    )
    .await?;
    tx.commit().await?;
    if crisis {
        // Crisis resources at once, as after the screening.
        return page(
            ctx,
            appointment_id,
            when,
            HashMap::new(),
            FormErrors::default(),
            true,
            true,
        );
    }
    Ok(see_other("/patient/appointments?notice=measures"))
}

/// What the alert says: the risk answers, in the screening's words.
fn pre_session_risk_detail(flags: &[crate::screening::rules::Flag]) -> String {
    let reasons: Vec<&str> = flags.iter().map(|f| f.reason.as_str()).collect();
    format!("Before the session: {}", reasons.join("; "))
}
