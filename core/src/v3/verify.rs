//! APIv3 answer verification, the platform key store, and the answer-side
//! signer the sandbox uses.
//!
//! WeChat Pay signs every answer with its platform private key:
//!
//! ```text
//! Wechatpay-Timestamp\nWechatpay-Nonce\nBODY\n
//! ```
//!
//! over the raw body bytes, SHA256withRSA, base64 in `Wechatpay-Signature`.
//! `Wechatpay-Serial` names the key: a platform certificate serial (hex) or a
//! platform public key id (`PUB_KEY_ID_…`). Merchants registered after the
//! public-key migration only have a platform public key, so the store works
//! with public keys alone.
//!
//! A failed verification is always a hard error: WeChat deliberately sends a
//! few wrongly signed answers to probe that merchants check.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;

use super::auth::{check_window, DEFAULT_WINDOW_SECS};
use super::sign::check_header_token;
use crate::crypto::{pem, CryptoProvider, PrivateKey, PublicKey};
use crate::error::{named_enum, Error, Result, SignatureFailure};
use crate::http::Headers;
use crate::time::{nonce, Entropy, UnixTime};

/// `Wechatpay-Timestamp` answer header.
pub const HEADER_TIMESTAMP: &str = "Wechatpay-Timestamp";
/// `Wechatpay-Nonce` answer header.
pub const HEADER_NONCE: &str = "Wechatpay-Nonce";
/// `Wechatpay-Signature` answer header.
pub const HEADER_SIGNATURE: &str = "Wechatpay-Signature";
/// `Wechatpay-Serial` answer (and request) header.
pub const HEADER_SERIAL: &str = "Wechatpay-Serial";
/// `Wechatpay-Signature-Type` answer header (optional; when present it must
/// name the only scheme there is).
pub const HEADER_SIGNATURE_TYPE: &str = "Wechatpay-Signature-Type";
/// Prefix of platform public key ids.
pub const PUB_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

/// The message an answer signature covers.
pub fn response_message(timestamp: &str, nonce_str: &str, body: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(timestamp.len() + nonce_str.len() + body.len() + 3);
    msg.extend_from_slice(timestamp.as_bytes());
    msg.push(b'\n');
    msg.extend_from_slice(nonce_str.as_bytes());
    msg.push(b'\n');
    msg.extend_from_slice(body);
    msg.push(b'\n');
    msg
}

/// Where a platform key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlatformKeyKind {
    /// A platform certificate, known by its serial.
    Certificate,
    /// A platform public key, known by its `PUB_KEY_ID_…`.
    PublicKey,
}

named_enum!(PlatformKeyKind, "platform_key_kind", {
    Certificate => "certificate",
    PublicKey => "public_key",
});

#[derive(Clone)]
struct Entry {
    id: String,
    kind: PlatformKeyKind,
    key: Arc<dyn PublicKey>,
    not_after: Option<UnixTime>,
}

/// WeChat Pay's platform keys a merchant trusts: certificates (by serial,
/// with their expiry) and/or public keys (by `PUB_KEY_ID_…`).
#[derive(Clone, Default)]
pub struct PlatformKeyStore {
    entries: Vec<Entry>,
}

impl fmt::Debug for PlatformKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for e in &self.entries {
            list.entry(&(e.id.as_str(), e.kind, e.not_after));
        }
        list.finish()
    }
}

/// A serial received from the network, fit for an error message: shown
/// when it is shaped like a platform key id (`PUB_KEY_ID_` and digits) or a
/// certificate serial (32 to 40 hex digits; WeChat Pay's are 40), else
/// described: a header can carry anything, a credential number included.
fn shown_id(id: &str) -> String {
    let key_id = is_pub_key_id(id)
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let serial = (32..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit());
    if key_id || serial {
        id.to_owned()
    } else {
        "(a value that is not a serial)".to_owned()
    }
}

fn is_pub_key_id(id: &str) -> bool {
    id.len() > PUB_KEY_ID_PREFIX.len() && id.starts_with(PUB_KEY_ID_PREFIX)
}

