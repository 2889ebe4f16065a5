//! Sandbox configuration: code, a TOML file or a JSON file.
//!
//! ```toml
//! authinfo_ttl_secs = 7200        # expires_in of get_wxpayface_authinfo
//! face_sid_ttl_secs = 600         # how long a face_sid can be queried
//! padding = "pkcs1v15"            # or "oaep-sha1": encryption of the real-name fields
//! real_name_shape = "nested"      # or "flat": where the encrypted fields sit
//! platform_keys = "both"          # "certificate" | "public_key"
//! default_platform_key = "certificate"  # signs answers when the request sends no Wechatpay-Serial
//! v2_now_window_secs = 300        # `now` of get_wxpayface_authinfo must be this close; 0 = no check
//! request_window_secs = 300       # APIv3 Authorization timestamp window
//! openid_with_face_sid = false  # true: recognition answers openid with face_sid (older behaviour)
//! default_person = "patient-a"
//!
//! [merchant]                      # optional: ids used when keys are generated
//! appid = "wx00000000sandbox1"
//! mch_id = "1900000001"
//! sub_appid = "wx00000000sandbox2"
//! sub_mch_id = "1900000002"
//!
//! [[identities]]                  # optional: replaces the built-in test persons
//! key = "p1"
//! name = "测试患者子"
//! credential_type = 1
//! credential_id = "110101199003071233"
//! openid = "o_p1"
//! sub_openid = "o_sub_p1"
//! union_id = "u_p1"
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use wxface_core::crypto::Padding;

use crate::identity::{default_identities, SandboxIdentity};
use crate::SandboxError;

/// Where the encrypted real-name fields sit in the identity answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RealNameShape {
    /// `{"real_name_info": {"encrypted_real_name", "credential_type", "encrypted_credential_id"}}`
    /// (the source document's table).
    #[default]
    Nested,
    /// The three fields at the top level.
    Flat,
}

/// Which platform keys the emulated merchant has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformKeys {
    /// A platform certificate and a platform public key (a merchant in the
    /// middle of the certificate → public key migration).
    #[default]
    Both,
    /// Only a platform certificate (an older merchant).
    Certificate,
    /// Only a platform public key (`PUB_KEY_ID_…`; merchants registered after
    /// the migration). `/v3/certificates` then answers 404 `NOT_FOUND`.
    PublicKey,
}

/// One of the two platform keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformKeyChoice {
    /// The platform certificate (answers carry its serial).
    #[default]
    Certificate,
    /// The platform public key (answers carry `PUB_KEY_ID_…`).
    PublicKey,
}

/// Merchant ids. In provider mode `mch_id`/`appid` are the provider's and
/// `sub_mch_id`/`sub_appid` the hospital's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantIds {
    /// The merchant's (or provider's) appid.
    pub appid: String,
    /// The merchant's (or provider's) mch_id.
    pub mch_id: String,
    /// The sub-merchant's appid (provider mode).
    pub sub_appid: String,
    /// The sub-merchant's mch_id (provider mode).
    pub sub_mch_id: String,
}

impl Default for MerchantIds {
    fn default() -> Self {
        Self {
            appid: "wx00000000sandbox1".into(),
            mch_id: "1900000001".into(),
            sub_appid: "wx00000000sandbox2".into(),
            sub_mch_id: "1900000002".into(),
        }
    }
}

impl MerchantIds {
    fn validate(&self) -> Result<(), SandboxError> {
        for (field, v) in [
            ("appid", &self.appid),
            ("mch_id", &self.mch_id),
            ("sub_appid", &self.sub_appid),
            ("sub_mch_id", &self.sub_mch_id),
        ] {
            if v.is_empty()
                || v.len() > 32
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(SandboxError::Config(format!(
                    "merchant.{field} must be 1-32 letters, digits, `_` or `-`"
                )));
            }
        }
        if self.mch_id == self.sub_mch_id {
            return Err(SandboxError::Config(
                "merchant.sub_mch_id must differ from merchant.mch_id".into(),
            ));
        }
        Ok(())
    }
}

