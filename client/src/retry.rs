//! The retry policy: bounded, exponential backoff with jitter.

use std::time::Duration;

use wxface_core::time::Entropy;

/// How often and how patiently a failed call is repeated.
///
/// Only failures for which repeating the same request is safe are retried
/// ([`Error::is_retryable`](crate::Error::is_retryable)): connect failures,
/// timeouts, HTTP 5xx and 429, WeChat's `SYSTEM_ERROR` / `SYSTEMERROR` /
/// `FREQUENCY_LIMITED`. A signature failure is never retried: WeChat probes
/// merchants with wrongly signed answers, and a retry would only hide that.
///
/// The delay before retry `n` (1-based) is `initial_backoff · 2^(n-1)`, capped
/// at `max_backoff`, then drawn uniformly from its upper half with the
/// client's injected entropy ("equal jitter"), so that kiosks failing together
/// do not come back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry). WeChat advises 2-3
    /// for `SYSTEM_ERROR`.
    pub max_retries: u32,
    /// Delay before the first retry, before jitter.
    pub initial_backoff: Duration,
    /// Largest delay, before jitter.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The delay before retry `retry` (1-based), jittered with `entropy`.
    pub fn backoff(&self, retry: u32, entropy: &dyn Entropy) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let mut b = [0u8; 4];
        entropy.fill(&mut b);
        let r = f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX);
        base.mul_f64(0.5 + 0.5 * r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(u8);
    impl Entropy for Fixed {
        fn fill(&self, dest: &mut [u8]) {
            dest.fill(self.0);
        }
    }

    #[test]
    fn grows_caps_and_jitters_within_bounds() {
        let p = RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
        };
        assert_eq!(p.backoff(1, &Fixed(0)), Duration::from_millis(50));
        assert_eq!(p.backoff(1, &Fixed(255)), Duration::from_millis(100));
        assert_eq!(p.backoff(2, &Fixed(255)), Duration::from_millis(200));
        assert_eq!(p.backoff(3, &Fixed(255)), Duration::from_millis(350));
        assert_eq!(p.backoff(30, &Fixed(0)), Duration::from_millis(175));
        let mid = p.backoff(2, &Fixed(0x80));
        assert!(mid > Duration::from_millis(100) && mid < Duration::from_millis(200));
    }
}
