//! The sandbox's key set: generated once, kept in a directory, reused.
//!
//! | file | what | who has it in real life |
//! |---|---|---|
//! | `apiclient_key.pem`, `apiclient_cert.pem` | merchant (provider) API key and certificate | the merchant |
//! | `sub_apiclient_key.pem`, `sub_apiclient_cert.pem` | sub-merchant (hospital) API key and certificate | the hospital |
//! | `platform_cert.pem` | platform certificate (self-signed here) | everyone |
//! | `platform_cert_key.pem` | its private key | WeChat Pay only |
//! | `pub_key.pem` | platform public key (`PUB_KEY_ID_…`) | everyone |
//! | `pub_key_private.pem` | its private key | WeChat Pay only |
//! | `apiv2_key.txt`, `apiv3_key.txt` | the v2 API key and the APIv3 key (32 characters each) | the merchant |
//! | `sandbox.json` | ids: appid, mch_id, sub ids, certificate serials, `PUB_KEY_ID_…` | — |
//!
//! Private keys are PKCS#8 PEM (`PRIVATE KEY`), generated with AWS-LC.
//! The platform certificate and the public key are two different RSA keys,
//! as at WeChat Pay, so a client that verifies with the wrong one fails.
//! Secret files are written with mode 0600 on Unix. Key material is never
//! logged and never appears in `Debug` output.

use std::fmt;
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use rcgen::{CertificateParams, DistinguishedName, DnType, SerialNumber, PKCS_RSA_SHA256};
use serde::{Deserialize, Serialize};
use wxface_core::crypto::{pem, Padding};
use wxface_core::time::{Clock, SystemClock};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::config::MerchantIds;
use crate::util::{civil_from_days, pem_encode, random_alnum, random_bytes, random_digits};
use crate::SandboxError;

const MANIFEST: &str = "sandbox.json";
const MERCHANT_KEY: &str = "apiclient_key.pem";
const MERCHANT_CERT: &str = "apiclient_cert.pem";
const SUB_KEY: &str = "sub_apiclient_key.pem";
const SUB_CERT: &str = "sub_apiclient_cert.pem";
const PLATFORM_CERT: &str = "platform_cert.pem";
const PLATFORM_CERT_KEY: &str = "platform_cert_key.pem";
const PUB_KEY: &str = "pub_key.pem";
const PUB_KEY_PRIVATE: &str = "pub_key_private.pem";
const APIV2_KEY: &str = "apiv2_key.txt";
const APIV3_KEY: &str = "apiv3_key.txt";

/// The ids of a key set, as written to `sandbox.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version of this file (1).
    pub format: u32,
    /// The merchant's (provider's) appid.
    pub appid: String,
    /// The merchant's (provider's) mch_id.
    pub mch_id: String,
    /// The sub-merchant's appid.
    pub sub_appid: String,
    /// The sub-merchant's mch_id.
    pub sub_mch_id: String,
    /// Serial of the merchant API certificate (`serial_no` of `Authorization`).
    pub merchant_serial: String,
    /// Serial of the sub-merchant API certificate (`sub_serial_no`).
    pub sub_merchant_serial: String,
    /// Serial of the platform certificate.
    pub platform_serial: String,
    /// Id of the platform public key.
    pub pub_key_id: String,
    /// File names in the directory, by role.
    pub files: std::collections::BTreeMap<String, String>,
}

