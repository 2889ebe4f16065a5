//! [`ClientSettings`]: a merchant-client configuration from named options,
//! the `WXFACE_*` environment and a sandbox key set, checked and loaded by
//! [`ClientSettings::build`]. The one implementation behind the CLI's
//! `wxface merchant serve`, Python's `ClientConfig(**options)` and Node's
//! `ClientSettings`.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::mem;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use wxface_core::crypto::{self, pem, CryptoProvider, Padding, PrivateKey};
use wxface_core::decrypt::Decryptor;
use wxface_core::v2::{ApiKey, SignType};
use wxface_core::v3::MAX_WINDOW_SECS;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{ClientConfig, ProxySetting};
use crate::certificates::ApiV3Key;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

type Secret = Zeroizing<String>;

/// Largest file read for an option (a PEM key, an API key), in bytes.
const MAX_FILE: u64 = 1 << 20;

/// Longest duration option, in seconds (exclusive).
const MAX_SECONDS: f64 = 86_400.0;

/// Most retries accepted (the client's own limit).
const MAX_RETRIES: u32 = 10;

/// The configuration of a [`MerchantClient`](crate::MerchantClient) as named
/// options: set them from code ([`set`](Self::set) or the fields), from the
/// `WXFACE_*` environment ([`from_env`](Self::from_env),
/// [`merge_env`](Self::merge_env)), from a sandbox key set (`keys_dir`), or
/// deserialize them (snake_case names, unknown names refused); then
/// [`build`](Self::build) checks everything and loads the keys.
///
/// Nothing is checked before `build` except each value's type. Files
/// (`*_file`, `keys_dir`) are read by `build`. Errors name the option,
/// never its value; `Debug` shows ids, serials and URLs, never a key or a
/// file's path.
///
// The reference of every option, in the documentation only: a build from a
// source distribution (the Python sdist) has no docs/ directory.
#[cfg_attr(doc, doc = include_str!("../../../docs/configuration.md"))]
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ClientSettings {
    /// `appid` (in provider mode: the provider's).
    pub appid: Option<String>,
    /// `mch_id` (in provider mode: the provider's).
    pub mch_id: Option<String>,
    /// The v2 API key (signs `get_wxpayface_authinfo`).
    #[serde(deserialize_with = "secret")]
    pub v2_key: Option<Secret>,
    /// A file holding the v2 API key (surrounding whitespace ignored).
    pub v2_key_file: Option<PathBuf>,
    /// `MD5` (default) or `HMAC-SHA256`.
    pub sign_type: Option<String>,
    /// Serial of the merchant API certificate.
    pub merchant_serial_no: Option<String>,
    /// The merchant API private key (PEM, PKCS#1 or PKCS#8).
    #[serde(deserialize_with = "secret")]
    pub merchant_key_pem: Option<Secret>,
    /// A file holding the merchant API private key.
    pub merchant_key_file: Option<PathBuf>,
    /// The APIv3 key (downloads platform certificates).
    #[serde(deserialize_with = "secret")]
    pub apiv3_key: Option<Secret>,
    /// A file holding the APIv3 key (surrounding whitespace ignored).
    pub apiv3_key_file: Option<PathBuf>,
    /// Id of WeChat Pay's platform public key (`PUB_KEY_ID_…`).
    pub platform_public_key_id: Option<String>,
    /// The platform public key (PEM).
    pub platform_public_key_pem: Option<String>,
    /// A file holding the platform public key.
    pub platform_public_key_file: Option<PathBuf>,
    /// Platform certificates (PEM).
    pub platform_certificate_pem: Vec<String>,
    /// Files holding platform certificates.
    pub platform_certificate_file: Vec<PathBuf>,
    /// Serials of platform certificates trusted for the first download.
    pub pinned_platform_serials: Vec<String>,
    /// Provider mode (服务商): the sub-merchant (hospital) id.
    pub sub_mch_id: Option<String>,
    /// Provider mode: the sub-merchant's appid.
    pub sub_appid: Option<String>,
    /// Provider mode: serial of the sub-merchant certificate whose key
    /// encrypts the real-name fields.
    pub sub_serial_no: Option<String>,
    /// The private key that decrypts real-name fields (PEM). Direct mode
    /// defaults to the merchant key.
    #[serde(deserialize_with = "secret")]
    pub decrypt_key_pem: Option<Secret>,
    /// A file holding that key.
    pub decrypt_key_file: Option<PathBuf>,
    /// Padding of the real-name fields: `pkcs1v15` (default) or `oaep-sha1`.
    pub padding: Option<String>,
    /// Default `store_id` of authinfo requests.
    pub store_id: Option<String>,
    /// Default `store_name` of authinfo requests.
    pub store_name: Option<String>,
    /// Base URL of both WeChat Pay hosts (a sandbox); `payapp_base_url` and
    /// `apimch_base_url` win over it.
    pub base_url: Option<String>,
    /// Base URL of `get_wxpayface_authinfo` (default `https://payapp.weixin.qq.com`).
    pub payapp_base_url: Option<String>,
    /// Base URL of APIv3 (default `https://api.mch.weixin.qq.com`).
    pub apimch_base_url: Option<String>,
    /// Where APIv3 GETs go when the APIv3 host cannot be reached, or `none`
    /// (default: `https://api2.mch.weixin.qq.com` with the production host,
    /// none with a base URL of your own).
    pub apimch_backup_base_url: Option<String>,
    /// How requests reach WeChat Pay: `env` (the `HTTPS_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY` variables; the default), `system` (the operating system's
    /// settings on Windows and macOS), `none`, or a proxy URL (`http://`,
    /// `https://`, `socks5://`, `socks5h://`, with `user:password@` when it
    /// needs credentials). Never printed: it may hold a password.
    #[serde(deserialize_with = "secret")]
    pub proxy: Option<Secret>,
    /// With a proxy URL: the hosts reached directly (the `NO_PROXY` syntax,
    /// comma-separated).
    pub no_proxy: Option<String>,
    /// Total timeout of each attempt, seconds (default 10).
    pub timeout: Option<f64>,
    /// Connect timeout of each attempt, seconds (default 5).
    pub connect_timeout: Option<f64>,
    /// Retries of retryable failures (default 2, at most 10).
    pub max_retries: Option<u32>,
    /// Delay before the first retry, seconds (default 0.2).
    pub retry_backoff: Option<f64>,
    /// How long before its expiry a cached authinfo stops being reused,
    /// seconds (default 300).
    pub authinfo_refresh_margin: Option<f64>,
    /// Accepted distance of an answer's `Wechatpay-Timestamp` from now,
    /// seconds (default 300, 1 to 900).
    pub response_window: Option<f64>,
    /// A key set written by the sandbox (`sandbox.json` and the files it
    /// names): fills every id and key not given otherwise. Needs `base_url`.
    pub keys_dir: Option<PathBuf>,
    /// A ready decryptor (bindings pass their native object here); wins
    /// over `decrypt_key_*` and the merchant key. Not an option: set the
    /// field.
    #[serde(skip)]
    pub decryptor: Option<Decryptor>,
}

