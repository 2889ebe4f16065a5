//! The crypto provider seam.
//!
//! RSA is the only public-key primitive the protocol uses: SHA256withRSA
//! (PKCS#1 v1.5) signatures for APIv3 requests and answers, and RSA decryption
//! (PKCS#1 v1.5 or OAEP-SHA1) of the real-name fields. Those operations go
//! through a [`CryptoProvider`] the way rustls routes its primitives, so a
//! build can pick:
//!
//! * [`rust_crypto`] — the pure-Rust `rsa` crate (0.10: constant-time bignum,
//!   implicit rejection, blinding). Builds for every target.
//! * `aws_lc` — AWS-LC through `aws-lc-rs` (feature `aws-lc`): constant-time,
//!   OpenSSL-class speed. Native builds of the client, CLI and bindings use it.
//!
//! Hashes and HMAC (v2 signatures) stay on RustCrypto (`sha2`, `hmac`, `md-5`)
//! whatever the provider.
//!
//! Key parsing (PEM, PKCS#1/PKCS#8, SPKI, X.509) is done once here, above the
//! providers, which receive DER.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::Result;

/// RSA encryption padding of the real-name fields. Chosen explicitly: the core
/// never tries one and silently falls back to the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Padding {
    /// PKCS#1 v1.5 (`RSA/ECB/PKCS1Padding`), as the spec's sample. Default.
    #[default]
    Pkcs1v15,
    /// OAEP with SHA-1 and MGF1-SHA-1 (`RSA/ECB/OAEPWithSHA-1AndMGF1Padding`).
    OaepSha1,
}

// By hand, not `named_enum!`: the names are the configuration values the
// bindings and the CLI document (`oaep-sha1` has a hyphen), and `FromStr`
// also accepts aliases in any case.
impl Padding {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[Self::Pkcs1v15, Self::OaepSha1];

    /// Stable name, the configuration value: `pkcs1v15` or `oaep-sha1`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pkcs1v15 => "pkcs1v15",
            Self::OaepSha1 => "oaep-sha1",
        }
    }
}

impl fmt::Display for Padding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Accepts [`Padding::as_str`] and the aliases `pkcs1`, `pkcs1-v1.5`,
/// `pkcs1v1.5` and `oaep`, in any case and with `_` for `-`.
impl std::str::FromStr for Padding {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "pkcs1v15" | "pkcs1" | "pkcs1-v1.5" | "pkcs1v1.5" => Ok(Self::Pkcs1v15),
            "oaep-sha1" | "oaep" => Ok(Self::OaepSha1),
            _ => Err(crate::Error::invalid(
                "padding",
                "must be `pkcs1v15` or `oaep-sha1`",
            )),
        }
    }
}

/// An RSA private key held by a provider. Implementations zeroize on drop and
/// never print key material in `Debug`.
pub trait PrivateKey: Send + Sync + fmt::Debug {
    /// SHA256withRSA (PKCS#1 v1.5) signature of `msg`.
    fn sign_sha256(&self, msg: &[u8]) -> Result<Vec<u8>>;
    /// Decrypt `ciphertext` with the given padding.
    ///
    /// PKCS#1 v1.5 decryption uses implicit rejection on every provider: a
    /// non-conforming block yields a synthetic message derived from the key
    /// and the ciphertext, never an error, so a wrong key or padding gives
    /// random-looking bytes and callers validate the plaintext. The only
    /// errors are [`Error::Decryption`](crate::Error::Decryption) for public
    /// reasons (wrong length, a ciphertext not below the modulus) and for
    /// OAEP failures.
    fn decrypt(&self, padding: Padding, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>>;
    /// Size of the modulus in bytes.
    fn size(&self) -> usize;
}

/// An RSA public key held by a provider.
pub trait PublicKey: Send + Sync + fmt::Debug {
    /// Verify a SHA256withRSA (PKCS#1 v1.5) signature; `Err` of kind
    /// `Signature` on mismatch.
    fn verify_sha256(&self, msg: &[u8], signature: &[u8]) -> Result<()>;
}

/// A set of RSA primitives.
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// Short name (`rust-crypto`, `aws-lc`).
    fn name(&self) -> &'static str;
    /// Load a private key from PKCS#8 `PrivateKeyInfo` DER.
    fn private_key_from_pkcs8_der(&self, der: &[u8]) -> Result<Arc<dyn PrivateKey>>;
    /// Load a public key from `SubjectPublicKeyInfo` DER.
    fn public_key_from_spki_der(&self, der: &[u8]) -> Result<Arc<dyn PublicKey>>;
}

pub mod pem;

#[cfg(feature = "aws-lc")]
mod implicit;

#[cfg(feature = "aws-lc")]
pub mod aws;
#[cfg(feature = "rust-crypto")]
pub mod rust;

#[cfg(feature = "aws-lc")]
pub use aws::AwsLcProvider;
#[cfg(feature = "rust-crypto")]
pub use rust::RustCryptoProvider;

/// The pure-Rust provider with the operating system's entropy for blinding.
///
/// Without the `os` feature (e.g. on `wasm32-unknown-unknown`) build a
/// [`RustCryptoProvider::new`] with an [`Entropy`](crate::time::Entropy) of
/// your platform instead.
#[cfg(all(feature = "rust-crypto", feature = "os"))]
pub fn rust_crypto() -> Arc<dyn CryptoProvider> {
    Arc::new(RustCryptoProvider::new(Arc::new(crate::time::OsEntropy)))
}

/// The AWS-LC provider.
#[cfg(feature = "aws-lc")]
pub fn aws_lc() -> Arc<dyn CryptoProvider> {
    Arc::new(AwsLcProvider::new())
}

/// The provider a build uses when the caller does not pick one: AWS-LC when
/// the `aws-lc` feature is on, else the pure-Rust provider with operating
/// system entropy (features `rust-crypto` and `os`).
///
/// Builds without either combination (a `wasm32-unknown-unknown` build has no
/// `os`) do not have this function: construct [`RustCryptoProvider::new`]
/// with an injected entropy source.
#[cfg(any(feature = "aws-lc", all(feature = "rust-crypto", feature = "os")))]
pub fn default_provider() -> Arc<dyn CryptoProvider> {
    #[cfg(feature = "aws-lc")]
    {
        aws_lc()
    }
    #[cfg(not(feature = "aws-lc"))]
    {
        rust_crypto()
    }
}