/// Everything a merchant-side client needs to talk to the sandbox.
///
/// `Debug` shows ids and serials only; keys print as `[REDACTED]`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Credentials {
    /// The merchant's (provider's) appid.
    pub appid: String,
    /// The merchant's (provider's) mch_id.
    pub mch_id: String,
    /// The sub-merchant's appid (provider mode).
    pub sub_appid: String,
    /// The sub-merchant's mch_id (provider mode).
    pub sub_mch_id: String,
    /// The v2 API key (signs get_wxpayface_authinfo; in provider mode the provider's).
    pub api_v2_key: String,
    /// The APIv3 key (decrypts `/v3/certificates`).
    pub api_v3_key: String,
    /// Merchant (provider) API private key, PKCS#8 PEM.
    pub merchant_key_pem: String,
    /// Merchant API certificate, PEM.
    pub merchant_cert_pem: String,
    /// Merchant API certificate serial (`serial_no`).
    pub merchant_serial: String,
    /// Sub-merchant (hospital) API private key, PKCS#8 PEM: decrypts provider-mode answers.
    pub sub_merchant_key_pem: String,
    /// Sub-merchant API certificate, PEM.
    pub sub_merchant_cert_pem: String,
    /// Sub-merchant API certificate serial (`sub_serial_no`).
    pub sub_merchant_serial: String,
    /// Platform certificate, PEM.
    pub platform_cert_pem: String,
    /// Platform certificate serial.
    pub platform_serial: String,
    /// Platform public key, SPKI PEM (`PUBLIC KEY`).
    pub platform_public_key_pem: String,
    /// Platform public key id (`PUB_KEY_ID_…`).
    pub pub_key_id: String,
    /// The padding the sandbox encrypts real-name fields with.
    #[zeroize(skip)]
    pub padding: Padding,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .field("sub_appid", &self.sub_appid)
            .field("sub_mch_id", &self.sub_mch_id)
            .field("merchant_serial", &self.merchant_serial)
            .field("sub_merchant_serial", &self.sub_merchant_serial)
            .field("platform_serial", &self.platform_serial)
            .field("pub_key_id", &self.pub_key_id)
            .field("padding", &self.padding)
            .field("keys", &"[REDACTED]")
            .finish()
    }
}

/// A complete, self-consistent key set.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct KeySet {
    #[zeroize(skip)]
    pub manifest: Manifest,
    pub api_v2_key: String,
    pub api_v3_key: String,
    pub merchant_key: String,
    pub merchant_cert: String,
    pub sub_key: String,
    pub sub_cert: String,
    pub platform_cert: String,
    pub platform_cert_key: String,
    pub pub_key: String,
    pub pub_key_private: String,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

fn keys_err(what: &str) -> impl Fn(String) -> SandboxError + '_ {
    move |e| SandboxError::Keys(format!("{what}: {e}"))
}

/// A fresh 2048-bit RSA key: (PKCS#8 PEM, SPKI DER).
fn generate_rsa() -> Result<(Zeroizing<String>, Vec<u8>), SandboxError> {
    let kp = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| SandboxError::Keys("RSA key generation failed".into()))?;
    let pkcs8 = kp
        .as_der()
        .map_err(|_| SandboxError::Keys("could not encode an RSA key as PKCS#8".into()))?;
    let spki = kp
        .public_key()
        .as_der()
        .map_err(|_| SandboxError::Keys("could not encode an RSA public key".into()))?;
    Ok((
        Zeroizing::new(pem_encode("PRIVATE KEY", pkcs8.as_ref())),
        spki.as_ref().to_vec(),
    ))
}

/// A certificate serial of 20 bytes: 40 uppercase hex digits, like WeChat's.
fn new_serial() -> Vec<u8> {
    let mut s = random_bytes(20);
    // Positive, and no leading zero byte, so the hex form keeps 40 digits.
    s[0] = (s[0] & 0x7F) | 0x10;
    s
}

fn ymd(unix: u64) -> (i32, u8, u8) {
    let (y, m, d) = civil_from_days((unix / 86_400) as i64);
    (y as i32, m as u8, d as u8)
}