fn padding_ser<S: Serializer>(p: &Padding, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.as_str())
}

fn padding_de<'de, D: Deserializer<'de>>(d: D) -> Result<Padding, D::Error> {
    let s = String::deserialize(d)?;
    s.parse()
        .map_err(|_| serde::de::Error::custom("padding must be `pkcs1v15` or `oaep-sha1`"))
}

/// Everything a sandbox is started with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Address to listen on (default `127.0.0.1`).
    pub host: String,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Directory with the key set: reused when it holds one, else generated
    /// there. `None`: a fresh key set kept in memory only.
    pub keys_dir: Option<PathBuf>,
    /// Merchant ids for a generated key set (a reused directory keeps its own;
    /// a different value here is refused). `None`: [`MerchantIds::default`].
    pub merchant: Option<MerchantIds>,
    /// `expires_in` of every authinfo, seconds (default 7200).
    pub authinfo_ttl_secs: u64,
    /// How long a face_sid stays queryable after recognition, seconds (default 600).
    pub face_sid_ttl_secs: u64,
    /// RSA padding of `encrypted_real_name` / `encrypted_credential_id`.
    #[serde(serialize_with = "padding_ser", deserialize_with = "padding_de")]
    pub padding: Padding,
    /// Nested `real_name_info` (default) or flat fields.
    pub real_name_shape: RealNameShape,
    /// Which platform keys exist.
    pub platform_keys: PlatformKeys,
    /// Which key signs answers when the request names none (with `Both`).
    pub default_platform_key: PlatformKeyChoice,
    /// Accepted distance of `now` in get_wxpayface_authinfo, seconds; 0 disables the check.
    pub v2_now_window_secs: u64,
    /// Accepted distance of the APIv3 `Authorization` timestamp, seconds.
    pub request_window_secs: u64,
    /// Whether recognition (`getWxpayfaceCode`, FACE_AUTH) answers `openid`
    /// (and `sub_openid`) along with `face_sid`. Default `false`: the spec's
    /// table ("返回face_sid时不返回openId"), so the merchant server resolves
    /// the openid itself (`facemch/users` with `ASK_UNIONID`). `true` is the
    /// sandbox's older behaviour, for kiosks and tests that rely on it. The
    /// old name `return_openid_with_face_sid` is still read.
    #[serde(alias = "return_openid_with_face_sid")]
    pub openid_with_face_sid: bool,
    /// The person recognised when the SDK names none (default: the first identity).
    pub default_person: Option<String>,
    /// The test persons (default: [`default_identities`]).
    pub identities: Vec<SandboxIdentity>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            keys_dir: None,
            merchant: None,
            authinfo_ttl_secs: 7200,
            face_sid_ttl_secs: 600,
            padding: Padding::Pkcs1v15,
            real_name_shape: RealNameShape::Nested,
            platform_keys: PlatformKeys::Both,
            default_platform_key: PlatformKeyChoice::Certificate,
            v2_now_window_secs: 300,
            request_window_secs: 300,
            openid_with_face_sid: false,
            default_person: None,
            identities: default_identities(),
        }
    }
}

