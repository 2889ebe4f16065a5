//! The client's error: a core protocol error, or a transport failure.

use std::fmt;

/// A result with the client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be established (DNS, refused, TLS handshake).
    Connect,
    /// The connect or total timeout elapsed.
    Timeout,
    /// The connection broke after the request was sent and before the whole
    /// answer arrived (closed, reset). Both of WeChat Pay's calls used here
    /// are safe to repeat, so this is retried.
    Interrupted,
    /// Anything else (oversize body, a runtime that is shut down, …).
    Other,
}

impl TransportKind {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Interrupted => "interrupted",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The client's error.
///
/// Messages never contain secrets, real-name data, authinfo, rawdata or full
/// request URLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A protocol error from the core: a WeChat Pay error answer, a failed
    /// signature check, a malformed answer, bad configuration…
    #[error(transparent)]
    Core(#[from] wxface_core::Error),

    /// The HTTP exchange itself failed.
    #[error("transport ({kind}): {detail}")]
    Transport {
        /// What kind of failure.
        kind: TransportKind,
        /// A short description, without the request URL.
        detail: String,
    },
}

impl Error {
    /// Stable snake_case code: the core's [`wxface_core::Error::code`], or
    /// `transport`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Core(e) => e.code(),
            Self::Transport { .. } => "transport",
        }
    }

    /// Every code [`Error::code`] can return, for drift tests in the
    /// bindings: the core's [`wxface_core::Error::ALL_CODES`] and `transport`.
    pub const ALL_CODES: &'static [&'static str] = &[
        "invalid_input",
        "sdk_version",
        "sdk",
        "backend",
        "malformed",
        "signature_missing",
        "signature_unknown_serial",
        "signature_stale_timestamp",
        "signature_mismatch",
        "signature_malformed",
        "decryption",
        "expired",
        "state",
        "config",
        "transport",
    ];

    /// The core error, if this is one.
    pub fn as_core(&self) -> Option<&wxface_core::Error> {
        match self {
            Self::Core(e) => Some(e),
            Self::Transport { .. } => None,
        }
    }

    /// Whether the same call may be repeated unchanged: connect failures,
    /// timeouts, interrupted answers, and what [`wxface_core::Error::is_retryable`] says (HTTP 5xx
    /// and 429, `SYSTEM_ERROR`, `SYSTEMERROR`, `FREQUENCY_LIMITED`,
    /// `RATELIMIT_EXCEEDED`). Signature failures never are.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Core(e) => e.is_retryable(),
            Self::Transport { kind, .. } => {
                matches!(
                    kind,
                    TransportKind::Connect | TransportKind::Timeout | TransportKind::Interrupted
                )
            }
        }
    }

    /// WeChat Pay's error code when WeChat answered with an error.
    pub fn backend_code(&self) -> Option<&str> {
        match self {
            Self::Core(wxface_core::Error::Backend { code, .. }) => Some(code),
            _ => None,
        }
    }

    pub(crate) fn config(msg: impl Into<String>) -> Self {
        Self::Core(wxface_core::Error::Config(msg.into()))
    }

    pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Core(wxface_core::Error::Malformed {
            what,
            reason: reason.into(),
        })
    }

    pub(crate) fn transport(kind: TransportKind, detail: impl Into<String>) -> Self {
        Self::Transport {
            kind,
            detail: detail.into(),
        }
    }
}

/// Longest transport detail kept, in characters.
const MAX_DETAIL: usize = 160;

/// Map a reqwest error to a transport error without its URL.
pub(crate) fn from_reqwest(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportKind::Interrupted
    } else {
        TransportKind::Other
    };
    let e = e.without_url();
    // The innermost cause says the most ("connection refused", "deadline
    // has elapsed"); reqwest's own text says which phase failed.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    let mut innermost = None;
    while let Some(s) = source {
        innermost = Some(s.to_string());
        source = s.source();
    }
    if let Some(inner) = innermost {
        if !detail.contains(&inner) {
            detail.push_str(": ");
            detail.push_str(&inner);
        }
    }
    let detail: String = detail
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DETAIL)
        .collect();
    Error::transport(kind, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_retryability() {
        let t = Error::transport(TransportKind::Timeout, "deadline");
        assert_eq!(t.code(), "transport");
        assert!(t.is_retryable());
        assert!(!Error::transport(TransportKind::Other, "x").is_retryable());
        let b = Error::Core(wxface_core::Error::Backend {
            status: Some(503),
            code: "SERVICE_UNAVAILABLE".into(),
            message: String::new(),
            detail: None,
        });
        assert!(b.is_retryable());
        assert_eq!(b.backend_code(), Some("SERVICE_UNAVAILABLE"));
        let s = Error::Core(wxface_core::Error::Signature {
            failure: wxface_core::SignatureFailure::Mismatch,
            detail: String::new(),
        });
        assert!(!s.is_retryable());
        let mut core = wxface_core::Error::ALL_CODES.to_vec();
        core.push("transport");
        assert_eq!(
            Error::ALL_CODES,
            core.as_slice(),
            "codes drifted from the core's"
        );
    }
}
