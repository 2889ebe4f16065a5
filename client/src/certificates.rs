//! `GET /v3/certificates`: WeChat Pay's platform certificates, encrypted with
//! the merchant's APIv3 key.
//!
//! Each entry of the answer's `data` carries an `encrypt_certificate` object:
//! `AEAD_AES_256_GCM` with the 32-byte APIv3 key, a 12-character `nonce`, the
//! `associated_data` string and the base64 `ciphertext` (tag appended). The
//! plaintext is the certificate PEM. The same scheme encrypts the resources of
//! APIv3 notifications, so [`decrypt_resource`] is public.
//!
//! The answer is verified like any APIv3 answer before it is parsed (see
//! [`MerchantClient`](crate::MerchantClient)); this module only parses and
//! decrypts.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use serde_json::Value;
use wxface_core::crypto::{pem, CryptoProvider, PublicKey};
use wxface_core::UnixTime;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Path of the endpoint on `api.mch.weixin.qq.com`.
pub const CERTIFICATES_PATH: &str = "/v3/certificates";
/// The only algorithm WeChat Pay uses for `encrypt_certificate`.
pub const ALGORITHM: &str = "AEAD_AES_256_GCM";
/// Most certificates accepted in one answer.
const MAX_CERTIFICATES: usize = 16;
/// Largest answer parsed, in bytes.
const MAX_BODY: usize = 256 * 1024;

/// The merchant's APIv3 key (32 ASCII characters). Zeroized on drop, never
/// printed.
#[derive(Clone)]
pub struct ApiV3Key(Zeroizing<[u8; 32]>);

impl ApiV3Key {
    /// Wrap a key.
    ///
    /// # Errors
    /// [`Error`] of kind `config` unless it is exactly 32 printable
    /// ASCII characters.
    pub fn new(key: &str) -> Result<Self> {
        let bytes = key.as_bytes();
        if bytes.len() != 32 || !bytes.iter().all(u8::is_ascii_graphic) {
            return Err(Error::config(
                "the APIv3 key must be exactly 32 printable ASCII characters",
            ));
        }
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(bytes);
        Ok(Self(k))
    }

    fn cipher(&self) -> Result<Aes256Gcm> {
        // EXPOSE: the key enters the cipher, nothing else.
        Aes256Gcm::new_from_slice(self.0.as_slice())
            .map_err(|_| Error::config("the APIv3 key has the wrong length"))
    }
}

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key([REDACTED])")
    }
}

fn nonce_of(nonce: &str) -> Result<&Nonce<aes_gcm::aes::cipher::consts::U12>> {
    <&Nonce<_>>::try_from(nonce.as_bytes())
        .map_err(|_| Error::malformed("encrypted resource", "`nonce` is not 12 bytes"))
}

/// Decrypt an `AEAD_AES_256_GCM` resource (`/v3/certificates` entries,
/// notification resources).
///
/// # Errors
/// [`Error`] of kind `malformed` for a bad nonce or base64, `decryption`
/// when the tag does not verify (wrong APIv3 key or tampered data).
pub fn decrypt_resource(
    key: &ApiV3Key,
    associated_data: &str,
    nonce: &str,
    ciphertext_b64: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    let nonce = nonce_of(nonce)?;
    let ct = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64.as_bytes())
        .map_err(|_| Error::malformed("encrypted resource", "`ciphertext` is not base64"))?;
    key.cipher()?
        .decrypt(
            nonce,
            Payload {
                msg: &ct,
                aad: associated_data.as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| {
            wxface_core::Error::Config(
                "the platform certificates do not open with the APIv3 key \
                 (AEAD_AES_256_GCM tag mismatch: wrong APIv3 key, or a tampered answer)"
                    .into(),
            )
        })
}

