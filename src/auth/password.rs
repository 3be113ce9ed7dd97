//! Argon2id password hashing, always off the async runtime and bounded in concurrency so a
//! burst of logins neither stalls page loads nor eats memory.
//!
//! Each hash needs a 19 MiB work area. Allocating it per hash makes glibc keep the freed
//! areas around (hundreds of MiB after a burst of logins), so each hashing slot owns one work
//! area for the life of the process: memory stays at slots x 19 MiB.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

const SALT_BYTES: usize = 16;
const OUTPUT_BYTES: usize = 32;

/// Verified against when the email is unknown, so both cases cost the same. Its password is
/// irrelevant: a match against it never logs anyone in. Same parameters as [`owasp_params`].
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$wcoB3Vl/5BcFOjjwZ2YG3bfqhpKsT2i/pZQ3kjcM+Y8";

/// OWASP's Argon2id recommendation: 19 MiB, two passes, one lane.
fn owasp_params() -> AppResult<Params> {
    Params::new(19 * 1024, 2, 1, Some(OUTPUT_BYTES))
        .map_err(|e| AppError::Internal(format!("argon2 parameters: {e}")))
}

type WorkArea = Vec<Block>;

fn work_area_for(area: &mut WorkArea, params: &Params) {
    if area.len() < params.block_count() {
        area.resize(params.block_count(), Block::default());
    }
}

fn hash_in(password: &str, area: &mut WorkArea) -> AppResult<String> {
    let failed = |e: &dyn std::fmt::Display| AppError::Internal(format!("password hashing: {e}"));
    let params = owasp_params()?;
    let mut salt = [0u8; SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    let mut output = [0u8; OUTPUT_BYTES];
    work_area_for(area, &params);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut output,
            &mut area[..params.block_count()],
        )
        .map_err(|e| failed(&e))?;
    let params = ParamsString::try_from(&params).map_err(|e| failed(&e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| failed(&e))?;
    let output = Output::new(&output).map_err(|e| failed(&e))?;
    Ok(format!(
        "${ARGON2ID_IDENT}$v=19${params}${}${output}",
        salt.as_str()
    ))
}

/// Checks a stored PHC string (with whatever parameters it was made with).
fn verify_in(password: &str, stored: &str, area: &mut WorkArea) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from);
    let (Ok(params), Ok(version)) = (Params::try_from(&parsed), version) else {
        return false;
    };
    if parsed.algorithm != ARGON2ID_IDENT {
        return false;
    }
    let mut salt_buffer = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buffer) else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    work_area_for(area, &params);
    let blocks = params.block_count();
    let computed = Argon2::new(Algorithm::Argon2id, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut output,
            &mut area[..blocks],
        );
    // Output's equality is constant-time.
    computed.is_ok() && Output::new(&output).is_ok_and(|o| o == expected)
}

/// Hashing runs only when no page is waiting for the CPU (SCHED_IDLE), so on a small machine
/// a burst of logins slows logins rather than every page. On Linux this is per thread.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_setscheduler only reads the parameter struct we pass; with pid 0 it
    // changes the calling thread's scheduling class, which affects nothing but scheduling.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &param);
    }
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// New hashes (registrations, password changes) take one of these before a slot, so they
    /// hold or queue for at most half the slots (one when there is one): a flood of
    /// registrations from many addresses waits here, not in the queue logins stand in.
    new_hash_permits: Arc<Semaphore>,
    /// Longest wait for a slot: past it the request is refused (503) rather than queued, so
    /// a flood of hashing requests cannot build a queue that every login then waits behind.
    max_wait: Duration,
    /// How many passwords were checked since start (tests prove the lockout with it).
    checked: Arc<AtomicU64>,
    /// How many new passwords were hashed since start.
    hashed: Arc<AtomicU64>,
    work_areas: Arc<Mutex<Vec<WorkArea>>>,
}

impl Passwords {
    /// The wait for a slot unless [`Passwords::with_max_wait`] sets another.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5);

    pub fn new(concurrency: usize) -> Self {
        let slots = concurrency.max(1);
        Self {
            permits: Arc::new(Semaphore::new(slots)),
            new_hash_permits: Arc::new(Semaphore::new(slots.div_ceil(2))),
            max_wait: Self::DEFAULT_MAX_WAIT,
            checked: Arc::default(),
            hashed: Arc::default(),
            work_areas: Arc::new(Mutex::new((0..slots).map(|_| WorkArea::new()).collect())),
        }
    }

    pub fn with_max_wait(self, max_wait: Duration) -> Self {
        Self { max_wait, ..self }
    }

    /// Runs `job` on the blocking pool with a work area. The permit and the work area travel
    /// with the blocking task and are given back when it ends, even if the request that
    /// asked for it was abandoned meanwhile (a closed connection must not leak 19 MiB).
    /// Waits for a permit of `permits` until `deadline`; past it the request is refused.
    async fn permit_by(
        permits: &Arc<Semaphore>,
        deadline: tokio::time::Instant,
    ) -> AppResult<tokio::sync::OwnedSemaphorePermit> {
        tokio::time::timeout_at(deadline, Arc::clone(permits).acquire_owned())
            .await
            .map_err(|_| {
                AppError::Unavailable("no password-hashing slot came free in time".into())
            })?
            .map_err(|e| AppError::Internal(format!("hash permits closed: {e}")))
    }

