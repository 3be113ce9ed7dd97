//! The signed copy: the full text as signed and every signature beside it, for the patient and
//! for clinicians, on screen and in print. Also the exact signed text as a plain file, so
//! anyone can recompute its SHA-256.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::db::{self, SignatureRow, Version};
use super::model::{self, CLINICIAN_MEANING};
use crate::audit::{self, action};
use crate::clinic_time::{ClinicZone, utc_stamp};
use crate::core::CurrentUser;
use crate::core::Role;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status};

/// The clinician's countersignature form, when the signature still needs one.
pub struct CountersignForm {
    pub printed_name: String,
    pub understood: bool,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "consent/signed_copy.html")]
struct SignedCopyPage {
    ctx: PageContext,
    signature: SignatureRow,
    version: Version,
    document_html: String,
    /// Whether the text shown hashes to what the signature recorded.
    text_verified: bool,
    /// (clinic time, UTC) for the patient's signature and the countersignature.
    signed_at: (String, String),
    countersigned_at: Option<(String, String)>,
    zone: &'static str,
    back: (&'static str, String),
    countersign: Option<CountersignForm>,
    clinician_meaning: &'static str,
}

/// Reads a signature and its version, recording the view in the audit trail. `patient_id`
/// limits it to one patient's signatures (a patient's own), `None` allows any (clinicians).
pub async fn load(
    state: &AppState,
    viewer: &CurrentUser,
    meta: &RequestMeta,
    signature_id: i64,
    patient_id: Option<i64>,
) -> AppResult<(SignatureRow, Version)> {
    let owner = db::signer_patient(&state.db, signature_id)
        .await?
        .filter(|owner| patient_id.is_none_or(|own| own == *owner))
        .ok_or(AppError::NotFound)?;
    let signature = db::signatures_of_patient(&state.db, owner, Some(signature_id))
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    let version = db::version(&state.db, signature.version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &state.db,
        audit::Entry::new(action::CONSENT_VIEW, Some(viewer), meta)
            .patient(signature.patient_id)
            .detail(format!("signature {signature_id}")),
    )
    .await?;
    Ok((signature, version))
}

pub async fn page(
    state: &AppState,
    ctx: PageContext,
    (signature, version): (SignatureRow, Version),
    countersign: Option<CountersignForm>,
) -> AppResult<Response> {
    let zone: ClinicZone = crate::settings::load(&state.db).await?.zone();
    let status = countersign
        .as_ref()
        .map_or(StatusCode::OK, |form| form.errors.status());
    let back = match ctx.user.as_ref().map(|u| u.role) {
        Some(Role::Patient) => ("Back to your consent", "/patient/consent".to_owned()),
        _ => (
            "Back to the patient's consent record",
            format!("/clinician/patients/{}/consent", signature.patient_id),
        ),
    };
    let page = SignedCopyPage {
        ctx,
        document_html: model::render_document(&version.body),
        text_verified: model::text_sha256(&version.body) == signature.text_sha256,
        signed_at: (
            zone.format(signature.signed_at),
            utc_stamp(signature.signed_at),
        ),
        countersigned_at: signature
            .countersignature
            .as_ref()
            .map(|c| (zone.format(c.signed_at), utc_stamp(c.signed_at))),
        zone: zone.name(),
        back,
        countersign: countersign.filter(|_| signature.countersignature.is_none()),
        clinician_meaning: CLINICIAN_MEANING,
        signature,
        version,
    };
    render_with_status(status, &page)
}

/// The exact text of a published version as a UTF-8 file: `sha256sum` of it gives the hash
/// shown on every signature of that version. Drafts are for admins only.
pub async fn exact_text(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(version_id): Path<i64>,
) -> AppResult<Response> {
    let version = db::version(&state.db, version_id)
        .await?
        .filter(|v| model::may_read_text(v.is_published(), user.role))
        .ok_or(AppError::NotFound)?;
    let file_name = match version.version {
        Some(number) => format!("consent-version-{number}.txt"),
        None => format!("consent-draft-{}.txt", version.id),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file_name}\""),
            ),
        ],
        version.body,
    )
        .into_response())
}
