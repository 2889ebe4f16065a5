//! The pure-Rust provider: the `rsa` crate (0.10).
//!
//! Private-key operations are blinded with randomness from the injected
//! [`Entropy`], so the provider works on targets without an operating system
//! RNG (`wasm32-unknown-unknown`) as long as the host supplies entropy.
//!
//! Security note: the `rsa` crate carries advisory RUSTSEC-2023-0071 (a timing
//! side channel, "Marvin"). Blinding is always on here, and the core decrypts
//! only ciphertexts from answers whose signature verified, so an attacker
//! cannot submit chosen ciphertexts. Never expose decryption as a network
//! service. Builds that can use AWS-LC (feature `aws-lc`) get it by default
//! from [`default_provider`](super::default_provider).

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::pem::{MAX_RSA_BITS, MIN_RSA_BITS};
use super::{CryptoProvider, Padding, PrivateKey, PublicKey};
use crate::error::{Error, Result, SignatureFailure};
use crate::time::Entropy;

/// An `rand_core` 0.10 RNG over the core's [`Entropy`].
struct EntropyRng<'a>(&'a dyn Entropy);

impl rand_core::TryRng for EntropyRng<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> std::result::Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> std::result::Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> std::result::Result<(), Infallible> {
        self.0.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for EntropyRng<'_> {}

/// The pure-Rust RSA provider.
#[derive(Clone)]
pub struct RustCryptoProvider {
    entropy: Arc<dyn Entropy>,
}

impl RustCryptoProvider {
    /// A provider blinding its private-key operations with `entropy`.
    pub fn new(entropy: Arc<dyn Entropy>) -> Self {
        Self { entropy }
    }
}

impl fmt::Debug for RustCryptoProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RustCryptoProvider")
    }
}

fn check_bits(bits: usize) -> Result<()> {
    if (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "RSA modulus of {bits} bits is outside {MIN_RSA_BITS}..={MAX_RSA_BITS}"
        )))
    }
}

impl CryptoProvider for RustCryptoProvider {
    fn name(&self) -> &'static str {
        "rust-crypto"
    }

    fn private_key_from_pkcs8_der(&self, der: &[u8]) -> Result<Arc<dyn PrivateKey>> {
        let key = rsa::PrivateKey::from_pkcs8_der(der)
            .map_err(|_| Error::Config("not a usable PKCS#8 RSA private key".into()))?;
        check_bits(key.size() * 8)?;
        Ok(Arc::new(RustPrivateKey {
            key,
            entropy: Arc::clone(&self.entropy),
        }))
    }

    fn public_key_from_spki_der(&self, der: &[u8]) -> Result<Arc<dyn PublicKey>> {
        let key = rsa::PublicKey::from_public_key_der(der)
            .map_err(|_| Error::Config("not a usable RSA public key".into()))?;
        check_bits(key.size() * 8)?;
        Ok(Arc::new(RustPublicKey { key }))
    }
}

/// An RSA private key of the pure-Rust provider (zeroized on drop by `rsa`).
struct RustPrivateKey {
    key: rsa::PrivateKey,
    entropy: Arc<dyn Entropy>,
}

impl fmt::Debug for RustPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RustPrivateKey")
            .field("bits", &(self.key.size() * 8))
            .finish_non_exhaustive()
    }
}

impl PrivateKey for RustPrivateKey {
    fn sign_sha256(&self, msg: &[u8]) -> Result<Vec<u8>> {
        let mut rng = EntropyRng(self.entropy.as_ref());
        self.key
            .pkcs1v15_sign_with_rng::<Sha256, _>(&mut rng, msg)
            .map_err(|_| Error::Config("RSA signing failed".into()))
    }

    fn decrypt(&self, padding: Padding, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if ciphertext.len() != self.key.size() {
            return Err(Error::Decryption);
        }
        let mut rng = EntropyRng(self.entropy.as_ref());
        let out = match padding {
            Padding::Pkcs1v15 => self.key.pkcs1v15_decrypt_with_rng(&mut rng, ciphertext),
            Padding::OaepSha1 => self
                .key
                .oaep_decrypt_with_rng::<sha1::Sha1, _>(&mut rng, ciphertext),
        };
        out.map(Zeroizing::new).map_err(|_| Error::Decryption)
    }

    fn size(&self) -> usize {
        self.key.size()
    }
}

/// An RSA public key of the pure-Rust provider.
struct RustPublicKey {
    key: rsa::PublicKey,
}

impl fmt::Debug for RustPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RustPublicKey")
            .field("bits", &(self.key.size() * 8))
            .finish_non_exhaustive()
    }
}

impl PublicKey for RustPublicKey {
    fn verify_sha256(&self, msg: &[u8], signature: &[u8]) -> Result<()> {
        if signature.len() != self.key.size() {
            return Err(Error::signature(
                SignatureFailure::Malformed,
                format!(
                    "signature is {} bytes, the key needs {}",
                    signature.len(),
                    self.key.size()
                ),
            ));
        }
        self.key
            .pkcs1v15_verify::<Sha256>(msg, signature)
            .map_err(|_| Error::signature(SignatureFailure::Mismatch, "signature does not verify"))
    }
}
