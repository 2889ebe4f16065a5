//! Key and certificate loading: PEM, PKCS#1, PKCS#8, SPKI, X.509.
//!
//! Parsing happens here, once, above the providers: a provider only ever sees
//! PKCS#8 `PrivateKeyInfo` DER (private keys) or `SubjectPublicKeyInfo` DER
//! (public keys). That keeps the two backends in agreement about which inputs
//! are accepted, and lets key loading work in every build, whatever backend is
//! enabled.
//!
//! Accepted PEM labels:
//!
//! | label | what | result |
//! |---|---|---|
//! | `PRIVATE KEY` | PKCS#8 `PrivateKeyInfo` (rsaEncryption) | as is |
//! | `RSA PRIVATE KEY` | PKCS#1 `RSAPrivateKey` (WeChat's older `apiclient_key.pem`) | wrapped into PKCS#8 |
//! | `PUBLIC KEY` | SPKI (WeChat's platform public key `pub_key.pem`) | as is |
//! | `RSA PUBLIC KEY` | PKCS#1 `RSAPublicKey` | wrapped into SPKI |
//! | `CERTIFICATE` | X.509 (platform or merchant certificate) | its SPKI, serial, validity |
//!
//! Encrypted keys (`ENCRYPTED PRIVATE KEY`, legacy `Proc-Type: 4,ENCRYPTED`)
//! are refused with a configuration error: decrypt them with your key tooling
//! first. Text around the PEM block (comments, `Bag Attributes`) is ignored.
//!
//! Private key bytes are held in [`Zeroizing`] buffers and wiped on drop.

use std::sync::Arc;

use base64::Engine as _;
use der::asn1::{AnyRef, BitStringRef, OctetStringRef, UintRef};
use der::{Decode, Encode};
use zeroize::Zeroizing;

use crate::crypto::{CryptoProvider, PrivateKey, PublicKey};
use crate::error::{Error, Result};
use crate::time::UnixTime;

/// The `rsaEncryption` algorithm identifier (OID 1.2.840.113549.1.1.1, NULL parameters).
fn rsa_algorithm() -> spki::AlgorithmIdentifierRef<'static> {
    spki::AlgorithmIdentifierRef {
        oid: pkcs1::ALGORITHM_OID,
        parameters: Some(AnyRef::NULL),
    }
}

/// Smallest RSA modulus accepted, in bits. WeChat Pay keys are 2048-bit.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits.
pub const MAX_RSA_BITS: usize = 8192;

/// Longest PEM text accepted, in bytes (a certificate chain is far smaller).
const MAX_PEM_BYTES: usize = 256 * 1024;

/// One decoded PEM block.
pub struct PemBlock {
    /// The label between `-----BEGIN ` and `-----`.
    pub label: String,
    /// The decoded body; zeroized on drop because it may be a private key.
    pub der: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for PemBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemBlock")
            .field("label", &self.label)
            .field("der_len", &self.der.len())
            .finish()
    }
}

/// Every PEM block of `text`, in order. Lines outside blocks are ignored;
/// CRLF line ends and surrounding whitespace are tolerated.
///
/// # Errors
/// [`Error::Config`] when a block is unterminated, carries RFC 1421 headers
/// (legacy encrypted keys), or its body is not base64.
pub fn parse_pem_blocks(text: &str) -> Result<Vec<PemBlock>> {
    if text.len() > MAX_PEM_BYTES {
        return Err(Error::Config("PEM input is too large".into()));
    }
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(String::new());
        let mut terminated = false;
        for inner in lines.by_ref() {
            if inner == end {
                terminated = true;
                break;
            }
            if inner.contains(':') {
                return Err(Error::Config(format!(
                    "PEM block `{label}` has headers (a legacy encrypted key?): decrypt it first"
                )));
            }
            body.push_str(inner);
        }
        if !terminated {
            return Err(Error::Config(format!(
                "PEM block `{label}` is not terminated"
            )));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| Error::Config(format!("PEM block `{label}` is not valid base64")))?;
        blocks.push(PemBlock {
            label: label.to_owned(),
            der: Zeroizing::new(der),
        });
    }
    Ok(blocks)
}

