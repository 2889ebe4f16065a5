//! The error catalogue: every stable code, once.
//!
//! [`CATALOGUE`] is the one list of error codes of wxface. Each row gives a
//! code its kind, the stem of its class name in the bindings
//! (`Backend` → `BackendError` in Python and JavaScript,
//! `WxfaceException.Backend` in Kotlin), whether it may be retried, and the
//! detail fields its [`ErrorInfo`] carries. The bindings' error classes are
//! generated from this table (`cargo xtask gen`), and [`Error::info`] is the
//! one flat record every binding reads them from.

use serde::{Deserialize, Serialize};

use super::{named_enum, Error, ErrorKind, SignatureFailure, TransportKind};

/// Whether an error of a code may be retried unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Never: the same call fails the same way.
    Never,
    /// Depends on the details ([`Error::is_retryable`] decides).
    Depends,
}

named_enum!(Retry, "retry", {
    Never => "never",
    Depends => "depends",
});

/// One row of the [`CATALOGUE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorSpec {
    /// The stable snake_case code ([`Error::code`]).
    pub code: &'static str,
    /// Its kind; one kind is one error class in every binding.
    pub kind: ErrorKind,
    /// The class-name stem (`InvalidInput`, `Backend`, …).
    pub class: &'static str,
    /// Whether it may be retried.
    pub retry: Retry,
    /// The [`ErrorInfo`] detail fields it fills (snake_case names).
    pub fields: &'static [&'static str],
    /// One sentence for the class's documentation.
    pub doc: &'static str,
}

const fn row(
    code: &'static str,
    kind: ErrorKind,
    class: &'static str,
    retry: Retry,
    fields: &'static [&'static str],
    doc: &'static str,
) -> ErrorSpec {
    ErrorSpec {
        code,
        kind,
        class,
        retry,
        fields,
        doc,
    }
}

const SIGNATURE_DOC: &str =
    "A signature was missing, malformed, stale, from an unknown key, or did not verify.";

/// Every error code of wxface, grouped by kind, kinds in [`ErrorKind::ALL`]
/// order.
pub const CATALOGUE: &[ErrorSpec] = &[
    row(
        ErrorKind::InvalidInput.as_str(),
        ErrorKind::InvalidInput,
        "InvalidInput",
        Retry::Never,
        &["field"],
        "A value breaks a field rule of the protocol; `field` names it, the message names the rule, never the value.",
    ),
    row(
        ErrorKind::SdkVersion.as_str(),
        ErrorKind::SdkVersion,
        "SdkVersion",
        Retry::Never,
        &["cmd", "field", "required", "target"],
        "A request field needs a newer face SDK than the configured target version.",
    ),
    row(
        ErrorKind::Sdk.as_str(),
        ErrorKind::Sdk,
        "Sdk",
        Retry::Never,
        &["cmd", "return_code", "return_msg", "err_code"],
        "The face SDK answered a command with an error, or the call itself failed.",
    ),
    row(
        ErrorKind::Backend.as_str(),
        ErrorKind::Backend,
        "Backend",
        Retry::Depends,
        &["status", "wechat_code", "wechat_message", "detail", "request_id"],
        "WeChat Pay answered with an error; `wechat_code` is its own code (`SYSTEM_ERROR`, `PARAM_ERROR`, …).",
    ),
    row(
        ErrorKind::Malformed.as_str(),
        ErrorKind::Malformed,
        "Malformed",
        Retry::Never,
        &["what"],
        "A message could not be parsed: bad JSON or XML, a missing field, an oversize body.",
    ),
    row(
        SignatureFailure::Missing.as_str(),
        ErrorKind::Signature,
        "Signature",
        Retry::Never,
        &[],
        SIGNATURE_DOC,
    ),
    row(
        SignatureFailure::UnknownSerial.as_str(),
        ErrorKind::Signature,
        "Signature",
        Retry::Never,
        &[],
        SIGNATURE_DOC,
    ),
    row(
        SignatureFailure::StaleTimestamp.as_str(),
        ErrorKind::Signature,
        "Signature",
        Retry::Never,
        &[],
        SIGNATURE_DOC,
    ),
    row(
        SignatureFailure::Mismatch.as_str(),
        ErrorKind::Signature,
        "Signature",
        Retry::Never,
        &[],
        SIGNATURE_DOC,
    ),
    row(
        SignatureFailure::Malformed.as_str(),
        ErrorKind::Signature,
        "Signature",
        Retry::Never,
        &[],
        SIGNATURE_DOC,
    ),
    row(
        ErrorKind::Decryption.as_str(),
        ErrorKind::Decryption,
        "Decryption",
        Retry::Never,
        &[],
        "Real-name fields did not decrypt to a valid identity; one fixed message whatever went wrong.",
    ),
    row(
        ErrorKind::Expired.as_str(),
        ErrorKind::Expired,
        "Expired",
        Retry::Never,
        &["what"],
        "A credential (authinfo, a face session) is past its expiry.",
    ),
    row(
        ErrorKind::State.as_str(),
        ErrorKind::State,
        "State",
        Retry::Never,
        &["state", "event"],
        "The flow does not accept this event or call in its current state.",
    ),
    row(
        ErrorKind::Config.as_str(),
        ErrorKind::Config,
        "Config",
        Retry::Never,
        &[],
        "Configuration is incomplete or a key could not be loaded.",
    ),
    row(
        ErrorKind::Transport.as_str(),
        ErrorKind::Transport,
        "Transport",
        Retry::Depends,
        &["transport_kind"],
        "An HTTP call (kiosk to merchant server, merchant server to WeChat Pay) got no usable answer.",
    ),
    row(
        ErrorKind::Internal.as_str(),
        ErrorKind::Internal,
        "Internal",
        Retry::Never,
        &[],
        "A failure outside the protocol: host code threw something that is not a wxface error, or a background task stopped.",
    ),
    row(
        ErrorKind::Unauthenticated.as_str(),
        ErrorKind::Unauthenticated,
        "Unauthenticated",
        Retry::Never,
        &[],
        "The merchant server refused the kiosk: no device credential, a wrong or revoked one, or no client certificate where one is required.",
    ),
];

