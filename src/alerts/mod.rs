//! Clinical alerts: a risk answer before a session or in a screening draft, a follow-up that
//! needs review, deep sedation, marked dissociation or vitals outside the bounds at the
//! bedside. Each reaches clinicians (in the app and by email, with no patient details) and
//! stays until a clinician clears it with a note.

pub mod db;
pub mod model;
pub mod pages;

use sqlx::PgConnection;

use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::core::RequestMeta;
use crate::core::Role;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::routes::{CLINICIAN, Route};
use db::NewAlert;
use model::AlertKind;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/clinician/alerts", CLINICIAN).get(pages::list),
        Route::new("/clinician/patients/{id}/alerts", CLINICIAN).get(pages::for_patient),
        Route::new("/clinician/patients/{id}/alerts/{alert}/clear", CLINICIAN)
            .post(pages::clear)
            .checks_text(),
    ]
}

/// Raises the alert inside the caller's transaction, and, when it is new, queues the email
/// to every clinician and audits it. True when it is new.
pub async fn raise(
    state: &AppState,
    tx: &mut PgConnection,
    actor: Option<&CurrentUser>,
    meta: &RequestMeta,
    kind: AlertKind,
    alert: NewAlert<'_>,
) -> AppResult<bool> {
    let alert = NewAlert {
        kind: kind.code(),
        ..alert
    };
    if !db::raise(&mut *tx, &alert).await? {
        return Ok(false);
    }
    if state.mailer.is_some() {
        let (subject, body) = crate::notify::model::clinical_alert_email(
            kind.label(),
            state.config.public_url.as_deref(),
        );
        crate::notify::db::enqueue_for_role(
            &mut *tx,
            Role::Clinician,
            "clinical_alert",
            &subject,
            &body,
        )
        .await?;
    }
    audit::record(
        &mut *tx,
        audit::Entry::new(action::ALERT_RAISE, actor, meta)
            .patient(alert.patient_id)
            .detail(kind.code()),
    )
    .await?;
    tracing::warn!(kind = kind.code(), "clinical alert raised");
    Ok(true)
}

/// Clears one open alert of the patient with the clinician's note, audited. `Err` holds the
/// message to show beside the note.
pub async fn clear(
    state: &AppState,
    clinician: &CurrentUser,
    meta: &RequestMeta,
    patient_id: i64,
    alert_id: i64,
    note: &str,
) -> AppResult<Result<AlertKind, String>> {
    let open = db::for_patient(&state.db, patient_id, 200).await?;
    let Some(kind) = open
        .iter()
        .find(|a| a.id == alert_id && a.cleared_at.is_none())
        .and_then(|a| AlertKind::parse(&a.kind))
    else {
        return Ok(Err(
            "This alert is already cleared or is not this patient's.".to_owned(),
        ));
    };
    let note = match model::check_clearing_note(note, kind) {
        Ok(note) => note,
        Err(message) => return Ok(Err(message)),
    };
    let mut tx = state.db.begin().await?;
    if db::clear(&mut *tx, alert_id, patient_id, clinician.id, &note)
        .await?
        .is_none()
    {
        return Ok(Err("This alert was cleared a moment ago.".to_owned()));
    }
    audit::record(
        &mut *tx,
        audit::Entry::new(action::ALERT_CLEAR, Some(clinician), meta)
            .patient(patient_id)
            .detail(format!("alert {alert_id} ({})", kind.code())),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(kind))
}
