//! The authinfo cache, with single-flight fetching.
//!
//! An authinfo may be reused on the same device with the same parameters
//! until it expires, so the cache key is the device and every parameter
//! WeChat ties an authinfo to (appid, mch_id, sub_appid, sub_mch_id,
//! store_id) — and deliberately not `rawdata`, which is new at every call.
//!
//! Single flight: when several calls for the same key miss at once (a kiosk
//! retrying, several screens of one device), the first one fetches and the
//! others wait for its result, success or error, instead of each calling
//! WeChat. A leader whose future is dropped mid-fetch hands over: a waiter
//! becomes the next leader.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;
use wxface_core::UnixTime;

use crate::error::Result;

type Outcome<V> = Option<Result<V>>;

struct Slot<V> {
    ready: Option<(V, UnixTime)>,
    pending: Option<watch::Receiver<Outcome<V>>>,
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Self {
            ready: None,
            pending: None,
        }
    }
}

/// How a value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Reused from the cache.
    Cache,
    /// Waited for another caller's fetch.
    Coalesced,
    /// Fetched by this call.
    Fetched,
}

/// A keyed cache whose misses are fetched once, however many callers wait.
pub(crate) struct FlightCache<K, V> {
    slots: Mutex<HashMap<K, Slot<V>>>,
}

enum Role<V> {
    Hit(V),
    Follow(watch::Receiver<Outcome<V>>),
    Lead(watch::Sender<Outcome<V>>),
}

/// Clears the leader's pending mark if its future is dropped before the end.
struct LeadGuard<'a, K: Eq + Hash + Clone, V: Clone> {
    cache: &'a FlightCache<K, V>,
    key: &'a K,
    tx: Option<watch::Sender<Outcome<V>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Drop for LeadGuard<'_, K, V> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let mut slots = self.cache.lock();
            if let Some(slot) = slots.get_mut(self.key) {
                slot.pending = None;
            }
            drop(slots);
            // Dropping the sender wakes the waiters, who elect a new leader.
            drop(tx);
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> FlightCache<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Slot<V>>> {
        // The map stays consistent whatever panicked while holding it.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forget the cached value of `key` (an in-flight fetch goes on).
    pub(crate) fn invalidate(&self, key: &K) -> bool {
        let mut slots = self.lock();
        let had = slots.get_mut(key).and_then(|s| s.ready.take()).is_some();
        slots.retain(|_, s| s.ready.is_some() || s.pending.is_some());
        had
    }

    /// Number of keys with a cached value.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().values().filter(|s| s.ready.is_some()).count()
    }

    /// The cached value of `key` if `now` is before its reuse limit, else the
    /// result of `fetch` (run by one caller per key at a time). `fetch`
    /// returns the value and the instant until which it may be reused;
    /// errors are shared with the waiters and not cached.
    pub(crate) async fn get_or_fetch<F, Fut>(
        &self,
        key: &K,
        now: impl Fn() -> UnixTime,
        fetch: F,
    ) -> Result<(V, Source)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(V, UnixTime)>>,
    {
        let mut fetch = Some(fetch);
        loop {
            let role = {
                let mut slots = self.lock();
                let t = now();
                // Drop other keys' stale entries while we hold the lock.
                slots.retain(|_, s| {
                    if s.ready.as_ref().is_some_and(|(_, until)| t >= *until) {
                        s.ready = None;
                    }
                    s.ready.is_some() || s.pending.is_some()
                });
                let slot = slots.entry(key.clone()).or_default();
                match (&slot.ready, &slot.pending) {
                    (Some((v, _)), _) => Role::Hit(v.clone()),
                    (None, Some(rx)) => Role::Follow(rx.clone()),
                    (None, None) => {
                        let (tx, rx) = watch::channel(None);
                        slot.pending = Some(rx);
                        Role::Lead(tx)
                    }
                }
            };
            match role {
                Role::Hit(v) => return Ok((v, Source::Cache)),
                Role::Follow(mut rx) => {
                    let outcome = rx
                        .wait_for(Option::is_some)
                        .await
                        .ok()
                        .and_then(|r| r.clone());
                    match outcome {
                        Some(r) => return r.map(|v| (v, Source::Coalesced)),
                        // The leader was dropped: elect a new one.
                        None => continue,
                    }
                }
                Role::Lead(tx) => {
                    let mut guard = LeadGuard {
                        cache: self,
                        key,
                        tx: Some(tx),
                    };
                    let Some(f) = fetch.take() else {
                        // Only reachable if a previous round led and returned.
                        continue;
                    };
                    let result = f().await;
                    let shared: Result<V> = result
                        .as_ref()
                        .map(|(v, _)| v.clone())
                        .map_err(Clone::clone);
                    {
                        let mut slots = self.lock();
                        let slot = slots.entry(key.clone()).or_default();
                        slot.pending = None;
                        if let Ok((v, until)) = &result {
                            if now() < *until {
                                slot.ready = Some((v.clone(), *until));
                            }
                        }
                    }
                    if let Some(tx) = guard.tx.take() {
                        tx.send_replace(Some(shared));
                    }
                    return result.map(|(v, _)| (v, Source::Fetched));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn hits_expire_and_single_flight() {
        let cache = Arc::new(FlightCache::<&'static str, u32>::new());
        let clock = Arc::new(AtomicU64::new(100));
        let calls = Arc::new(AtomicUsize::new(0));
        let fetch = |calls: Arc<AtomicUsize>| {
            move || async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                let n = calls.fetch_add(1, Ordering::SeqCst) as u32;
                Ok((n, UnixTime(200)))
            }
        };
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, clock, calls) = (cache.clone(), clock.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                let now = || UnixTime(clock.load(Ordering::SeqCst));
                cache.get_or_fetch(&"k", now, fetch(calls)).await
            }));
        }
        let mut sources = Vec::new();
        for t in tasks {
            let (v, s) = t
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(v, 0);
            sources.push(s);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(sources.iter().filter(|s| **s == Source::Fetched).count(), 1);
        let now = || UnixTime(clock.load(Ordering::SeqCst));
        let r = cache.get_or_fetch(&"k", now, fetch(calls.clone())).await;
        assert_eq!(r.ok(), Some((0, Source::Cache)));
        clock.store(200, Ordering::SeqCst);
        let r = cache
            .get_or_fetch(&"k", now, || async { Ok((1, UnixTime(300))) })
            .await;
        assert_eq!(r.ok(), Some((1, Source::Fetched)));
        assert_eq!(cache.len(), 1);
        assert!(cache.invalidate(&"k"));
        assert_eq!(cache.len(), 0);
    }

    #[tokio::test]
    async fn dropped_leader_hands_over() {
        let cache = Arc::new(FlightCache::<&'static str, u32>::new());
        let now = || UnixTime(1);
        let c2 = cache.clone();
        let leader = tokio::spawn(async move {
            c2.get_or_fetch(&"k", now, || async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok((9, UnixTime(100)))
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let c3 = cache.clone();
        let follower = tokio::spawn(async move {
            c3.get_or_fetch(&"k", now, || async { Ok((7, UnixTime(100))) })
                .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        leader.abort();
        let r = tokio::time::timeout(Duration::from_secs(5), follower)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.ok(), Some((7, Source::Fetched)));
    }
}
