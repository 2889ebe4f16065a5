//! The server side of APIv3 request signing: parse an `Authorization` header
//! and verify it against a merchant public key.
//!
//! WeChat Pay does this for every request; the sandbox and `wxface verify` do
//! it here. The grammar accepted is the one WeChat documents, strictly:
//!
//! ```text
//! WECHATPAY2-SHA256-RSA2048 key="value",key="value",…
//! ```
//!
//! one space after the scheme, items separated by a bare comma (no spaces),
//! in any order, exactly the five keys `mchid`, `nonce_str`, `signature`,
//! `timestamp`, `serial_no`, each once, values in double quotes without
//! quotes inside.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;

use super::sign::{request_message, AUTH_SCHEME};
use crate::crypto::PublicKey;
use crate::error::{Error, Result, SignatureFailure};
use crate::time::UnixTime;

/// Default accepted distance between a signed timestamp and now, in seconds.
pub const DEFAULT_WINDOW_SECS: u64 = 300;

/// Largest accepted distance a verifier may be configured with, in seconds
/// (15 minutes): a wider window lets a captured answer or request be replayed
/// for longer than any clock drift explains.
pub const MAX_WINDOW_SECS: u64 = 900;

/// Check a configured timestamp window: 1 to [`MAX_WINDOW_SECS`] seconds.
///
/// # Errors
/// [`Error::Config`] outside that range.
pub fn check_window(window_secs: u64) -> Result<()> {
    if window_secs == 0 || window_secs > MAX_WINDOW_SECS {
        return Err(Error::Config(format!(
            "the signature timestamp window must be 1 to {MAX_WINDOW_SECS} s (default {DEFAULT_WINDOW_SECS} s)"
        )));
    }
    Ok(())
}

/// Longest `Authorization` header accepted, in bytes.
const MAX_HEADER_BYTES: usize = 4096;

/// A parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// `mchid`: the signing merchant.
    pub mchid: String,
    /// `nonce_str`.
    pub nonce_str: String,
    /// `signature`, base64 as sent.
    pub signature: String,
    /// `timestamp`, seconds.
    pub timestamp: UnixTime,
    /// `serial_no`: the merchant certificate serial.
    pub serial_no: String,
}

fn malformed(detail: impl Into<String>) -> Error {
    Error::signature(SignatureFailure::Malformed, detail)
}

impl Authorization {
    /// Parse a header value.
    ///
    /// # Errors
    /// [`Error::Signature`] with [`SignatureFailure::Missing`] for an empty
    /// value, [`SignatureFailure::Malformed`] for anything off the grammar.
    pub fn parse(header: &str) -> Result<Self> {
        if header.is_empty() {
            return Err(Error::signature(
                SignatureFailure::Missing,
                "`Authorization` is empty",
            ));
        }
        if header.len() > MAX_HEADER_BYTES {
            return Err(malformed("`Authorization` is too long"));
        }
        let rest = header
            .strip_prefix(AUTH_SCHEME)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(|| malformed(format!("scheme must be `{AUTH_SCHEME}` and one space")))?;
        let mut items: HashMap<&str, &str> = HashMap::with_capacity(5);
        for item in rest.split(',') {
            let (key, quoted) = item
                .split_once('=')
                .ok_or_else(|| malformed("an item is not `key=\"value\"`"))?;
            let value = quoted
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| malformed("an item value is not in double quotes"))?;
            if value.contains('"') {
                return Err(malformed("an item value contains a quote"));
            }
            if !matches!(
                key,
                "mchid" | "nonce_str" | "signature" | "timestamp" | "serial_no"
            ) {
                return Err(malformed("unknown item (or spaces around an item)"));
            }
            if items.insert(key, value).is_some() {
                return Err(malformed(format!("item `{key}` appears twice")));
            }
        }
        let take = |k: &'static str| -> Result<String> {
            match items.get(k) {
                Some(v) if !v.is_empty() => Ok((*v).to_owned()),
                Some(_) => Err(malformed(format!("item `{k}` is empty"))),
                None => Err(malformed(format!("item `{k}` is missing"))),
            }
        };
        let ts = take("timestamp")?;
        if ts.len() > 12 || !ts.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed("`timestamp` is not a number of seconds"));
        }
        let timestamp = ts
            .parse::<u64>()
            .map_err(|_| malformed("`timestamp` is not a number of seconds"))?;
        Ok(Self {
            mchid: take("mchid")?,
            nonce_str: take("nonce_str")?,
            signature: take("signature")?,
            timestamp: UnixTime(timestamp),
            serial_no: take("serial_no")?,
        })
    }

    /// The header value (WeChat's item order).
    pub fn to_header_value(&self) -> String {
        format!(
            "{AUTH_SCHEME} mchid=\"{}\",nonce_str=\"{}\",signature=\"{}\",timestamp=\"{}\",serial_no=\"{}\"",
            self.mchid, self.nonce_str, self.signature, self.timestamp, self.serial_no
        )
    }

    /// The message the signature covers for a request.
    pub fn message(&self, method: &str, path_and_query: &str, body: &[u8]) -> Vec<u8> {
        request_message(
            method,
            path_and_query,
            self.timestamp,
            &self.nonce_str,
            body,
        )
    }

    /// Verify against the merchant public key `key`: timestamp within
    /// `window_secs` of `now` (both directions), then the signature.
    ///
    /// # Errors
    /// [`Error::Signature`]: `StaleTimestamp`, `Malformed` (bad base64) or
    /// `Mismatch`; [`Error::Config`] for a window outside 1 to
    /// [`MAX_WINDOW_SECS`].
    pub fn verify(
        &self,
        key: &dyn PublicKey,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now: UnixTime,
        window_secs: u64,
    ) -> Result<()> {
        check_window(window_secs)?;
        if now.abs_diff(self.timestamp) >= window_secs {
            return Err(Error::signature(
                SignatureFailure::StaleTimestamp,
                format!(
                    "request timestamp is {} s away from now (window {window_secs} s)",
                    now.abs_diff(self.timestamp)
                ),
            ));
        }
        let sig = base64::engine::general_purpose::STANDARD
            .decode(self.signature.as_bytes())
            .map_err(|_| malformed("`signature` is not base64"))?;
        key.verify_sha256(&self.message(method, path_and_query, body), &sig)
    }
}