/// A self-signed certificate for `key_pem` with the given subject.
fn self_signed(
    key_pem: &str,
    common_name: &str,
    org_unit: &str,
    now: u64,
    years: u64,
) -> Result<(String, String), SandboxError> {
    let key = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(key_pem, &PKCS_RSA_SHA256)
        .map_err(|e| SandboxError::Keys(format!("certificate key: {e}")))?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "wxface sandbox (not WeChat Pay)");
    dn.push(DnType::OrganizationalUnitName, org_unit);
    dn.push(DnType::CountryName, "CN");
    params.distinguished_name = dn;
    let (y, m, d) = ymd(now.saturating_sub(86_400));
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(now + years * 365 * 86_400);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    params.serial_number = Some(SerialNumber::from_slice(&new_serial()));
    let cert = params
        .self_signed(&key)
        .map_err(|e| SandboxError::Keys(format!("certificate: {e}")))?;
    let pem_text = cert.pem();
    let info = pem::certificate_from_pem(&pem_text)
        .map_err(|e| SandboxError::Keys(format!("generated certificate: {e}")))?;
    Ok((pem_text, info.serial_hex))
}

impl KeySet {
    /// Generate a complete key set for `ids`.
    pub(crate) fn generate(ids: &MerchantIds) -> Result<Self, SandboxError> {
        let now = SystemClock.now().as_secs();
        let (merchant_key, _) = generate_rsa()?;
        let (sub_key, _) = generate_rsa()?;
        let (platform_cert_key, _) = generate_rsa()?;
        let (pub_key_private, pub_spki) = generate_rsa()?;
        let (merchant_cert, merchant_serial) = self_signed(
            &merchant_key,
            &ids.mch_id,
            "merchant API certificate",
            now,
            5,
        )?;
        let (sub_cert, sub_serial) = self_signed(
            &sub_key,
            &ids.sub_mch_id,
            "sub-merchant API certificate",
            now,
            5,
        )?;
        let (platform_cert, platform_serial) = self_signed(
            &platform_cert_key,
            "wxface sandbox platform certificate",
            "platform certificate",
            now,
            5,
        )?;
        let (y, m, d) = civil_from_days((now / 86_400) as i64);
        let pub_key_id = format!(
            "PUB_KEY_ID_01{}{y:04}{m:02}{d:02}{}",
            ids.mch_id,
            random_digits(10)
        );
        let files = [
            ("merchant_key", MERCHANT_KEY),
            ("merchant_cert", MERCHANT_CERT),
            ("sub_merchant_key", SUB_KEY),
            ("sub_merchant_cert", SUB_CERT),
            ("platform_cert", PLATFORM_CERT),
            ("platform_cert_key", PLATFORM_CERT_KEY),
            ("pub_key", PUB_KEY),
            ("pub_key_private", PUB_KEY_PRIVATE),
            ("api_v2_key", APIV2_KEY),
            ("api_v3_key", APIV3_KEY),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Ok(Self {
            manifest: Manifest {
                format: 1,
                appid: ids.appid.clone(),
                mch_id: ids.mch_id.clone(),
                sub_appid: ids.sub_appid.clone(),
                sub_mch_id: ids.sub_mch_id.clone(),
                merchant_serial,
                sub_merchant_serial: sub_serial,
                platform_serial,
                pub_key_id,
                files,
            },
            api_v2_key: random_alnum(32),
            api_v3_key: random_alnum(32),
            merchant_key: merchant_key.to_string(),
            merchant_cert,
            sub_key: sub_key.to_string(),
            sub_cert,
            platform_cert,
            platform_cert_key: platform_cert_key.to_string(),
            pub_key: pem_encode("PUBLIC KEY", &pub_spki),
            pub_key_private: pub_key_private.to_string(),
        })
    }

    /// Reuse the key set in `dir` when it has a manifest, else generate one
    /// for `ids` (or the defaults) and write it there.
    pub(crate) fn load_or_generate(
        dir: &Path,
        ids: Option<&MerchantIds>,
    ) -> Result<(Self, bool), SandboxError> {
        if dir.join(MANIFEST).exists() {
            let set = Self::load(dir)?;
            if let Some(ids) = ids {
                let m = &set.manifest;
                if ids.appid != m.appid
                    || ids.mch_id != m.mch_id
                    || ids.sub_appid != m.sub_appid
                    || ids.sub_mch_id != m.sub_mch_id
                {
                    return Err(SandboxError::Config(format!(
                        "the keys in {} were made for other merchant ids than the config's `[merchant]`; use another keys directory",
                        dir.display()
                    )));
                }
            }
            Ok((set, false))
        } else {
            let set = Self::generate(&ids.cloned().unwrap_or_default())?;
            set.write(dir)?;
            Ok((set, true))
        }
    }

    /// Read a key set written by [`KeySet::write`] and check that it is consistent.
    pub(crate) fn load(dir: &Path) -> Result<Self, SandboxError> {
        let read = |name: &str| -> Result<String, SandboxError> {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| SandboxError::Keys(format!("cannot read {name}: {e}")))
        };
        let manifest: Manifest = serde_json::from_str(&read(MANIFEST)?)
            .map_err(|e| keys_err(MANIFEST)(wxface_core::redact::json_error(&e)))?;
        if manifest.format != 1 {
            return Err(SandboxError::Keys(format!(
                "{MANIFEST}: unknown format {}",
                manifest.format
            )));
        }
        let set = Self {
            api_v2_key: read(APIV2_KEY)?.trim().to_owned(),
            api_v3_key: read(APIV3_KEY)?.trim().to_owned(),
            merchant_key: read(MERCHANT_KEY)?,
            merchant_cert: read(MERCHANT_CERT)?,
            sub_key: read(SUB_KEY)?,
            sub_cert: read(SUB_CERT)?,
            platform_cert: read(PLATFORM_CERT)?,
            platform_cert_key: read(PLATFORM_CERT_KEY)?,
            pub_key: read(PUB_KEY)?,
            pub_key_private: read(PUB_KEY_PRIVATE)?,
            manifest,
        };
        set.check()?;
        Ok(set)
    }

