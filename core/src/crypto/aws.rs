//! The AWS-LC provider (`aws-lc-rs`): constant-time RSA at OpenSSL speed.
//!
//! Signing uses `RsaKeyPair` with `RSA_PKCS1_SHA256`, verification a parsed
//! public key with `RSA_PKCS1_2048_8192_SHA256`, OAEP decryption
//! `OaepPrivateDecryptingKey` with `OAEP_SHA1_MGF1SHA1`. AWS-LC blinds
//! private-key operations itself and frees key material with cleansing.
//!
//! PKCS#1 v1.5 decryption does **not** use AWS-LC's padding check: AWS-LC
//! answers a non-conforming ciphertext with an error, which is a
//! Bleichenbacher oracle in the hands of whoever chooses ciphertexts. It runs
//! the raw RSA operation (`RSA_decrypt` with `RSA_NO_PADDING`, the route
//! AWS-LC's own documentation gives for custom padding logic) and decodes the
//! block with implicit rejection in constant time
//! ([`implicit`](super::implicit)), exactly as the pure-Rust backend does.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA1_MGF1SHA1};
use aws_lc_rs::signature::{
    ParsedPublicKey, RsaKeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use zeroize::Zeroizing;

use super::implicit::RejectionKey;
use super::pem::{check_spki_der, pkcs8_rsa_parts, MAX_RSA_BITS, MIN_RSA_BITS};
use super::{CryptoProvider, Padding, PrivateKey, PublicKey};
use crate::error::{Error, Result, SignatureFailure};

/// The AWS-LC RSA provider.
#[derive(Debug, Clone, Copy, Default)]
pub struct AwsLcProvider;

impl AwsLcProvider {
    /// The provider (stateless; AWS-LC draws its own randomness).
    pub fn new() -> Self {
        Self
    }
}

impl CryptoProvider for AwsLcProvider {
    fn name(&self) -> &'static str {
        "aws-lc"
    }

    fn private_key_from_pkcs8_der(&self, der: &[u8]) -> Result<Arc<dyn PrivateKey>> {
        let bad = |_| Error::Config("not a usable PKCS#8 RSA private key".into());
        let signing = RsaKeyPair::from_pkcs8(der).map_err(bad)?;
        let size = signing.public_modulus_len();
        let bits = size * 8;
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(Error::Config(format!(
                "RSA modulus of {bits} bits is outside {MIN_RSA_BITS}..={MAX_RSA_BITS}"
            )));
        }
        let (pkcs1_der, d) = pkcs8_rsa_parts(der)?;
        let raw = raw::RawRsa::from_pkcs1_der(pkcs1_der)
            .ok_or_else(|| Error::Config("could not prepare PKCS#1 v1.5 decryption".into()))?;
        if raw.size() != size {
            return Err(Error::Config("inconsistent RSA private key".into()));
        }
        let rejection = RejectionKey::new(d, size)
            .ok_or_else(|| Error::Config("inconsistent RSA private key".into()))?;
        let oaep =
            OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(der).map_err(bad)?)
                .map_err(|_| Error::Config("could not prepare OAEP decryption".into()))?;
        Ok(Arc::new(AwsPrivateKey {
            signing,
            raw,
            rejection,
            oaep,
            size,
        }))
    }

    fn public_key_from_spki_der(&self, der: &[u8]) -> Result<Arc<dyn PublicKey>> {
        let bits = check_spki_der(der)?;
        let key = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
            .map_err(|_| Error::Config("not a usable RSA public key".into()))?;
        Ok(Arc::new(AwsPublicKey {
            key,
            size: bits.div_ceil(8),
        }))
    }
}

/// An RSA private key of the AWS-LC provider.
struct AwsPrivateKey {
    signing: RsaKeyPair,
    raw: raw::RawRsa,
    rejection: RejectionKey,
    oaep: OaepPrivateDecryptingKey,
    size: usize,
}

impl fmt::Debug for AwsPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsPrivateKey")
            .field("bits", &(self.size * 8))
            .finish_non_exhaustive()
    }
}

impl PrivateKey for AwsPrivateKey {
    fn sign_sha256(&self, msg: &[u8]) -> Result<Vec<u8>> {
        let mut sig = vec![0u8; self.size];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.signing
            .sign(&RSA_PKCS1_SHA256, &rng, msg, &mut sig)
            .map_err(|_| Error::Config("RSA signing failed".into()))?;
        Ok(sig)
    }