/// The first block whose label is one of `labels`.
fn find_block(text: &str, labels: &[&str], what: &str) -> Result<PemBlock> {
    let blocks = parse_pem_blocks(text)?;
    if blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY") {
        return Err(Error::Config(
            "encrypted private keys are not supported: decrypt the key first".into(),
        ));
    }
    blocks
        .into_iter()
        .find(|b| labels.contains(&b.label.as_str()))
        .ok_or_else(|| {
            Error::Config(format!(
                "no {what} PEM block found (expected {})",
                labels.join(" or ")
            ))
        })
}

/// Bit length of a big-endian unsigned integer.
fn bit_len(uint: &UintRef<'_>) -> usize {
    let bytes = uint.as_bytes();
    match bytes.iter().position(|&b| b != 0) {
        None => 0,
        Some(i) => (bytes.len() - i - 1) * 8 + (8 - bytes[i].leading_zeros() as usize),
    }
}

fn check_modulus(modulus: &UintRef<'_>) -> Result<usize> {
    let bits = bit_len(modulus);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(Error::Config(format!(
            "RSA modulus of {bits} bits is outside {MIN_RSA_BITS}..={MAX_RSA_BITS}"
        )));
    }
    Ok(bits)
}

/// Check a PKCS#1 `RSAPrivateKey` (two primes, acceptable size).
fn check_pkcs1_private(der: &[u8]) -> Result<()> {
    let key = pkcs1::RsaPrivateKey::<UintRef<'_>>::from_der(der)
        .map_err(|_| Error::Config("not a valid PKCS#1 RSA private key".into()))?;
    if key.other_prime_infos.is_some() {
        return Err(Error::Config(
            "multi-prime RSA keys are not supported".into(),
        ));
    }
    check_modulus(&key.modulus).map(|_| ())
}

/// Wrap PKCS#1 `RSAPrivateKey` DER into PKCS#8 `PrivateKeyInfo` DER.
///
/// # Errors
/// [`Error::Config`] when `pkcs1_der` is not a usable RSA private key.
pub fn pkcs1_to_pkcs8_der(pkcs1_der: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    check_pkcs1_private(pkcs1_der)?;
    let octets = OctetStringRef::new(pkcs1_der)
        .map_err(|_| Error::Config("RSA private key is too large".into()))?;
    let info: pkcs8::PrivateKeyInfoRef<'_> = pkcs8::PrivateKeyInfo::new(rsa_algorithm(), octets);
    info.to_der()
        .map(Zeroizing::new)
        .map_err(|_| Error::Config("could not encode the private key as PKCS#8".into()))
}

/// Check PKCS#8 `PrivateKeyInfo` DER: an RSA key of acceptable size.
///
/// # Errors
/// [`Error::Config`] when it is not a usable RSA private key.
pub fn check_pkcs8_der(der: &[u8]) -> Result<()> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|_| Error::Config("not a valid PKCS#8 private key".into()))?;
    if info.algorithm.oid != pkcs1::ALGORITHM_OID {
        return Err(Error::Config("the PKCS#8 key is not an RSA key".into()));
    }
    check_pkcs1_private(info.private_key.as_bytes())
}

/// The PKCS#1 `RSAPrivateKey` DER inside PKCS#8 `PrivateKeyInfo` DER, and
/// the private exponent `d` (big-endian) inside that.
///
/// # Errors
/// [`Error::Config`] when it is not a usable RSA private key.
#[cfg(feature = "aws-lc")]
pub(crate) fn pkcs8_rsa_parts(der: &[u8]) -> Result<(&[u8], &[u8])> {
    check_pkcs8_der(der)?;
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|_| Error::Config("not a valid PKCS#8 private key".into()))?;
    let pkcs1_der = info.private_key.as_bytes();
    let key = pkcs1::RsaPrivateKey::<UintRef<'_>>::from_der(pkcs1_der)
        .map_err(|_| Error::Config("not a valid PKCS#1 RSA private key".into()))?;
    Ok((pkcs1_der, key.private_exponent.as_bytes()))
}