impl PlatformKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Add a key under `id` (replacing one with the same id). Certificate
    /// serials are compared case-insensitively.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `id` is not a plausible header value.
    pub fn insert(
        &mut self,
        id: impl Into<String>,
        kind: PlatformKeyKind,
        key: Arc<dyn PublicKey>,
        not_after: Option<UnixTime>,
    ) -> Result<()> {
        let mut id = id.into();
        check_header_token("platform key id", &id, 64)?;
        match kind {
            PlatformKeyKind::PublicKey if !is_pub_key_id(&id) => {
                return Err(Error::invalid(
                    "platform key id",
                    format!("a platform public key id starts with `{PUB_KEY_ID_PREFIX}`"),
                ));
            }
            PlatformKeyKind::Certificate => id = id.to_ascii_uppercase(),
            PlatformKeyKind::PublicKey => {}
        }
        self.entries.retain(|e| e.id != id);
        self.entries.push(Entry {
            id,
            kind,
            key,
            not_after,
        });
        Ok(())
    }

    /// Add a platform certificate (PEM); returns its serial.
    ///
    /// # Errors
    /// [`Error::Config`] when the PEM holds no usable certificate.
    pub fn add_certificate_pem(
        &mut self,
        provider: &dyn CryptoProvider,
        cert_pem: &str,
    ) -> Result<String> {
        let info = pem::certificate_from_pem(cert_pem)?;
        let key = provider.public_key_from_spki_der(&info.spki_der)?;
        self.insert(
            info.serial_hex.clone(),
            PlatformKeyKind::Certificate,
            key,
            Some(info.not_after),
        )?;
        Ok(info.serial_hex)
    }

    /// Add a platform public key (PEM, `PUBLIC KEY` or `RSA PUBLIC KEY`) under
    /// its id `PUB_KEY_ID_…`.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable key, [`Error::InvalidInput`] for a bad id.
    pub fn add_public_key_pem(
        &mut self,
        provider: &dyn CryptoProvider,
        pub_key_id: &str,
        pem_text: &str,
    ) -> Result<()> {
        let key = pem::load_public_key(provider, pem_text)?;
        self.insert(pub_key_id, PlatformKeyKind::PublicKey, key, None)
    }

    /// Ids in the store, in insertion order.
    pub fn ids(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.id.as_str()).collect()
    }

    /// The key named `id`, if known and not expired at `now`.
    ///
    /// # Errors
    /// [`Error::Signature`] with [`SignatureFailure::UnknownSerial`] when the
    /// id is unknown or its certificate has expired.
    pub fn get(&self, id: &str, now: UnixTime) -> Result<&Arc<dyn PublicKey>> {
        let entry = self
            .entries
            .iter()
            .find(|e| match e.kind {
                PlatformKeyKind::Certificate => e.id.eq_ignore_ascii_case(id),
                PlatformKeyKind::PublicKey => e.id == id,
            })
            .ok_or_else(|| {
                Error::signature(
                    SignatureFailure::UnknownSerial,
                    format!(
                        "`Wechatpay-Serial` {} names no configured platform key; configured: {}. {}",
                        shown_id(id),
                        self.describe(),
                        self.hint_for(id)
                    ),
                )
            })?;
        if entry.not_after.is_some_and(|t| now > t) {
            return Err(Error::signature(
                SignatureFailure::UnknownSerial,
                format!(
                    "the platform certificate {} named by `Wechatpay-Serial` has expired; \
                     download the current platform certificates or configure the platform \
                     public key (PUB_KEY_ID_…)",
                    entry.id
                ),
            ));
        }
        Ok(&entry.key)
    }

    /// The configured ids, by kind, for an error message.
    fn describe(&self) -> String {
        let list = |kind: PlatformKeyKind| {
            self.entries
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (keys, certs) = (
            list(PlatformKeyKind::PublicKey),
            list(PlatformKeyKind::Certificate),
        );
        match (keys.is_empty(), certs.is_empty()) {
            (true, true) => "none".to_owned(),
            (false, true) => format!("platform public key {keys}"),
            (true, false) => format!("platform certificate serial(s) {certs}"),
            (false, false) => {
                format!("platform public key {keys}; platform certificate serial(s) {certs}")
            }
        }
    }

    /// What to fix when `id` is not configured.
    fn hint_for(&self, id: &str) -> &'static str {
        let has_keys = self
            .entries
            .iter()
            .any(|e| e.kind == PlatformKeyKind::PublicKey);
        if is_pub_key_id(id) {
            if has_keys {
                "The answer is signed with another platform public key: configure the PUB_KEY_ID and public key shown in the merchant platform (a key of another merchant, or a rotated one?)"
            } else {
                "The answer is signed with a platform public key: configure it (PUB_KEY_ID and public key from the merchant platform)"
            }
        } else if self.entries.is_empty() {
            "Configure the platform public key (PUB_KEY_ID_…) or platform certificates"
        } else {
            "The answer is signed with a platform certificate this client does not have: download the platform certificates (or check that the merchant's own certificate serial was not configured as a platform one)"
        }
    }

    /// The id to send as the request's `Wechatpay-Serial`: the platform public
    /// key when there is one, else the valid certificate expiring last.
    pub fn preferred_id(&self, now: UnixTime) -> Option<&str> {
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.kind == PlatformKeyKind::PublicKey)
        {
            return Some(&e.id);
        }
        self.entries
            .iter()
            .filter(|e| e.not_after.is_none_or(|t| now <= t))
            .max_by_key(|e| e.not_after)
            .map(|e| e.id.as_str())
    }
}

