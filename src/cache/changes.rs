//! The invalidation channel. Every change to the clinic's reference data (settings, accounts'
//! names and roles, chairs, working hours, protocols, consent versions) is announced by
//! PostgreSQL on `clinic_reference` when it commits (triggers of migrations 0006, 0011, 0016
//! and 0034), and each process moves its generation on: whatever was kept under an earlier one
//! is stale. While a process is not listening (starting up, or its listening connection lost)
//! it keeps nothing and every page reads PostgreSQL.
//!
//! One listening connection serves every channel a process follows: the sessions' channel
//! (`auth::session_cache`) subscribes through `Listening` too.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

pub const CHANNEL: &str = "clinic_reference";

/// Something kept honest by a channel's notifications.
pub trait Listening: Send + Sync {
    /// A notification arrived on the channel.
    fn heard(&self, payload: &str);
    /// Listening began or stopped: changes may have been missed meanwhile either way.
    fn set_listening(&self, listening: bool);
}

/// The reference data's generation.
#[derive(Default)]
pub struct Changes {
    state: Mutex<(bool, u64)>,
}

impl Changes {
    fn lock(&self) -> MutexGuard<'_, (bool, u64)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `None` while not listening.
    pub fn generation(&self) -> Option<u64> {
        let (listening, generation) = *self.lock();
        listening.then_some(generation)
    }

    /// This process changed reference data itself: what it kept is stale now, before the
    /// announcement arrives.
    pub fn moved_on(&self) {
        self.lock().1 += 1;
    }
}

impl Listening for Changes {
    fn heard(&self, _payload: &str) {
        self.moved_on();
    }

    fn set_listening(&self, listening: bool) {
        let mut state = self.lock();
        *state = (listening, state.1 + 1);
    }
}

/// Runs for the life of the process: listens on each channel and tells its subscriber what
/// was heard, reconnecting after a lost connection.
pub async fn follow(db: PgPool, channels: Vec<(&'static str, Arc<dyn Listening>)>) {
    let mut failing = false;
    loop {
        let result = follow_until_lost(&db, &channels).await;
        for (_, subscriber) in &channels {
            subscriber.set_listening(false);
        }
        match result {
            Err(e) if !failing => {
                tracing::warn!(error = %e, "not hearing changes; reading everything from the database until this recovers");
                failing = true;
            }
            Err(_) => {}
            Ok(()) => failing = false,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Returns when the connection is lost.
async fn follow_until_lost(
    db: &PgPool,
    channels: &[(&'static str, Arc<dyn Listening>)],
) -> sqlx::Result<()> {
    let mut listener = PgListener::connect_with(db).await?;
    listener
        .listen_all(channels.iter().map(|(name, _)| *name))
        .await?;
    for (_, subscriber) in channels {
        subscriber.set_listening(true);
    }
    while let Some(notification) = listener.try_recv().await? {
        for (name, subscriber) in channels {
            if *name == notification.channel() {
                subscriber.heard(notification.payload());
            }
        }
    }
    Ok(())
}