impl SandboxConfig {
    /// Read a config file: TOML when the name ends in `.toml`, else JSON.
    /// Fields left out keep their defaults.
    ///
    /// # Errors
    /// [`SandboxError::Config`] when the file cannot be read or parsed.
    pub fn from_file(path: &Path) -> Result<Self, SandboxError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SandboxError::Config(format!("cannot read {}: {e}", path.display())))?;
        let is_toml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        if is_toml {
            Self::from_toml(&text)
        } else {
            Self::from_json(&text)
        }
    }

    /// Parse TOML.
    ///
    /// # Errors
    /// [`SandboxError::Config`] with the parser's message, values left out.
    pub fn from_toml(text: &str) -> Result<Self, SandboxError> {
        // The file holds identities: the parser's message must not quote them.
        toml::from_str(text).map_err(|e| {
            SandboxError::Config(format!(
                "config: {}",
                wxface_core::redact::serde_message(e.message())
            ))
        })
    }

    /// Parse JSON.
    ///
    /// # Errors
    /// [`SandboxError::Config`] with the parser's message, values left out.
    pub fn from_json(text: &str) -> Result<Self, SandboxError> {
        serde_json::from_str(text).map_err(|e| {
            SandboxError::Config(format!("config: {}", wxface_core::redact::json_error(&e)))
        })
    }

    /// Check the configuration.
    ///
    /// # Errors
    /// [`SandboxError::Config`] naming what is wrong (never an identity's values).
    pub fn validate(&self) -> Result<(), SandboxError> {
        if let Some(m) = &self.merchant {
            m.validate()?;
        }
        if self.authinfo_ttl_secs == 0 || self.face_sid_ttl_secs == 0 {
            return Err(SandboxError::Config(
                "authinfo_ttl_secs and face_sid_ttl_secs must be positive".into(),
            ));
        }
        if wxface_core::v3::check_window(self.request_window_secs).is_err() {
            return Err(SandboxError::Config(format!(
                "request_window_secs must be 1 to {} s",
                wxface_core::v3::MAX_WINDOW_SECS
            )));
        }
        if self.identities.is_empty() {
            return Err(SandboxError::Config(
                "at least one identity is needed".into(),
            ));
        }
        let mut keys = std::collections::HashSet::new();
        for i in &self.identities {
            i.validate().map_err(SandboxError::Config)?;
            if !keys.insert(i.key.as_str()) {
                return Err(SandboxError::Config(format!(
                    "identity key `{}` appears twice",
                    wxface_core::redact::field_name(&i.key)
                )));
            }
        }
        if let Some(p) = &self.default_person {
            if !keys.contains(p.as_str()) {
                return Err(SandboxError::Config(format!(
                    "default_person `{}` is not an identity key",
                    wxface_core::redact::field_name(p)
                )));
            }
        }
        match (self.platform_keys, self.default_platform_key) {
            (PlatformKeys::Certificate, PlatformKeyChoice::PublicKey) => Err(SandboxError::Config(
                "default_platform_key = public_key needs platform_keys = both or public_key".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The key that signs an answer whose request named no platform key.
    pub(crate) fn effective_default_key(&self) -> PlatformKeyChoice {
        match self.platform_keys {
            PlatformKeys::Both => self.default_platform_key,
            PlatformKeys::Certificate => PlatformKeyChoice::Certificate,
            PlatformKeys::PublicKey => PlatformKeyChoice::PublicKey,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_keep_defaults() {
        let c = SandboxConfig::from_toml("padding = \"oaep-sha1\"\nreal_name_shape = \"flat\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.padding, Padding::OaepSha1);
        assert_eq!(c.real_name_shape, RealNameShape::Flat);
        assert_eq!(c.authinfo_ttl_secs, 7200);
        assert_eq!(c.identities.len(), 5);
        let c = SandboxConfig::from_json(r#"{"platform_keys":"public_key"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.effective_default_key(), PlatformKeyChoice::PublicKey);
        assert!(SandboxConfig::from_json(r#"{"nonsense":1}"#).is_err());
        assert!(SandboxConfig::from_toml("padding = \"none\"").is_err());
        c.validate().unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn identities_from_toml() {
        let c = SandboxConfig::from_toml(
            r#"
default_person = "p1"
[[identities]]
key = "p1"
name = "测试患者子"
credential_type = 1
credential_id = "110101199003071233"
openid = "o_p1"
sub_openid = "o_sub_p1"
union_id = "u_p1"
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        c.validate().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.identities.len(), 1);
        let bad = SandboxConfig {
            default_person: Some("nobody".into()),
            ..SandboxConfig::default()
        };
        assert!(bad.validate().is_err());
    }
}
