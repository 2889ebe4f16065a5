//! APIv3 request signing: the `Authorization: WECHATPAY2-SHA256-RSA2048 …` header.
//!
//! The signed message is
//!
//! ```text
//! METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n
//! ```
//!
//! (BODY empty for a GET), signed SHA256withRSA (PKCS#1 v1.5) with the
//! merchant's API private key, base64. The header lists five `key="value"`
//! items joined by commas without spaces. PKCS#1 v1.5 signatures are
//! deterministic, so the same inputs always give the same header.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;

use crate::crypto::PrivateKey;
use crate::error::{Error, Result};
use crate::http::HttpRequest;
use crate::time::{nonce, Entropy, UnixTime};

/// The authorization scheme of APIv3 requests.
pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// Length of the nonces this module generates.
pub const NONCE_LEN: usize = 32;

/// `User-Agent` sent with signed requests.
pub const USER_AGENT: &str = concat!("wxface/", env!("CARGO_PKG_VERSION"));

/// The message an APIv3 request signature covers.
pub fn request_message(
    method: &str,
    path_and_query: &str,
    timestamp: UnixTime,
    nonce_str: &str,
    body: &[u8],
) -> Vec<u8> {
    let ts = timestamp.to_string();
    let mut msg = Vec::with_capacity(
        method.len() + path_and_query.len() + ts.len() + nonce_str.len() + body.len() + 5,
    );
    for part in [method.as_bytes(), path_and_query.as_bytes(), ts.as_bytes()] {
        msg.extend_from_slice(part);
        msg.push(b'\n');
    }
    msg.extend_from_slice(nonce_str.as_bytes());
    msg.push(b'\n');
    msg.extend_from_slice(body);
    msg.push(b'\n');
    msg
}

/// Check a value that goes between the quotes of an `Authorization` item or
/// into a header: non-empty, bounded, printable ASCII without `"`, `,` or `\`.
pub(crate) fn check_header_token(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(Error::invalid(field, format!("is longer than {max} bytes")));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b'\\'))
    {
        return Err(Error::invalid(
            field,
            "must be printable ASCII without quotes, commas, backslashes or spaces",
        ));
    }
    Ok(())
}

/// Replace (or add) header `name` of `req`.
pub(crate) fn set_header(req: &mut HttpRequest, name: &str, value: String) {
    req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    req.headers.push((name.to_owned(), value));
}

/// Signs APIv3 requests for one merchant (in provider mode: the provider).
#[derive(Clone)]
pub struct MerchantSigner {
    mchid: String,
    serial_no: String,
    key: Arc<dyn PrivateKey>,
    platform_serial: Option<String>,
}

impl fmt::Debug for MerchantSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantSigner")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field("key", &self.key)
            .field("platform_serial", &self.platform_serial)
            .finish()
    }
}

impl MerchantSigner {
    /// A signer for merchant `mchid` whose API certificate has serial
    /// `serial_no`, with that certificate's private key.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `mchid` or `serial_no` is empty, too long,
    /// or contains characters that cannot appear in the header.
    pub fn new(
        mchid: impl Into<String>,
        serial_no: impl Into<String>,
        key: Arc<dyn PrivateKey>,
    ) -> Result<Self> {
        let mchid = mchid.into();
        let serial_no = serial_no.into();
        check_header_token("mchid", &mchid, 32)?;
        check_header_token("serial_no", &serial_no, 64)?;
        Ok(Self {
            mchid,
            serial_no,
            key,
            platform_serial: None,
        })
    }

    /// Also send `Wechatpay-Serial: <serial>`: the platform certificate serial
    /// or `PUB_KEY_ID_…` the answer should be signed with.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the serial is not a plausible header value.
    pub fn with_platform_serial(mut self, serial: impl Into<String>) -> Result<Self> {
        let serial = serial.into();
        check_header_token("Wechatpay-Serial", &serial, 64)?;
        self.platform_serial = Some(serial);
        Ok(self)
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// The merchant certificate serial.
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// The `Wechatpay-Serial` sent with requests, if configured.
    pub fn platform_serial(&self) -> Option<&str> {
        self.platform_serial.as_deref()
    }

    /// Base64 signature of a request with the given timestamp and nonce.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unusable nonce; [`Error::Config`] when the
    /// key cannot sign.
    pub fn signature(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        timestamp: UnixTime,
        nonce_str: &str,
    ) -> Result<String> {
        check_header_token("nonce_str", nonce_str, 64)?;
        check_method_and_path(method, path_and_query)?;
        let msg = request_message(method, path_and_query, timestamp, nonce_str, body);
        let sig = self.key.sign_sha256(&msg)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sig))
    }

    /// The full `Authorization` header value for a request, with an injected
    /// timestamp and nonce.
    ///
    /// # Errors
    /// As [`Self::signature`].
    pub fn authorization(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        timestamp: UnixTime,
        nonce_str: &str,
    ) -> Result<String> {
        let signature = self.signature(method, path_and_query, body, timestamp, nonce_str)?;
        Ok(format!(
            "{AUTH_SCHEME} mchid=\"{}\",nonce_str=\"{nonce_str}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.mchid, self.serial_no
        ))
    }

    /// Sign `req` in place: sets `Authorization`, `Accept: application/json`,
    /// `User-Agent`, `Content-Type: application/json` when there is a body,
    /// and `Wechatpay-Serial` when configured. A fresh 32-character nonce
    /// comes from `entropy`.
    ///
    /// # Errors
    /// As [`Self::signature`].
    pub fn sign_request(
        &self,
        req: &mut HttpRequest,
        now: UnixTime,
        entropy: &dyn Entropy,
    ) -> Result<()> {
        let nonce_str = nonce(entropy, NONCE_LEN);
        let auth = self.authorization(
            req.method.as_str(),
            &req.path_and_query,
            &req.body,
            now,
            &nonce_str,
        )?;
        set_header(req, "Authorization", auth);
        set_header(req, "Accept", "application/json".into());
        set_header(req, "User-Agent", USER_AGENT.into());
        if !req.body.is_empty() && req.header("Content-Type").is_none() {
            set_header(req, "Content-Type", "application/json".into());
        }
        if let Some(serial) = &self.platform_serial {
            set_header(req, "Wechatpay-Serial", serial.clone());
        }
        Ok(())
    }
}

/// Method: uppercase letters; path: starts with `/`, no whitespace or controls.
pub(crate) fn check_method_and_path(method: &str, path_and_query: &str) -> Result<()> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid("method", "must be an uppercase HTTP method"));
    }
    if !path_and_query.starts_with('/') || !path_and_query.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "path_and_query",
            "must start with `/` and contain only printable ASCII (percent-encode the rest)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout() {
        let m = request_message("GET", "/v3/x?a=1", UnixTime(1554208460), "N1", b"");
        assert_eq!(m, b"GET\n/v3/x?a=1\n1554208460\nN1\n\n");
        let m = request_message("POST", "/p", UnixTime(1), "n", b"{}");
        assert_eq!(m, b"POST\n/p\n1\nn\n{}\n");
    }

    #[test]
    fn header_tokens() {
        assert!(check_header_token("x", "1900000001", 32).is_ok());
        assert!(check_header_token("x", "", 32).is_err());
        assert!(check_header_token("x", "a\"b", 32).is_err());
        assert!(check_header_token("x", "a b", 32).is_err());
        assert!(check_header_token("x", "a,b", 32).is_err());
        assert!(check_method_and_path("get", "/").is_err());
        assert!(check_method_and_path("GET", "x").is_err());
        assert!(check_method_and_path("GET", "/a b").is_err());
    }
}
