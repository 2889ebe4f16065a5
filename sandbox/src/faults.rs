//! Fault injection, per endpoint, scripted or by seeded probability.
//!
//! A [`FaultRule`] names an endpoint, a [`FaultKind`] and a [`Trigger`]:
//! the next N calls, or each call with probability p drawn from a
//! deterministic generator seeded per rule. On every call to an endpoint the
//! rules are looked at in the order they were added: latencies of all firing
//! latency rules add up, and the first firing rule of another kind decides
//! the answer. A scripted rule is removed once used up.
//!
//! The same rules are reachable over HTTP (`/_sandbox/faults`) as JSON:
//!
//! ```json
//! {"endpoint": "users", "kind": "system_error", "next": 2}
//! {"endpoint": "authinfo", "kind": "latency", "latency_ms": 300, "probability": 0.5, "seed": 7}
//! ```
//!
//! What each kind does on each endpoint is listed in `docs/sandbox.md`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which endpoint a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultEndpoint {
    /// `POST /face/get_wxpayface_authinfo`.
    Authinfo,
    /// `GET /v3/facemch/users/{face_sid}`.
    Users,
    /// `GET /v3/certificates`.
    Certificates,
    /// Every WeChat Pay endpoint above.
    Any,
}

impl FaultEndpoint {
    fn matches(self, endpoint: FaultEndpoint) -> bool {
        self == FaultEndpoint::Any || self == endpoint
    }
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer normally after `latency_ms`.
    Latency,
    /// APIv3: 500 `SYSTEM_ERROR` (signed). v2: `return_code=SYSTEMERROR` (signed).
    SystemError,
    /// 503 `SERVICE_UNAVAILABLE`, unsigned, as a gateway would answer.
    ServiceUnavailable,
    /// APIv3: 429 `FREQUENCY_LIMITED` (signed). v2: `return_code=FREQUENCY_LIMITED` (signed).
    RateLimited,
    /// A truncated body (JSON or XML), correctly signed.
    MalformedBody,
    /// The normal answer with a wrong signature.
    BadSignature,
    /// The normal answer signed with a `Wechatpay-Timestamp` ten minutes old
    /// (APIv3 only; v2 answers carry no timestamp).
    StaleTimestamp,
    /// The connection is closed without an answer.
    DropConnection,
}

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The next `n` calls.
    Next(u32),
    /// Each call with probability `p` (0..=1), from a generator seeded with `seed`.
    Probability {
        /// Probability of firing per call.
        p: f64,
        /// Seed of the rule's generator: the same seed fires on the same calls.
        seed: u64,
    },
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The endpoint.
    pub endpoint: FaultEndpoint,
    /// What goes wrong.
    pub kind: FaultKind,
    /// When.
    pub trigger: Trigger,
    /// Delay of a [`FaultKind::Latency`] rule.
    pub latency: Duration,
}

impl FaultRule {
    /// `kind` on the next `n` calls to `endpoint`.
    pub fn next(endpoint: FaultEndpoint, kind: FaultKind, n: u32) -> Self {
        Self {
            endpoint,
            kind,
            trigger: Trigger::Next(n),
            latency: Duration::ZERO,
        }
    }

    /// `kind` on each call to `endpoint` with probability `p`, seeded.
    pub fn probability(endpoint: FaultEndpoint, kind: FaultKind, p: f64, seed: u64) -> Self {
        Self {
            endpoint,
            kind,
            trigger: Trigger::Probability { p, seed },
            latency: Duration::ZERO,
        }
    }

    /// Set the delay (for [`FaultKind::Latency`]).
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    fn validate(&self) -> Result<(), String> {
        if let Trigger::Probability { p, .. } = self.trigger {
            if !(0.0..=1.0).contains(&p) {
                return Err("probability must be between 0 and 1".into());
            }
        }
        if self.kind == FaultKind::Latency && self.latency > Duration::from_secs(600) {
            return Err("latency must be at most 600 s".into());
        }
        Ok(())
    }
}

