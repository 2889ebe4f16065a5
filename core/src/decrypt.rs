//! The real-name decryptor.
//!
//! A [`Decryptor`] holds nothing but the (sub-)merchant's private key and the
//! padding. It decrypts only an [`EncryptedRealName`], a type nothing but the
//! answer verifier can produce: [`handle_users_response`] (direct mode) or
//! [`SignedAnswer::verify`] (provider mode, on the hospital's own system,
//! with the platform key). Unverified ciphertexts cannot be decrypted through
//! this API at all: there is no constructor for `EncryptedRealName`, no public
//! field, and no deserialiser.
//!
//! Every failure is the same [`Error::Decryption`], with one fixed message:
//! bad base64, a wrong length, bad padding, a wrong key or padding mode, a
//! plaintext that is not UTF-8, has control characters, is no plausible name
//! or fails its credential number's check. PKCS#1 v1.5 decryption uses
//! implicit rejection on both providers, so bad padding gives a synthetic
//! plaintext that fails validation like any other wrong plaintext. Together
//! that leaves a caller who chooses ciphertexts nothing to learn.
//!
//! The padding is configured explicitly ([`Padding::Pkcs1v15`] by default, as
//! WeChat's sample uses) and the decryptor never tries the other one.
//!
//! [`handle_users_response`]: crate::v3::handle_users_response
//! [`SignedAnswer::verify`]: crate::v3::SignedAnswer::verify

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::crypto::{pem, CryptoProvider, Padding, PrivateKey};
use crate::error::{Error, Result};
use crate::realname::{CredentialType, RealName};
use crate::time::Clock;
use crate::v3::{EncryptedRealName, FaceUser, ResponseVerifier, SignedAnswer};

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

    /// Decrypt one base64 field into non-empty UTF-8 text without control
    /// characters. Crate-private: callers reach it only through
    /// [`Self::decrypt_real_name`] (and the `local-decrypt` tools).
    fn decrypt_field(&self, b64: &str) -> Result<Zeroizing<String>> {
        if b64.len() > MAX_CIPHERTEXT_B64 {
            return Err(Error::Decryption);
        }
        let compact: Zeroizing<String> =
            Zeroizing::new(b64.chars().filter(|c| !c.is_ascii_whitespace()).collect());
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| Error::Decryption)?;
        if ciphertext.len() != self.key.size() {
            return Err(Error::Decryption);
        }
        let mut plain = self
            .key
            .decrypt(self.padding, &ciphertext)
            .map_err(|_| Error::Decryption)?;
        let bytes = std::mem::take(&mut *plain);
        let text = match String::from_utf8(bytes) {
            Ok(t) => Zeroizing::new(t),
            Err(e) => {
                // Wipe the rejected bytes too.
                drop(Zeroizing::new(e.into_bytes()));
                return Err(Error::Decryption);
            }
        };
        if text.is_empty() || text.chars().any(char::is_control) {
            return Err(Error::Decryption);
        }
        Ok(text)
    }

    /// Decrypt and validate the real-name part of a verified answer.
    ///
    /// # Errors
    /// [`Error::Decryption`] — one code, one fixed message — for every way
    /// this can fail, including a name or credential number that is not
    /// plausible for its type (see [`RealName::new`]).
    pub fn decrypt_real_name(&self, enc: &EncryptedRealName) -> Result<RealName> {
        self.open(enc.ciphertexts())
    }

    /// Decrypt both fields and validate them as an identity; every error is
    /// [`Error::Decryption`].
    fn open(&self, (name, ty, id): (&str, CredentialType, &str)) -> Result<RealName> {
        // Both fields are always decrypted, so the time taken does not tell
        // which of them failed.
        let name = self.decrypt_field(name);
        let id = self.decrypt_field(id);
        let (mut name, mut id) = match (name, id) {
            (Ok(n), Ok(i)) => (n, i),
            _ => return Err(Error::Decryption),
        };
        RealName::new(std::mem::take(&mut *name), ty, std::mem::take(&mut *id))
            .map_err(|_| Error::Decryption)
    }
}

