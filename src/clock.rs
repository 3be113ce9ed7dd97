//! The app's one source of "now". Rules that depend on elapsed time (observation after an
//! infusion, due questionnaires, escalations) read it here, so tests move the clock forward
//! instead of sleeping. Production never moves it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// Wall-clock time plus an offset that only tests change. Clones share the offset, so a test
/// holding a clone moves the clock of the running app.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        let offset = Duration::seconds(self.offset_seconds.load(Ordering::Relaxed));
        OffsetDateTime::now_utc().saturating_add(offset)
    }

    /// Moves the clock forward (or back, with a negative duration). For tests and the demo.
    pub fn advance(&self, by: Duration) {
        self.offset_seconds
            .fetch_add(by.whole_seconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_clock_is_seen_by_every_clone() {
        let clock = Clock::default();
        let seen_by_app = clock.clone();
        let before = seen_by_app.now();
        clock.advance(Duration::minutes(45));
        let moved = seen_by_app.now() - before;
        assert!(moved >= Duration::minutes(45) && moved < Duration::minutes(46));
    }
}