/// Every code, in catalogue order.
pub fn codes() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|s| s.code)
}

/// The catalogue row of `code`.
pub fn spec(code: &str) -> Option<&'static ErrorSpec> {
    CATALOGUE.iter().find(|s| s.code == code)
}

/// An [`Error`] as one flat record with fixed field names, for every binding
/// and for the kiosk API's error body. Fields a code does not carry are
/// `None` (see [`ErrorSpec::fields`]). Like the error, it holds no secret and
/// no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(default)]
pub struct ErrorInfo {
    /// The stable code.
    pub code: String,
    /// The kind ([`ErrorKind::as_str`]).
    pub kind: String,
    /// The message (names fields and rules, never values).
    pub message: String,
    /// Whether the same call may be retried unchanged.
    pub retryable: bool,
    /// `invalid_input`, `sdk_version`: the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `sdk`, `sdk_version`: the SDK command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    /// `sdk_version`: the minimum SDK version of the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    /// `sdk_version`: the configured target SDK version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `sdk`: the answer's `return_code` (or `CALL_FAILED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_code: Option<String>,
    /// `sdk`: the answer's `return_msg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_msg: Option<String>,
    /// `sdk`: the answer's `err_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub err_code: Option<String>,
    /// `backend`: the HTTP status (`None` for v2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `backend`: WeChat Pay's own code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wechat_code: Option<String>,
    /// `backend`: WeChat Pay's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wechat_message: Option<String>,
    /// `backend`: APIv3 `detail` as JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `malformed`, `expired`: which message or credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
    /// `state`: the flow's state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `state`: the refused event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// `transport`: how the call failed ([`TransportKind::as_str`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_kind: Option<String>,
    /// `backend`: WeChat Pay's `Request-ID` of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Error {
    /// The error as one flat record ([`ErrorInfo`]).
    pub fn info(&self) -> ErrorInfo {
        let mut info = ErrorInfo {
            code: self.code().to_owned(),
            kind: self.kind().as_str().to_owned(),
            message: self.to_string(),
            retryable: self.is_retryable(),
            ..ErrorInfo::default()
        };
        match self {
            Self::InvalidInput { field, .. } => info.field = Some(field.clone()),
            Self::SdkVersion {
                cmd,
                field,
                required,
                target,
            } => {
                info.cmd = Some((*cmd).to_owned());
                info.field = Some((*field).to_owned());
                info.required = Some(required.clone());
                info.target = Some(target.clone());
            }
            Self::Sdk {
                cmd,
                return_code,
                return_msg,
                err_code,
            } => {
                info.cmd = Some(cmd.clone());
                info.return_code = Some(return_code.clone());
                info.return_msg = Some(return_msg.clone());
                info.err_code = err_code.clone();
            }
            Self::Backend {
                status,
                code,
                message,
                detail,
                request_id,
            } => {
                info.status = *status;
                info.wechat_code = Some(code.clone());
                info.wechat_message = Some(message.clone());
                info.detail = detail.clone();
                info.request_id = request_id.clone();
            }
            Self::Malformed { what, .. } | Self::Expired { what } => {
                info.what = Some((*what).to_owned());
            }
            Self::State { state, event } => {
                info.state = Some((*state).to_owned());
                info.event = Some((*event).to_owned());
            }
            Self::Transport { kind, .. } => info.transport_kind = Some(kind.as_str().to_owned()),
            Self::Signature { .. }
            | Self::Decryption
            | Self::Config(_)
            | Self::Internal(_)
            | Self::Unauthenticated(_) => {}
        }
        info
    }

