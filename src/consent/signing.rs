//! Signing, countersigning and withdrawing: each checks the form against the consent as it
//! stands, then records the event and its audit entry in one transaction.

use super::db::{self, NewSignature, NewWithdrawal, SignatureRow};
use super::model::{
    self, CLINICIAN_MEANING, CLINICIAN_UNTICKED, PATIENT_MEANING, PATIENT_UNTICKED, SignForm,
    SigningContext,
};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::patients::db::ProfileRow;
use crate::state::AppState;
use crate::web::{FormErrors, RequestMeta};

/// How a patient's signing went.
pub enum Signing {
    /// They had signed this version already; nothing was recorded.
    Already,
    /// The form is refused: shown again with these errors (its version now the one in force).
    Refused {
        form: SignForm,
        errors: FormErrors,
    },
    Signed,
}

/// The patient signs the version in force, unless they have signed it already.
pub async fn sign(
    state: &AppState,
    (user, meta, agent): (&CurrentUser, &RequestMeta, &str),
    profile: &ProfileRow,
    form: SignForm,
) -> AppResult<Signing> {
    let mut tx = state.db.begin().await?;
    // One signing at a time per patient: a double click cannot sign twice.
    db::lock_patient(&mut *tx, profile.id).await?;
    let status = model::consent_status(&db::facts(&mut *tx, profile.id).await?);
    if status.is_current() {
        return Ok(Signing::Already);
    }
    let version = db::current_version(&mut *tx).await?.ok_or_else(|| {
        AppError::BadRequest("The clinic has not published a consent form yet.".into())
    })?;
    let context = SigningContext {
        version_id: version.id,
        text_sha256: version.text_sha256.as_deref().unwrap_or_default(),
        name_on_record: &profile.legal_name,
        unticked: PATIENT_UNTICKED,
    };
    if let Err(errors) = model::check_signature(&form, &context) {
        let form = SignForm {
            // The stale form's version is replaced by the one now shown; the name is kept.
            version_id: version.id.to_string(),
            text_sha256: context.text_sha256.to_owned(),
            ..form
        };
        return Ok(Signing::Refused { form, errors });
    }
    let signature_id = db::record_signature(
        &mut *tx,
        &NewSignature {
            version_id: version.id,
            patient_id: profile.id,
            signer_user_id: user.id,
            countersigns: None,
            printed_name: form.printed_name.trim(),
            meaning: PATIENT_MEANING,
            text_sha256: context.text_sha256,
            client_addr: &meta.client_addr,
            user_agent: agent,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::CONSENT_SIGN, Some(user), meta)
            .patient(profile.id)
            .detail(format!(
                "signature {signature_id}: version {}",
                version.version.unwrap_or_default()
            )),
    )
    .await?;
    tx.commit().await?;
    Ok(Signing::Signed)
}

/// The clinician countersigns a patient's signature. `Err` holds the form's errors. When
/// another clinician countersigned a moment ago, theirs stands and this one is `Ok` too.
pub async fn countersign(
    state: &AppState,
    (clinician, meta, agent): (&CurrentUser, &RequestMeta, &str),
    signature: &SignatureRow,
    form: &SignForm,
) -> AppResult<Result<(), FormErrors>> {
    let context = SigningContext {
        version_id: signature.version_id,
        text_sha256: &signature.text_sha256,
        name_on_record: &clinician.name,
        unticked: CLINICIAN_UNTICKED,
    };
    if let Err(errors) = model::check_signature(form, &context) {
        return Ok(Err(errors));
    }
    let mut tx = state.db.begin().await?;
    let recorded = db::record_signature(
        &mut *tx,
        &NewSignature {
            version_id: signature.version_id,
            patient_id: signature.patient_id,
            signer_user_id: clinician.id,
            countersigns: Some(signature.id),
            printed_name: form.printed_name.trim(),
            meaning: CLINICIAN_MEANING,
            text_sha256: &signature.text_sha256,
            client_addr: &meta.client_addr,
            user_agent: agent,
        },
    )
    .await;
    match recorded {
        Ok(countersignature_id) => {
            audit::record(
                &mut *tx,
                audit::Entry::new(action::CONSENT_COUNTERSIGN, Some(clinician), meta)
                    .patient(signature.patient_id)
                    .detail(format!(
                        "signature {countersignature_id} countersigns {}",
                        signature.id
                    )),
            )
            .await?;
            tx.commit().await?;
        }
        // Another clinician countersigned a moment ago: theirs stands, and the page shows it.
        Err(sqlx::Error::Database(e))
            if e.constraint() == Some("consent_signatures_one_countersignature") => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Ok(()))
}

/// The patient withdraws their consent: their future infusions are cancelled and the front
/// desk hears of it. False when there was no signed consent to withdraw.
pub async fn withdraw(
    state: &AppState,
    (user, meta, agent): (&CurrentUser, &RequestMeta, &str),
    patient_id: i64,
    reason: Option<&str>,
) -> AppResult<bool> {
    let mut tx = state.db.begin().await?;
    db::lock_patient(&mut *tx, patient_id).await?;
    if !model::can_withdraw(model::consent_status(
        &db::facts(&mut *tx, patient_id).await?,
    )) {
        return Ok(false);
    }
    let withdrawal_id = db::record_withdrawal(
        &mut *tx,
        &NewWithdrawal {
            patient_id,
            withdrawn_by: user.id,
            reason,
            client_addr: &meta.client_addr,
            user_agent: agent,
        },
    )
    .await?;
    // No infusion without consent: the future ones go, and the front desk hears of it.
    let cancelled = db::cancel_future_infusions(&mut tx, patient_id, user.id).await?;
    db::tell_front_desk_of_withdrawal(&mut *tx, patient_id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::CONSENT_WITHDRAW, Some(user), meta)
            .patient(patient_id)
            .detail(format!(
                "withdrawal {withdrawal_id}; {cancelled} future infusion(s) cancelled"
            )),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
