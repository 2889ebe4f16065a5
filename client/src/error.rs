//! The client's errors are the core's: [`Error`] (with its
//! [`Error::Transport`] for HTTP calls that got no answer) and the one
//! catalogue of codes, [`wxface_core::error::CATALOGUE`]. This module maps
//! reqwest's failures onto it.

pub use wxface_core::error::TransportKind;
pub use wxface_core::Error;

/// A result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
        let b = Error::Backend {
            status: Some(503),
            code: "SERVICE_UNAVAILABLE".into(),
            message: String::new(),
            detail: None,
            request_id: None,
        };
        assert!(b.is_retryable());
        assert_eq!(b.wechat_code(), Some("SERVICE_UNAVAILABLE"));
        let s = Error::Signature {
            failure: wxface_core::SignatureFailure::Mismatch,
            detail: String::new(),
        };
        assert!(!s.is_retryable());
    }
}