    fn decrypt(&self, padding: Padding, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if ciphertext.len() != self.size {
            return Err(Error::Decryption);
        }
        match padding {
            Padding::Pkcs1v15 => {
                let em = self.raw.raw_decrypt(ciphertext).ok_or(Error::Decryption)?;
                self.rejection
                    .decode(&em, ciphertext)
                    .ok_or(Error::Decryption)
            }
            Padding::OaepSha1 => {
                let mut out = Zeroizing::new(vec![0u8; self.size]);
                let len = self
                    .oaep
                    .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None)
                    .map(|p| p.len())
                    .map_err(|_| Error::Decryption)?;
                out.truncate(len);
                Ok(out)
            }
        }
    }

    fn size(&self) -> usize {
        self.size
    }
}

/// An RSA public key of the AWS-LC provider.
struct AwsPublicKey {
    key: ParsedPublicKey,
    size: usize,
}

impl fmt::Debug for AwsPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsPublicKey")
            .field("bits", &(self.size * 8))
            .finish_non_exhaustive()
    }
}

impl PublicKey for AwsPublicKey {
    fn verify_sha256(&self, msg: &[u8], signature: &[u8]) -> Result<()> {
        if signature.len() != self.size {
            return Err(Error::signature(
                SignatureFailure::Malformed,
                format!(
                    "signature is {} bytes, the key needs {}",
                    signature.len(),
                    self.size
                ),
            ));
        }
        self.key
            .verify_sig(msg, signature)
            .map_err(|_| Error::signature(SignatureFailure::Mismatch, "signature does not verify"))
    }
}

/// The raw RSA private-key operation of AWS-LC, through `aws-lc-sys`.
///
/// The only `unsafe` code of the core: three C calls on one owned `RSA`
/// object. AWS-LC documents `RSA_decrypt` as non-mutating for thread-safety
/// purposes (`openssl/rsa.h`), so the object is shared between threads.
#[allow(unsafe_code)]
mod raw {
    use std::ptr::NonNull;

    use aws_lc_sys::{RSA_decrypt, RSA_free, RSA_private_key_from_bytes, RSA_size, RSA};
    use zeroize::Zeroizing;

    /// `RSA_NO_PADDING` of `openssl/rsa.h`.
    const RSA_NO_PADDING: std::os::raw::c_int = 3;

    /// An owned AWS-LC `RSA` private key.
    pub(super) struct RawRsa(NonNull<RSA>);

    // SAFETY: the pointer is owned (freed once, in `Drop`), never handed out,
    // and only used with `RSA_decrypt` and `RSA_size`, which AWS-LC documents
    // as safe to call concurrently on one `RSA` object.
    unsafe impl Send for RawRsa {}
    // SAFETY: as for `Send`: no method mutates the object from Rust's view.
    unsafe impl Sync for RawRsa {}

    impl RawRsa {
        /// Parse PKCS#1 `RSAPrivateKey` DER. `None` when AWS-LC refuses it.
        pub(super) fn from_pkcs1_der(der: &[u8]) -> Option<Self> {
            // SAFETY: `der` is a valid slice for the duration of the call;
            // AWS-LC copies what it keeps and returns an owned object or NULL.
            let ptr = unsafe { RSA_private_key_from_bytes(der.as_ptr(), der.len()) };
            NonNull::new(ptr).map(Self)
        }

        /// The modulus size in bytes.
        pub(super) fn size(&self) -> usize {
            // SAFETY: `self.0` is a live `RSA` object.
            unsafe { RSA_size(self.0.as_ptr()) as usize }
        }

        /// `c^d mod n`, blinded by AWS-LC, as `size()` big-endian bytes.
        /// `None` when AWS-LC refuses the input (e.g. `c ≥ n`), which depends
        /// only on public values.
        pub(super) fn raw_decrypt(&self, c: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
            let k = self.size();
            let mut out = Zeroizing::new(vec![0u8; k]);
            let mut out_len = 0usize;
            // SAFETY: `out` has room for `k` = RSA_size bytes as `max_out`
            // says; `c` is a valid slice; `out_len` is a valid pointer.
            let ok = unsafe {
                RSA_decrypt(
                    self.0.as_ptr(),
                    &mut out_len,
                    out.as_mut_ptr(),
                    k,
                    c.as_ptr(),
                    c.len(),
                    RSA_NO_PADDING,
                )
            };
            if ok != 1 || out_len != k {
                return None;
            }
            Some(out)
        }
    }

    impl Drop for RawRsa {
        fn drop(&mut self) {
            // SAFETY: owned, non-null, freed exactly once. AWS-LC cleanses the
            // key material it frees.
            unsafe { RSA_free(self.0.as_ptr()) }
        }
    }
}
