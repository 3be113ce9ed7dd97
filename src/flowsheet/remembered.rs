//! The flowsheets of the infusions lately shown, kept in memory under the patient's record
//! version (migration 0016), the reference generation (settings, protocols, consent versions,
//! staff names) and the day (the screening's standing moves on with the date). A page reads
//! the version first and uses what is kept only when nothing changed; otherwise it reads
//! again. The flowsheet is opened again and again during an infusion. The stamp and
//! `by_patient` serve the other features' kept read-models of a patient too (the course, the
//! printable summary): they change with the same record version.

use std::future::Future;
use std::sync::Arc;

use time::{Date, OffsetDateTime};

use super::db;
use super::sheet::{SheetRecord, read_sheet};
use crate::cache::Kept;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Enough for the patients a clinic's clinicians have open in a day; a course of years is
/// about 30 KiB.
pub const PATIENTS: usize = 256;

/// What was read under which changes.
#[derive(Clone, PartialEq)]
pub struct Stamp {
    version: i64,
    generation: u64,
    day: Date,
}

/// The flowsheets lately shown, by infusion appointment.
pub struct RememberedSheets(Kept<i64, SheetRecord, Stamp>);

impl Default for RememberedSheets {
    fn default() -> Self {
        RememberedSheets(Kept::new(PATIENTS))
    }
}

/// The stamp of the patient's record as it stands, or `None` while this process is not
/// hearing of reference changes (then nothing is kept or used).
async fn stamp(state: &AppState, patient_id: i64) -> AppResult<Option<Stamp>> {
    let Some(generation) = state.cache.generation() else {
        return Ok(None);
    };
    Ok(Some(Stamp {
        version: db::record_version(&state.db, patient_id).await?,
        generation,
        day: OffsetDateTime::now_utc().date(),
    }))
}

/// What `read` reads of the patient, from `kept` while the patient's record is unchanged.
pub async fn by_patient<T>(
    state: &AppState,
    kept: &Kept<i64, T, Stamp>,
    patient_id: i64,
    read: impl Future<Output = AppResult<T>>,
) -> AppResult<Arc<T>> {
    // Stamped before reading: a change committed in between only makes what is read newer
    // than its stamp, and the next page reads again.
    let stamp = stamp(state, patient_id).await?;
    if let Some(value) = stamp.as_ref().and_then(|s| kept.get(&patient_id, s)) {
        return Ok(value);
    }
    let value = Arc::new(read.await?);
    if let Some(stamp) = stamp {
        kept.keep(patient_id, stamp, value.clone());
    }
    Ok(value)
}

/// The flowsheet of the infusion appointment, or 404 when there is no such infusion.
pub async fn sheet(state: &AppState, appointment_id: i64) -> AppResult<Arc<SheetRecord>> {
    let remembered = &state.cache.kept::<RememberedSheets>().0;
    let patient_id = match remembered.any(&appointment_id) {
        Some((_, kept)) => kept.sheet.patient_id,
        None => {
            db::flowsheet(&state.db, appointment_id)
                .await?
                .ok_or(AppError::NotFound)?
                .patient_id
        }
    };
    let stamp = stamp(state, patient_id).await?;
    if let Some(sheet) = stamp
        .as_ref()
        .and_then(|s| remembered.get(&appointment_id, s))
    {
        return Ok(sheet);
    }
    // Read (again) after the stamp, the appointment's own row too.
    let row = db::flowsheet(&state.db, appointment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sheet = Arc::new(read_sheet(state, row).await?);
    if let Some(stamp) = stamp.filter(|_| sheet.sheet.patient_id == patient_id) {
        remembered.keep(appointment_id, stamp, sheet.clone());
    }
    Ok(sheet)
}
