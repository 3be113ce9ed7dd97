//! Thin handlers: find the patient, audit the export, then answer with the streamed bundle.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use super::bundle::{self, Requester};
use super::model;
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, params, render_with_status, see_other};

/// Any patient's record, for clinicians and admins.
pub async fn for_staff(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
    Path(patient_id): Path<i64>,
) -> AppResult<Response> {
    crate::patients::db::identity(&state.db, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    export(&state, &user, &meta, patient_id).await
}

/// The patient's own record; the id comes from the session.
pub async fn for_patient(
    State(state): State<AppState>,
    user: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    let patient_id = crate::scheduling::db::patient_of_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    export(&state, &user, &meta, patient_id).await
}

/// Audits first (nothing leaves without its entry), then streams the bundle.
async fn export(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    patient_id: i64,
) -> AppResult<Response> {
    audit::record(
        &state.db,
        audit::Entry::new(action::FHIR_EXPORT, Some(user), meta)
            .patient(patient_id)
            .detail("FHIR R4 bundle"),
    )
    .await?;
    let requester = Requester {
        user_id: user.id,
        role: user.role.as_str(),
        client_addr: meta.client_addr.clone(),
        request_id: meta.request_id.clone(),
    };
    let base = model::fhir_base(state.config.public_url.as_deref());
    let body = bundle::stream(state.db.clone(), base, patient_id, requester);
    let filename = format!(
        "attachment; filename=\"patient-{patient_id}-{}.fhir.json\"",
        OffsetDateTime::now_utc().date()
    );
    Ok((
        [
            (CONTENT_TYPE, "application/fhir+json".to_owned()),
            (CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "export/admin.html")]
struct AdminPage {
    ctx: PageContext,
    patient: String,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    patient: Option<String>,
}

/// The admin's way to a patient's export: their number, as the audit log shows it. Without a
/// number the page shows the empty form; a wrong one gets its message beside the field.
pub async fn admin_form(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(query): Query<AdminQuery>,
) -> AppResult<Response> {
    let mut errors = FormErrors::default();
    if let Some(problem) = query.patient.as_deref().and_then(params::unstorable) {
        errors.add("patient", problem);
    } else if let Some(typed) = &query.patient {
        match typed.trim().parse::<i64>() {
            Ok(id) if id > 0 => {
                if crate::patients::db::identity(&state.db, id).await?.is_some() {
                    return Ok(see_other(&format!("/patients/{id}/export.json")));
                }
                errors.add(
                    "patient",
                    "There is no patient with this number. Check it in the audit log.",
                );
            }
            _ => errors.add(
                "patient",
                "Enter the patient's number in digits, as the audit log shows it (for example 1042).",
            ),
        }
    }
    render_with_status(
        errors.status(),
        &AdminPage {
            ctx,
            patient: query.patient.unwrap_or_default(),
            errors,
        },
    )
}