/// One option's value as a binding or the environment has it, so that
/// native values need not be formatted first: text, a number, a list of
/// text, or a boolean. Each option takes the variants that make sense for it
/// (see [`ClientSettings::set`]). Wiped on drop: it may hold a key.
#[derive(Clone, PartialEq, Zeroize, ZeroizeOnDrop)]
pub enum SettingValue {
    /// Text: an id, a key, a path, a URL; a number for the numeric options;
    /// comma-separated items for the list options.
    Text(String),
    /// A number (seconds, or a count for `max_retries`).
    Number(f64),
    /// Several items (paths, PEMs, serials).
    List(Vec<String>),
    /// A boolean (no option takes one today: refused with the expected type).
    Bool(bool),
}

impl fmt::Debug for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(_) => f.write_str("Text(..)"),
            Self::Number(n) => write!(f, "Number({n})"),
            Self::List(v) => write!(f, "List([..; {}])", v.len()),
            Self::Bool(b) => write!(f, "Bool({b})"),
        }
    }
}

impl From<&str> for SettingValue {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for SettingValue {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<f64> for SettingValue {
    fn from(n: f64) -> Self {
        Self::Number(n)
    }
}

impl From<u32> for SettingValue {
    fn from(n: u32) -> Self {
        Self::Number(f64::from(n))
    }
}

impl From<bool> for SettingValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<Vec<String>> for SettingValue {
    fn from(v: Vec<String>) -> Self {
        Self::List(v)
    }
}

impl SettingValue {
    fn kind(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Number(_) => "a number",
            Self::List(_) => "a list",
            Self::Bool(_) => "a boolean",
        }
    }

    fn refuse(&self, option: &str, expected: &str) -> Error {
        Error::invalid(option, format!("must be {expected}, not {}", self.kind()))
    }

    fn text(&mut self, option: &str) -> Result<String> {
        match self {
            Self::Text(s) => Ok(mem::take(s)),
            _ => Err(self.refuse(option, "text")),
        }
    }

    fn secret(&mut self, option: &str) -> Result<Secret> {
        self.text(option).map(Zeroizing::new)
    }

    fn path(&mut self, option: &str) -> Result<PathBuf> {
        match self {
            Self::Text(s) => Ok(PathBuf::from(mem::take(s))),
            _ => Err(self.refuse(option, "a path")),
        }
    }

    /// A list; text is split at commas.
    fn list(&mut self, option: &str) -> Result<Vec<String>> {
        match self {
            Self::Text(s) => Ok(split_list(s)),
            Self::List(v) => Ok(mem::take(v)),
            _ => Err(self.refuse(option, "a list (or comma-separated text)")),
        }
    }

    /// One item or several (PEM texts hold commas, so text is one item).
    fn items(&mut self, option: &str) -> Result<Vec<String>> {
        match self {
            Self::Text(s) => Ok(vec![mem::take(s)]),
            Self::List(v) => Ok(mem::take(v)),
            _ => Err(self.refuse(option, "text or a list of text")),
        }
    }

    fn seconds(&mut self, option: &str) -> Result<f64> {
        let v = match self {
            Self::Number(n) => *n,
            Self::Text(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| Error::invalid(option, "must be a number of seconds"))?,
            _ => return Err(self.refuse(option, "a number of seconds")),
        };
        check_seconds(option, v)
    }