/// PKCS#8 `PrivateKeyInfo` DER of the RSA private key in `pem`
/// (`PRIVATE KEY` or `RSA PRIVATE KEY`).
///
/// # Errors
/// [`Error::Config`] when there is no such block or the key is unusable.
pub fn private_key_pkcs8_der_from_pem(pem: &str) -> Result<Zeroizing<Vec<u8>>> {
    let block = find_block(pem, &["PRIVATE KEY", "RSA PRIVATE KEY"], "private key")?;
    if block.label == "RSA PRIVATE KEY" {
        pkcs1_to_pkcs8_der(&block.der)
    } else {
        check_pkcs8_der(&block.der)?;
        Ok(block.der)
    }
}

/// Check SPKI DER: an RSA key of acceptable size. Returns the modulus size in bits.
///
/// # Errors
/// [`Error::Config`] when it is not a usable RSA public key.
pub fn check_spki_der(der: &[u8]) -> Result<usize> {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|_| Error::Config("not a valid SubjectPublicKeyInfo".into()))?;
    if spki.algorithm.oid != pkcs1::ALGORITHM_OID {
        return Err(Error::Config("the public key is not an RSA key".into()));
    }
    let raw = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Error::Config("public key bit string is not byte-aligned".into()))?;
    let key = pkcs1::RsaPublicKey::<UintRef<'_>>::from_der(raw)
        .map_err(|_| Error::Config("not a valid RSA public key".into()))?;
    check_modulus(&key.modulus)
}

/// Wrap PKCS#1 `RSAPublicKey` DER into SPKI DER.
///
/// # Errors
/// [`Error::Config`] when `pkcs1_der` is not a usable RSA public key.
pub fn pkcs1_public_to_spki_der(pkcs1_der: &[u8]) -> Result<Vec<u8>> {
    let key = pkcs1::RsaPublicKey::<UintRef<'_>>::from_der(pkcs1_der)
        .map_err(|_| Error::Config("not a valid PKCS#1 RSA public key".into()))?;
    check_modulus(&key.modulus)?;
    let bits = BitStringRef::from_bytes(pkcs1_der)
        .map_err(|_| Error::Config("RSA public key is too large".into()))?;
    spki::SubjectPublicKeyInfo {
        algorithm: rsa_algorithm(),
        subject_public_key: bits,
    }
    .to_der()
    .map_err(|_| Error::Config("could not encode the public key as SPKI".into()))
}

/// An X.509 certificate's facts the protocol needs.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The certificate's `SubjectPublicKeyInfo` DER (RSA).
    pub spki_der: Vec<u8>,
    /// Serial number as uppercase hex without sign padding, the form of
    /// `Wechatpay-Serial` and `serial_no` (what `openssl x509 -serial` prints).
    pub serial_hex: String,
    /// Start of validity.
    pub not_before: UnixTime,
    /// End of validity.
    pub not_after: UnixTime,
}

impl std::fmt::Debug for CertificateInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateInfo")
            .field("serial_hex", &self.serial_hex)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// Uppercase hex of a big-endian integer, leading zero bytes stripped (`00` for zero).
fn serial_hex(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let trimmed = &bytes[start..];
    if trimmed.is_empty() {
        return "00".to_owned();
    }
    trimmed.iter().map(|b| format!("{b:02X}")).collect()
}