    /// The error an [`ErrorInfo`] describes: how a binding turns what host
    /// code threw, or what a merchant server answered, back into a core
    /// error.
    ///
    /// Codes whose details are fixed names inside the core come back as the
    /// nearest error that keeps the message: `sdk_version` as
    /// `invalid_input` on its field, `malformed` and `expired` with a
    /// generic `what`, `state` as `internal` (host code has no flow state).
    /// An unknown code is `internal`.
    pub fn from_info(info: &ErrorInfo) -> Self {
        let text = |s: &Option<String>| s.clone().unwrap_or_default();
        let message = info.message.clone();
        let Some(spec) = spec(&info.code) else {
            return Self::Internal(message);
        };
        match spec.kind {
            ErrorKind::InvalidInput => Self::InvalidInput {
                field: text(&info.field),
                // "invalid input: `field` reason" → "reason"
                reason: strip(&message, "invalid input: ")
                    .split_once("` ")
                    .map_or(message.clone(), |(_, r)| r.to_owned()),
            },
            ErrorKind::SdkVersion => Self::InvalidInput {
                field: text(&info.field),
                reason: message,
            },
            ErrorKind::Sdk => Self::Sdk {
                cmd: text(&info.cmd),
                return_code: text(&info.return_code),
                return_msg: text(&info.return_msg),
                err_code: info.err_code.clone(),
            },
            ErrorKind::Backend => Self::Backend {
                status: info.status,
                code: info
                    .wechat_code
                    .clone()
                    .unwrap_or_else(|| "FAIL".to_owned()),
                message: info.wechat_message.clone().unwrap_or(message),
                detail: info.detail.clone(),
                request_id: info.request_id.clone(),
            },
            ErrorKind::Malformed => Self::Malformed {
                what: "an answer of host code",
                reason: strip(&message, "malformed "),
            },
            ErrorKind::Signature => Self::Signature {
                failure: info.code.parse().unwrap_or(SignatureFailure::Mismatch),
                detail: strip_paren(&message, "signature check failed ("),
            },
            ErrorKind::Decryption => Self::Decryption,
            ErrorKind::Expired => Self::Expired {
                what: "a credential",
            },
            ErrorKind::Config => Self::Config(strip(&message, "configuration: ")),
            ErrorKind::Transport => Self::Transport {
                kind: info
                    .transport_kind
                    .as_deref()
                    .and_then(|k| k.parse().ok())
                    .unwrap_or(TransportKind::Other),
                detail: strip_paren(&message, "transport ("),
            },
            ErrorKind::State | ErrorKind::Internal => Self::Internal(strip(&message, "internal: ")),
            ErrorKind::Unauthenticated => {
                Self::Unauthenticated(strip(&message, "unauthenticated: "))
            }
        }
    }
}

fn strip(s: &str, prefix: &str) -> String {
    s.strip_prefix(prefix).unwrap_or(s).to_owned()
}