/// The JSON form of a rule (`/_sandbox/faults`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRuleJson {
    /// `authinfo`, `users`, `certificates` or `any`.
    pub endpoint: FaultEndpoint,
    /// The kind, snake_case.
    pub kind: FaultKind,
    /// Scripted: the next N calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u32>,
    /// Random: probability per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Seed of a random rule (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Delay of a latency rule, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

impl TryFrom<FaultRuleJson> for FaultRule {
    type Error = String;
    fn try_from(j: FaultRuleJson) -> Result<Self, String> {
        let trigger = match (j.next, j.probability) {
            (Some(n), None) => Trigger::Next(n),
            (None, Some(p)) => Trigger::Probability {
                p,
                seed: j.seed.unwrap_or(0),
            },
            (None, None) => Trigger::Next(1),
            (Some(_), Some(_)) => {
                return Err("give either `next` or `probability`, not both".into())
            }
        };
        if j.kind == FaultKind::Latency && j.latency_ms.is_none() {
            return Err("a latency rule needs `latency_ms`".into());
        }
        let rule = FaultRule {
            endpoint: j.endpoint,
            kind: j.kind,
            trigger,
            latency: Duration::from_millis(j.latency_ms.unwrap_or(0)),
        };
        rule.validate()?;
        Ok(rule)
    }
}

impl From<&FaultRule> for FaultRuleJson {
    fn from(r: &FaultRule) -> Self {
        let (next, probability, seed) = match r.trigger {
            Trigger::Next(n) => (Some(n), None, None),
            Trigger::Probability { p, seed } => (None, Some(p), Some(seed)),
        };
        Self {
            endpoint: r.endpoint,
            kind: r.kind,
            next,
            probability,
            seed,
            latency_ms: (r.kind == FaultKind::Latency).then_some(r.latency.as_millis() as u64),
        }
    }
}

/// What to do to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Decision {
    pub delay: Duration,
    pub kind: Option<FaultKind>,
}

struct Active {
    rule: FaultRule,
    rng: u64,
}

/// splitmix64: small, fast, and the same sequence on every platform.
fn next_u64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Default)]
struct FaultState {
    rules: Vec<Active>,
    fired: u64,
}