/// Verifies APIv3 answers against a [`PlatformKeyStore`].
#[derive(Debug, Clone)]
pub struct ResponseVerifier {
    /// The trusted platform keys.
    pub store: PlatformKeyStore,
    /// Accepted distance between `Wechatpay-Timestamp` and now, in seconds
    /// (default 300; `|now - ts| >= window` is refused, both directions). At
    /// most [`MAX_WINDOW_SECS`](super::auth::MAX_WINDOW_SECS) (900): a larger value, or 0, makes every
    /// verification fail with [`Error::Config`].
    pub window_secs: u64,
}

/// The signature headers; each may appear at most once.
const SIGNATURE_HEADERS: [&str; 5] = [
    HEADER_TIMESTAMP,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_SERIAL,
    HEADER_SIGNATURE_TYPE,
];

/// Refuse an answer that repeats a signature header: which copy WeChat Pay
/// signed is unknowable, and a verifier that takes the first while a proxy
/// or logger takes the last disagrees about what was verified.
fn refuse_duplicates(headers: &dyn Headers) -> Result<()> {
    for name in SIGNATURE_HEADERS {
        if headers.header_count(name) > 1 {
            return Err(Error::signature(
                SignatureFailure::Malformed,
                format!("answer carries `{name}` more than once"),
            ));
        }
    }
    Ok(())
}

fn required<'h>(headers: &'h dyn Headers, name: &'static str) -> Result<&'h str> {
    match headers.header(name).map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(Error::signature(
            SignatureFailure::Missing,
            format!("answer has no `{name}` header"),
        )),
    }
}

impl ResponseVerifier {
    /// A verifier over `store` with the default 300 s window.
    pub fn new(store: PlatformKeyStore) -> Self {
        Self {
            store,
            window_secs: DEFAULT_WINDOW_SECS,
        }
    }

    /// A verifier over `store` accepting timestamps up to `window_secs` away.
    ///
    /// # Errors
    /// [`Error::Config`] unless `window_secs` is 1 to [`MAX_WINDOW_SECS`](super::auth::MAX_WINDOW_SECS).
    pub fn with_window(store: PlatformKeyStore, window_secs: u64) -> Result<Self> {
        check_window(window_secs)?;
        Ok(Self { store, window_secs })
    }