    fn count(&mut self, option: &str) -> Result<u32> {
        let bad = || Error::invalid(option, "must be a non-negative integer");
        match self {
            Self::Number(n) => {
                let n = *n;
                if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) {
                    // In range and integral: the conversion is exact.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    Ok(n as u32)
                } else {
                    Err(bad())
                }
            }
            Self::Text(s) => s.trim().parse::<u32>().map_err(|_| bad()),
            _ => Err(self.refuse(option, "a non-negative integer")),
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn check_seconds(option: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 && v < MAX_SECONDS {
        Ok(v)
    } else {
        Err(Error::invalid(
            option,
            "must be more than 0 and less than 86400 seconds",
        ))
    }
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Zeroizing::new))
}

/// The pair an option belongs to: `x_pem` and `x_file` (and `x`, `x_file`)
/// are one setting given two ways.
fn stem(option: &str) -> &str {
    option
        .strip_suffix("_pem")
        .or_else(|| option.strip_suffix("_file"))
        .unwrap_or(option)
}

/// `e` about `option`: a configuration message prefixed with it, an invalid
/// input moved onto it.
fn about(option: &str, e: Error) -> Error {
    match e {
        Error::Config(m) => Error::Config(format!("`{option}`: {m}")),
        Error::InvalidInput { reason, .. } => Error::InvalidInput {
            field: option.to_owned(),
            reason,
        },
        other => other,
    }
}

/// Read a text file for `option`; the error names the option, not the path
/// (a key given where a path was expected must not come back in a message).
fn read_text(option: &str, path: &Path) -> Result<Secret> {
    let io = |e: std::io::Error| Error::config(format!("`{option}`: cannot read the file: {e}"));
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(Error::config(format!(
            "`{option}`: the file is larger than 1 MiB"
        )));
    }
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(Zeroizing::new(s.to_owned())),
        Err(_) => Err(Error::config(format!(
            "`{option}`: the file is not UTF-8 text"
        ))),
    }
}

fn trimmed(s: &str) -> Secret {
    Zeroizing::new(s.trim().to_owned())
}

