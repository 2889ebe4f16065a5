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

mod catalogue;
pub use catalogue::{codes, spec, ErrorInfo, ErrorSpec, Retry, CATALOGUE};

/// The one message of every [`Error::Decryption`].
pub const DECRYPTION_FAILED: &str =
    "real-name decryption failed: the fields do not decrypt to a valid identity with this key and padding";

/// A result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Generates a plain enum's stable names: `ALL`, `const fn as_str`,
/// `Display` and `FromStr` (exact, case-sensitive; refusing any other name
/// with [`Error::InvalidInput`] on `field`, whose reason lists the names).
///
/// The names are snake_case unless the enum's names are wire values
/// (`MD5`, `FACE_AUTH`); doc comments before the type replace the default
/// documentation of `as_str` (`Stable snake_case name.`) to say which:
///
/// ```text
/// named_enum!(
///     /// The wire value.
///     SignType, "sign_type", { Md5 => "MD5", HmacSha256 => "HMAC-SHA256" }
/// );
/// ```
macro_rules! named_enum {
    ($ty:ident, $field:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        $crate::error::named_enum!(
            /// Stable snake_case name.
            $ty, $field, { $($variant => $name),+ }
        );
    };
    ($(#[doc = $doc:literal])+ $ty:ident, $field:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            $(#[doc = $doc])+
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::error::Error;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Self::$variant),)+
                    _ => Err($crate::error::Error::invalid(
                        $field,
                        ::std::format!(
                            "is not a known name (expected one of {})",
                            [$(::std::concat!("`", $name, "`")),+].join(", ")
                        ),
                    )),
                }
            }
        }
    };
}
pub(crate) use named_enum;

/// What went wrong, in groups a caller can act on. Each kind is one error
/// class in every binding (see [`CATALOGUE`]).
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
    /// An HTTP call (kiosk → merchant server, merchant server → WeChat Pay)
    /// got no usable answer: no connection, a timeout, a cut-off body, or a
    /// peer that does not speak the expected API.
    Transport,
    /// A failure outside the protocol: host code (a callback of a binding)
    /// threw something that is not a wxface error, or a binding's background
    /// task stopped.
    Internal,
    /// The kiosk API refused the caller: no device credential, a wrong or
    /// revoked one, or no client certificate where mutual TLS is required.
    Unauthenticated,
}

named_enum!(ErrorKind, "kind", {
    InvalidInput => "invalid_input",
    SdkVersion => "sdk_version",
    Sdk => "sdk",
    Backend => "backend",
    Malformed => "malformed",
    Signature => "signature",
    Decryption => "decryption",
    Expired => "expired",
    State => "state",
    Config => "config",
    Transport => "transport",
    Internal => "internal",
    Unauthenticated => "unauthenticated",
});

/// How an HTTP call failed to get an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection (refused, DNS, TLS handshake, proxy).
    Connect,
    /// No answer in time.
    Timeout,
    /// The connection broke while sending or reading.
    Interrupted,
    /// The peer answered, but not with the expected API (an HTTP status
    /// without an error body, a body that is not the expected JSON).
    Protocol,
    /// Anything else.
    Other,
    /// The peer refused the call for now under its own rate limits (the
    /// merchant server's HTTP 429 with `Retry-After`; WeChat Pay's own
    /// limits are [`Error::Backend`] with its code). Retry after the delay.
    RateLimited,
}

named_enum!(TransportKind, "transport_kind", {
    Connect => "connect",
    Timeout => "timeout",
    Interrupted => "interrupted",
    Protocol => "protocol",
    Other => "other",
    RateLimited => "rate_limited",
});

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

named_enum!(SignatureFailure, "code", {
    Missing => "signature_missing",
    UnknownSerial => "signature_unknown_serial",
    StaleTimestamp => "signature_stale_timestamp",
    Mismatch => "signature_mismatch",
    Malformed => "signature_malformed",
});

impl SignatureFailure {
    /// Stable code of the failure (the same as [`SignatureFailure::as_str`]).
    pub fn code(self) -> &'static str {
        self.as_str()
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
    #[error("WeChat Pay answered {}{code}: {message}{}", status.map(|s| format!("HTTP {s} ")).unwrap_or_default(), request_id.as_ref().map(|r| format!(" (Request-ID {r})")).unwrap_or_default())]
    Backend {
        /// HTTP status for APIv3 answers; `None` for v2 (always HTTP 200).
        status: Option<u16>,
        /// WeChat's error code (`SIGN_ERROR`, `PARAM_ERROR`, `FAIL`…).
        code: String,
        /// WeChat's message.
        message: String,
        /// APIv3 `detail`, serialised as JSON, when present.
        detail: Option<String>,
        /// WeChat Pay's `Request-ID` of the answer (APIv3), which its
        /// support asks for.
        request_id: Option<String>,
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

    /// An HTTP call got no usable answer (see [`TransportKind`]). `detail`
    /// says which call and what happened, never a body or a credential.
    #[error("transport ({kind}): {detail}")]
    Transport {
        /// How it failed.
        kind: TransportKind,
        /// Which call, and what happened.
        detail: String,
    },

    /// A failure outside the protocol (see [`ErrorKind::Internal`]).
    #[error("internal: {0}")]
    Internal(String),

    /// The kiosk API refused the caller (see [`ErrorKind::Unauthenticated`]).
    /// The message says what is wrong, never the credential.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
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
            Self::Transport { .. } => ErrorKind::Transport,
            Self::Internal(_) => ErrorKind::Internal,
            Self::Unauthenticated(_) => ErrorKind::Unauthenticated,
        }
    }

    /// Stable snake_case code; finer than [`Error::kind`] for signatures.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Signature { failure, .. } => failure.code(),
            other => other.kind().as_str(),
        }
    }

    /// An [`Error::Transport`].
    pub fn transport(kind: TransportKind, detail: impl Into<String>) -> Self {
        Self::Transport {
            kind,
            detail: detail.into(),
        }
    }

    /// An [`Error::Config`].
    pub fn config(msg: impl Into<String>) -> Self {
        Self::Config(msg.into())
    }

    /// WeChat Pay's own code of a [`Error::Backend`].
    pub fn wechat_code(&self) -> Option<&str> {
        match self {
            Self::Backend { code, .. } => Some(code),
            _ => None,
        }
    }

    /// An [`Error::InvalidInput`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Malformed`].
    pub fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Malformed {
            what,
            reason: reason.into(),
        }
    }

    /// An [`Error::Signature`].
    pub fn signature(failure: SignatureFailure, detail: impl Into<String>) -> Self {
        Self::Signature {
            failure,
            detail: detail.into(),
        }
    }

    /// Whether the same call may be retried unchanged: WeChat's
    /// `SYSTEM_ERROR`, `SYSTEMERROR`, rate limits and 5xx answers, and a
    /// transport failure that got no answer (connect, timeout, interrupted).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { kind, .. } => matches!(
                kind,
                TransportKind::Connect
                    | TransportKind::Timeout
                    | TransportKind::Interrupted
                    | TransportKind::RateLimited
            ),
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