/// The fault rules of a sandbox. Cloning gives another handle to the same rules.
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("rules", &self.rules())
            .finish()
    }
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Add a rule.
    ///
    /// # Errors
    /// A description when the rule is unusable (probability outside 0..=1,
    /// latency above 600 s).
    pub fn add(&self, rule: FaultRule) -> Result<(), String> {
        rule.validate()?;
        let rng = match rule.trigger {
            Trigger::Probability { seed, .. } => seed,
            Trigger::Next(_) => 0,
        };
        self.lock().rules.push(Active { rule, rng });
        Ok(())
    }

    /// `kind` on the next `n` calls to `endpoint`.
    pub fn next(&self, endpoint: FaultEndpoint, kind: FaultKind, n: u32) {
        // A scripted rule without latency is always valid.
        let _ = self.add(FaultRule::next(endpoint, kind, n));
    }

    /// Delay the next `n` calls to `endpoint` by `latency`.
    pub fn delay_next(&self, endpoint: FaultEndpoint, latency: Duration, n: u32) {
        let latency = latency.min(Duration::from_secs(600));
        let _ = self.add(FaultRule::next(endpoint, FaultKind::Latency, n).with_latency(latency));
    }

    /// Remove every rule.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// The rules still active.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.lock().rules.iter().map(|a| a.rule.clone()).collect()
    }

    /// How many faults (latencies included) have fired since the start.
    pub fn fired(&self) -> u64 {
        self.lock().fired
    }

    /// Decide what happens to one call to `endpoint`.
    pub(crate) fn draw(&self, endpoint: FaultEndpoint) -> Decision {
        let mut st = self.lock();
        let mut d = Decision::default();
        let mut fired = 0;
        for a in st.rules.iter_mut() {
            if !a.rule.endpoint.matches(endpoint) {
                continue;
            }
            if a.rule.kind != FaultKind::Latency && d.kind.is_some() {
                continue;
            }
            let fires = match &mut a.rule.trigger {
                Trigger::Next(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                Trigger::Next(_) => false,
                Trigger::Probability { p, .. } => {
                    let x = (next_u64(&mut a.rng) >> 11) as f64 / (1u64 << 53) as f64;
                    x < *p
                }
            };
            if fires {
                fired += 1;
                if a.rule.kind == FaultKind::Latency {
                    d.delay += a.rule.latency;
                } else {
                    d.kind = Some(a.rule.kind);
                }
            }
        }
        st.rules
            .retain(|a| !matches!(a.rule.trigger, Trigger::Next(0)));
        st.fired += fired;
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_rules_fire_n_times_then_vanish() {
        let f = Faults::default();
        f.next(FaultEndpoint::Users, FaultKind::SystemError, 2);
        assert_eq!(f.draw(FaultEndpoint::Authinfo).kind, None);
        assert_eq!(
            f.draw(FaultEndpoint::Users).kind,
            Some(FaultKind::SystemError)
        );
        assert_eq!(
            f.draw(FaultEndpoint::Users).kind,
            Some(FaultKind::SystemError)
        );
        assert_eq!(f.draw(FaultEndpoint::Users).kind, None);
        assert!(f.rules().is_empty());
        assert_eq!(f.fired(), 2);
    }

    #[test]
    fn latencies_add_and_first_kind_wins() {
        let f = Faults::default();
        f.delay_next(FaultEndpoint::Any, Duration::from_millis(5), 1);
        f.next(FaultEndpoint::Any, FaultKind::RateLimited, 1);
        f.next(FaultEndpoint::Users, FaultKind::BadSignature, 1);
        f.delay_next(FaultEndpoint::Users, Duration::from_millis(7), 1);
        let d = f.draw(FaultEndpoint::Users);
        assert_eq!(d.delay, Duration::from_millis(12));
        assert_eq!(d.kind, Some(FaultKind::RateLimited));
        // The rule that lost keeps its turn.
        assert_eq!(
            f.draw(FaultEndpoint::Users).kind,
            Some(FaultKind::BadSignature)
        );
    }

    #[test]
    fn probability_is_seeded_and_roughly_right() {
        let run = |seed| {
            let f = Faults::default();
            f.add(FaultRule::probability(
                FaultEndpoint::Users,
                FaultKind::DropConnection,
                0.25,
                seed,
            ))
            .unwrap_or_else(|e| panic!("{e}"));
            (0..2000)
                .map(|_| f.draw(FaultEndpoint::Users).kind.is_some())
                .collect::<Vec<_>>()
        };
        let a = run(42);
        assert_eq!(a, run(42));
        assert_ne!(a, run(43));
        let hits = a.iter().filter(|x| **x).count();
        assert!((400..600).contains(&hits), "{hits}");
        assert!(Faults::default()
            .add(FaultRule::probability(
                FaultEndpoint::Any,
                FaultKind::SystemError,
                1.5,
                0
            ))
            .is_err());
    }

    #[test]
    fn json_form_round_trips() {
        let j: FaultRuleJson = serde_json::from_str(
            r#"{"endpoint":"authinfo","kind":"latency","latency_ms":300,"probability":0.5,"seed":7}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let r = FaultRule::try_from(j).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.latency, Duration::from_millis(300));
        let back = FaultRuleJson::from(&r);
        assert_eq!(back.seed, Some(7));
        let bad: FaultRuleJson = serde_json::from_str(r#"{"endpoint":"users","kind":"latency"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(FaultRule::try_from(bad).is_err());
    }
}