    /// Verify an answer: headers present, timestamp fresh, key known,
    /// signature valid over the raw `body` bytes. `status` only enters the
    /// error detail: every answer with signature headers is checked the same way.
    ///
    /// # Errors
    /// [`Error::Signature`] with `Missing`, `Malformed` (a repeated
    /// `Wechatpay-*` header among them), `StaleTimestamp`, `UnknownSerial` or
    /// `Mismatch`; [`Error::Config`] when `window_secs` is 0 or above
    /// [`MAX_WINDOW_SECS`](super::auth::MAX_WINDOW_SECS).
    pub fn verify(
        &self,
        status: u16,
        headers: &dyn Headers,
        body: &[u8],
        now: UnixTime,
    ) -> Result<()> {
        check_window(self.window_secs)?;
        refuse_duplicates(headers)?;
        let ts = required(headers, HEADER_TIMESTAMP)?;
        let nonce_str = required(headers, HEADER_NONCE)?;
        let sig_b64 = required(headers, HEADER_SIGNATURE)?;
        let serial = required(headers, HEADER_SERIAL)?;
        if let Some(ty) = headers.header(HEADER_SIGNATURE_TYPE) {
            if ty.trim() != super::sign::AUTH_SCHEME {
                return Err(Error::signature(
                    SignatureFailure::Malformed,
                    format!("unsupported `{HEADER_SIGNATURE_TYPE}`"),
                ));
            }
        }
        if ts.len() > 12 || !ts.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::signature(
                SignatureFailure::Malformed,
                format!("`{HEADER_TIMESTAMP}` is not a number of seconds"),
            ));
        }
        let signed_at = UnixTime(
            ts.parse()
                .map_err(|_| Error::signature(SignatureFailure::Malformed, "bad timestamp"))?,
        );
        let skew = now.abs_diff(signed_at);
        if skew >= self.window_secs {
            return Err(Error::signature(
                SignatureFailure::StaleTimestamp,
                format!(
                    "HTTP {status} answer signed {skew} s away from now (window {} s)",
                    self.window_secs
                ),
            ));
        }
        let key = self.store.get(serial, now)?;
        let sig = base64::engine::general_purpose::STANDARD
            .decode(sig_b64.as_bytes())
            .map_err(|_| {
                Error::signature(
                    SignatureFailure::Malformed,
                    format!("`{HEADER_SIGNATURE}` is not base64"),
                )
            })?;
        key.verify_sha256(&response_message(ts, nonce_str, body), &sig)
            .map_err(|e| match e {
                Error::Signature { failure, detail } => Error::Signature {
                    failure,
                    detail: format!("HTTP {status} answer: {detail}"),
                },
                other => other,
            })
    }
}

/// Signs answers the way WeChat Pay does (the sandbox's side): the four
/// `Wechatpay-*` headers.
#[derive(Clone)]
pub struct PlatformSigner {
    serial: String,
    key: Arc<dyn PrivateKey>,
}

impl fmt::Debug for PlatformSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformSigner")
            .field("serial", &self.serial)
            .field("key", &self.key)
            .finish()
    }
}

impl PlatformSigner {
    /// A signer whose answers carry `Wechatpay-Serial: <serial>` (a
    /// certificate serial or a `PUB_KEY_ID_…`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `serial` is not a plausible header value.
    pub fn new(serial: impl Into<String>, key: Arc<dyn PrivateKey>) -> Result<Self> {
        let serial = serial.into();
        check_header_token("Wechatpay-Serial", &serial, 64)?;
        Ok(Self { serial, key })
    }

    /// The serial or key id sent.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The headers `Wechatpay-Timestamp`, `Wechatpay-Nonce`,
    /// `Wechatpay-Signature`, `Wechatpay-Serial` for `body`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unusable nonce; [`Error::Config`] when
    /// the key cannot sign.
    pub fn sign(
        &self,
        body: &[u8],
        timestamp: UnixTime,
        nonce_str: &str,
    ) -> Result<Vec<(String, String)>> {
        check_header_token("Wechatpay-Nonce", nonce_str, 64)?;
        let ts = timestamp.to_string();
        let sig = self
            .key
            .sign_sha256(&response_message(&ts, nonce_str, body))?;
        Ok(vec![
            (HEADER_TIMESTAMP.to_owned(), ts),
            (HEADER_NONCE.to_owned(), nonce_str.to_owned()),
            (
                HEADER_SIGNATURE.to_owned(),
                base64::engine::general_purpose::STANDARD.encode(sig),
            ),
            (HEADER_SERIAL.to_owned(), self.serial.clone()),
        ])
    }

    /// As [`Self::sign`] with a fresh 32-character nonce from `entropy`.
    ///
    /// # Errors
    /// As [`Self::sign`].
    pub fn sign_now(
        &self,
        body: &[u8],
        now: UnixTime,
        entropy: &dyn Entropy,
    ) -> Result<Vec<(String, String)>> {
        self.sign(body, now, &nonce(entropy, super::sign::NONCE_LEN))
    }
}

#[cfg(test)]
mod tests {
    use super::super::auth::MAX_WINDOW_SECS;
    use super::*;

    #[test]
    fn message_layout() {
        assert_eq!(response_message("1", "n", b""), b"1\nn\n\n");
        assert_eq!(response_message("1", "n", b"{}"), b"1\nn\n{}\n");
    }

