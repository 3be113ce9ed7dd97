//! Live sessions remembered in memory, so that a page needs no session lookup in PostgreSQL.
//!
//! It stays right across app processes: every change to a session, to an account's name,
//! email, role or status, or to the clinic's session limits sends a notification on
//! `clinic_sessions` (triggers in migration 0006), and each process forgets what it heard
//! about (it listens through `cache::changes`, on the same connection as the reference data's
//! channel). While a process is not listening (starting up, or its listening connection
//! lost) it remembers nothing and every request reads PostgreSQL, as before.
//!
//! A lookup that raced with a change must not put an old copy back: every forgetting moves
//! the generation on, and a copy read under an earlier generation is not kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::db::SessionRow;
use crate::cache::{Changes, Listening};

pub const CHANNEL: &str = "clinic_sessions";

/// Enough for every person of a busy clinic; past it the cache starts afresh (a full cache
/// is about 3 MiB).
const CAPACITY: usize = 10_000;

pub type SessionKey = [u8; 32];

pub struct SessionCache {
    state: Mutex<CacheState>,
    /// An account's name or role is reference data too (lists of staff): a change this
    /// process makes itself makes what is kept of it stale at once.
    reference: Arc<Changes>,
}

#[derive(Default)]
struct CacheState {
    listening: bool,
    generation: u64,
    sessions: HashMap<SessionKey, SessionRow>,
}

impl CacheState {
    fn forget_all(&mut self) {
        self.generation += 1;
        self.sessions.clear();
    }
}

/// What a notification asks to forget.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    Session(SessionKey),
    User(i64),
    Everything,
}

fn parse_change(payload: &str) -> Change {
    let session = payload
        .strip_prefix("session:")
        .and_then(|hex| hex::decode(hex).ok())
        .and_then(|bytes| SessionKey::try_from(bytes).ok());
    let user = payload.strip_prefix("user:").and_then(|id| id.parse().ok());
    match (session, user) {
        (Some(key), _) => Change::Session(key),
        (None, Some(id)) => Change::User(id),
        // Anything else, "all" included: forgetting everything is always safe.
        _ => Change::Everything,
    }
}

impl SessionCache {
    pub fn new(reference: Arc<Changes>) -> Self {
        SessionCache {
            state: Mutex::default(),
            reference,
        }
    }

    fn lock(&self) -> MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, key: &SessionKey) -> Option<SessionRow> {
        let state = self.lock();
        if !state.listening {
            return None;
        }
        state.sessions.get(key).cloned()
    }

    /// Taken before reading a session from PostgreSQL and handed to `remember` after; `None`
    /// when nothing may be remembered now.
    pub fn generation(&self) -> Option<u64> {
        let state = self.lock();
        state.listening.then_some(state.generation)
    }

    pub fn remember(&self, key: SessionKey, row: SessionRow, read_at_generation: Option<u64>) {
        let mut state = self.lock();
        if !state.listening || read_at_generation != Some(state.generation) {
            return;
        }
        if state.sessions.len() >= CAPACITY && !state.sessions.contains_key(&key) {
            state.forget_all();
            return;
        }
        state.sessions.insert(key, row);
    }

    pub fn forget(&self, key: &SessionKey) {
        let mut state = self.lock();
        state.generation += 1;
        state.sessions.remove(key);
    }

    pub fn forget_user(&self, user_id: i64) {
        let mut state = self.lock();
        state.generation += 1;
        state.sessions.retain(|_, row| row.user_id != user_id);
        // A name, role or status changed: lists of staff are stale too.
        self.reference.moved_on();
    }

    pub fn forget_all(&self) {
        self.lock().forget_all();
        self.reference.moved_on();
    }
}

impl Listening for SessionCache {
    fn heard(&self, payload: &str) {
        match parse_change(payload) {
            Change::Session(key) => self.forget(&key),
            Change::User(id) => self.forget_user(id),
            Change::Everything => self.forget_all(),
        }
    }

