//! The reference server's limits (feature `server`): token buckets per
//! device and for the whole server, a per-device budget of authinfo
//! refreshes, and the `face_sid` replay window of `/kiosk/real-name`.
//!
//! The buckets are a small token bucket of our own rather than a crate such
//! as `governor`: the server needs three keyed buckets and a delay for
//! `Retry-After`, which is some forty lines over `std`, while `governor`
//! brings `dashmap`, `quanta`, `spinning_top` and friends and still needs
//! the idle keys pruned by hand.
//!
//! Every map here is bounded ([`Limits::max_tracked`]): when it is full of
//! live entries, a new key is refused as the global limit would refuse it,
//! so made-up device ids cannot grow the server's memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A rate: `burst` calls at once, refilled at `per_minute` calls a minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Calls allowed at once (the bucket's size; at least 1).
    pub burst: u32,
    /// Calls a minute once the burst is spent.
    pub per_minute: u32,
}

impl Rate {
    /// `burst` at once, `per_minute` a minute.
    pub const fn new(burst: u32, per_minute: u32) -> Self {
        Self { burst, per_minute }
    }
}

/// The reference server's limits. The defaults suit a hospital with up to a
/// few hundred kiosks: a kiosk makes a handful of calls per patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Requests per device on every kiosk endpoint (default 30 at once, 60 a
    /// minute).
    pub per_device: Rate,
    /// Requests per peer IP address on `/kiosk/verified`, which names no
    /// device (default 120 at once, 600 a minute: one address may front
    /// several kiosks behind NAT, or a test suite on loopback).
    pub per_peer: Rate,
    /// Requests to the whole server (default 200 at once, 1200 a minute).
    pub global: Rate,
    /// Authinfo refreshes (`"refresh": true`) per device (default 3 at once,
    /// 3 a minute). Beyond it, a refresh is answered as a plain authinfo
    /// request: from the cache when it holds one.
    pub refreshes: Rate,
    /// How long a `face_sid` answered by `/kiosk/real-name` is remembered;
    /// a replay inside it is refused (default 10 minutes).
    pub lookup_window: Duration,
    /// Longest time one request may take, WeChat Pay's answer included
    /// (default 30 s); then the answer is `transport` (`timeout`), HTTP 504.
    pub request_timeout: Duration,
    /// Most devices (and `face_sid`s) tracked at once (default 100,000).
    pub max_tracked: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_device: Rate::new(30, 60),
            per_peer: Rate::new(120, 600),
            global: Rate::new(200, 1200),
            refreshes: Rate::new(3, 3),
            lookup_window: Duration::from_secs(600),
            request_timeout: Duration::from_secs(30),
            max_tracked: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: f64::from(rate.burst.max(1)),
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let per_sec = f64::from(rate.per_minute) / 60.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_sec).min(f64::from(rate.burst.max(1)));
        self.at = now;
    }

    /// Take one token, or say how long until one is there.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let per_sec = f64::from(rate.per_minute) / 60.0;
        if per_sec <= 0.0 {
            return Err(Duration::from_secs(3600));
        }
        Err(Duration::from_secs_f64((1.0 - self.tokens) / per_sec))
    }
}

/// One bucket per key, at most `max` keys.
#[derive(Debug)]
pub(crate) struct KeyedBuckets {
    rate: Rate,
    max: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl KeyedBuckets {
    pub(crate) fn new(rate: Rate, max: usize) -> Self {
        Self {
            rate,
            max,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take a token for `key`; `Err` is the wait.
    pub(crate) fn take(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(key) && map.len() >= self.max {
            // Forget the keys whose buckets are full again (idle devices).
            let rate = self.rate;
            map.retain(|_, b| {
                b.refill(rate, now);
                b.tokens < f64::from(rate.burst.max(1))
            });
            if map.len() >= self.max {
                return Err(Duration::from_secs(1));
            }
        }
        map.entry(key.to_owned())
            .or_insert_with(|| Bucket::full(self.rate, now))
            .take(self.rate, now)
    }
}

/// One bucket for everyone.
#[derive(Debug)]
pub(crate) struct GlobalBucket {
    rate: Rate,
    bucket: Mutex<Bucket>,
}

impl GlobalBucket {
    pub(crate) fn new(rate: Rate) -> Self {
        Self {
            rate,
            bucket: Mutex::new(Bucket::full(rate, Instant::now())),
        }
    }

    pub(crate) fn take(&self) -> Result<(), Duration> {
        let mut b = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        b.take(self.rate, Instant::now())
    }
}

/// The `face_sid`s answered inside the lookup window.
#[derive(Debug)]
pub(crate) struct SeenFaceSids {
    window: Duration,
    max: usize,
    seen: Mutex<HashMap<String, Instant>>,
}

impl SeenFaceSids {
    pub(crate) fn new(window: Duration, max: usize) -> Self {
        Self {
            window,
            max,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Claim `face_sid`: `false` when it was claimed inside the window (a
    /// replay) or the table is full of live entries.
    pub(crate) fn claim(&self, face_sid: &str) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = seen.get(face_sid) {
            if now.saturating_duration_since(*at) < self.window {
                return false;
            }
        }
        if seen.len() >= self.max {
            let window = self.window;
            seen.retain(|_, at| now.saturating_duration_since(*at) < window);
            if seen.len() >= self.max {
                return false;
            }
        }
        seen.insert(face_sid.to_owned(), now);
        true
    }

    /// Give a claim back (the lookup failed: nothing was answered).
    pub(crate) fn release(&self, face_sid: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.remove(face_sid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_says_how_long_to_wait() {
        let b = KeyedBuckets::new(Rate::new(3, 60), 10);
        for _ in 0..3 {
            assert!(b.take("k").is_ok());
        }
        let wait = b.take("k").expect_err("spent");
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert!(b.take("other").is_ok());
    }

    #[test]
    fn a_full_table_refuses_new_keys() {
        let b = KeyedBuckets::new(Rate::new(1, 1), 2);
        assert!(b.take("a").is_ok());
        assert!(b.take("b").is_ok());
        assert!(b.take("c").is_err());
    }

    #[test]
    fn a_face_sid_is_claimed_once() {
        let s = SeenFaceSids::new(Duration::from_secs(60), 10);
        assert!(s.claim("fs"));
        assert!(!s.claim("fs"));
        s.release("fs");
        assert!(s.claim("fs"));
    }
}
