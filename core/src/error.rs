//! The core's error type.
//!
//! One enum for the whole protocol layer, grouped by what a caller does about
//! it. Every variant has a stable, machine-readable [`Error::code`] and an
//! [`ErrorKind`]; the bindings map kinds to idiomatic exception classes and
//! expose the code unchanged.
//!
//! **No secret and no personal data ever appears in an error.** Messages name
//! fields and rules, never values: a rejected credential number is reported as
//! "field `credential_id`: check digit mismatch", not echoed back.

use std::fmt;

/// The one message of every [`Error::Decryption`].
pub const DECRYPTION_FAILED: &str =
    "real-name decryption failed: the fields do not decrypt to a valid identity with this key and padding";

/// A result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in groups a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller passed a value that breaks a field rule of the protocol.
    InvalidInput,
    /// A field needs a newer face SDK than the configured target version.
    SdkVersion,
    /// The face SDK answered with something other than `SUCCESS`.
    Sdk,
    /// WeChat Pay answered with an error (v2 `return_code=FAIL`, APIv3 non-2xx).
    Backend,
    /// A message could not be parsed (bad JSON/XML, missing field, oversize).
    Malformed,
    /// A signature was missing, stale, from an unknown key, or did not verify.
    Signature,
    /// Ciphertext could not be decrypted into a plausible plaintext.
    Decryption,
    /// A credential (authinfo, face session) is past its expiry.
    Expired,
    /// An event arrived that the flow state machine does not accept now.
    State,
    /// Configuration is incomplete or a key could not be loaded.
    Config,
}

impl ErrorKind {
    /// Stable snake_case name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::SdkVersion => "sdk_version",
            Self::Sdk => "sdk",
            Self::Backend => "backend",
            Self::Malformed => "malformed",
            Self::Signature => "signature",
            Self::Decryption => "decryption",
            Self::Expired => "expired",
            Self::State => "state",
            Self::Config => "config",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a signature check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureFailure {
    /// A required signature header or field is absent.
    Missing,
    /// The signing key's serial / id is not in the key store.
    UnknownSerial,
    /// The signed timestamp lies outside the accepted window.
    StaleTimestamp,
    /// The signature does not match the message.
    Mismatch,
    /// The signature is not well-formed (bad base64, wrong length, bad hex).
    Malformed,
}

impl SignatureFailure {
    /// Stable code of the failure.
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::UnknownSerial => "signature_unknown_serial",
            Self::StaleTimestamp => "signature_stale_timestamp",
            Self::Mismatch => "signature_mismatch",
            Self::Malformed => "signature_malformed",
        }
    }
}

/// The core's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value breaks a field rule. `reason` describes the rule, never the value.
    #[error("invalid input: `{field}` {reason}")]
    InvalidInput {
        /// The field (wire name) that was refused.
        field: String,
        /// The rule it broke.
        reason: String,
    },

    /// A request field needs a newer face SDK than the configured target.
    #[error("`{field}` of `{cmd}` needs face SDK {required} or newer; target is {target}")]
    SdkVersion {
        /// The command.
        cmd: &'static str,
        /// The field.
        field: &'static str,
        /// The minimum SDK version of the field.
        required: String,
        /// The configured target version.
        target: String,
    },

    /// The face SDK answered with an error.
    #[error("face SDK `{cmd}` answered {return_code}{}: {return_msg}", err_code.as_ref().map(|c| format!(" (err_code {c})")).unwrap_or_default())]
    Sdk {
        /// The command that failed.
        cmd: String,
        /// `return_code` of the answer (or a transport-level code such as `CALL_FAILED`).
        return_code: String,
        /// `return_msg` of the answer.
        return_msg: String,
        /// `err_code` of the answer, when present.
        err_code: Option<String>,
    },

    /// WeChat Pay answered with an error.
    #[error("WeChat Pay answered {}{code}: {message}", status.map(|s| format!("HTTP {s} ")).unwrap_or_default())]
    Backend {
        /// HTTP status for APIv3 answers; `None` for v2 (always HTTP 200).
        status: Option<u16>,
        /// WeChat's error code (`SIGN_ERROR`, `PARAM_ERROR`, `FAIL`…).
        code: String,
        /// WeChat's message.
        message: String,
        /// APIv3 `detail`, serialised as JSON, when present.
        detail: Option<String>,
    },

    /// A message could not be parsed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// Which message.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A signature check failed.
    #[error("signature check failed ({}): {detail}", failure.code())]
    Signature {
        /// Why.
        failure: SignatureFailure,
        /// Human-readable detail (no secrets).
        detail: String,
    },

    /// Real-name fields did not decrypt to a valid identity.
    ///
    /// One variant with one fixed message and no detail, whatever went wrong:
    /// bad base64, a ciphertext of the wrong length, bad padding, a wrong key
    /// or padding mode, a plaintext that is not UTF-8, has control characters,
    /// is not a plausible name, or fails its credential number's check. Any
    /// distinction between those would hand whoever supplies ciphertexts a
    /// padding oracle (see SECURITY.md).
    #[error("{}", DECRYPTION_FAILED)]
    Decryption,

    /// Something is past its expiry.
    #[error("{what} expired")]
    Expired {
        /// What expired.
        what: &'static str,
    },

    /// The flow state machine does not accept this event in its current state.
    #[error("event `{event}` is not accepted in state `{state}`")]
    State {
        /// The current state.
        state: &'static str,
        /// The refused event.
        event: &'static str,
    },

    /// Bad configuration or key material.
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// The kind of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidInput { .. } => ErrorKind::InvalidInput,
            Self::SdkVersion { .. } => ErrorKind::SdkVersion,
            Self::Sdk { .. } => ErrorKind::Sdk,
            Self::Backend { .. } => ErrorKind::Backend,
            Self::Malformed { .. } => ErrorKind::Malformed,
            Self::Signature { .. } => ErrorKind::Signature,
            Self::Decryption => ErrorKind::Decryption,
            Self::Expired { .. } => ErrorKind::Expired,
            Self::State { .. } => ErrorKind::State,
            Self::Config(_) => ErrorKind::Config,
        }
    }

    /// Stable snake_case code; finer than [`Error::kind`] for signatures.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Signature { failure, .. } => failure.code(),
            other => other.kind().as_str(),
        }
    }

    /// Every code [`Error::code`] can return, for drift tests in the bindings.
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
    ];

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Malformed {
            what,
            reason: reason.into(),
        }
    }

    pub(crate) fn signature(failure: SignatureFailure, detail: impl Into<String>) -> Self {
        Self::Signature {
            failure,
            detail: detail.into(),
        }
    }

    /// Whether a merchant server may retry the same call unchanged
    /// (WeChat's `SYSTEM_ERROR`, `SYSTEMERROR`, rate limits, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Backend { status, code, .. } => {
                matches!(status, Some(429) | Some(500..=599))
                    || matches!(
                        code.as_str(),
                        "SYSTEM_ERROR" | "SYSTEMERROR" | "FREQUENCY_LIMITED" | "RATELIMIT_EXCEEDED"
                    )
            }
            _ => false,
        }
    }
}
