//! The clinicians' alert pages: every open alert, and one patient's alerts with the form that
//! clears each with a note. Viewing and clearing are audited.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::db::{self, AlertRow, OpenAlert};
use super::model::AlertKind;
use crate::audit::{self, action};
use crate::clinic_time::ClinicZone;
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::patients::db::PatientIdentity;
use crate::state::AppState;
use crate::web::{PageContext, RequestMeta, render, render_with_status, see_other};

/// How many open alerts the list shows (oldest first; clearing them brings the next).
const LIST_MAX: i64 = 100;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClearForm {
    #[serde(default)]
    pub note: String,
}

#[derive(Template)]
#[template(path = "alerts/list.html")]
struct ListPage {
    ctx: PageContext,
    alerts: Vec<(OpenAlert, String)>,
}

impl ListPage {
    fn label(&self, code: &str) -> &'static str {
        label(code)
    }
}

fn label(code: &str) -> &'static str {
    AlertKind::parse(code).map_or("Alert", AlertKind::label)
}

/// Every open alert, oldest first. Names only: the details are on each patient's page.
pub async fn list(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    let zone = crate::settings::load(&state.db).await?.zone();
    let alerts = db::open_list(&state.db, LIST_MAX).await?;
    let shown = audit::list_detail(
        "open clinical alerts",
        alerts.len(),
        alerts.iter().map(|a| a.patient_id),
    );
    audit::record_view(
        &state.db,
        audit::Entry::new(action::PATIENT_LIST, Some(&clinician), &meta).detail(shown),
    )
    .await?;
    render(&ListPage {
        ctx,
        alerts: zone.label_each(alerts, |a| a.raised_at),
    })
}

#[derive(Template)]
#[template(path = "alerts/patient.html")]
struct PatientPage {
    ctx: PageContext,
    patient: PatientIdentity,
    alerts: Vec<AlertRow>,
    zone: ClinicZone,
    /// The refused clearing: which alert, the typed note and the message.
    refused: Option<(i64, String, String)>,
}

impl PatientPage {
    fn label(&self, code: &str) -> &'static str {
        label(code)
    }

    fn action(&self, id: &i64) -> String {
        format!("/clinician/patients/{}/alerts/{id}/clear", self.patient.id)
    }

    fn prompt(&self, code: &str) -> &'static str {
        AlertKind::parse(code).map_or("Note", AlertKind::clearing_prompt)
    }

    fn time(&self, at: &time::OffsetDateTime) -> String {
        self.zone.format(*at)
    }

    fn typed(&self, id: &i64) -> &str {
        match &self.refused {
            Some((at, note, _)) if at == id => note,
            _ => "",
        }
    }

    fn error(&self, id: &i64) -> Option<&str> {
        match &self.refused {
            Some((at, _, message)) if at == id => Some(message),
            _ => None,
        }
    }
}

async fn patient_page(
    state: &AppState,
    ctx: PageContext,
    patient_id: i64,
    refused: Option<(i64, String, String)>,
) -> AppResult<Response> {
    let patient = crate::patients::db::identity(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let zone = crate::settings::load(&state.db).await?.zone();
    let status = if refused.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    render_with_status(
        status,
        &PatientPage {
            ctx,
            patient,
            alerts: db::for_patient(&state.db, patient_id, 50).await?,
            zone,
            refused,
        },
    )
}

/// One patient's alerts, open first, with who cleared the others, when and why.
pub async fn for_patient(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path(patient_id): Path<i64>,
) -> AppResult<Response> {
    let page = patient_page(&state, ctx, patient_id, None).await?;
    audit::record(
        &state.db,
        audit::Entry::new(action::ALERT_VIEW, Some(&clinician), &meta).patient(patient_id),
    )
    .await?;
    Ok(page)
}

pub async fn clear(
    State(state): State<AppState>,
    ctx: PageContext,
    clinician: CurrentUser,
    meta: RequestMeta,
    Path((patient_id, alert_id)): Path<(i64, i64)>,
    Form(form): Form<ClearForm>,
) -> AppResult<Response> {
    match super::clear(&state, &clinician, &meta, patient_id, alert_id, &form.note).await? {
        Ok(_) => Ok(see_other(&format!(
            "/clinician/patients/{patient_id}/alerts"
        ))),
        Err(message) => {
            patient_page(
                &state,
                ctx,
                patient_id,
                Some((alert_id, form.note, message)),
            )
            .await
        }
    }
}
