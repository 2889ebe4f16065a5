//! Shared by the integration tests that run on every crypto provider.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wxface_core::crypto::CryptoProvider;
use wxface_core::time::Entropy;

/// Deterministic entropy for blinding (xorshift64*); tests need no OS RNG.
pub struct TestEntropy(pub AtomicU64);

impl Entropy for TestEntropy {
    fn fill(&self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let mut x = self.0.load(Ordering::Relaxed);
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0.store(x, Ordering::Relaxed);
            let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Every crypto provider compiled in: the pure-Rust one and, with feature
/// `aws-lc`, AWS-LC.
// Which pushes happen depends on the features compiled in.
#[allow(clippy::vec_init_then_push)]
pub fn providers() -> Vec<Arc<dyn CryptoProvider>> {
    let mut v: Vec<Arc<dyn CryptoProvider>> = Vec::new();
    #[cfg(feature = "rust-crypto")]
    v.push(Arc::new(wxface_core::crypto::RustCryptoProvider::new(
        Arc::new(TestEntropy(AtomicU64::new(0x9E37_79B9_7F4A_7C15))),
    )));
    #[cfg(feature = "aws-lc")]
    v.push(Arc::new(wxface_core::crypto::AwsLcProvider::new()));
    v
}

/// `tests/vectors/` of the repository.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// A file of `tests/vectors/` as text.
pub fn read(rel: &str) -> String {
    let p = vectors_dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}