impl ClientSettings {
    /// Every option and the environment variable it falls back to.
    pub const ENV: &'static [(&'static str, &'static str)] = &[
        ("appid", "WXFACE_APPID"),
        ("mch_id", "WXFACE_MCH_ID"),
        ("v2_key", "WXFACE_V2_KEY"),
        ("v2_key_file", "WXFACE_V2_KEY_FILE"),
        ("sign_type", "WXFACE_SIGN_TYPE"),
        ("merchant_serial_no", "WXFACE_MERCHANT_SERIAL_NO"),
        ("merchant_key_pem", "WXFACE_MERCHANT_KEY_PEM"),
        ("merchant_key_file", "WXFACE_MERCHANT_KEY_FILE"),
        ("apiv3_key", "WXFACE_APIV3_KEY"),
        ("apiv3_key_file", "WXFACE_APIV3_KEY_FILE"),
        ("platform_public_key_id", "WXFACE_PLATFORM_PUBLIC_KEY_ID"),
        ("platform_public_key_pem", "WXFACE_PLATFORM_PUBLIC_KEY_PEM"),
        (
            "platform_public_key_file",
            "WXFACE_PLATFORM_PUBLIC_KEY_FILE",
        ),
        ("platform_certificate_pem", "WXFACE_PLATFORM_CERT_PEM"),
        ("platform_certificate_file", "WXFACE_PLATFORM_CERT_FILE"),
        ("pinned_platform_serials", "WXFACE_PINNED_PLATFORM_SERIALS"),
        ("sub_mch_id", "WXFACE_SUB_MCH_ID"),
        ("sub_appid", "WXFACE_SUB_APPID"),
        ("sub_serial_no", "WXFACE_SUB_SERIAL_NO"),
        ("decrypt_key_pem", "WXFACE_DECRYPT_KEY_PEM"),
        ("decrypt_key_file", "WXFACE_DECRYPT_KEY_FILE"),
        ("padding", "WXFACE_PADDING"),
        ("store_id", "WXFACE_STORE_ID"),
        ("store_name", "WXFACE_STORE_NAME"),
        ("base_url", "WXFACE_BASE_URL"),
        ("payapp_base_url", "WXFACE_PAYAPP_BASE_URL"),
        ("apimch_base_url", "WXFACE_APIMCH_BASE_URL"),
        ("apimch_backup_base_url", "WXFACE_APIMCH_BACKUP_BASE_URL"),
        ("proxy", "WXFACE_PROXY"),
        ("no_proxy", "WXFACE_NO_PROXY"),
        ("timeout", "WXFACE_TIMEOUT"),
        ("connect_timeout", "WXFACE_CONNECT_TIMEOUT"),
        ("max_retries", "WXFACE_MAX_RETRIES"),
        ("retry_backoff", "WXFACE_RETRY_BACKOFF"),
        ("authinfo_refresh_margin", "WXFACE_AUTHINFO_REFRESH_MARGIN"),
        ("response_window", "WXFACE_RESPONSE_WINDOW"),
        ("keys_dir", "WXFACE_KEYS_DIR"),
    ];

    /// Whether `option` is one of the options (the names of [`Self::ENV`]).
    pub fn is_option(option: &str) -> bool {
        Self::ENV.iter().any(|(o, _)| *o == option)
    }

    /// The environment variable of `option`.
    pub fn env_var(option: &str) -> Option<&'static str> {
        Self::ENV
            .iter()
            .find(|(o, _)| *o == option)
            .map(|(_, v)| *v)
    }

    /// Settings from the process environment only (see [`Self::ENV`]).
    ///
    /// # Errors
    /// As [`Self::merge_env`].
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Settings from `lookup(variable)` only: [`Self::from_env`] with
    /// another environment.
    ///
    /// # Errors
    /// As [`Self::merge_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut s = Self::default();
        s.merge_lookup(&[], lookup)?;
        Ok(s)
    }

    /// Fill, from the process environment, every option that is neither set
    /// already nor named in `given` (an option the caller passed as "none"
    /// counts as given). Empty variables are ignored. Pairs count as one:
    /// `x_pem`/`x_file` (and `v2_key`/`v2_key_file`, `apiv3_key`/
    /// `apiv3_key_file`) are both skipped when either is set or given, and a
    /// set or given `base_url` keeps `WXFACE_PAYAPP_BASE_URL` and
    /// `WXFACE_APIMCH_BASE_URL` out. Which options are taken is decided
    /// before any variable is applied, so two variables of one pair both
    /// apply (the later in [`Self::ENV`], the `_file`, wins).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on the option whose variable has the wrong
    /// type (the variable named, its value never).
    pub fn merge_env(&mut self, given: &[&str]) -> Result<()> {
        self.merge_lookup(given, |var| std::env::var(var).ok())
    }

    /// [`Self::merge_env`] with `lookup(variable)` as the environment.
    ///
    /// # Errors
    /// As [`Self::merge_env`].
    pub fn merge_lookup(
        &mut self,
        given: &[&str],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<()> {
        let taken: Vec<bool> = Self::ENV
            .iter()
            .map(|(option, _)| self.taken(given, option))
            .collect();
        for ((option, var), taken) in Self::ENV.iter().zip(taken) {
            if taken {
                continue;
            }
            let Some(value) = lookup(var) else {
                continue;
            };
            let value = SettingValue::Text(value);
            if matches!(&value, SettingValue::Text(t) if t.is_empty()) {
                continue;
            }
            self.set(option, value).map_err(|e| match e {
                Error::InvalidInput { field, reason } => Error::InvalidInput {
                    field,
                    reason: format!("{reason} (from {var})"),
                },
                Error::Config(m) => Error::Config(format!("{m} (from {var})")),
                other => other,
            })?;
        }
        Ok(())
    }

    /// Whether the environment must leave `option` alone.
    fn taken(&self, given: &[&str], option: &str) -> bool {
        let pair = stem(option);
        let given_or_set = |o: &str| given.contains(&o) || self.is_set(o);
        if Self::ENV
            .iter()
            .any(|(o, _)| stem(o) == pair && given_or_set(o))
        {
            return true;
        }
        matches!(option, "payapp_base_url" | "apimch_base_url") && given_or_set("base_url")
    }

    /// Whether `option` has a value.
    fn is_set(&self, option: &str) -> bool {
        match option {
            "appid" => self.appid.is_some(),
            "mch_id" => self.mch_id.is_some(),
            "v2_key" => self.v2_key.is_some(),
            "v2_key_file" => self.v2_key_file.is_some(),
            "sign_type" => self.sign_type.is_some(),
            "merchant_serial_no" => self.merchant_serial_no.is_some(),
            "merchant_key_pem" => self.merchant_key_pem.is_some(),
            "merchant_key_file" => self.merchant_key_file.is_some(),
            "apiv3_key" => self.apiv3_key.is_some(),
            "apiv3_key_file" => self.apiv3_key_file.is_some(),
            "platform_public_key_id" => self.platform_public_key_id.is_some(),
            "platform_public_key_pem" => self.platform_public_key_pem.is_some(),
            "platform_public_key_file" => self.platform_public_key_file.is_some(),
            "platform_certificate_pem" => !self.platform_certificate_pem.is_empty(),
            "platform_certificate_file" => !self.platform_certificate_file.is_empty(),
            "pinned_platform_serials" => !self.pinned_platform_serials.is_empty(),
            "sub_mch_id" => self.sub_mch_id.is_some(),
            "sub_appid" => self.sub_appid.is_some(),
            "sub_serial_no" => self.sub_serial_no.is_some(),
            "decrypt_key_pem" => self.decrypt_key_pem.is_some() || self.decryptor.is_some(),
            "decrypt_key_file" => self.decrypt_key_file.is_some(),
            "padding" => self.padding.is_some(),
            "store_id" => self.store_id.is_some(),
            "store_name" => self.store_name.is_some(),
            "base_url" => self.base_url.is_some(),
            "payapp_base_url" => self.payapp_base_url.is_some(),
            "apimch_base_url" => self.apimch_base_url.is_some(),
            "apimch_backup_base_url" => self.apimch_backup_base_url.is_some(),
            "proxy" => self.proxy.is_some(),
            "no_proxy" => self.no_proxy.is_some(),
            "timeout" => self.timeout.is_some(),
            "connect_timeout" => self.connect_timeout.is_some(),
            "max_retries" => self.max_retries.is_some(),
            "retry_backoff" => self.retry_backoff.is_some(),
            "authinfo_refresh_margin" => self.authinfo_refresh_margin.is_some(),
            "response_window" => self.response_window.is_some(),
            "keys_dir" => self.keys_dir.is_some(),
            _ => false,
        }
    }

    /// Set one option (replacing its value). Text options take `Text`;
    /// `*_file` and `keys_dir` a path as `Text`; the duration options
    /// (`timeout`, `connect_timeout`, `retry_backoff`,
    /// `authinfo_refresh_margin`, `response_window`, in seconds) and
    /// `max_retries` a `Number` or numeric `Text`;
    /// `pinned_platform_serials` and `platform_certificate_file` a `List` or
    /// comma-separated `Text`; `platform_certificate_pem` one PEM as `Text`
    /// or several as a `List`. Setting one half of a `_pem`/`_file` pair
    /// (or `v2_key`/`v2_key_file`, `apiv3_key`/`apiv3_key_file`) clears the
    /// other; the certificate lists are kept apart.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on `option` for a value of the wrong type or
    /// out of range, and for an unknown option (named only when it looks
    /// like a field name: a mapping of data spread into the options must not
    /// come back in the message). See [`Self::is_option`].
    pub fn set(&mut self, option: &str, value: SettingValue) -> Result<()> {
        let mut v = value;
        let o = option;
        match option {
            "appid" => self.appid = Some(v.text(o)?),
            "mch_id" => self.mch_id = Some(v.text(o)?),
            "v2_key" => {
                self.v2_key = Some(v.secret(o)?);
                self.v2_key_file = None;
            }
            "v2_key_file" => {
                self.v2_key_file = Some(v.path(o)?);
                self.v2_key = None;
            }
            "sign_type" => self.sign_type = Some(v.text(o)?),
            "merchant_serial_no" => self.merchant_serial_no = Some(v.text(o)?),
            "merchant_key_pem" => {
                self.merchant_key_pem = Some(v.secret(o)?);
                self.merchant_key_file = None;
            }
            "merchant_key_file" => {
                self.merchant_key_file = Some(v.path(o)?);
                self.merchant_key_pem = None;
            }
            "apiv3_key" => {
                self.apiv3_key = Some(v.secret(o)?);
                self.apiv3_key_file = None;
            }
            "apiv3_key_file" => {
                self.apiv3_key_file = Some(v.path(o)?);
                self.apiv3_key = None;
            }
            "platform_public_key_id" => self.platform_public_key_id = Some(v.text(o)?),
            "platform_public_key_pem" => {
                self.platform_public_key_pem = Some(v.text(o)?);
                self.platform_public_key_file = None;
            }
            "platform_public_key_file" => {
                self.platform_public_key_file = Some(v.path(o)?);
                self.platform_public_key_pem = None;
            }
            "platform_certificate_pem" => self.platform_certificate_pem = v.items(o)?,
            "platform_certificate_file" => {
                self.platform_certificate_file =
                    v.list(o)?.into_iter().map(PathBuf::from).collect();
            }
            "pinned_platform_serials" => self.pinned_platform_serials = v.list(o)?,
            "sub_mch_id" => self.sub_mch_id = Some(v.text(o)?),
            "sub_appid" => self.sub_appid = Some(v.text(o)?),
            "sub_serial_no" => self.sub_serial_no = Some(v.text(o)?),
            "decrypt_key_pem" => {
                self.decrypt_key_pem = Some(v.secret(o)?);
                self.decrypt_key_file = None;
            }
            "decrypt_key_file" => {
                self.decrypt_key_file = Some(v.path(o)?);
                self.decrypt_key_pem = None;
            }
            "padding" => self.padding = Some(v.text(o)?),
            "store_id" => self.store_id = Some(v.text(o)?),
            "store_name" => self.store_name = Some(v.text(o)?),
            "base_url" => self.base_url = Some(v.text(o)?),
            "payapp_base_url" => self.payapp_base_url = Some(v.text(o)?),
            "apimch_base_url" => self.apimch_base_url = Some(v.text(o)?),
            "apimch_backup_base_url" => self.apimch_backup_base_url = Some(v.text(o)?),
            "proxy" => self.proxy = Some(v.secret(o)?),
            "no_proxy" => self.no_proxy = Some(v.text(o)?),
            "timeout" => self.timeout = Some(v.seconds(o)?),
            "connect_timeout" => self.connect_timeout = Some(v.seconds(o)?),
            "max_retries" => self.max_retries = Some(v.count(o)?),
            "retry_backoff" => self.retry_backoff = Some(v.seconds(o)?),
            "authinfo_refresh_margin" => self.authinfo_refresh_margin = Some(v.seconds(o)?),
            "response_window" => self.response_window = Some(v.seconds(o)?),
            "keys_dir" => self.keys_dir = Some(v.path(o)?),
            other => {
                return Err(Error::invalid(
                    wxface_core::redact::field_name(other),
                    "is not a configuration option",
                ))
            }
        }
        Ok(())
    }

    /// Check everything, read the files, load the keys: the client
    /// configuration, and the decryptor of real-name fields when there is
    /// one (also installed in the configuration, for
    /// [`MerchantClient::real_name`](crate::MerchantClient::real_name)).
    ///
    /// Defaults: `sign_type` `MD5`, `padding` `pkcs1v15`, production hosts,
    /// the builder's timeouts and [`RetryPolicy::default`]. The decryptor is
    /// `decryptor`, else one from `decrypt_key_*`, else — in direct mode
    /// only, since WeChat encrypts for the merchant's certificate there — one
    /// from the merchant key; provider mode has none unless given. With
    /// `keys_dir`, every id and key not given otherwise comes from the key
    /// set.
    ///
    /// # Errors
    /// [`Error::Config`] naming the option(s) that are missing, inconsistent
    /// or unusable (a file that cannot be read, a key that does not load);
    /// [`Error::InvalidInput`] on an option whose value breaks its rule.
    /// Never a key, a value or a path.
    pub fn build(&self) -> Result<(ClientConfig, Option<Decryptor>)> {
        for (both, pem_opt, file_opt) in [
            (
                self.v2_key.is_some() && self.v2_key_file.is_some(),
                "v2_key",
                "v2_key_file",
            ),
            (
                self.merchant_key_pem.is_some() && self.merchant_key_file.is_some(),
                "merchant_key_pem",
                "merchant_key_file",
            ),
            (
                self.apiv3_key.is_some() && self.apiv3_key_file.is_some(),
                "apiv3_key",
                "apiv3_key_file",
            ),
            (
                self.platform_public_key_pem.is_some() && self.platform_public_key_file.is_some(),
                "platform_public_key_pem",
                "platform_public_key_file",
            ),
            (
                self.decrypt_key_pem.is_some() && self.decrypt_key_file.is_some(),
                "decrypt_key_pem",
                "decrypt_key_file",
            ),
        ] {
            if both {
                return Err(Error::config(format!(
                    "give `{pem_opt}` or `{file_opt}`, not both"
                )));
            }
        }
        let keys = match &self.keys_dir {
            Some(dir) => {
                let base = self.base_url.is_some()
                    || (self.payapp_base_url.is_some() && self.apimch_base_url.is_some());
                if !base {
                    return Err(Error::config(
                        "`keys_dir` is a sandbox key set: it needs `base_url` (the sandbox's URL)",
                    ));
                }
                Some(KeySet::load(dir)?)
            }
            None => None,
        };
        let keys = keys.as_ref();
        let provider = crypto::default_provider();
        let mut b = ClientConfig::builder().crypto_provider(Arc::clone(&provider));

        let sign_type: SignType = self.sign_type.as_deref().unwrap_or("MD5").parse()?;
        b = b.sign_type(sign_type);
        let padding: Padding = self.padding.as_deref().unwrap_or("pkcs1v15").parse()?;

        let appid = self.appid.clone().or_else(|| keys.map(|k| k.appid.clone()));
        b = b.appid(appid.ok_or_else(|| Error::config("`appid` is required"))?);
        let mch_id = self
            .mch_id
            .clone()
            .or_else(|| keys.map(|k| k.mch_id.clone()));
        b = b.mch_id(mch_id.ok_or_else(|| Error::config("`mch_id` is required"))?);

        // The v2 API key.
        let (v2_option, v2_key) = match (&self.v2_key, &self.v2_key_file) {
            (Some(k), _) => ("v2_key", Some(k.clone())),
            (None, Some(p)) => ("v2_key_file", Some(trimmed(&read_text("v2_key_file", p)?))),
            (None, None) => ("keys_dir", keys.map(|k| k.v2_key.clone())),
        };
        let v2_key = v2_key.ok_or_else(|| {
            Error::config("the v2 API key is required: `v2_key` or `v2_key_file`")
        })?;
        b = b.api_key(ApiKey::new(v2_key.as_str()).map_err(|e| about(v2_option, e))?);

        // The merchant key and its serial.
        let (key_option, key_pem) = pem_or_file(
            ("merchant_key_pem", &self.merchant_key_pem),
            ("merchant_key_file", &self.merchant_key_file),
            keys.map(|k| &k.merchant_key_pem),
        )?;
        let serial = self
            .merchant_serial_no
            .clone()
            .or_else(|| keys.map(|k| k.merchant_serial_no.clone()));
        let merchant_key = match (key_pem, serial) {
            (Some(p), Some(serial)) => {
                let key = load_private_key(provider.as_ref(), key_option, &p)?;
                b = b.merchant_key(Arc::clone(&key), serial);
                key
            }
            (Some(_), None) => {
                return Err(Error::config(
                    "`merchant_serial_no` is required with the merchant key",
                ))
            }
            (None, _) => return Err(Error::config(
                "the merchant private key is required: `merchant_key_pem` or `merchant_key_file`",
            )),
        };

        // Platform keys.
        let (pub_option, pub_pem) = match (
            &self.platform_public_key_pem,
            &self.platform_public_key_file,
        ) {
            (Some(p), _) => ("platform_public_key_pem", Some(p.clone())),
            (None, Some(f)) => (
                "platform_public_key_file",
                Some(read_text("platform_public_key_file", f)?.to_string()),
            ),
            (None, None) => ("", None),
        };
        let public_key = match (&self.platform_public_key_id, pub_pem) {
            (Some(id), Some(p)) => Some((id.clone(), pub_option, p)),
            (None, None) => keys.map(|k| {
                (
                    k.platform_public_key_id.clone(),
                    "keys_dir",
                    k.platform_public_key_pem.clone(),
                )
            }),
            _ => {
                return Err(Error::config(
                    "the platform public key needs both `platform_public_key_id` and its PEM \
                     (`platform_public_key_pem` or `platform_public_key_file`)",
                ))
            }
        };
        if let Some((id, option, p)) = public_key {
            pem::load_public_key(provider.as_ref(), &p).map_err(|e| about(option, e))?;
            b = b.platform_public_key(id, p);
        }
        let mut certificates: Vec<(&str, String)> = self
            .platform_certificate_pem
            .iter()
            .map(|p| ("platform_certificate_pem", p.clone()))
            .collect();
        for f in &self.platform_certificate_file {
            certificates.push((
                "platform_certificate_file",
                read_text("platform_certificate_file", f)?.to_string(),
            ));
        }
        if certificates.is_empty() {
            if let Some(k) = keys {
                certificates.push(("keys_dir", k.platform_certificate_pem.clone()));
            }
        }
        for (option, p) in certificates {
            pem::certificate_from_pem(&p).map_err(|e| about(option, e))?;
            b = b.platform_certificate(p);
        }

        let (apiv3_option, apiv3_key) = match (&self.apiv3_key, &self.apiv3_key_file) {
            (Some(k), _) => ("apiv3_key", Some(k.clone())),
            (None, Some(p)) => (
                "apiv3_key_file",
                Some(trimmed(&read_text("apiv3_key_file", p)?)),
            ),
            (None, None) => ("keys_dir", keys.map(|k| k.apiv3_key.clone())),
        };
        if let Some(k) = apiv3_key {
            ApiV3Key::new(&k).map_err(|e| about(apiv3_option, e))?;
            b = b.apiv3_key(k.as_str());
        }
        if !self.pinned_platform_serials.is_empty() {
            b = b.pinned_platform_serials(self.pinned_platform_serials.clone());
        }

        // Provider mode, store.
        let provider_mode = self.sub_mch_id.is_some();
        match (&self.sub_mch_id, &self.sub_serial_no) {
            (Some(m), Some(s)) => b = b.sub_merchant(m.clone(), s.clone()),
            (None, None) => {}
            _ => {
                return Err(Error::config(
                    "provider mode needs both `sub_mch_id` and `sub_serial_no`",
                ))
            }
        }
        if let Some(v) = &self.sub_appid {
            b = b.sub_appid(v.clone());
        }
        match (&self.store_id, &self.store_name) {
            (Some(i), Some(n)) => b = b.store(i.clone(), n.clone()),
            (None, None) => {}
            _ => {
                return Err(Error::config(
                    "a default store needs both `store_id` and `store_name`",
                ))
            }
        }

        // Hosts, timeouts, retries.
        if let Some(u) = self.payapp_base_url.as_ref().or(self.base_url.as_ref()) {
            b = b.payapp_base_url(u.clone());
        }
        if let Some(u) = self.apimch_base_url.as_ref().or(self.base_url.as_ref()) {
            b = b.apimch_base_url(u.clone());
        }
        if let Some(u) = &self.apimch_backup_base_url {
            let u = u.trim();
            b = b.apimch_backup_base_url((u != "none").then(|| u.to_owned()));
        }
        if let Some(p) = &self.proxy {
            b = b.proxy(ProxySetting::parse(p, self.no_proxy.as_deref())?);
        } else if self.no_proxy.is_some() {
            return Err(Error::invalid(
                "no_proxy",
                "needs `proxy` set to a proxy URL (with `env`, set NO_PROXY instead)",
            ));
        }
        if let Some(t) = self.timeout {
            b = b.timeout(Duration::from_secs_f64(check_seconds("timeout", t)?));
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(Duration::from_secs_f64(check_seconds(
                "connect_timeout",
                t,
            )?));
        }
        let mut retry = RetryPolicy::default();
        if let Some(n) = self.max_retries {
            if n > MAX_RETRIES {
                return Err(Error::invalid(
                    "max_retries",
                    format!("must be at most {MAX_RETRIES}"),
                ));
            }
            retry.max_retries = n;
        }
        if let Some(s) = self.retry_backoff {
            retry.initial_backoff = Duration::from_secs_f64(check_seconds("retry_backoff", s)?);
            retry.max_backoff = retry.max_backoff.max(retry.initial_backoff);
        }
        b = b.retry_policy(retry);
        if let Some(m) = self.authinfo_refresh_margin {
            b = b.authinfo_refresh_margin(Duration::from_secs_f64(check_seconds(
                "authinfo_refresh_margin",
                m,
            )?));
        }
        if let Some(w) = self.response_window {
            #[allow(clippy::cast_precision_loss)]
            let max = MAX_WINDOW_SECS as f64;
            if !(w.is_finite() && (1.0..=max).contains(&w)) {
                return Err(Error::invalid(
                    "response_window",
                    format!("must be 1 to {MAX_WINDOW_SECS} seconds"),
                ));
            }
            b = b.response_window(Duration::from_secs_f64(w));
        }

        // The decryptor: given, or from its key, or (direct mode only) the
        // merchant key itself, which is what WeChat encrypts for there.
        let decryptor = if let Some(d) = &self.decryptor {
            Some(d.clone())
        } else if let (option, Some(p)) = pem_or_file(
            ("decrypt_key_pem", &self.decrypt_key_pem),
            ("decrypt_key_file", &self.decrypt_key_file),
            None,
        )? {
            let key = load_private_key(provider.as_ref(), option, &p)?;
            Some(Decryptor::from_key(key, padding))
        } else if !provider_mode {
            Some(Decryptor::from_key(merchant_key, padding))
        } else {
            None
        };
        if let Some(d) = &decryptor {
            b = b.decryptor(d.clone());
        }
        Ok((b.build()?, decryptor))
    }
}

