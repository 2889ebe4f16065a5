//! The one error type of the binding: `WxfaceError` in Rust, the sealed class
//! `WxfaceException` in Kotlin.
//!
//! One variant per kind of the core's error (plus `Transport` from the
//! merchant client and `Callback` for a Kotlin implementation that threw
//! something other than a `WxfaceException`). Every variant carries `code`,
//! the core's stable snake_case code (`signature_mismatch`, `sdk`, …), and
//! `reason`, a message that names fields and rules, never values. Variants add
//! the typed details a caller acts on (`return_code` of an SDK answer, the HTTP
//! `status` of a WeChat Pay answer).
//!
//! The mapping from the core is exhaustive and happens here only; the
//! reverse mapping turns what a Kotlin callback threw back into a core error
//! for the flow.

use wxface_core::{Error as CoreError, ErrorKind, SignatureFailure};

/// Codes only the binding produces, on top of the core's.
const BINDING_CODES: &[&str] = &["transport", "callback"];

/// Every error of the binding. `code` is stable; `reason` contains no secret
/// and no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum WxfaceError {
    /// A value breaks a field rule of the protocol (`field` names it).
    #[error("{reason}")]
    InvalidInput {
        /// `invalid_input`.
        code: String,
        /// The rule that was broken.
        reason: String,
        /// The field (wire name).
        field: String,
    },
    /// A request field needs a newer face SDK than the configured one.
    #[error("{reason}")]
    SdkVersion {
        /// `sdk_version`.
        code: String,
        /// What needs which version.
        reason: String,
        /// The field.
        field: String,
        /// The first SDK version with the field.
        required: String,
        /// The configured SDK version.
        target: String,
    },
    /// The face SDK answered an error, or the call itself failed
    /// (`return_code` `CALL_FAILED`).
    #[error("{reason}")]
    Sdk {
        /// `sdk`.
        code: String,
        /// A summary.
        reason: String,
        /// The command (`getWxpayfaceCode`, …; `unknown` when not known).
        cmd: String,
        /// `return_code` of the answer.
        return_code: String,
        /// `return_msg` of the answer.
        return_msg: String,
        /// `err_code` of the answer, when present.
        err_code: Option<String>,
    },
    /// WeChat Pay (or the merchant server) answered an error.
    #[error("{reason}")]
    Backend {
        /// `backend`.
        code: String,
        /// A summary.
        reason: String,
        /// HTTP status for APIv3 answers.
        status: Option<u16>,
        /// WeChat's code (`SYSTEM_ERROR`, `PARAM_ERROR`, `FAIL`, …).
        backend_code: String,
        /// APIv3 `detail` as JSON, when present.
        detail: Option<String>,
        /// Whether the same call may be repeated unchanged.
        retryable: bool,
    },
    /// A message could not be parsed.
    #[error("{reason}")]
    Malformed {
        /// `malformed`.
        code: String,
        /// What is wrong.
        reason: String,
    },
    /// A signature was missing, stale, from an unknown key, or did not verify.
    #[error("{reason}")]
    Signature {
        /// `signature_missing`, `signature_unknown_serial`,
        /// `signature_stale_timestamp`, `signature_mismatch` or `signature_malformed`.
        code: String,
        /// What failed.
        reason: String,
    },
    /// Real-name fields did not decrypt into a valid identity. One code and
    /// one fixed message whatever went wrong (bad base64, a wrong length,
    /// bad padding, a wrong key or padding mode, an implausible plaintext):
    /// telling them apart would make the decryptor a padding oracle.
    #[error("{reason}")]
    Decryption {
        /// `decryption`.
        code: String,
        /// The core's one message (`DECRYPTION_FAILED`).
        reason: String,
    },
    /// A credential is past its expiry.
    #[error("{reason}")]
    Expired {
        /// `expired`.
        code: String,
        /// What expired.
        reason: String,
    },
    /// The flow does not accept this event now.
    #[error("{reason}")]
    State {
        /// `state`.
        code: String,
        /// A summary.
        reason: String,
        /// The current state.
        state: String,
        /// The refused event.
        event: String,
    },
    /// Configuration is incomplete or a key could not be loaded.
    #[error("{reason}")]
    Config {
        /// `config`.
        code: String,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP exchange with WeChat Pay failed (merchant client).
    #[error("{reason}")]
    Transport {
        /// `transport`.
        code: String,
        /// A short description, without the URL.
        reason: String,
        /// `connect`, `timeout` or `other`.
        kind: String,
        /// Whether the same call may be repeated unchanged.
        retryable: bool,
    },
    /// A Kotlin implementation (`FaceSdk`, `MerchantBackend`, …) threw
    /// something other than a `WxfaceException`.
    #[error("{reason}")]
    Callback {
        /// `callback`.
        code: String,
        /// Which exception class was thrown (its message is not kept: it may
        /// carry anything).
        reason: String,
    },
}

