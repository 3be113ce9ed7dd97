//! Recording the bladder and memory follow-up: the answers read from the form and scored,
//! kept, an alert raised when they need review, audited; all in one transaction.

use std::collections::HashMap;

use super::db::{self, PreSessionResult};
use super::model::{self, FOLLOW_UP_OPTIONS, FOLLOW_UP_VERSION};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::core::params::unstorable_opt;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{FormErrors, RequestMeta};

/// Form field names, one per item; static so errors can name them.
pub const KEYS: [&str; 8] = [
    "item_1", "item_2", "item_3", "item_4", "item_5", "item_6", "item_7", "item_8",
];

/// Records the patient's follow-up as typed; the problems on their fields when it is not
/// complete (nothing is kept then).
pub async fn submit(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    typed: &HashMap<String, String>,
) -> AppResult<Result<(), FormErrors>> {
    let patient_id = crate::scheduling::db::patient_of_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::default();
    for key in KEYS {
        errors.check(key, unstorable_opt(typed.get(key).map(String::as_str)));
    }
    let answers: Vec<Option<i16>> = model::follow_up_items()
        .iter()
        .zip(KEYS)
        .map(|(item, key)| {
            let value = typed
                .get(key)
                .and_then(|v| v.trim().parse::<i16>().ok())
                .filter(|v| FOLLOW_UP_OPTIONS.iter().any(|(o, _)| o == v));
            if value.is_none() {
                errors.add(key, format!("Answer question {}.", item.number));
            }
            value
        })
        .collect();
    let Some(score) = model::score_follow_up(&answers).filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let result = PreSessionResult {
        instrument: "follow_up",
        version: FOLLOW_UP_VERSION,
        answers: &answers,
        total: score.total,
        band: if score.needs_review {
            "review"
        } else {
            "routine"
        },
    };
    let mut tx = state.db.begin().await?;
    let result_id = db::record_follow_up(&mut *tx, patient_id, &result).await?;
    // A finding that needs review reaches clinicians and gates the next infusion until one
    // clears it with a note.
    if score.needs_review {
        let alert = crate::alerts::db::NewAlert {
            patient_id,
            result_id: Some(result_id),
            detail: "The bladder and memory follow-up marked answers that need review.",
            ..Default::default()
        };
        crate::alerts::raise(
            state,
            &mut tx,
            Some(user),
            meta,
            crate::alerts::model::AlertKind::FollowUpReview,
            alert,
        )
        .await?;
    }
    audit::record(
        &mut *tx,
        audit::Entry::new(action::FOLLOW_UP_SUBMIT, Some(user), meta).patient(patient_id),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}
