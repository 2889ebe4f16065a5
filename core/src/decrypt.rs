//! The standalone real-name decryptor.
//!
//! In provider mode the provider signs the identity query, but the answer's
//! real-name fields are encrypted for the **sub-merchant's** (the hospital's)
//! certificate key, and the data must not pass through a server the provider
//! controls. So decryption is separate from everything else: a [`Decryptor`]
//! holds nothing but that private key and the padding, and takes the
//! encrypted JSON fields ([`EncryptedRealName`]) as they came.
//!
//! The padding is configured explicitly ([`Padding::Pkcs1v15`] by default, as
//! WeChat's sample uses) and the decryptor never tries the other one. With
//! implicit rejection a wrong key or padding yields random-looking bytes
//! rather than an error, so every plaintext is validated (UTF-8, a plausible
//! name, a credential number of the right shape, the GB 11643 check digit of
//! a resident ID); an implausible plaintext is reported as
//! [`Error::Decryption`], never returned.
//!
//! Decrypt only fields of answers whose signature verified
//! ([`handle_users_response`](crate::v3::handle_users_response) does that).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::crypto::{pem, CryptoProvider, Padding, PrivateKey};
use crate::error::{Error, Result};
use crate::realname::RealName;
use crate::v3::EncryptedRealName;

/// Longest base64 ciphertext accepted, in bytes (an 8192-bit key gives 1368).
const MAX_CIPHERTEXT_B64: usize = 2048;

/// Decrypts real-name fields with a (sub-)merchant private key.
#[derive(Clone)]
pub struct Decryptor {
    key: Arc<dyn PrivateKey>,
    padding: Padding,
}

impl fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decryptor")
            .field("key", &self.key)
            .field("padding", &self.padding)
            .finish()
    }
}

impl Decryptor {
    /// A decryptor from a PEM private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8
    /// `PRIVATE KEY`), loaded by the [default provider](crate::crypto::default_provider).
    ///
    /// # Errors
    /// [`Error::Config`] when the PEM holds no usable RSA private key.
    #[cfg(any(feature = "aws-lc", all(feature = "rust-crypto", feature = "os")))]
    pub fn from_pem(pem_text: &str, padding: Padding) -> Result<Self> {
        Self::with_provider(
            crate::crypto::default_provider().as_ref(),
            pem_text,
            padding,
        )
    }

    /// A decryptor from a PEM private key, loaded by `provider`.
    ///
    /// # Errors
    /// [`Error::Config`] when the PEM holds no usable RSA private key.
    pub fn with_provider(
        provider: &dyn CryptoProvider,
        pem_text: &str,
        padding: Padding,
    ) -> Result<Self> {
        Ok(Self::from_key(
            pem::load_private_key(provider, pem_text)?,
            padding,
        ))
    }

    /// A decryptor over an already loaded key.
    pub fn from_key(key: Arc<dyn PrivateKey>, padding: Padding) -> Self {
        Self { key, padding }
    }

    /// The configured padding.
    pub fn padding(&self) -> Padding {
        self.padding
    }

    /// Decrypt one base64 field into text. The plaintext must be non-empty
    /// UTF-8 without control characters.
    ///
    /// # Errors
    /// [`Error::Decryption`] for bad base64, a ciphertext of the wrong length,
    /// a failed decryption or an implausible plaintext. The message never
    /// contains plaintext.
    pub fn decrypt_field(&self, b64: &str) -> Result<Zeroizing<String>> {
        if b64.len() > MAX_CIPHERTEXT_B64 {
            return Err(Error::Decryption("ciphertext is too long".into()));
        }
        let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| Error::Decryption("ciphertext is not valid base64".into()))?;
        if ciphertext.len() != self.key.size() {
            return Err(Error::Decryption(format!(
                "ciphertext is {} bytes, the key needs {}",
                ciphertext.len(),
                self.key.size()
            )));
        }
        let mut plain = self.key.decrypt(self.padding, &ciphertext)?;
        let bytes = std::mem::take(&mut *plain);
        let text = match String::from_utf8(bytes) {
            Ok(t) => Zeroizing::new(t),
            Err(e) => {
                // Wipe the rejected bytes too.
                drop(Zeroizing::new(e.into_bytes()));
                return Err(Error::Decryption(format!(
                    "plaintext is not UTF-8 (wrong key or padding `{}`?)",
                    self.padding.as_str()
                )));
            }
        };
        if text.is_empty() {
            return Err(Error::Decryption("plaintext is empty".into()));
        }
        if text.chars().any(char::is_control) {
            return Err(Error::Decryption(format!(
                "plaintext contains control characters (wrong key or padding `{}`?)",
                self.padding.as_str()
            )));
        }
        Ok(text)
    }

    /// Decrypt and validate the real-name part of an answer.
    ///
    /// # Errors
    /// [`Error::Decryption`] as [`Self::decrypt_field`], or when the name or
    /// credential number is implausible for its type (see [`RealName::new`]).
    pub fn decrypt_real_name(&self, enc: &EncryptedRealName) -> Result<RealName> {
        let mut name = self
            .decrypt_field(&enc.encrypted_real_name)
            .map_err(|e| field_error("encrypted_real_name", e))?;
        let mut id = self
            .decrypt_field(&enc.encrypted_credential_id)
            .map_err(|e| field_error("encrypted_credential_id", e))?;
        RealName::new(
            std::mem::take(&mut *name),
            enc.credential_type,
            std::mem::take(&mut *id),
        )
    }
}

fn field_error(field: &str, e: Error) -> Error {
    match e {
        Error::Decryption(msg) => Error::Decryption(format!("`{field}`: {msg}")),
        other => other,
    }
}
