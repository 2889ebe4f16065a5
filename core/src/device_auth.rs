//! Device credentials of the kiosk API (`docs/merchant-api.md`,
//! "Authentication").
//!
//! The hospital issues each kiosk one credential, a bearer token of the form
//!
//! ```text
//! wxfd1.<key id: 16 hex digits>.<secret: 43 base64url characters>
//! ```
//!
//! and the kiosk sends it with every request as
//! `Authorization: Bearer <credential>`. The key id only finds the record;
//! the 256-bit secret proves possession. The server stores a
//! [`Verifier`] — SHA-256 over a fixed label, the key id and the secret —
//! never the secret, and compares verifiers in constant time (`subtle`).
//!
//! A fast hash is the right one here: the secret is 32 random bytes, not a
//! password a person chose, so a slow password hash (Argon2, scrypt) would
//! add no strength against guessing and would cost every kiosk request a few
//! milliseconds of the server's CPU.
//!
//! The device id is not in the credential: the server takes it from its
//! record of the key id, so a kiosk cannot claim another device's id.
//!
//! This module is sans-IO: randomness comes from an [`Entropy`], storage is
//! the server's.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::time::Entropy;

/// The credential's version prefix.
pub const PREFIX: &str = "wxfd1";
/// The HTTP header that carries the credential (`Bearer` scheme).
pub const HEADER: &str = "authorization";
/// Characters of the key id (hex of 8 random bytes).
pub const KEY_ID_CHARS: usize = 16;
/// Characters of the secret (base64url of 32 random bytes, no padding).
pub const SECRET_CHARS: usize = 43;
/// Length of a whole credential.
pub const CREDENTIAL_CHARS: usize = PREFIX.len() + 1 + KEY_ID_CHARS + 1 + SECRET_CHARS;
/// Domain label of the verifier hash.
const VERIFIER_LABEL: &[u8] = b"wxface device credential v1\0";

/// A device credential (the kiosk's only secret). `Debug` and `Display`
/// show the key id only; the text is zeroised on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCredential(Zeroizing<String>);

impl DeviceCredential {
    /// A new credential from `entropy`.
    pub fn generate(entropy: &dyn Entropy) -> Self {
        let mut key = [0u8; 8];
        entropy.fill(&mut key);
        let mut secret = Zeroizing::new([0u8; 32]);
        entropy.fill(&mut secret[..]);
        let mut text = Zeroizing::new(String::with_capacity(CREDENTIAL_CHARS));
        text.push_str(PREFIX);
        text.push('.');
        for b in key {
            text.push_str(&format!("{b:02x}"));
        }
        text.push('.');
        text.push_str(&URL_SAFE_NO_PAD.encode(&secret[..]));
        Self(text)
    }

    /// Parse a credential's text (surrounding whitespace ignored, as when it
    /// is read from a file or an environment variable).
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] for text that is not a credential; the
    /// message never quotes it.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = || {
            Error::Unauthenticated(format!(
                "the device credential is not of the form {PREFIX}.<key id>.<secret>"
            ))
        };
        if text.len() != CREDENTIAL_CHARS {
            return Err(bad());
        }
        let mut parts = text.split('.');
        let (Some(prefix), Some(key), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let b64 = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if prefix != PREFIX
            || key.len() != KEY_ID_CHARS
            || !hex(key)
            || secret.len() != SECRET_CHARS
            || !b64(secret)
        {
            return Err(bad());
        }
        Ok(Self(Zeroizing::new(text.to_owned())))
    }

    /// The credential from an `Authorization` header value
    /// (`Bearer <credential>`, the scheme in any case).
    ///
    /// # Errors
    /// [`Error::Unauthenticated`]: no header, another scheme, or not a
    /// credential.
    pub fn from_authorization(value: Option<&str>) -> Result<Self> {
        let value = value.ok_or_else(|| {
            Error::Unauthenticated("the request carries no device credential".into())
        })?;
        match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => Self::parse(rest),
            _ => Err(Error::Unauthenticated(
                "the Authorization header is not `Bearer <device credential>`".into(),
            )),
        }
    }

    /// The key id: finds the server's record; not secret.
    pub fn key_id(&self) -> &str {
        &self.0[PREFIX.len() + 1..PREFIX.len() + 1 + KEY_ID_CHARS]
    }

    fn secret(&self) -> &str {
        &self.0[CREDENTIAL_CHARS - SECRET_CHARS..]
    }

    /// The whole text, to hand to the kiosk once (or to send).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The `Authorization` header value: `Bearer <credential>`.
    pub fn authorization(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("Bearer {}", self.expose()))
    }

    /// What the server stores instead of the secret.
    pub fn verifier(&self) -> Verifier {
        let mut h = Sha256::new();
        h.update(VERIFIER_LABEL);
        h.update(self.key_id().as_bytes());
        h.update([0]);
        h.update(self.secret().as_bytes());
        Verifier(h.finalize().into())
    }
}

impl fmt::Debug for DeviceCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceCredential({PREFIX}.{}.[redacted])", self.key_id())
    }
}

/// The stored form of a credential: SHA-256 over a fixed label, the key id
/// and the secret. Written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Verifier([u8; 32]);

