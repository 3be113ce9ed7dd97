//! What every scheduling page needs and seldom changes: the clinic's settings, chairs,
//! clinicians and working hours, read once per process and again after any change (each
//! change is announced by PostgreSQL; see `cache::changes`). The appointments and time off of
//! the days lately shown are remembered under the schedule's version (migration 0012), read
//! with each page: a page never shows a schedule older than the latest committed change.

use std::sync::Arc;

use time::OffsetDateTime;

use super::db::{self, BusyRow, Chair, Clinician, HoursRow, ScheduleRow, Showing};
use super::model::Slot;
use crate::cache::Kept;
use crate::error::AppResult;
use crate::settings::{self, ClinicSettings};
use crate::state::AppState;

pub struct Reference {
    pub settings: ClinicSettings,
    pub chairs: Vec<Chair>,
    pub clinicians: Vec<Clinician>,
    pub hours: Vec<HoursRow>,
}

/// The current reference data, from memory when nothing changed since it was read.
pub async fn current(state: &AppState) -> AppResult<Arc<Reference>> {
    let read = async {
        Ok(Reference {
            settings: settings::load(&state.db).await?,
            chairs: db::chairs(&state.db).await?,
            clinicians: db::clinicians(&state.db).await?,
            hours: db::working_hours(&state.db).await?,
        })
    };
    state.cache.reference(read).await
}

/// A span of time a schedule covers (a day or a week, in UTC), and which drawing of it.
type Span = (OffsetDateTime, OffsetDateTime, &'static str);

/// Enough for the days and weeks a busy front desk moves between; a week of a fully booked
/// clinic of thirty clinicians is about 150 KiB.
const SPANS: usize = 24;

/// The schedules lately drawn and the open slots lately worked out, per span.
pub struct Schedules {
    boards: Kept<Span, Drawing, Drawn>,
    slots: Kept<Span, Vec<Slot>, Drawn>,
}

impl Default for Schedules {
    fn default() -> Self {
        Schedules {
            boards: Kept::new(SPANS),
            slots: Kept::new(SPANS),
        }
    }
}

/// What a drawn schedule was drawn from: the schedule's version and the reference data
/// (its chair and clinician names).
#[derive(Clone)]
struct Drawn {
    version: i64,
    reference: Arc<Reference>,
}

impl PartialEq for Drawn {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && Arc::ptr_eq(&self.reference, &other.reference)
    }
}

/// A drawn schedule: its HTML, how many appointments it shows, and the hours it covers when
/// it is a time grid (the page draws the time column and the current time beside it).
pub struct Drawing {
    pub html: String,
    pub shown: usize,
    pub hours: Option<(i32, i32)>,
}

/// The schedule of `from`..`until` as `draw` lays it out, drawn again only after an
/// appointment, time off, a patient's name, a flowsheet's milestone or the reference data
/// changed; `name` tells the drawings of one span apart.
pub async fn board(
    state: &AppState,
    reference: &Arc<Reference>,
    name: &'static str,
    span: (OffsetDateTime, OffsetDateTime),
    showing: Showing,
    draw: impl FnOnce(&[ScheduleRow]) -> AppResult<Drawing>,
) -> AppResult<Arc<Drawing>> {
    let (from, until) = span;
    let drawn = Drawn {
        version: db::schedule_version(&state.db).await?,
        reference: reference.clone(),
    };
    let schedules = state.cache.kept::<Schedules>();
    if let Some(board) = schedules.boards.get(&(from, until, name), &drawn) {
        return Ok(board);
    }
    // Read after the version: a change committed in between only makes this drawing newer
    // than its version, and the next page draws it again.
    let rows = db::appointments_between(&state.db, from, until, showing).await?;
    let board = Arc::new(draw(&rows)?);
    schedules
        .boards
        .keep((from, until, name), drawn, board.clone());
    Ok(board)
}

/// The open slots of `from`..`until` as `open` works them out from the busy times read for
/// that span, worked out again only after a change (as for `board`); `name` tells apart the
/// slot lists of one span (one per appointment kind).
pub async fn slots(
    state: &AppState,
    reference: &Arc<Reference>,
    name: &'static str,
    from: OffsetDateTime,
    until: OffsetDateTime,
    open: impl FnOnce(&[BusyRow]) -> Vec<Slot>,
) -> AppResult<Arc<Vec<Slot>>> {
    let drawn = Drawn {
        version: db::schedule_version(&state.db).await?,
        reference: reference.clone(),
    };
    let schedules = state.cache.kept::<Schedules>();
    if let Some(slots) = schedules.slots.get(&(from, until, name), &drawn) {
        return Ok(slots);
    }
    let busy = db::busy_between(&state.db, from, until).await?;
    let slots = Arc::new(open(&busy));
    schedules
        .slots
        .keep((from, until, name), drawn, slots.clone());
    Ok(slots)
}