    /// Changes may have been missed while not listening: start empty either way.
    fn set_listening(&self, listening: bool) {
        let mut state = self.lock();
        state.listening = listening;
        state.forget_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::db::AccountStatus;
    use crate::core::Role;
    use time::OffsetDateTime;

    fn row(user_id: i64) -> SessionRow {
        SessionRow {
            session_id: user_id,
            user_id,
            role: Role::Clinician,
            display_name: "Casey".into(),
            email: "casey@clinic.test".into(),
            status: AccountStatus::Active,
            created_at: OffsetDateTime::UNIX_EPOCH,
            last_seen_at: OffsetDateTime::UNIX_EPOCH,
            staff_idle_minutes: 15,
            patient_idle_minutes: 30,
            session_absolute_hours: 12,
            totp_enabled: true,
            email_verified: true,
            two_factor_front_desk: false,
            two_factor_patients: false,
        }
    }

    fn listening_cache() -> SessionCache {
        let cache = SessionCache::new(Arc::default());
        cache.set_listening(true);
        cache
    }

    #[test]
    fn a_changed_account_or_everything_forgotten_makes_reference_data_stale() {
        let reference = Arc::new(Changes::default());
        reference.set_listening(true);
        let cache = SessionCache::new(reference.clone());
        cache.set_listening(true);
        let before = reference.generation();
        cache.heard("user:3");
        assert_ne!(reference.generation(), before, "a name or role changed");
        let before = reference.generation();
        // A session's own change leaves reference data alone.
        cache.heard(&format!("session:{}", hex::encode([1u8; 32])));
        assert_eq!(reference.generation(), before);
        cache.heard("all");
        assert_ne!(reference.generation(), before);
    }

    #[test]
    fn nothing_is_remembered_while_not_listening() {
        let cache = SessionCache::new(Arc::default());
        assert_eq!(cache.generation(), None);
        cache.remember([1; 32], row(1), Some(0));
        cache.set_listening(true);
        assert!(cache.get(&[1; 32]).is_none());

        let generation = cache.generation();
        cache.remember([1; 32], row(1), generation);
        assert!(cache.get(&[1; 32]).is_some());
        // Losing the connection forgets everything: changes may go unheard meanwhile.
        cache.set_listening(false);
        assert!(cache.get(&[1; 32]).is_none());
        cache.set_listening(true);
        assert!(cache.get(&[1; 32]).is_none());
    }

    #[test]
    fn a_lookup_that_raced_with_a_change_is_not_kept() {
        let cache = listening_cache();
        let before = cache.generation();
        // The session is ended while its old copy is on its way from the database.
        cache.heard(&format!("session:{}", hex::encode([7u8; 32])));
        cache.remember([7; 32], row(7), before);
        assert!(cache.get(&[7; 32]).is_none());
        cache.remember([7; 32], row(7), cache.generation());
        assert!(cache.get(&[7; 32]).is_some());
    }

    #[test]
    fn notifications_forget_a_session_a_user_or_everything() {
        let cache = listening_cache();
        for (key, user) in [([1; 32], 1), ([2; 32], 1), ([3; 32], 2), ([4; 32], 3)] {
            cache.remember(key, row(user), cache.generation());
        }
        cache.heard(&format!("session:{}", hex::encode([3u8; 32])));
        assert!(cache.get(&[3; 32]).is_none());
        assert!(cache.get(&[4; 32]).is_some());
        cache.heard("user:1");
        assert!(cache.get(&[1; 32]).is_none() && cache.get(&[2; 32]).is_none());
        assert!(cache.get(&[4; 32]).is_some());
        cache.heard("all");
        assert!(cache.get(&[4; 32]).is_none());
    }

    #[test]
    fn an_unreadable_notification_forgets_everything() {
        assert_eq!(parse_change("session:zz"), Change::Everything);
        assert_eq!(parse_change("session:abcd"), Change::Everything);
        assert_eq!(parse_change("user:x"), Change::Everything);
        assert_eq!(parse_change(""), Change::Everything);
        assert_eq!(parse_change("user:42"), Change::User(42));
        assert_eq!(parse_change("reference"), Change::Everything);
    }

    #[test]
    fn a_full_cache_starts_afresh() {
        let cache = listening_cache();
        for n in 0..CAPACITY {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&(n as u64).to_le_bytes());
            cache.remember(key, row(1), cache.generation());
        }
        assert_eq!(cache.lock().sessions.len(), CAPACITY);
        cache.remember([0xff; 32], row(1), cache.generation());
        assert!(cache.lock().sessions.is_empty());
    }
}
