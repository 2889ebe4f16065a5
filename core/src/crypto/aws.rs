//! The AWS-LC provider (`aws-lc-rs`): constant-time RSA at OpenSSL speed.
//!
//! Signing uses `RsaKeyPair` with `RSA_PKCS1_SHA256`, verification a parsed
//! public key with `RSA_PKCS1_2048_8192_SHA256`, decryption
//! `Pkcs1PrivateDecryptingKey` or `OaepPrivateDecryptingKey` with
//! `OAEP_SHA1_MGF1SHA1`. AWS-LC blinds private-key operations itself and frees
//! key material with cleansing.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rsa::{
    OaepPrivateDecryptingKey, Pkcs1PrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA1_MGF1SHA1,
};
use aws_lc_rs::signature::{
    ParsedPublicKey, RsaKeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use zeroize::Zeroizing;

use super::pem::{check_spki_der, MAX_RSA_BITS, MIN_RSA_BITS};
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
        let pkcs1 =
            Pkcs1PrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(der).map_err(bad)?)
                .map_err(|_| Error::Config("could not prepare PKCS#1 v1.5 decryption".into()))?;
        let oaep =
            OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(der).map_err(bad)?)
                .map_err(|_| Error::Config("could not prepare OAEP decryption".into()))?;
        Ok(Arc::new(AwsPrivateKey {
            signing,
            pkcs1,
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
    pkcs1: Pkcs1PrivateDecryptingKey,
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
            return Err(Error::Decryption(format!(
                "ciphertext is {} bytes, the key needs {}",
                ciphertext.len(),
                self.size
            )));
        }
        let mut out = Zeroizing::new(vec![0u8; self.size]);
        let len = match padding {
            Padding::Pkcs1v15 => self.pkcs1.decrypt(ciphertext, &mut out).map(|p| p.len()),
            Padding::OaepSha1 => self
                .oaep
                .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None)
                .map(|p| p.len()),
        }
        .map_err(|_| Error::Decryption(format!("RSA {} decryption failed", padding.as_str())))?;
        out.truncate(len);
        Ok(out)
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