/// Verifies request `Authorization` headers for a set of merchants, each
/// merchant certificate known by `(mchid, serial_no)`.
#[derive(Clone)]
pub struct RequestVerifier {
    keys: HashMap<(String, String), Arc<dyn PublicKey>>,
    /// Accepted distance between the signed timestamp and now, in seconds
    /// (1 to [`MAX_WINDOW_SECS`]; anything else makes `verify` fail with
    /// [`Error::Config`]).
    pub window_secs: u64,
}

impl Default for RequestVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RequestVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<_> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("RequestVerifier")
            .field("merchants", &ids)
            .field("window_secs", &self.window_secs)
            .finish()
    }
}

impl RequestVerifier {
    /// An empty verifier with the default window.
    pub fn new() -> Self {
        Self {
            keys: HashMap::new(),
            window_secs: DEFAULT_WINDOW_SECS,
        }
    }

    /// Trust `key` for merchant `mchid`'s certificate `serial_no`.
    pub fn add_merchant(
        &mut self,
        mchid: impl Into<String>,
        serial_no: impl Into<String>,
        key: Arc<dyn PublicKey>,
    ) {
        self.keys
            .insert((mchid.into(), serial_no.into().to_ascii_uppercase()), key);
    }

    /// Parse and verify the `Authorization` header of a request. `None` means
    /// the request had no such header.
    ///
    /// # Errors
    /// [`Error::Signature`]: `Missing`, `Malformed`, `UnknownSerial` (unknown
    /// merchant or certificate), `StaleTimestamp`, `Mismatch`.
    pub fn verify(
        &self,
        authorization: Option<&str>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now: UnixTime,
    ) -> Result<Authorization> {
        let header = authorization.ok_or_else(|| {
            Error::signature(SignatureFailure::Missing, "no `Authorization` header")
        })?;
        let auth = Authorization::parse(header)?;
        let key = self
            .keys
            .get(&(auth.mchid.clone(), auth.serial_no.to_ascii_uppercase()))
            .ok_or_else(|| {
                Error::signature(
                    SignatureFailure::UnknownSerial,
                    "no key for this merchant and certificate serial",
                )
            })?;
        auth.verify(
            key.as_ref(),
            method,
            path_and_query,
            body,
            now,
            self.window_secs,
        )?;
        Ok(auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"abc\",signature=\"QUJD\",timestamp=\"1700000000\",serial_no=\"1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C\"";

    fn code(h: &str) -> &'static str {
        Authorization::parse(h)
            .err()
            .map(|e| e.code())
            .unwrap_or("ok")
    }

    #[test]
    fn parses_any_order_and_round_trips() {
        let a = Authorization::parse(OK).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.mchid, "1900000001");
        assert_eq!(a.timestamp, UnixTime(1_700_000_000));
        assert_eq!(a.to_header_value(), OK);
        let reordered = "WECHATPAY2-SHA256-RSA2048 serial_no=\"S\",timestamp=\"1\",signature=\"x\",nonce_str=\"n\",mchid=\"m\"";
        assert_eq!(code(reordered), "ok");
    }

    #[test]
    fn rejects_off_grammar() {
        assert_eq!(code(""), "signature_missing");
        assert_eq!(
            code(&OK.replace(",nonce", ", nonce")),
            "signature_malformed"
        );
        assert_eq!(
            code(&OK.replace("WECHATPAY2", "WECHATPAY3")),
            "signature_malformed"
        );
        assert_eq!(
            code(&OK.replace("RSA2048 ", "RSA2048  ")),
            "signature_malformed"
        );
        assert_eq!(code(&OK.replace("\"abc\"", "abc")), "signature_malformed");
        assert_eq!(code(&format!("{OK},mchid=\"x\"")), "signature_malformed");
        assert_eq!(code(&format!("{OK},extra=\"x\"")), "signature_malformed");
        assert_eq!(
            code(&OK.replace("1700000000", "17e8")),
            "signature_malformed"
        );
        assert_eq!(
            code(&OK.replace("nonce_str=\"abc\",", "")),
            "signature_malformed"
        );
        assert_eq!(code(&OK.replace("\"abc\"", "\"\"")), "signature_malformed");
        assert_eq!(code(&format!("{OK},")), "signature_malformed");
    }
}