/// The hospital's end of provider mode (服务商): receives the raw signed
/// answer the provider forwards, verifies it with the platform key, and only
/// then decrypts it with the hospital's own key.
///
/// The clock is the receiver's own (the system clock, or one injected at
/// construction for tests), never a caller's argument: whoever forwards the
/// answer cannot stretch the timestamp window.
#[derive(Clone)]
pub struct RealNameReceiver {
    verifier: ResponseVerifier,
    decryptor: Decryptor,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RealNameReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealNameReceiver")
            .field("platform_keys", &self.verifier.store.ids())
            .field("decryptor", &self.decryptor)
            .finish_non_exhaustive()
    }
}

impl RealNameReceiver {
    /// A receiver over the platform keys of `verifier` and the hospital's
    /// `decryptor`, reading the operating system's clock.
    #[cfg(feature = "os")]
    pub fn new(verifier: ResponseVerifier, decryptor: Decryptor) -> Self {
        Self::with_clock(verifier, decryptor, Arc::new(crate::time::SystemClock))
    }

    /// A receiver with an explicit clock (platforms without an OS clock,
    /// tests).
    pub fn with_clock(
        verifier: ResponseVerifier,
        decryptor: Decryptor,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            verifier,
            decryptor,
            clock,
        }
    }

    /// Verify the forwarded answer, then decrypt its identity.
    ///
    /// # Errors
    /// `signature_*` when the answer does not verify (nothing is decrypted
    /// then); `backend` for a forwarded error answer; `malformed` when it
    /// carries no real-name fields; [`Error::Decryption`] as
    /// [`Decryptor::decrypt_real_name`].
    pub fn receive(&self, answer: &SignedAnswer) -> Result<RealName> {
        let user = answer.verify(&self.verifier, self.clock.now())?;
        let enc = user.real_name.as_ref().ok_or_else(|| {
            Error::malformed(
                "facemch users answer",
                "no real-name fields (was ASK_REAL_NAME granted?)",
            )
        })?;
        self.decryptor.decrypt_real_name(enc)
    }

    /// [`Self::receive`] on the JSON form of a [`SignedAnswer`].
    ///
    /// # Errors
    /// `malformed` for a bad JSON form; as [`Self::receive`] otherwise.
    pub fn receive_json(&self, json: &[u8]) -> Result<RealName> {
        self.receive(&SignedAnswer::from_json(json)?)
    }

    /// The verified answer's other fields (openid, sub_openid, union_id)
    /// together with the identity.
    ///
    /// # Errors
    /// As [`Self::receive`].
    pub fn receive_with_user(&self, answer: &SignedAnswer) -> Result<(FaceUser, RealName)> {
        let user = answer.verify(&self.verifier, self.clock.now())?;
        let enc = user.real_name.as_ref().ok_or_else(|| {
            Error::malformed(
                "facemch users answer",
                "no real-name fields (was ASK_REAL_NAME granted?)",
            )
        })?;
        let rn = self.decryptor.decrypt_real_name(enc)?;
        Ok((user, rn))
    }
}

/// Decryption of ciphertexts that did not come out of a verified answer, for
/// a local troubleshooting tool (`wxface decrypt-local`) run by the holder of
/// the private key on that person's own machine. Behind the `local-decrypt`
/// feature, which no binding and no server enables: never put this behind a
/// network service, where it would be a decryption oracle.
#[cfg(feature = "local-decrypt")]
pub mod local {
    use zeroize::Zeroizing;

    use super::Decryptor;
    use crate::error::{Error, Result};
    use crate::realname::RealName;
    use crate::v3::users::unverified_real_name_fields;

    /// Decrypt one base64 field.
    ///
    /// # Errors
    /// [`Error::Decryption`], whatever went wrong.
    pub fn decrypt_field(decryptor: &Decryptor, b64: &str) -> Result<Zeroizing<String>> {
        decryptor.decrypt_field(b64)
    }

    /// Decrypt the real-name fields of a saved answer body (or of an object
    /// with `encrypted_real_name`, `credential_type` and
    /// `encrypted_credential_id`), without any signature check.
    ///
    /// # Errors
    /// [`Error::Malformed`] when the JSON carries no such fields;
    /// [`Error::Decryption`] otherwise, whatever went wrong.
    pub fn decrypt_answer(decryptor: &Decryptor, json: &[u8]) -> Result<RealName> {
        let enc = unverified_real_name_fields(json)?.ok_or_else(|| {
            Error::malformed("facemch users answer", "no encrypted real-name fields")
        })?;
        decryptor.decrypt_real_name(&enc)
    }
}