/// Every code a `WxfaceException` can carry, for drift tests in Kotlin.
#[uniffi::export]
pub fn error_codes() -> Vec<String> {
    CoreError::ALL_CODES
        .iter()
        .chain(BINDING_CODES)
        .map(|c| (*c).to_owned())
        .collect()
}

impl WxfaceError {
    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidInput { code, .. }
            | Self::SdkVersion { code, .. }
            | Self::Sdk { code, .. }
            | Self::Backend { code, .. }
            | Self::Malformed { code, .. }
            | Self::Signature { code, .. }
            | Self::Decryption { code, .. }
            | Self::Expired { code, .. }
            | Self::State { code, .. }
            | Self::Config { code, .. }
            | Self::Transport { code, .. }
            | Self::Callback { code, .. } => code,
        }
    }

    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self::InvalidInput {
            code: "invalid_input".into(),
            reason: format!("invalid input: `{field}` {reason}"),
            field: field.into(),
        }
    }

    /// Turn what a Kotlin callback threw into a core error. `Callback`
    /// becomes `on_callback` (an SDK call failure for the face SDK, a
    /// backend failure for the merchant server).
    pub(crate) fn into_core(self, on_callback: fn(String) -> CoreError) -> CoreError {
        match self {
            Self::InvalidInput { field, reason, .. } => CoreError::InvalidInput {
                field,
                reason: strip_prefix(&reason, "invalid input: "),
            },
            Self::SdkVersion { field, reason, .. } => CoreError::InvalidInput { field, reason },
            Self::Sdk {
                cmd,
                return_code,
                return_msg,
                err_code,
                ..
            } => CoreError::Sdk {
                cmd,
                return_code,
                return_msg,
                err_code,
            },
            Self::Backend {
                status,
                backend_code,
                reason,
                detail,
                ..
            } => CoreError::Backend {
                status,
                code: backend_code,
                message: reason,
                detail,
            },
            Self::Malformed { reason, .. } => CoreError::Malformed {
                what: "answer of a Kotlin callback",
                reason,
            },
            Self::Signature { code, reason } => CoreError::Signature {
                failure: signature_failure(&code),
                detail: reason,
            },
            Self::Decryption { .. } => CoreError::Decryption,
            Self::Expired { .. } => CoreError::Expired {
                what: "a credential of the merchant server",
            },
            Self::State { reason, .. } | Self::Config { reason, .. } => CoreError::Config(reason),
            Self::Transport { kind, reason, .. } => CoreError::Backend {
                status: None,
                code: format!("TRANSPORT_{}", kind.to_ascii_uppercase()),
                message: reason,
                detail: None,
            },
            Self::Callback { reason, .. } => on_callback(reason),
        }
    }
}

fn strip_prefix(s: &str, prefix: &str) -> String {
    s.strip_prefix(prefix).unwrap_or(s).to_owned()
}

fn signature_failure(code: &str) -> SignatureFailure {
    match code {
        "signature_missing" => SignatureFailure::Missing,
        "signature_unknown_serial" => SignatureFailure::UnknownSerial,
        "signature_stale_timestamp" => SignatureFailure::StaleTimestamp,
        "signature_malformed" => SignatureFailure::Malformed,
        _ => SignatureFailure::Mismatch,
    }
}

