//! What an app process keeps in memory so a page is not worked out again until something it
//! shows has changed: one idea, `Kept` (values under the stamp of what they were read from),
//! and one invalidation channel, `changes` (PostgreSQL announces every change to the clinic's
//! reference data on `clinic_reference`). Each feature declares what it keeps, beside the
//! read-model it keeps; this module knows no feature.

pub mod changes;
pub mod kept;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

pub use changes::{Changes, Listening};
pub use kept::Kept;

/// The process's memory: the reference generation, and each feature's kept values by type.
#[derive(Default)]
pub struct Cache {
    pub changes: Arc<Changes>,
    kinds: RwLock<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Cache {
    /// The reference data's generation now, taken before reading what is to be kept under it;
    /// `None` while changes may go unheard (then nothing is kept or used).
    pub fn generation(&self) -> Option<u64> {
        self.changes.generation()
    }

    /// What a feature keeps of kind `T` (made empty on first use).
    pub fn kept<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let key = TypeId::of::<T>();
        let found = self
            .kinds
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let any = match found {
            Some(any) => any,
            None => self
                .kinds
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_insert_with(|| Arc::new(T::default()))
                .clone(),
        };
        match any.downcast::<T>() {
            Ok(kept) => kept,
            // Unreachable: the entry under T's id was made as a T. Keep nothing rather than fail.
            Err(_) => Arc::new(T::default()),
        }
    }

    /// Reference data of type `T` (settings, chairs, protocols...) as it stands: from memory
    /// when no change was announced since it was read, else as `read` reads it (then kept).
    /// The generation is taken before reading, so a change announced meanwhile reads again.
    pub async fn reference<T, E>(
        &self,
        read: impl Future<Output = Result<T, E>>,
    ) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
    {
        let kept = self.kept::<Kept<(), T, u64>>();
        let generation = self.generation();
        if let Some(value) = generation.and_then(|at| kept.get(&(), &at)) {
            return Ok(value);
        }
        let value = Arc::new(read.await?);
        if let Some(at) = generation {
            kept.keep((), at, value.clone());
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Days(Kept<i64, &'static str, u64>);

    #[test]
    fn each_kind_is_made_once_and_shared() {
        let cache = Cache::default();
        cache.kept::<Days>().0.keep(1, 0, Arc::new("monday"));
        assert_eq!(
            cache.kept::<Days>().0.get(&1, &0).as_deref(),
            Some(&"monday")
        );
    }

    async fn reference(cache: &Cache, value: u32) -> Arc<u32> {
        let read = async move { Ok::<u32, ()>(value) };
        cache.reference(read).await.unwrap_or_default()
    }

    #[tokio::test]
    async fn reference_data_goes_stale_with_any_announced_change() {
        let cache = Cache::default();
        // Not listening: nothing is kept, every page reads.
        assert_eq!(*reference(&cache, 1).await, 1);
        assert_eq!(*reference(&cache, 2).await, 2);
        cache.changes.set_listening(true);
        assert_eq!(*reference(&cache, 3).await, 3);
        assert_eq!(*reference(&cache, 4).await, 3, "kept while nothing changed");
        cache.changes.heard("");
        assert_eq!(*reference(&cache, 5).await, 5, "read again after a change");
        cache.changes.moved_on();
        assert_eq!(
            *reference(&cache, 6).await,
            6,
            "read again after this process's change"
        );
        cache.changes.set_listening(false);
        assert_eq!(*reference(&cache, 7).await, 7);
    }
}
