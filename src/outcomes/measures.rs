//! Recording the pre-session PHQ-9 and GAD-7: every item answered, both totals kept
//! together once per infusion; a risk answer reaches a clinician even from an incomplete form.

use std::collections::HashMap;

use super::db::{self, PreSessionResult};
use crate::alerts::model::AlertKind;
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::core::params::unstorable_opt;
use crate::error::AppResult;
use crate::screening::instruments::{self, InstrumentId};
use crate::state::AppState;
use crate::web::{FormErrors, RequestMeta};

/// The two instruments taken before each infusion, in the order they are shown.
pub const MEASURES: [InstrumentId; 2] = [InstrumentId::Phq9, InstrumentId::Gad7];

/// Form field names, one per item ("phq9_1" … "gad7_7"); static so errors can name them.
const PHQ9_KEYS: [&str; 9] = [
    "phq9_1", "phq9_2", "phq9_3", "phq9_4", "phq9_5", "phq9_6", "phq9_7", "phq9_8", "phq9_9",
];
const GAD7_KEYS: [&str; 7] = [
    "gad7_1", "gad7_2", "gad7_3", "gad7_4", "gad7_5", "gad7_6", "gad7_7",
];

pub fn keys(id: InstrumentId) -> &'static [&'static str] {
    match id {
        InstrumentId::Phq9 => &PHQ9_KEYS,
        _ => &GAD7_KEYS,
    }
}

/// What became of a submitted form.
pub enum Submitted {
    /// Both totals kept.
    Recorded,
    /// Kept, and a risk answer raised an alert: the patient sees crisis resources at once.
    Crisis,
    /// Not kept: the problems on their fields (a risk answer was still passed on: `crisis`).
    Refused { errors: FormErrors, crisis: bool },
}

/// Records the measures of the patient's infusion as typed.
pub async fn submit(
    state: &AppState,
    user: &CurrentUser,
    meta: &RequestMeta,
    (patient_id, appointment_id): (i64, i64),
    typed: &HashMap<String, String>,
) -> AppResult<Submitted> {
    let mut errors = FormErrors::default();
    // Unstorable text is refused before anything is written, even a risk alert: the answers
    // are shown back for the patient to send again.
    for key in PHQ9_KEYS.iter().chain(&GAD7_KEYS) {
        errors.check(key, unstorable_opt(typed.get(*key).map(String::as_str)));
    }
    if !errors.is_empty() {
        return Ok(Submitted::Refused {
            errors,
            crisis: false,
        });
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
            state,
            &mut tx,
            Some(user),
            meta,
            AlertKind::RiskAnswer,
            alert,
        )
        .await?;
    }
    if !errors.is_empty() {
        tx.commit().await?;
        return Ok(Submitted::Refused { errors, crisis });
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
        audit::Entry::new(action::PRE_SESSION_SUBMIT, Some(user), meta)
            .patient(patient_id)
            .detail(format!("appointment {appointment_id}")),
    )
    .await?;
    tx.commit().await?;
    // Crisis resources at once, as after the screening.
    Ok(if crisis {
        Submitted::Crisis
    } else {
        Submitted::Recorded
    })
}

/// What the alert says: the risk answers, in the screening's words.
fn pre_session_risk_detail(flags: &[crate::screening::rules::Flag]) -> String {
    let reasons: Vec<&str> = flags.iter().map(|f| f.reason.as_str()).collect();
    format!("Before the session: {}", reasons.join("; "))
}