impl From<CoreError> for WxfaceError {
    fn from(e: CoreError) -> Self {
        let code = e.code().to_owned();
        let reason = e.to_string();
        let retryable = e.is_retryable();
        match e {
            CoreError::InvalidInput { field, .. } => Self::InvalidInput {
                code,
                reason,
                field,
            },
            CoreError::SdkVersion {
                field,
                required,
                target,
                ..
            } => Self::SdkVersion {
                code,
                reason,
                field: field.into(),
                required,
                target,
            },
            CoreError::Sdk {
                cmd,
                return_code,
                return_msg,
                err_code,
            } => Self::Sdk {
                code,
                reason,
                cmd,
                return_code,
                return_msg,
                err_code,
            },
            CoreError::Backend {
                status,
                code: backend_code,
                detail,
                ..
            } => Self::Backend {
                code,
                reason,
                status,
                backend_code,
                detail,
                retryable,
            },
            CoreError::State { state, event } => Self::State {
                code,
                reason,
                state: state.into(),
                event: event.into(),
            },
            other => match other.kind() {
                ErrorKind::Signature => Self::Signature { code, reason },
                ErrorKind::Decryption => Self::Decryption { code, reason },
                ErrorKind::Expired => Self::Expired { code, reason },
                ErrorKind::Config => Self::Config { code, reason },
                // `Malformed`, and any kind a newer core adds: the code is
                // kept exactly, so callers can still tell it apart.
                _ => Self::Malformed { code, reason },
            },
        }
    }
}

#[cfg(feature = "merchant")]
impl From<wxface_client::Error> for WxfaceError {
    fn from(e: wxface_client::Error) -> Self {
        let retryable = e.is_retryable();
        match e {
            wxface_client::Error::Core(c) => c.into(),
            wxface_client::Error::Transport { kind, .. } => Self::Transport {
                code: "transport".into(),
                reason: e.to_string(),
                kind: kind.as_str().into(),
                retryable,
            },
            // A newer client variant: keep its code.
            other => Self::Config {
                code: other.code().into(),
                reason: other.to_string(),
            },
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for WxfaceError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // The foreign exception's text is `Class: message`; the message may
        // carry anything, so only the class is kept.
        let class = e
            .reason
            .split(':')
            .next()
            .unwrap_or("unknown")
            .trim()
            .chars()
            .take(120)
            .collect::<String>();
        Self::Callback {
            code: "callback".into(),
            reason: format!("the Kotlin implementation threw {class}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_survives_the_mapping() {
        let samples = [
            CoreError::InvalidInput {
                field: "appid".into(),
                reason: "is required".into(),
            },
            CoreError::SdkVersion {
                cmd: "getWxpayAuth",
                field: "quit_face_auth",
                required: "1.20".into(),
                target: "1.16".into(),
            },
            CoreError::Sdk {
                cmd: "getWxpayfaceCode".into(),
                return_code: "USER_CANCEL".into(),
                return_msg: "cancelled".into(),
                err_code: None,
            },
            CoreError::Backend {
                status: Some(500),
                code: "SYSTEM_ERROR".into(),
                message: "busy".into(),
                detail: None,
            },
            CoreError::Malformed {
                what: "x",
                reason: "y".into(),
            },
            CoreError::Signature {
                failure: SignatureFailure::Missing,
                detail: String::new(),
            },
            CoreError::Signature {
                failure: SignatureFailure::UnknownSerial,
                detail: String::new(),
            },
            CoreError::Signature {
                failure: SignatureFailure::StaleTimestamp,
                detail: String::new(),
            },
            CoreError::Signature {
                failure: SignatureFailure::Mismatch,
                detail: String::new(),
            },
            CoreError::Signature {
                failure: SignatureFailure::Malformed,
                detail: String::new(),
            },
            CoreError::Decryption,
            CoreError::Expired { what: "authinfo" },
            CoreError::State {
                state: "ready",
                event: "cancel",
            },
            CoreError::Config("c".into()),
        ];
        let mut seen: Vec<String> = samples
            .iter()
            .cloned()
            .map(|e| WxfaceError::from(e).code().to_owned())
            .collect();
        seen.sort();
        let mut all: Vec<String> = CoreError::ALL_CODES
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        all.sort();
        assert_eq!(seen, all);
        for e in samples {
            let code = e.code();
            let back = WxfaceError::from(e).into_core(CoreError::Config);
            // Kinds that carry only static context come back as a close kind.
            if !matches!(code, "sdk_version" | "expired" | "state") {
                assert_eq!(back.code(), code);
            }
        }
    }

    #[test]
    fn callback_errors_keep_only_the_class() {
        let e = WxfaceError::from(uniffi::UnexpectedUniFFICallbackError::new(
            "java.lang.IllegalStateException: patient 110101199003071234",
        ));
        assert_eq!(e.code(), "callback");
        assert!(!e.to_string().contains("1101"));
        assert!(e.to_string().contains("IllegalStateException"));
    }

    #[test]
    fn codes_are_unique() {
        let codes = error_codes();
        let mut dedup = codes.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(codes.len(), dedup.len());
    }
}
