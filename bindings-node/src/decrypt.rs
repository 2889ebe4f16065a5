//! `Decryptor`: decrypts real-name fields with the hospital's private key.
//!
//! Node ≥ 18.19 refuses PKCS#1 v1.5 private decryption, and OpenSSL ≥ 3.2
//! answers random bytes instead of an error; this does it in Rust, with the
//! padding configured explicitly and every plaintext validated.

use std::sync::Arc;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use wxface_core::crypto::Padding;
use wxface_core::decrypt;

use crate::error::{js, Failure};
use crate::identity::Identity;
use crate::runtime;
use crate::v3::EncryptedRealName;

/// Options of a decryptor.
#[napi(object)]
#[derive(Default)]
pub struct DecryptorOptions {
    /// `"pkcs1v15"` (default, as WeChat's sample) or `"oaep-sha1"`. Never
    /// tried one after the other.
    pub padding: Option<String>,
}

/// Decrypts real-name fields. Holds nothing but the (sub-)merchant private key
/// and the padding; opaque, never printed.
#[napi]
pub struct Decryptor {
    inner: Arc<decrypt::Decryptor>,
}

impl Decryptor {
    /// The core decryptor (shared).
    pub(crate) fn core(&self) -> Arc<decrypt::Decryptor> {
        Arc::clone(&self.inner)
    }
}

#[napi]
impl Decryptor {
    /// A decryptor from the private key of the merchant API certificate (PEM,
    /// PKCS#1 or PKCS#8); in provider mode, the sub-merchant's.
    ///
    /// # Errors
    /// `ConfigError` for an unusable key, `InvalidInputError` for an unknown padding.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        private_key_pem: String,
        options: Option<DecryptorOptions>,
    ) -> napi::Result<Self> {
        let pem = zeroize::Zeroizing::new(private_key_pem);
        let padding = match options.and_then(|o| o.padding) {
            Some(p) => p.parse::<Padding>().map_err(|e| js(&env, e))?,
            None => Padding::default(),
        };
        decrypt::Decryptor::from_pem(&pem, padding)
            .map(|d| Self { inner: Arc::new(d) })
            .map_err(|e| js(&env, e))
    }

    /// The configured padding: `"pkcs1v15"` or `"oaep-sha1"`.
    #[napi(getter)]
    pub fn padding(&self) -> String {
        self.inner.padding().as_str().to_owned()
    }

    /// Decrypt and validate the real-name fields of an identity answer.
    /// Decrypt only fields of answers whose signature verified.
    ///
    /// # Errors
    /// Rejects with `DecryptionError` (wrong key or padding, implausible
    /// plaintext; the message never contains plaintext).
    #[napi(js_name = "decryptRealName", ts_return_type = "Promise<Identity>")]
    pub fn decrypt_real_name<'env>(
        &self,
        env: &'env Env,
        encrypted: EncryptedRealName,
    ) -> napi::Result<PromiseRaw<'env, Identity>> {
        let d = Arc::clone(&self.inner);
        let enc = wxface_core::v3::EncryptedRealName::from(encrypted);
        runtime::blocking(
            env,
            move || d.decrypt_real_name(&enc).map_err(Failure::from),
            |_, rn| Ok(Identity::new(rn)),
        )
    }

    /// Decrypt one base64 field into its plaintext. The plaintext is personal
    /// data: prefer `decryptRealName`, whose result stays masked unless revealed.
    ///
    /// # Errors
    /// Rejects with `DecryptionError`.
    #[napi(js_name = "decryptField", ts_return_type = "Promise<string>")]
    pub fn decrypt_field<'env>(
        &self,
        env: &'env Env,
        ciphertext: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let d = Arc::clone(&self.inner);
        runtime::blocking(
            env,
            move || d.decrypt_field(&ciphertext).map_err(Failure::from),
            // EXPOSE: the caller asked for this field's plaintext by name.
            |_, text| Ok(text.to_string()),
        )
    }

    /// A redacted description.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "Decryptor(padding={}, key=[REDACTED])",
            self.inner.padding().as_str()
        )
    }
}
