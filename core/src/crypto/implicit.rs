//! PKCS#1 v1.5 decoding with implicit rejection, for providers whose library
//! only offers the raw RSA operation (AWS-LC).
//!
//! The construction is the one of the IETF CFRG draft "Implementation
//! Guidance for the PKCS #1 RSA Cryptography Specification"
//! (draft-irtf-cfrg-rsa-guidance, section 7), which OpenSSL ≥ 3.2 and the
//! `rsa` crate 0.10 also follow. When the padding does not check out, the
//! result is not an error but a *synthetic* message derived deterministically
//! from the private key and the ciphertext:
//!
//! ```text
//! DH  = SHA-256(I2OSP(d, k))                 (once per key)
//! KDK = HMAC-SHA-256(DH, C)
//! CL  = PRF(KDK, "length", 256 bytes)        128 candidate lengths
//! AM  = PRF(KDK, "message", k bytes)         the synthetic message
//! PRF(K, label, n) = HMAC(K, I2OSP(0,2) ‖ label ‖ I2OSP(8n,2)) ‖ HMAC(K, I2OSP(1,2) ‖ …) …
//! ```
//!
//! The padding check, the separator search and the choice between the real
//! and the synthetic message run in constant time (`subtle`): every octet of
//! both buffers is read whatever the ciphertext. Only the length of the chosen
//! message becomes public, as it must to return it. The same ciphertext gives
//! the same bytes through this module and through the `rsa` crate; the draft's
//! published test vectors check both (`tests/vectors/v3/implicit_rejection.json`).

use hmac::{Hmac, KeyInit, Mac as _};
use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater};
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Number of 16-bit candidate lengths the PRF draws.
const LENGTH_CANDIDATES: usize = 128;

/// The per-key secret of implicit rejection: `SHA-256(I2OSP(d, k))`.
#[derive(Clone)]
pub(crate) struct RejectionKey {
    dh: Zeroizing<[u8; 32]>,
}

impl RejectionKey {
    /// From the private exponent `d` as big-endian bytes (leading zeros
    /// optional) and the modulus size `k` in bytes. `None` when `d` does not
    /// fit in `k` bytes.
    pub(crate) fn new(d_be: &[u8], k: usize) -> Option<Self> {
        let d = strip_leading_zeros(d_be);
        if d.len() > k {
            return None;
        }
        let mut padded = Zeroizing::new(vec![0u8; k]);
        padded[k - d.len()..].copy_from_slice(d);
        let dh: [u8; 32] = Sha256::digest(&*padded).into();
        Some(Self {
            dh: Zeroizing::new(dh),
        })
    }

    /// Decode `em` (the raw RSA result, `k` bytes, big-endian) for the
    /// ciphertext `c`: the real message when the padding checks out, the
    /// synthetic one otherwise. `None` only for public reasons (`k < 11`,
    /// lengths that differ).
    pub(crate) fn decode(&self, em: &[u8], c: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let k = em.len();
        if k < 11 || c.len() != k || k > usize::from(u16::MAX) / 8 {
            return None;
        }
        let mut kdk_mac = <HmacSha256 as KeyInit>::new_from_slice(&*self.dh).ok()?;
        kdk_mac.update(c);
        let kdk: Zeroizing<[u8; 32]> = Zeroizing::new(kdk_mac.finalize().into_bytes().into());

        let cl = prf(&kdk, b"length", LENGTH_CANDIDATES * 2)?;
        let am = prf(&kdk, b"message", k)?;
        let max_len = u16::try_from(k - 11).ok()?;
        let al = synthetic_length(&cl, max_len);

        // EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero octets) ‖ 0x00 ‖ M
        let mut bad = !em[0].ct_eq(&0) | !em[1].ct_eq(&2);
        let mut looking = Choice::from(1);
        let mut separator = 0u32;
        for (i, octet) in em.iter().enumerate().skip(2) {
            let zero = octet.ct_eq(&0);
            // `i < k ≤ 8191`: the cast is exact.
            separator.conditional_assign(&(i as u32), looking & zero);
            looking &= !zero;
        }
        bad |= looking | !separator.ct_gt(&9);
        // Without a separator, `separator` is 0 and the length is discarded.
        let real_len = (k as u32).wrapping_sub(separator).wrapping_sub(1);
        let len = u32::conditional_select(&real_len, &u32::from(al), bad);

        let mut out = Zeroizing::new(em.to_vec());
        for (o, a) in out.iter_mut().zip(am.iter()) {
            o.conditional_assign(a, bad);
        }
        // Only now does the chosen length become public.
        let len = len as usize;
        let start = k.checked_sub(len)?;
        out.drain(..start);
        Some(out)
    }
}

