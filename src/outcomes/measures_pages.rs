//! The pre-session PHQ-9 and GAD-7: the patient fills them on their own phone in the days
//! before an infusion; the clinician sees the totals at check-in.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;

use super::db;
use super::measures::{self, MEASURES, Submitted, keys};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::screening::instruments::{self, Instrument};
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

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
    let ids = (patient_id, appointment_id);
    match measures::submit(&state, &user, &meta, ids, &typed).await? {
        Submitted::Recorded => Ok(see_other("/patient/appointments?notice=measures")),
        Submitted::Crisis => {
            let typed = HashMap::new();
            page(
                ctx,
                appointment_id,
                when,
                typed,
                FormErrors::default(),
                true,
                true,
            )
        }
        Submitted::Refused { errors, crisis } => {
            page(ctx, appointment_id, when, typed, errors, false, crisis)
        }
    }
}
