//! What every request shares: the database pool, the configuration, the hashing slots, the
//! sessions and the cache, the clock, and the requests in flight that shutdown waits for.

use std::sync::Arc;

use sqlx::PgPool;

use crate::auth::cookies::Cookies;
use crate::auth::password::Passwords;
use crate::auth::session_cache::SessionCache;
use crate::cache::{Cache, Listening};
use crate::config::Config;
use crate::notify::{MailConfigError, Mailer};

/// Shared by every request; cloned per request and per layer, hence one pointer to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub db: PgPool,
    pub config: Arc<Config>,
    pub cookies: Cookies,
    pub passwords: Passwords,
    /// Present when the clinic has configured a mail relay.
    pub mailer: Option<Mailer>,
    /// Live sessions in memory, kept current through `cache::changes::follow`.
    pub sessions: Arc<SessionCache>,
    /// What pages keep in memory while nothing they show changes (each feature's own kinds).
    pub cache: Cache,
    /// "Now" for time-dependent rules; tests move it (see `clock`).
    pub clock: crate::clock::Clock,
    /// What shutdown waits for.
    pub in_flight: RequestsInFlight,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(db: PgPool, config: Config) -> Result<Self, MailConfigError> {
        let cache = Cache::default();
        Ok(AppState(Arc::new(Shared {
            db,
            cookies: Cookies {
                secure: config.https,
            },
            passwords: Passwords::new(config.password_hash_permits())
                .with_max_wait(config.limits.hash_wait),
            mailer: Mailer::from_config(&config)?,
            sessions: Arc::new(SessionCache::new(cache.changes.clone())),
            cache,
            clock: crate::clock::Clock::default(),
            in_flight: RequestsInFlight::default(),
            config: Arc::new(config),
        })))
    }
}

/// The requests being worked on, those whose client has gone away included (their work runs
/// on, see `run_to_completion`): shutdown waits for these, not only for open connections,
/// or it would cut them off half-way.
#[derive(Clone, Default)]
pub struct RequestsInFlight(Arc<tokio::sync::RwLock<()>>);

impl RequestsInFlight {
    pub(crate) async fn enter(&self) -> tokio::sync::OwnedRwLockReadGuard<()> {
        Arc::clone(&self.0).read_owned().await
    }

    /// Waits until no request is being worked on, at most `limit`; false if some still were.
    pub async fn all_done(&self, limit: std::time::Duration) -> bool {
        tokio::time::timeout(limit, self.0.write()).await.is_ok()
    }
}

impl AppState {
    /// Runs for the life of the process: keeps the sessions in memory and the cache honest by
    /// following both channels on one connection.
    pub fn follow_changes(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let channels: Vec<(&'static str, Arc<dyn Listening>)> = vec![
            (crate::auth::session_cache::CHANNEL, self.sessions.clone()),
            (crate::cache::changes::CHANNEL, self.cache.changes.clone()),
        ];
        crate::cache::changes::follow(self.db.clone(), channels)
    }
}