/// `transport (connect): detail` → `detail`.
fn strip_paren(s: &str, head: &str) -> String {
    match s.strip_prefix(head).and_then(|r| r.split_once("): ")) {
        Some((_, detail)) => detail.to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Error> {
        vec![
            Error::invalid("store_id", "must not be empty"),
            Error::SdkVersion {
                cmd: "getWxpayfaceCode",
                field: "screen_index",
                required: "1.18".into(),
                target: "1.17".into(),
            },
            Error::Sdk {
                cmd: "getWxpayAuth".into(),
                return_code: "ERROR".into(),
                return_msg: "user cancelled".into(),
                err_code: Some("271382020".into()),
            },
            Error::Backend {
                status: Some(503),
                code: "SYSTEM_ERROR".into(),
                message: "try later".into(),
                detail: Some("{\"field\":\"x\"}".into()),
                request_id: Some("08D4E7C5B006109A0118A8C2D4B4E4F1A1B20B8C0D0E".into()),
            },
            Error::malformed("authinfo answer", "missing `authinfo`"),
            Error::signature(SignatureFailure::StaleTimestamp, "older than 300 s"),
            Error::Decryption,
            Error::Expired { what: "authinfo" },
            Error::State {
                state: "ready",
                event: "sdk_answer",
            },
            Error::Config("no private key".into()),
            Error::transport(TransportKind::Timeout, "POST /kiosk/authinfo: no answer"),
            Error::Internal("callback threw".into()),
            Error::Unauthenticated("the device credential was revoked".into()),
        ]
    }

    #[test]
    fn every_variant_has_a_catalogue_row_and_fills_exactly_its_fields() {
        for e in samples() {
            let spec = spec(e.code()).expect("a catalogue row");
            assert_eq!(spec.kind, e.kind(), "{}", e.code());
            let info = serde_json::to_value(e.info()).expect("serialises");
            let object = info.as_object().expect("an object");
            let extra: Vec<&str> = object
                .keys()
                .map(String::as_str)
                .filter(|k| !["code", "kind", "message", "retryable"].contains(k))
                .collect();
            for k in &extra {
                assert!(spec.fields.contains(k), "{}: unexpected {k}", e.code());
            }
            // Optional fields may be absent (err_code, status, detail), the
            // others must be present.
            for f in spec.fields {
                let optional = ["err_code", "status", "detail"].contains(f);
                assert!(optional || extra.contains(f), "{}: missing {f}", e.code());
            }
        }
    }

    #[test]
    fn codes_are_unique_and_kinds_cover_every_kind_in_order() {
        let all: Vec<&str> = codes().collect();
        let mut dedup = all.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(all.len(), dedup.len());
        let mut kinds: Vec<ErrorKind> = CATALOGUE.iter().map(|s| s.kind).collect();
        kinds.dedup();
        assert_eq!(kinds, ErrorKind::ALL);
        for spec in CATALOGUE {
            assert!(CATALOGUE
                .iter()
                .filter(|o| o.kind == spec.kind)
                .all(|o| o.class == spec.class));
        }
    }

    #[test]
    fn info_round_trips_for_the_codes_host_code_can_raise() {
        for e in samples() {
            let back = Error::from_info(&e.info());
            match e.code() {
                "sdk_version" => assert_eq!(back.code(), "invalid_input"),
                "state" => assert_eq!(back.code(), "internal"),
                "malformed" | "expired" => assert_eq!(back.code(), e.code()),
                _ => assert_eq!(back, e, "{}", e.code()),
            }
            assert_eq!(back.is_retryable(), e.is_retryable());
        }
    }

    #[test]
    fn retry_policy_matches_the_catalogue() {
        for e in samples() {
            if spec(e.code()).map(|s| s.retry) == Some(Retry::Never) {
                assert!(!e.is_retryable(), "{}", e.code());
            }
        }
        assert!(Error::transport(TransportKind::Connect, "x").is_retryable());
        assert!(!Error::transport(TransportKind::Protocol, "x").is_retryable());
    }

    #[test]
    fn unknown_codes_and_kinds_are_refused_or_internal() {
        let info = ErrorInfo {
            code: "no_such_code".into(),
            message: "m".into(),
            ..ErrorInfo::default()
        };
        assert_eq!(Error::from_info(&info), Error::Internal("m".into()));
        assert!("nope".parse::<ErrorKind>().is_err());
        assert!("nope".parse::<TransportKind>().is_err());
        for k in ErrorKind::ALL {
            assert_eq!(k.as_str().parse::<ErrorKind>().ok(), Some(*k));
        }
    }
}