    /// Every certificate serial matches the manifest, every key parses, the
    /// symmetric keys have 32 characters.
    fn check(&self) -> Result<(), SandboxError> {
        let m = &self.manifest;
        for (name, cert, serial) in [
            (MERCHANT_CERT, &self.merchant_cert, &m.merchant_serial),
            (SUB_CERT, &self.sub_cert, &m.sub_merchant_serial),
            (PLATFORM_CERT, &self.platform_cert, &m.platform_serial),
        ] {
            let info =
                pem::certificate_from_pem(cert).map_err(|e| keys_err(name)(e.to_string()))?;
            if !info.serial_hex.eq_ignore_ascii_case(serial) {
                return Err(SandboxError::Keys(format!(
                    "{name}: serial differs from {MANIFEST}"
                )));
            }
        }
        for (name, key) in [
            (MERCHANT_KEY, &self.merchant_key),
            (SUB_KEY, &self.sub_key),
            (PLATFORM_CERT_KEY, &self.platform_cert_key),
            (PUB_KEY_PRIVATE, &self.pub_key_private),
        ] {
            pem::private_key_pkcs8_der_from_pem(key).map_err(|e| keys_err(name)(e.to_string()))?;
        }
        pem::public_key_spki_der_from_pem(&self.pub_key)
            .map_err(|e| keys_err(PUB_KEY)(e.to_string()))?;
        for (name, k) in [(APIV2_KEY, &self.api_v2_key), (APIV3_KEY, &self.api_v3_key)] {
            if k.len() != 32 || !k.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(SandboxError::Keys(format!(
                    "{name} must hold 32 printable ASCII characters"
                )));
            }
        }
        if !m.pub_key_id.starts_with(wxface_core::v3::PUB_KEY_ID_PREFIX) {
            return Err(SandboxError::Keys(format!(
                "{MANIFEST}: pub_key_id must start with PUB_KEY_ID_"
            )));
        }
        Ok(())
    }

    /// Write every file into `dir` (created if needed).
    pub(crate) fn write(&self, dir: &Path) -> Result<(), SandboxError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SandboxError::Keys(format!("cannot create {}: {e}", dir.display())))?;
        restrict(dir, 0o700);
        let secret = |name: &str, body: &str| write_file(&dir.join(name), body, true);
        let public = |name: &str, body: &str| write_file(&dir.join(name), body, false);
        secret(MERCHANT_KEY, &self.merchant_key)?;
        public(MERCHANT_CERT, &self.merchant_cert)?;
        secret(SUB_KEY, &self.sub_key)?;
        public(SUB_CERT, &self.sub_cert)?;
        public(PLATFORM_CERT, &self.platform_cert)?;
        secret(PLATFORM_CERT_KEY, &self.platform_cert_key)?;
        public(PUB_KEY, &self.pub_key)?;
        secret(PUB_KEY_PRIVATE, &self.pub_key_private)?;
        secret(APIV2_KEY, &format!("{}\n", self.api_v2_key))?;
        secret(APIV3_KEY, &format!("{}\n", self.api_v3_key))?;
        let manifest = serde_json::to_string_pretty(&self.manifest)
            .map_err(|e| keys_err(MANIFEST)(wxface_core::redact::json_error(&e)))?;
        // The manifest last: its presence means the set is complete.
        public(MANIFEST, &(manifest + "\n"))
    }

    /// The credentials for a merchant-side client.
    pub(crate) fn credentials(&self, padding: Padding) -> Credentials {
        let m = &self.manifest;
        Credentials {
            appid: m.appid.clone(),
            mch_id: m.mch_id.clone(),
            sub_appid: m.sub_appid.clone(),
            sub_mch_id: m.sub_mch_id.clone(),
            api_v2_key: self.api_v2_key.clone(),
            api_v3_key: self.api_v3_key.clone(),
            merchant_key_pem: self.merchant_key.clone(),
            merchant_cert_pem: self.merchant_cert.clone(),
            merchant_serial: m.merchant_serial.clone(),
            sub_merchant_key_pem: self.sub_key.clone(),
            sub_merchant_cert_pem: self.sub_cert.clone(),
            sub_merchant_serial: m.sub_merchant_serial.clone(),
            platform_cert_pem: self.platform_cert.clone(),
            platform_serial: m.platform_serial.clone(),
            platform_public_key_pem: self.pub_key.clone(),
            pub_key_id: m.pub_key_id.clone(),
            padding,
        }
    }
}

