//! Time and randomness, injected.
//!
//! The core never reads a clock or an entropy source by itself: every call that
//! needs "now" takes a [`UnixTime`], and every nonce comes from an [`Entropy`].
//! Defaults that do touch the operating system ([`SystemClock`], [`OsEntropy`])
//! sit behind the `os` feature so that the core builds for
//! `wasm32-unknown-unknown` without them.

use std::fmt;

/// Seconds since the Unix epoch (the protocol's 10-digit `now`). Serialises
/// as the number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct UnixTime(pub u64);

impl UnixTime {
    /// Seconds since the epoch.
    pub fn as_secs(self) -> u64 {
        self.0
    }

    /// `self + secs`, saturating.
    pub fn plus(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// `self - secs`, saturating at the epoch.
    pub fn minus(self, secs: u64) -> Self {
        Self(self.0.saturating_sub(secs))
    }

    /// Absolute difference in seconds.
    pub fn abs_diff(self, other: Self) -> u64 {
        self.0.abs_diff(other.0)
    }

    /// `self` as the protocol's `now`: a 10-digit unix time (2001-09-09 to
    /// 2286-11-20). A failing clock ([`SystemClock`] reads 0 when the system
    /// time lies before the epoch) must not reach the face SDK or WeChat Pay.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for field `now`,
    /// naming the clock as the culprit.
    pub fn protocol_now(self) -> crate::Result<u64> {
        if (1_000_000_000..10_000_000_000).contains(&self.0) {
            Ok(self.0)
        } else {
            Err(crate::Error::InvalidInput {
                field: "now".into(),
                // The number of digits, not the value: a `now` may come
                // from a caller, and a 18-digit one is not a time.
                reason: format!(
                    "the clock reads a {}-digit number, not a 10-digit unix time: is the system clock set?",
                    self.0.to_string().len()
                ),
            })
        }
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// A clock that always answers the same instant (tests, replays).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub UnixTime);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

/// The operating system's wall clock.
#[cfg(feature = "os")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(feature = "os")]
impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        UnixTime(secs)
    }
}

/// A source of unpredictable bytes (nonces, RSA blinding).
pub trait Entropy: Send + Sync {
    /// Fill `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]);
}

/// The operating system's CSPRNG.
#[cfg(feature = "os")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

#[cfg(feature = "os")]
impl Entropy for OsEntropy {
    fn fill(&self, dest: &mut [u8]) {
        // An OS without a working CSPRNG cannot sign or blind safely; there is
        // no sane fallback, and no way to continue securely.
        #[allow(clippy::expect_used)]
        getrandom::fill(dest).expect("operating system entropy source failed");
    }
}

const NONCE_ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A nonce of `len` characters from `[0-9A-Za-z]` (`len` ≤ 32 for v2 `nonce_str`).
pub fn nonce(entropy: &dyn Entropy, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        entropy.fill(&mut buf);
        for b in buf {
            // Rejection sampling keeps the distribution uniform: 248 = 4 * 62.
            if b < 248 && out.len() < len {
                out.push(NONCE_ALPHABET[(b % 62) as usize] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(std::sync::atomic::AtomicU8);
    impl Entropy for Counter {
        fn fill(&self, dest: &mut [u8]) {
            for b in dest {
                *b = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    #[test]
    fn nonce_has_requested_length_and_alphabet() {
        let e = Counter(0.into());
        let n = nonce(&e, 32);
        assert_eq!(n.len(), 32);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(&n[..3], "012");
    }
}
