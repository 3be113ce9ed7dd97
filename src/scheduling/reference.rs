//! What every scheduling page needs and seldom changes: the clinic's settings, chairs,
//! clinicians and working hours, read once per process and again after any change (each
//! change is announced by PostgreSQL; see `Remembered`).

use std::sync::Arc;

use super::db::{self, Chair, Clinician, HoursRow};
use crate::app::AppState;
use crate::error::AppResult;
use crate::settings::{self, ClinicSettings};

pub struct Reference {
    pub settings: ClinicSettings,
    pub chairs: Vec<Chair>,
    pub clinicians: Vec<Clinician>,
    pub hours: Vec<HoursRow>,
}

/// The current reference data, from memory when nothing changed since it was read.
pub async fn current(state: &AppState) -> AppResult<Arc<Reference>> {
    let generation = state.sessions.reference_generation();
    if let Some(reference) = state.scheduling_reference.get(generation) {
        return Ok(reference);
    }
    let reference = Arc::new(Reference {
        settings: settings::load(&state.db).await?,
        chairs: db::chairs(&state.db).await?,
        clinicians: db::clinicians(&state.db).await?,
        hours: db::working_hours(&state.db).await?,
    });
    state
        .scheduling_reference
        .keep(generation, reference.clone());
    Ok(reference)
}