/// Facts of an X.509 certificate given as DER.
///
/// # Errors
/// [`Error::Config`] when it is not a certificate with a usable RSA key.
pub fn certificate_from_der(der: &[u8]) -> Result<CertificateInfo> {
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|_| Error::Config("not a valid X.509 certificate".into()))?;
    let tbs = cert.tbs_certificate();
    let spki_der = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(|_| Error::Config("could not encode the certificate's public key".into()))?;
    check_spki_der(&spki_der)?;
    let validity = tbs.validity();
    Ok(CertificateInfo {
        spki_der,
        serial_hex: serial_hex(tbs.serial_number().as_bytes()),
        not_before: UnixTime(validity.not_before.to_unix_duration().as_secs()),
        not_after: UnixTime(validity.not_after.to_unix_duration().as_secs()),
    })
}

/// Facts of the first `CERTIFICATE` block of `pem`.
///
/// # Errors
/// [`Error::Config`] when there is none or it is unusable.
pub fn certificate_from_pem(pem: &str) -> Result<CertificateInfo> {
    let block = find_block(pem, &["CERTIFICATE"], "certificate")?;
    certificate_from_der(&block.der)
}

/// SPKI DER of the RSA public key in `pem`: a `PUBLIC KEY`, `RSA PUBLIC KEY`
/// or `CERTIFICATE` block (the certificate's key; its validity is not checked
/// here).
///
/// # Errors
/// [`Error::Config`] when there is no such block or the key is unusable.
pub fn public_key_spki_der_from_pem(pem: &str) -> Result<Vec<u8>> {
    let block = find_block(
        pem,
        &["PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE"],
        "public key",
    )?;
    match block.label.as_str() {
        "RSA PUBLIC KEY" => pkcs1_public_to_spki_der(&block.der),
        "CERTIFICATE" => Ok(certificate_from_der(&block.der)?.spki_der),
        _ => {
            check_spki_der(&block.der)?;
            Ok(block.der.to_vec())
        }
    }
}

/// Load the RSA private key in `pem` (PKCS#1 or PKCS#8) into `provider`.
///
/// # Errors
/// [`Error::Config`] when the PEM holds no usable key.
pub fn load_private_key(provider: &dyn CryptoProvider, pem: &str) -> Result<Arc<dyn PrivateKey>> {
    let der = private_key_pkcs8_der_from_pem(pem)?;
    provider.private_key_from_pkcs8_der(&der)
}

/// Load the RSA public key in `pem` (SPKI, PKCS#1 or a certificate) into `provider`.
///
/// # Errors
/// [`Error::Config`] when the PEM holds no usable key.
pub fn load_public_key(provider: &dyn CryptoProvider, pem: &str) -> Result<Arc<dyn PublicKey>> {
    let der = public_key_spki_der_from_pem(pem)?;
    provider.public_key_from_spki_der(&der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_hex_strips_sign_padding() {
        assert_eq!(serial_hex(&[0x00, 0x9A, 0x01]), "9A01");
        assert_eq!(serial_hex(&[0x0F]), "0F");
        assert_eq!(serial_hex(&[]), "00");
    }

    #[test]
    fn pem_framing() {
        let text = "junk\r\n-----BEGIN FOO-----\r\nAAEC\r\nAw==\r\n-----END FOO-----\r\ntrailer";
        let blocks = parse_pem_blocks(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "FOO");
        assert_eq!(blocks[0].der.as_slice(), &[0, 1, 2, 3]);
        assert!(parse_pem_blocks("-----BEGIN FOO-----\nAAEC\n").is_err());
        assert!(parse_pem_blocks("-----BEGIN FOO-----\n!!\n-----END FOO-----").is_err());
        assert!(parse_pem_blocks(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAEC\n-----END RSA PRIVATE KEY-----"
        )
        .is_err());
        let e = private_key_pkcs8_der_from_pem(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAEC\n-----END ENCRYPTED PRIVATE KEY-----",
        )
        .err();
        assert_eq!(e.map(|e| e.code()), Some("config"));
        assert!(public_key_spki_der_from_pem("no pem here").is_err());
    }

    #[test]
    fn bit_lengths() {
        let u = UintRef::new(&[0x01, 0xFF]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bit_len(&u), 9);
    }
}