    #[test]
    fn repeated_signature_headers_are_refused() {
        let v = ResponseVerifier::new(PlatformKeyStore::new());
        let base = [
            ("Wechatpay-Timestamp", "1700000000"),
            ("Wechatpay-Nonce", "n"),
            ("Wechatpay-Signature", "QUJD"),
            ("Wechatpay-Serial", "PUB_KEY_ID_1"),
            ("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"),
        ];
        for (name, _) in base {
            let mut h: Vec<(String, String)> = base
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            h.push((name.to_ascii_lowercase(), "x".into()));
            let e = v.verify(200, &h, b"", UnixTime(1_700_000_000)).err();
            let e = e.map(|e| (e.code(), e.to_string()));
            assert_eq!(
                e.as_ref().map(|e| e.0),
                Some("signature_malformed"),
                "{name}"
            );
            assert!(
                e.is_some_and(|e| e.1.contains("more than once") && e.1.contains(name)),
                "{name}"
            );
        }
        // Without the repetition the same headers get as far as the key store.
        let h: Vec<(String, String)> = base
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let e = v.verify(200, &h, b"", UnixTime(1_700_000_000)).err();
        assert_eq!(e.map(|e| e.code()), Some("signature_unknown_serial"));
    }

    #[test]
    fn the_window_is_bounded() {
        assert!(ResponseVerifier::with_window(PlatformKeyStore::new(), MAX_WINDOW_SECS).is_ok());
        for bad in [0, MAX_WINDOW_SECS + 1, u64::MAX] {
            let e = ResponseVerifier::with_window(PlatformKeyStore::new(), bad).err();
            assert_eq!(e.map(|e| e.code()), Some("config"), "{bad}");
            // Setting the public field directly does not get around it.
            let mut v = ResponseVerifier::new(PlatformKeyStore::new());
            v.window_secs = bad;
            let h: Vec<(String, String)> = Vec::new();
            let e = v.verify(200, &h, b"", UnixTime(1)).err();
            assert_eq!(e.map(|e| e.code()), Some("config"), "{bad}");
        }
    }

    #[test]
    fn missing_headers_are_named() {
        let v = ResponseVerifier::new(PlatformKeyStore::new());
        let h: Vec<(String, String)> = vec![("Wechatpay-Timestamp".into(), "1".into())];
        let e = v.verify(200, &h, b"", UnixTime(1)).err();
        assert_eq!(e.map(|e| e.code()), Some("signature_missing"));
    }

    #[test]
    fn pub_key_ids_are_checked() {
        assert!(is_pub_key_id("PUB_KEY_ID_0114"));
        assert!(!is_pub_key_id("PUB_KEY_ID_"));
        assert!(!is_pub_key_id("5157F09EFDC096DE15EBE81A47057A7232F1B8E1"));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::err_expect)]
mod unknown_serial_tests {
    use super::*;

    fn store() -> PlatformKeyStore {
        let provider = crate::crypto::rust_crypto();
        let pem = include_str!("../../../tests/vectors/keys/platform_pub.pem");
        let mut s = PlatformKeyStore::new();
        s.add_public_key_pem(
            provider.as_ref(),
            "PUB_KEY_ID_0114232134912410000000000000000001",
            pem,
        )
        .unwrap();
        s
    }

    #[test]
    fn an_unknown_serial_names_the_one_received_and_the_ones_configured() {
        let s = store();
        let serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
        let e = s.get(serial, UnixTime(0)).err().expect("unknown");
        let text = e.to_string();
        assert_eq!(e.code(), "signature_unknown_serial");
        assert!(text.contains(serial), "{text}");
        assert!(
            text.contains("PUB_KEY_ID_0114232134912410000000000000000001"),
            "{text}"
        );
        assert!(text.contains("platform certificate"), "{text}");
        let e = s
            .get("PUB_KEY_ID_0999", UnixTime(0))
            .err()
            .expect("unknown");
        assert!(e.to_string().contains("PUB_KEY_ID_0999"), "{e}");
        // Anything else in the header is described, not quoted.
        for odd in ["11010519491231002X", "张三", "a b", ""] {
            let e = PlatformKeyStore::new()
                .get(odd, UnixTime(0))
                .err()
                .expect("unknown");
            let text = e.to_string();
            assert!(odd.is_empty() || !text.contains(odd), "{text}");
            assert!(text.contains("configured: none"), "{text}");
        }
    }
}
