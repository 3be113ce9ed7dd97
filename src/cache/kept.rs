//! Values an app process keeps in memory under a stamp of what they were read from (a
//! version PostgreSQL moves on with every change), so a page is worked out again only after
//! a change. Each page reads the current stamp first: no page shows data older than the
//! latest committed change, across app processes too.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// Values by key, each with the stamp it was read under. Bounded: when full, what is stale
/// goes first, then everything (a clinic's working set is small; a miss costs one read).
pub struct Kept<K, T, S> {
    capacity: usize,
    values: Mutex<HashMap<K, (S, Arc<T>)>>,
}

/// Room for what a clinic's staff have open in a day.
const CAPACITY: usize = 256;

impl<K: Eq + Hash, T, S: PartialEq + Clone> Default for Kept<K, T, S> {
    fn default() -> Self {
        Kept::new(CAPACITY)
    }
}

impl<K: Eq + Hash, T, S: PartialEq + Clone> Kept<K, T, S> {
    pub fn new(capacity: usize) -> Self {
        Kept {
            capacity,
            values: Mutex::new(HashMap::new()),
        }
    }

    /// The value kept for `key`, if it was read under `stamp`.
    pub fn get(&self, key: &K, stamp: &S) -> Option<Arc<T>> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        match values.get(key) {
            Some((at, value)) if at == stamp => Some(value.clone()),
            _ => None,
        }
    }

    /// Whatever is kept for `key`, current or not, with its stamp.
    pub fn any(&self, key: &K) -> Option<(S, Arc<T>)> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values
            .get(key)
            .map(|(at, value)| (at.clone(), value.clone()))
    }

    pub fn keep(&self, key: K, stamp: S, value: Arc<T>) {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        if values.len() >= self.capacity && !values.contains_key(&key) {
            values.retain(|_, (at, _)| *at == stamp);
            if values.len() >= self.capacity {
                values.clear();
            }
        }
        values.insert(key, (stamp, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_kept_under_its_stamp_only() {
        let days: Kept<i64, &str, i64> = Kept::new(4);
        days.keep(1, 7, Arc::new("monday"));
        assert_eq!(days.get(&1, &7).as_deref(), Some(&"monday"));
        assert!(days.get(&1, &8).is_none(), "a newer version reads again");
        assert!(days.get(&2, &7).is_none());
        assert_eq!(days.any(&1).map(|(at, _)| at), Some(7));
    }

    #[test]
    fn a_full_memory_lets_the_stale_go_first_then_everything() {
        let days: Kept<i64, i64, i64> = Kept::new(24);
        for day in 0..24 {
            days.keep(day, if day == 0 { 1 } else { 2 }, Arc::new(day));
        }
        days.keep(100, 2, Arc::new(100));
        assert!(days.get(&0, &1).is_none(), "the stale one went");
        assert_eq!(days.get(&1, &2).as_deref(), Some(&1));
        days.keep(101, 2, Arc::new(101));
        assert!(days.get(&1, &2).is_none(), "full of current ones: all went");
        assert_eq!(days.get(&101, &2).as_deref(), Some(&101));
    }
}
