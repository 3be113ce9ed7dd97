//! The flowsheet's thresholds and the dosing protocols, read once per process and again after
//! an admin changes them: every flowsheet and course page needs them, and they change a few
//! times a year. PostgreSQL announces each change (migrations 0006 and 0016), as it does for
//! scheduling's reference data.

use std::sync::Arc;

use super::db;
use super::model::{Protocol, TreatmentRules};
use crate::error::AppResult;
use crate::state::AppState;

pub struct Reference {
    pub rules: TreatmentRules,
    /// Active first, then by name (as the admin page lists them).
    pub protocols: Vec<Protocol>,
}

/// The current rules and protocols, from memory when nothing changed since they were read.
pub async fn current(state: &AppState) -> AppResult<Arc<Reference>> {
    let read = async {
        Ok(Reference {
            rules: db::rules(&state.db).await?,
            protocols: db::protocols(&state.db).await?,
        })
    };
    state.cache.reference(read).await
}