/// Encrypt a resource the way WeChat Pay does (for emulators and tests).
/// Returns the base64 ciphertext with its tag.
///
/// # Errors
/// [`Error`] of kind `malformed` when `nonce` is not 12 bytes.
pub fn encrypt_resource(
    key: &ApiV3Key,
    associated_data: &str,
    nonce: &str,
    plaintext: &[u8],
) -> Result<String> {
    let nonce = nonce_of(nonce)?;
    let ct = key
        .cipher()?
        .encrypt(
            nonce,
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| Error::malformed("encrypted resource", "plaintext too long"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(ct))
}

/// One decrypted, parsed platform certificate.
#[derive(Clone)]
pub struct PlatformCertificate {
    /// Serial (uppercase hex), as in `Wechatpay-Serial`.
    pub serial: String,
    /// End of validity.
    pub not_after: UnixTime,
    /// The certificate's public key.
    pub key: Arc<dyn PublicKey>,
}

impl fmt::Debug for PlatformCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformCertificate")
            .field("serial", &self.serial)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

const WHAT: &str = "/v3/certificates answer";

fn text<'a>(obj: &'a serde_json::Map<String, Value>, k: &'static str) -> Result<&'a str> {
    obj.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::malformed(WHAT, format!("no `{k}` string")))
}

/// Parse a verified `/v3/certificates` answer body, decrypting every
/// certificate with `key`. The `serial_no` of each entry must match the
/// serial inside the decrypted certificate.
///
/// # Errors
/// [`Error`] of kind `malformed` (bad JSON, a missing field, an unknown
/// algorithm, a serial mismatch), `decryption` (tag mismatch) or `config` (a
/// certificate without a usable RSA key).
pub fn parse_certificates(
    body: &[u8],
    key: &ApiV3Key,
    provider: &dyn CryptoProvider,
) -> Result<Vec<PlatformCertificate>> {
    if body.len() > MAX_BODY {
        return Err(Error::malformed(WHAT, "body is too large"));
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|_| Error::malformed(WHAT, "body is not JSON"))?;
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::malformed(WHAT, "no `data` array"))?;
    if data.len() > MAX_CERTIFICATES {
        return Err(Error::malformed(WHAT, "too many certificates"));
    }
    let mut out = Vec::with_capacity(data.len());
    for entry in data {
        let entry = entry
            .as_object()
            .ok_or_else(|| Error::malformed(WHAT, "a `data` entry is not an object"))?;
        let serial_no = text(entry, "serial_no")?;
        let enc = entry
            .get("encrypt_certificate")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::malformed(WHAT, "no `encrypt_certificate` object"))?;
        if text(enc, "algorithm")? != ALGORITHM {
            return Err(Error::malformed(
                WHAT,
                format!("`algorithm` is not {ALGORITHM}"),
            ));
        }
        let aad = enc
            .get("associated_data")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let plain = decrypt_resource(key, aad, text(enc, "nonce")?, text(enc, "ciphertext")?)?;
        let pem_text = std::str::from_utf8(&plain)
            .map_err(|_| Error::malformed(WHAT, "a decrypted certificate is not UTF-8"))?;
        let info = pem::certificate_from_pem(pem_text)?;
        if !info.serial_hex.eq_ignore_ascii_case(serial_no) {
            return Err(Error::malformed(
                WHAT,
                "`serial_no` does not match the serial inside the certificate",
            ));
        }
        out.push(PlatformCertificate {
            key: provider.public_key_from_spki_der(&info.spki_der)?,
            serial: info.serial_hex,
            not_after: info.not_after,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdefghijklmnopqrstuv";

    #[test]
    fn round_trip_and_tamper() {
        let k = ApiV3Key::new(KEY).unwrap_or_else(|e| panic!("{e}"));
        let ct = encrypt_resource(&k, "certificate", "61f9c719728a", b"hello")
            .unwrap_or_else(|e| panic!("{e}"));
        let pt = decrypt_resource(&k, "certificate", "61f9c719728a", &ct)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pt.as_slice(), b"hello");
        let wrong_aad = decrypt_resource(&k, "other", "61f9c719728a", &ct).err();
        assert_eq!(wrong_aad.map(|e| e.code()), Some("config"));
        let bad_nonce = decrypt_resource(&k, "certificate", "short", &ct).err();
        assert_eq!(bad_nonce.map(|e| e.code()), Some("malformed"));
        assert!(ApiV3Key::new("short").is_err());
        assert_eq!(format!("{k:?}"), "ApiV3Key([REDACTED])");
    }
}