    async fn run_blocking<T: Send + 'static>(
        &self,
        new_hash: bool,
        job: impl FnOnce(&mut WorkArea) -> T + Send + 'static,
    ) -> AppResult<T> {
        let deadline = tokio::time::Instant::now() + self.max_wait;
        let new_hash_permit = match new_hash {
            true => Some(Self::permit_by(&self.new_hash_permits, deadline).await?),
            false => None,
        };
        let permit = Self::permit_by(&self.permits, deadline).await?;
        let pool = Arc::clone(&self.work_areas);
        tokio::task::spawn_blocking(move || {
            let _permits = (permit, new_hash_permit);
            lower_this_threads_priority();
            let mut area = pool
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .unwrap_or_default();
            let result = job(&mut area);
            pool.lock().unwrap_or_else(|p| p.into_inner()).push(area);
            result
        })
        .await
        .map_err(|e| match e.is_cancelled() {
            // The runtime is stopping: as busy as a full queue, not a fault.
            true => AppError::Unavailable("the server is stopping".into()),
            false => AppError::Internal(format!("hashing task failed: {e}")),
        })
    }

    /// How many passwords this process has checked (one per `verify`).
    pub fn checks_done(&self) -> u64 {
        self.checked.load(Ordering::Relaxed)
    }

    /// How many new passwords this process has hashed (one per `hash`).
    pub fn hashes_done(&self) -> u64 {
        self.hashed.load(Ordering::Relaxed)
    }

    pub async fn hash(&self, password: String) -> AppResult<String> {
        self.hashed.fetch_add(1, Ordering::Relaxed);
        self.run_blocking(true, move |area| hash_in(&password, area))
            .await?
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is no account,
    /// taking the same time either way.
    pub async fn verify(&self, password: String, stored: Option<String>) -> AppResult<bool> {
        self.checked.fetch_add(1, Ordering::Relaxed);
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let matches = self
            .run_blocking(false, move |area| verify_in(&password, &stored, area))
            .await?;
        Ok(exists && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[tokio::test]
    async fn hashes_verify_and_use_argon2id_with_owasp_parameters() {
        let passwords = Passwords::new(1);
        let hash = passwords.hash("a long passphrase".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify("a long passphrase".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!passwords.verify("anything".into(), None).await.unwrap());
        // Salted: the same password hashes differently each time.
        assert_ne!(
            hash,
            passwords.hash("a long passphrase".into()).await.unwrap()
        );
    }

    #[test]
    fn hashes_are_standard_phc_strings_both_ways() {
        let mut area = WorkArea::new();
        let ours = hash_in("correct horse", &mut area).unwrap();
        let standard = Argon2::new(Algorithm::Argon2id, Version::V0x13, owasp_params().unwrap());
        assert!(
            standard
                .verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap())
                .is_ok()
        );
        let salt = SaltString::generate(&mut OsRng);
        let theirs = standard
            .hash_password(b"battery staple", &salt)
            .unwrap()
            .to_string();
        assert!(verify_in("battery staple", &theirs, &mut area));
        assert!(!verify_in("battery stable", &theirs, &mut area));
        assert!(!verify_in("x", "not a hash", &mut area));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(
            Params::try_from(&dummy).unwrap().block_count(),
            owasp_params().unwrap().block_count()
        );
        let real = hash_in("anything", &mut WorkArea::new()).unwrap();
        assert_eq!(
            real[..31],
            DUMMY_HASH[..31],
            "same algorithm, version and parameters"
        );
        assert!(!verify_in("", DUMMY_HASH, &mut WorkArea::new()));
    }

    #[tokio::test]
    async fn an_abandoned_hash_still_returns_its_work_area() {
        let passwords = Passwords::new(1);
        let abandoned = tokio::time::timeout(
            std::time::Duration::from_millis(1),
            passwords.hash("a passphrase nobody waits for".into()),
        )
        .await;
        assert!(
            abandoned.is_err(),
            "the hash takes longer than a millisecond"
        );
        // Once the abandoned hash has finished (its permit is free again), its area is back.
        for _ in 0..200 {
            if passwords.permits.available_permits() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let areas = passwords.work_areas.lock().unwrap();
        assert_eq!(areas.len(), 1);
        assert_eq!(areas[0].len(), 19 * 1024);
    }

    #[tokio::test]
    async fn a_request_that_cannot_get_a_slot_in_time_is_refused_not_queued() {
        let passwords = Passwords::new(1).with_max_wait(Duration::from_millis(5));
        let busy = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.hash("the one being hashed".into()).await }
        });
        while passwords.permits.available_permits() == 1 {
            tokio::task::yield_now().await;
        }
        let refused = passwords.hash("waits too long".into()).await;
        assert!(
            matches!(refused, Err(AppError::Unavailable(_))),
            "{refused:?}"
        );
        assert!(busy.await.unwrap().is_ok());
        // Once the slot is free again, hashing works as before.
        assert!(passwords.hash("after the wait".into()).await.is_ok());
    }

    #[tokio::test]
    async fn new_hashes_hold_at_most_half_the_slots_so_logins_keep_the_rest() {
        let passwords = Passwords::new(2).with_max_wait(Duration::from_millis(20));
        let busy = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.hash("a registration being hashed".into()).await }
        });
        while passwords.new_hash_permits.available_permits() == 1 {
            tokio::task::yield_now().await;
        }
        // A second registration waits for the new-hash half and is refused in time...
        let refused = passwords.hash("a second registration".into()).await;
        assert!(
            matches!(refused, Err(AppError::Unavailable(_))),
            "{refused:?}"
        );
        // ...while a login's check still finds the other slot.
        assert!(
            !passwords
                .verify("a login".into(), Some(DUMMY_HASH.to_owned()))
                .await
                .unwrap()
        );
        assert!(busy.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn work_areas_are_reused_not_reallocated() {
        let passwords = Passwords::new(2);
        for _ in 0..3 {
            passwords.hash("some passphrase".into()).await.unwrap();
        }
        let areas = passwords.work_areas.lock().unwrap();
        assert_eq!(areas.len(), 2);
        assert!(areas.iter().any(|a| a.len() == 19 * 1024));
    }
}