/// The last of the 128 candidate lengths that is at most `max_len` (masked to
/// the bit width of `max_len`), or 0 when none is: constant time.
fn synthetic_length(cl: &[u8], max_len: u16) -> u16 {
    let mut mask = max_len;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    cl.chunks_exact(2).fold(0u16, |al, b| {
        let candidate = u16::from_be_bytes([b[0], b[1]]) & mask;
        u16::conditional_select(&al, &candidate, !candidate.ct_gt(&max_len))
    })
}

/// The draft's PRF: HMAC-SHA-256 blocks over `I2OSP(i, 2) ‖ label ‖
/// I2OSP(bits, 2)`, truncated to `len` bytes. The key is set up once and the
/// keyed state cloned per block.
fn prf(key: &[u8; 32], label: &[u8], len: usize) -> Option<Zeroizing<Vec<u8>>> {
    let bits = u16::try_from(len.checked_mul(8)?).ok()?.to_be_bytes();
    let keyed = <HmacSha256 as KeyInit>::new_from_slice(key).ok()?;
    let mut out = Zeroizing::new(vec![0u8; len]);
    for (i, chunk) in (0u16..).zip(out.chunks_mut(32)) {
        let mut mac = keyed.clone();
        mac.update(&i.to_be_bytes());
        mac.update(label);
        mac.update(&bits);
        let block: Zeroizing<[u8; 32]> = Zeroizing::new(mac.finalize().into_bytes().into());
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
    Some(out)
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> RejectionKey {
        RejectionKey::new(&[0x01, 0x02, 0x03], 64).expect("fits")
    }

    #[test]
    fn a_conforming_block_yields_its_message() {
        let mut em = vec![0u8; 64];
        em[1] = 2;
        for b in &mut em[2..50] {
            *b = 0x5a;
        }
        em[50] = 0;
        em[51..].copy_from_slice(b"hello, world!");
        let out = key().decode(&em, &[7u8; 64]).expect("decodes");
        assert_eq!(&out[..], b"hello, world!");
    }

    #[test]
    fn an_empty_message_after_the_separator_is_valid() {
        let mut em = vec![0x11u8; 64];
        em[0] = 0;
        em[1] = 2;
        em[63] = 0;
        let out = key().decode(&em, &[7u8; 64]).expect("decodes");
        assert!(out.is_empty());
    }

    #[test]
    fn every_padding_fault_yields_the_same_synthetic_message_for_the_same_ciphertext() {
        let mut good = vec![0x33u8; 64];
        good[0] = 0;
        good[1] = 2;
        good[40] = 0;
        let c = [9u8; 64];
        let mut faults = Vec::new();
        let mut e = good.clone();
        e[0] = 1; // first octet
        faults.push(e);
        let mut e = good.clone();
        e[1] = 1; // block type
        faults.push(e);
        let mut e = good.clone();
        e[5] = 0; // separator inside the first 8 octets of PS
        faults.push(e);
        let mut e = good.clone();
        e[40] = 0x33; // no separator at all
        faults.push(e);
        let k = key();
        let synthetic: Vec<_> = faults
            .iter()
            .map(|em| k.decode(em, &c).expect("decodes").to_vec())
            .collect();
        for s in &synthetic {
            assert_eq!(s, &synthetic[0]);
            assert!(s.len() <= 64 - 11);
        }
        // A different ciphertext gives a different synthetic message.
        let other = k.decode(&faults[0], &[8u8; 64]).expect("decodes");
        assert_ne!(other.to_vec(), synthetic[0]);
        // The real message is not what a fault yields.
        assert_eq!(
            &k.decode(&good, &c).expect("decodes")[..],
            &[0x33u8; 23][..]
        );
    }

    #[test]
    fn public_length_problems_are_refused() {
        let k = key();
        assert!(k.decode(&[0u8; 10], &[0u8; 10]).is_none());
        assert!(k.decode(&[0u8; 64], &[0u8; 63]).is_none());
        assert!(RejectionKey::new(&[1u8; 65], 64).is_none());
        assert!(RejectionKey::new(&[0u8, 0, 1], 1).is_some());
    }

    #[test]
    fn the_synthetic_length_is_the_last_admissible_candidate() {
        let mut cl = [0xffu8; 256];
        cl[0..2].copy_from_slice(&5u16.to_be_bytes());
        cl[100..102].copy_from_slice(&17u16.to_be_bytes());
        assert_eq!(synthetic_length(&cl, 245), 17);
        assert_eq!(synthetic_length(&[0xffu8; 256], 245), 0);
    }
}