fn write_file(path: &PathBuf, body: &str, secret: bool) -> Result<(), SandboxError> {
    std::fs::write(path, body)
        .map_err(|e| SandboxError::Keys(format!("cannot write {}: {e}", path.display())))?;
    if secret {
        restrict(path, 0o600);
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    // Best effort: a filesystem without Unix modes keeps its defaults.
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_write_load_round_trip() {
        let dir = std::env::temp_dir().join(format!("wxface-sbx-keys-{}", random_alnum(8)));
        let (set, fresh) = KeySet::load_or_generate(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(fresh);
        assert_eq!(set.manifest.merchant_serial.len(), 40);
        assert_ne!(set.manifest.merchant_serial, set.manifest.platform_serial);
        assert!(set.manifest.pub_key_id.starts_with("PUB_KEY_ID_01"));
        let (again, fresh) = KeySet::load_or_generate(&dir, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(!fresh);
        assert_eq!(again.manifest, set.manifest);
        assert_eq!(again.api_v3_key, set.api_v3_key);
        let other = MerchantIds {
            mch_id: "1900009999".into(),
            ..MerchantIds::default()
        };
        assert!(KeySet::load_or_generate(&dir, Some(&other)).is_err());
        let creds = set.credentials(Padding::Pkcs1v15);
        let shown = format!("{creds:?} {set:?}");
        assert!(!shown.contains("PRIVATE"), "{shown}");
        assert!(!shown.contains(&set.api_v2_key), "{shown}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