impl Verifier {
    /// Whether `credential` is the one this verifier was made from, in
    /// constant time.
    pub fn matches(&self, credential: &DeviceCredential) -> bool {
        self.0.ct_eq(&credential.verifier().0).into()
    }

    /// The 64 hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// From 64 hex digits.
    ///
    /// # Errors
    /// [`Error::Config`] for anything else (a damaged store).
    pub fn from_hex(hex: &str) -> Result<Self> {
        let bad = || Error::config("a stored device-credential verifier is not 64 hex digits");
        if hex.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).map_err(|_| bad())?;
            out[i] = u8::from_str_radix(s, 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifier(..)")
    }
}

/// Whether `device_id` may name a device: 1 to
/// [`crate::kiosk_api::MAX_DEVICE_ID_CHARS`] characters without control
/// characters (a server logs it).
///
/// # Errors
/// [`Error::InvalidInput`] on `device_id`.
pub fn check_device_id(device_id: &str) -> Result<()> {
    let n = device_id.chars().count();
    if n == 0
        || n > crate::kiosk_api::MAX_DEVICE_ID_CHARS
        || crate::redact::has_control_chars(device_id)
    {
        return Err(Error::invalid(
            "device_id",
            "must be 1 to 32 characters without control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Counting bytes: predictable, so the test can build its own text.
    struct Counting;
    impl Entropy for Counting {
        fn fill(&self, dest: &mut [u8]) {
            for (i, b) in dest.iter_mut().enumerate() {
                *b = i as u8;
            }
        }
    }

    #[test]
    fn a_generated_credential_has_the_documented_form_and_parses_back() {
        let c = DeviceCredential::generate(&Counting);
        assert_eq!(c.key_id(), "0001020304050607");
        let expected_secret = URL_SAFE_NO_PAD.encode((0u8..32).collect::<Vec<_>>());
        assert_eq!(
            c.expose(),
            format!("wxfd1.0001020304050607.{expected_secret}")
        );
        assert_eq!(DeviceCredential::parse(c.expose()).unwrap(), c);
        assert_eq!(
            DeviceCredential::parse(&format!("  {}\n", c.expose())).unwrap(),
            c
        );
        assert_eq!(
            DeviceCredential::from_authorization(Some(c.authorization().as_str())).unwrap(),
            c
        );
        assert_eq!(
            DeviceCredential::from_authorization(Some(&format!("bearer {}", c.expose()))).unwrap(),
            c
        );
    }

    #[test]
    fn the_verifier_is_sha256_of_label_key_id_and_secret() {
        let c = DeviceCredential::generate(&Counting);
        let mut h = Sha256::new();
        h.update(b"wxface device credential v1\0");
        h.update(b"0001020304050607\0");
        h.update(c.expose().rsplit('.').next().unwrap().as_bytes());
        let want: [u8; 32] = h.finalize().into();
        assert_eq!(c.verifier().0, want);
        let v = Verifier::from_hex(&c.verifier().to_hex()).unwrap();
        assert!(v.matches(&c));
    }

    #[test]
    fn another_secret_under_the_same_key_id_does_not_match() {
        let c = DeviceCredential::generate(&Counting);
        let mut text = c.expose().to_owned();
        let last = text.pop().unwrap();
        text.push(if last == 'A' { 'B' } else { 'A' });
        let forged = DeviceCredential::parse(&text).unwrap();
        assert_eq!(forged.key_id(), c.key_id());
        assert!(!c.verifier().matches(&forged));
    }

    #[test]
    fn malformed_credentials_and_headers_are_refused_without_quoting_them() {
        let good = DeviceCredential::generate(&Counting).expose().to_owned();
        let bad = [
            String::new(),
            "secret-token".into(),
            good.replacen("wxfd1", "wxfd2", 1),
            good.replacen('.', ":", 1),
            good.to_uppercase(),
            format!("{good}x"),
            good[..good.len() - 1].to_owned(),
            good.replace('0', "+"),
        ];
        for text in &bad {
            let e = DeviceCredential::parse(text).expect_err(text);
            assert_eq!(e.code(), "unauthenticated");
            if text.len() > 8 {
                assert!(!e.to_string().contains(&text[6..]), "{e}");
            }
        }
        for header in [None, Some(good.as_str()), Some("Basic dXNlcjpwdw==")] {
            let e = DeviceCredential::from_authorization(header).expect_err("refused");
            assert_eq!(e.code(), "unauthenticated");
            assert!(!e.to_string().contains(&good[6..]));
        }
    }

    #[test]
    fn debug_shows_the_key_id_only() {
        let c = DeviceCredential::generate(&Counting);
        let shown = format!("{c:?}");
        assert!(shown.contains(c.key_id()));
        assert!(!shown.contains(&c.expose()[23..]), "{shown}");
        assert_eq!(format!("{:?}", c.verifier()), "Verifier(..)");
    }

    #[test]
    fn device_ids_are_checked() {
        assert!(check_device_id("KIOSK-01").is_ok());
        assert!(check_device_id("诊室-3").is_ok());
        for bad in ["", "K\nforged", &"D".repeat(33)] {
            assert_eq!(check_device_id(bad).unwrap_err().code(), "invalid_input");
        }
    }
}