/// The text of a `_pem`/`_file` pair, else `fallback` (from the key set),
/// with the option it came from.
fn pem_or_file(
    pem: (&'static str, &Option<Secret>),
    file: (&'static str, &Option<PathBuf>),
    fallback: Option<&Secret>,
) -> Result<(&'static str, Option<Secret>)> {
    Ok(match (pem.1, file.1) {
        (Some(p), _) => (pem.0, Some(p.clone())),
        (None, Some(f)) => (file.0, Some(read_text(file.0, f)?)),
        (None, None) => ("keys_dir", fallback.cloned()),
    })
}

fn load_private_key(
    provider: &dyn CryptoProvider,
    option: &str,
    pem_text: &str,
) -> Result<Arc<dyn PrivateKey>> {
    pem::load_private_key(provider, pem_text).map_err(|e| about(option, e))
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and file paths show as set or not; a path option may have
        // been given a key by mistake.
        let set = |b: bool| if b { "<set>" } else { "<unset>" };
        f.debug_struct("ClientSettings")
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .field(
                "v2_key",
                &set(self.v2_key.is_some() || self.v2_key_file.is_some()),
            )
            .field("sign_type", &self.sign_type)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field(
                "merchant_key",
                &set(self.merchant_key_pem.is_some() || self.merchant_key_file.is_some()),
            )
            .field(
                "apiv3_key",
                &set(self.apiv3_key.is_some() || self.apiv3_key_file.is_some()),
            )
            .field("platform_public_key_id", &self.platform_public_key_id)
            .field(
                "platform_certificates",
                &(self.platform_certificate_pem.len() + self.platform_certificate_file.len()),
            )
            .field("pinned_platform_serials", &self.pinned_platform_serials)
            .field("sub_mch_id", &self.sub_mch_id)
            .field("sub_appid", &self.sub_appid)
            .field("sub_serial_no", &self.sub_serial_no)
            .field(
                "decrypt_key",
                &set(self.decrypt_key_pem.is_some()
                    || self.decrypt_key_file.is_some()
                    || self.decryptor.is_some()),
            )
            .field("padding", &self.padding)
            .field("store_id", &self.store_id)
            .field("store_name", &self.store_name)
            .field("base_url", &self.base_url)
            .field("payapp_base_url", &self.payapp_base_url)
            .field("apimch_base_url", &self.apimch_base_url)
            .field("apimch_backup_base_url", &self.apimch_backup_base_url)
            .field(
                "proxy",
                &self.proxy.as_ref().map(|p| super::proxy::redacted_url(p)),
            )
            .field("no_proxy", &self.no_proxy)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .field("authinfo_refresh_margin", &self.authinfo_refresh_margin)
            .field("response_window", &self.response_window)
            .field("keys_dir", &set(self.keys_dir.is_some()))
            .finish()
    }
}

/// What a sandbox key set gives: `sandbox.json` and the files it names.
struct KeySet {
    appid: String,
    mch_id: String,
    merchant_serial_no: String,
    v2_key: Secret,
    apiv3_key: Secret,
    merchant_key_pem: Secret,
    platform_certificate_pem: String,
    platform_public_key_id: String,
    platform_public_key_pem: String,
}

/// The part of the sandbox's `sandbox.json` read here.
#[derive(Deserialize)]
struct Manifest {
    appid: String,
    mch_id: String,
    merchant_serial: String,
    pub_key_id: String,
    #[serde(default)]
    files: BTreeMap<String, String>,
}

impl KeySet {
    fn load(dir: &Path) -> Result<Self> {
        let text = read_text("keys_dir", &dir.join("sandbox.json")).map_err(|_| {
            Error::config("`keys_dir`: cannot read its `sandbox.json` (is it a sandbox key set?)")
        })?;
        let m: Manifest = wxface_core::redact::from_slice("sandbox.json", text.as_bytes())
            .map_err(|e| Error::config(format!("`keys_dir`: {e}")))?;
        let file = |role: &str, default: &str| -> Result<Secret> {
            let name = m.files.get(role).map_or(default, String::as_str);
            // A name in the directory, nothing else.
            if Path::new(name).file_name().and_then(|n| n.to_str()) != Some(name) {
                return Err(Error::config(format!(
                    "`keys_dir`: `sandbox.json` names its {role} file outside the directory"
                )));
            }
            read_text("keys_dir", &dir.join(name))
                .map_err(|_| Error::config(format!("`keys_dir`: cannot read its {role} file")))
        };
        Ok(Self {
            v2_key: trimmed(&file("api_v2_key", "apiv2_key.txt")?),
            apiv3_key: trimmed(&file("api_v3_key", "apiv3_key.txt")?),
            merchant_key_pem: file("merchant_key", "apiclient_key.pem")?,
            platform_certificate_pem: file("platform_cert", "platform_cert.pem")?.to_string(),
            platform_public_key_pem: file("pub_key", "pub_key.pem")?.to_string(),
            appid: m.appid,
            mch_id: m.mch_id,
            merchant_serial_no: m.merchant_serial,
            platform_public_key_id: m.pub_key_id,
        })
    }
}
