//! SDK requests: typed, validated, serialised to the byte.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Cmd, SdkVersion, MAX_AUTHINFO, MAX_MESSAGE_BYTES};
use crate::error::{named_enum, Error, Result};
use crate::time::UnixTime;

/// `proxy_type` of `initWxpayface` (SDK 1.18+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum ProxyType {
    /// 0: no proxy.
    None,
    /// 1: HTTP tunnel.
    HttpTunnel,
    /// 2: SOCKS5.
    Socks5,
}

named_enum!(
    /// Stable snake_case name: `none`, `http_tunnel` or `socks5`. The wire
    /// form of `proxy_type` is the number (`i64::from`, `TryFrom<i64>`,
    /// serde), not this name.
    ProxyType, "proxy_type", {
        None => "none",
        HttpTunnel => "http_tunnel",
        Socks5 => "socks5",
    }
);

impl ProxyType {
    fn code(self) -> i64 {
        match self {
            Self::None => 0,
            Self::HttpTunnel => 1,
            Self::Socks5 => 2,
        }
    }
    fn from_code(c: i64) -> Result<Self> {
        match c {
            0 => Ok(Self::None),
            1 => Ok(Self::HttpTunnel),
            2 => Ok(Self::Socks5),
            _ => Err(Error::invalid("proxy_type", "must be 0, 1 or 2")),
        }
    }
}

/// `camera_rotation` of `initWxpayface` (SDK 1.18+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum CameraRotation {
    /// 1: +90°.
    Plus90,
    /// 2: 180°.
    Rotate180,
    /// 3: −90°.
    Minus90,
}

named_enum!(
    /// Stable snake_case name: `plus_90`, `rotate_180` or `minus_90`. The
    /// wire form of `camera_rotation` is the number (`i64::from`,
    /// `TryFrom<i64>`, serde), not this name.
    CameraRotation, "camera_rotation", {
        Plus90 => "plus_90",
        Rotate180 => "rotate_180",
        Minus90 => "minus_90",
    }
);

impl TryFrom<i64> for ProxyType {
    type Error = Error;
    fn try_from(c: i64) -> Result<Self> {
        Self::from_code(c)
    }
}

impl From<ProxyType> for i64 {
    fn from(t: ProxyType) -> i64 {
        t.code()
    }
}

impl TryFrom<i64> for CameraRotation {
    type Error = Error;
    fn try_from(c: i64) -> Result<Self> {
        Self::from_code(c)
    }
}

impl From<CameraRotation> for i64 {
    fn from(t: CameraRotation) -> i64 {
        t.code()
    }
}

impl CameraRotation {
    fn code(self) -> i64 {
        match self {
            Self::Plus90 => 1,
            Self::Rotate180 => 2,
            Self::Minus90 => 3,
        }
    }
    fn from_code(c: i64) -> Result<Self> {
        match c {
            1 => Ok(Self::Plus90),
            2 => Ok(Self::Rotate180),
            3 => Ok(Self::Minus90),
            _ => Err(Error::invalid("camera_rotation", "must be 1, 2 or 3")),
        }
    }
}

/// The HTTP proxy settings of `initWxpayface`. `passwd` is never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Proxy {
    /// `ip`
    pub ip: String,
    /// `port`, digits only.
    pub port: String,
    /// `user`
    pub user: Option<String>,
    /// `passwd`
    pub passwd: Option<String>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("ip", &self.ip)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("passwd", &self.passwd.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// `initWxpayface`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InitRequest {
    /// Optional HTTP proxy.
    pub proxy: Option<Proxy>,
    /// `proxy_type` (1.18+).
    pub proxy_type: Option<ProxyType>,
    /// `camera_rotation` (1.18+).
    pub camera_rotation: Option<CameraRotation>,
}

/// `face_authtype` of `getWxpayfaceCode`.
///
/// The spec names no default. wxface has one, `FACE_AUTH`, wherever the field
/// is missing: in a request built from an object and in wire JSON read by the
/// emulator. This library is for real-name authentication, and its builder
/// always sends the field explicitly, so the default decides only what a
/// hand-written request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FaceAuthType {
    /// `FACE_AUTH`: real-name authentication (returns `face_sid`).
    #[default]
    #[serde(rename = "FACE_AUTH")]
    FaceAuth,
    /// `FACEPAY`: face payment (returns `face_code`).
    #[serde(rename = "FACEPAY")]
    FacePay,
}

named_enum!(
    /// The wire value of `face_authtype` (also its serde form): `FACE_AUTH`
    /// or `FACEPAY`.
    FaceAuthType, "face_authtype", {
        FaceAuth => "FACE_AUTH",
        FacePay => "FACEPAY",
    }
);

/// `getWxpayfaceCode`. `Debug` prints `openid` and `telephone` redacted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaceCodeRequest {
    /// `appid` (required).
    pub appid: String,
    /// `mch_id` (required).
    pub mch_id: String,
    /// `sub_appid` (≤ 32).
    pub sub_appid: Option<String>,
    /// `sub_mch_id` (≤ 32, provider mode).
    pub sub_mch_id: Option<String>,
    /// `store_id` (required).
    pub store_id: String,
    /// `openid` (1.24+).
    pub openid: Option<String>,
    /// `telephone`: pre-fills the phone field.
    pub telephone: Option<String>,
    /// `face_authtype`.
    pub face_authtype: FaceAuthType,
    /// `authinfo` (required).
    pub authinfo: String,
    /// `screen_index` (1.18+), "1" is the main screen.
    pub screen_index: Option<String>,
    /// `disable_keyboard` = "1" (1.23+).
    pub disable_keyboard: bool,
    /// `token` = "1" (1.16+).
    pub token: bool,
}

/// `getWxpayAuth`: ask consent (`quit = false`) or quit (`quit = true`, 1.20+).
/// `Debug` prints `face_sid` redacted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthRequest {
    /// `authinfo` (required).
    pub authinfo: String,
    /// `face_sid` (required).
    pub face_sid: String,
    /// `quit_face_auth`: `true` sends `"1"`.
    pub quit: bool,
}

impl fmt::Debug for FaceCodeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::redact::redacted_opt;
        f.debug_struct("FaceCodeRequest")
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .field("sub_appid", &self.sub_appid)
            .field("sub_mch_id", &self.sub_mch_id)
            .field("store_id", &self.store_id)
            .field("openid", &redacted_opt(&self.openid))
            .field("telephone", &redacted_opt(&self.telephone))
            .field("face_authtype", &self.face_authtype)
            .field("authinfo_len", &self.authinfo.len())
            .field("screen_index", &self.screen_index)
            .field("disable_keyboard", &self.disable_keyboard)
            .field("token", &self.token)
            .finish()
    }
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("authinfo_len", &self.authinfo.len())
            .field("face_sid", &crate::redact::Redacted(&self.face_sid))
            .field("quit", &self.quit)
            .finish()
    }
}

/// One face SDK request.
///
/// Its serde form (used by the bindings to take plain objects) is the typed
/// request tagged by `cmd`, e.g. `{"cmd":"getWxpayAuth","face_sid":"…",
/// "authinfo":"…","quit":true}` — not the wire JSON, which
/// [`SdkRequest::to_json`] produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd")]
pub enum SdkRequest {
    /// `initWxpayface`
    #[serde(rename = "initWxpayface")]
    Init(InitRequest),
    /// `getWxpayfaceRawdata`
    #[serde(rename = "getWxpayfaceRawdata")]
    GetRawdata,
    /// `getWxpayfaceCode`
    #[serde(rename = "getWxpayfaceCode")]
    GetFaceCode(FaceCodeRequest),
    /// `getWxpayAuth`
    #[serde(rename = "getWxpayAuth")]
    GetAuth(AuthRequest),
    /// `releaseWxpayface`
    #[serde(rename = "releaseWxpayface")]
    Release,
}

/// Writes a JSON object with fields in insertion order.
struct Obj(String);

impl Obj {
    fn new() -> Self {
        Self(String::from("{"))
    }
    fn put(&mut self, k: &str, v: Value) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        // Serialising a `Value` or `&str` cannot fail.
        self.0.push_str(&Value::from(k).to_string());
        self.0.push(':');
        self.0.push_str(&v.to_string());
    }
    fn put_opt(&mut self, k: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.put(k, Value::from(v.as_str()));
        }
    }
    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn gate(cmd: Cmd, field: &'static str, required: SdkVersion, target: SdkVersion) -> Result<()> {
    if target < required {
        return Err(Error::SdkVersion {
            cmd: cmd.as_str(),
            field,
            required: required.to_string(),
            target: target.to_string(),
        });
    }
    Ok(())
}

fn required(field: &str, v: &str, max: usize) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    bounded(field, v, max)
}

fn bounded(field: &str, v: &str, max: usize) -> Result<()> {
    if v.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(())
}

fn optional(field: &str, v: &Option<String>, max: usize) -> Result<()> {
    match v {
        Some(v) if v.is_empty() => Err(Error::invalid(field, "is empty; leave it out instead")),
        Some(v) => bounded(field, v, max),
        None => Ok(()),
    }
}

/// `face_sid`: the spec gives no length. One limit for the SDK request and
/// the APIv3 query ([`MAX_FACE_SID_BYTES`](crate::v3::users::MAX_FACE_SID_BYTES),
/// 256 bytes): a `face_sid` that recognition returned and the identity query
/// accepts must also close the session (`getWxpayAuth`).
fn face_sid(v: &str) -> Result<()> {
    let max = crate::v3::users::MAX_FACE_SID_BYTES;
    if v.is_empty() {
        return Err(Error::invalid("face_sid", "is required"));
    }
    if v.len() > max {
        return Err(Error::invalid(
            "face_sid",
            format!("is longer than {max} bytes"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid("face_sid", "contains control characters"));
    }
    Ok(())
}

/// `telephone`: the spec says only "the user's mobile number". Digits with
/// an optional leading `+` (international form, `+8613800000000`), 3-20
/// characters; separators and letters are refused because the SDK pre-fills
/// the number into its own input field.
fn telephone(v: &str) -> Result<()> {
    let digits_part = v.strip_prefix('+').unwrap_or(v);
    if v.len() > 20 || digits_part.len() < 3 || !digits_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            "telephone",
            "must be 3 to 20 digits, optionally after a leading +",
        ));
    }
    Ok(())
}

/// `screen_index`: "编号1为主屏幕，其余屏幕…从2开始编号": screens are
/// numbered from 1, so "1"-"99" without a leading zero.
fn screen_index(v: &str) -> Result<()> {
    let ok =
        matches!(v.len(), 1 | 2) && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0');
    if !ok {
        return Err(Error::invalid(
            "screen_index",
            "must be a screen number from 1 to 99 (1 is the main screen)",
        ));
    }
    Ok(())
}

fn digits(field: &str, v: &str, max: usize) -> Result<()> {
    if v.is_empty() || v.len() > max || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(field, format!("must be 1 to {max} digits")));
    }
    Ok(())
}

impl SdkRequest {
    /// Build from the typed object form (see the type's docs), as the bindings
    /// receive it from JavaScript, Python or Kotlin.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the object does not describe a request.
    /// The message names the failing field and the expected type, never the
    /// value (see [`crate::redact`]).
    pub fn from_object(value: Value) -> Result<Self> {
        let Value::Object(mut m) = value else {
            return Err(Error::invalid(
                "request",
                "must be an object tagged by `cmd`",
            ));
        };
        let cmd: Cmd = match m.remove("cmd") {
            Some(Value::String(c)) => c.parse()?,
            Some(_) => return Err(Error::invalid("cmd", "must be a string")),
            None => return Err(Error::invalid("cmd", "is required")),
        };
        let body = Value::Object(m);
        Ok(match cmd {
            Cmd::Init => Self::Init(crate::redact::from_value("request", body)?),
            Cmd::GetRawdata => Self::GetRawdata,
            Cmd::GetFaceCode => Self::GetFaceCode(crate::redact::from_value("request", body)?),
            Cmd::GetAuth => Self::GetAuth(crate::redact::from_value("request", body)?),
            Cmd::Release => Self::Release,
        })
    }

    /// The command.
    pub fn cmd(&self) -> Cmd {
        match self {
            Self::Init(_) => Cmd::Init,
            Self::GetRawdata => Cmd::GetRawdata,
            Self::GetFaceCode(_) => Cmd::GetFaceCode,
            Self::GetAuth(_) => Cmd::GetAuth,
            Self::Release => Cmd::Release,
        }
    }

    /// Check the field rules and the SDK-version gates for `target`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field, or [`Error::SdkVersion`].
    pub fn validate(&self, target: SdkVersion) -> Result<()> {
        let cmd = self.cmd();
        gate(cmd, "cmd", cmd.since(), target)?;
        match self {
            Self::Init(r) => {
                if let Some(p) = &r.proxy {
                    required("ip", &p.ip, 255)?;
                    digits("port", &p.port, 5)?;
                    if p.port.parse::<u32>().map_or(true, |n| n == 0 || n > 65535) {
                        return Err(Error::invalid("port", "must be a port number 1-65535"));
                    }
                    optional("user", &p.user, 128)?;
                    optional("passwd", &p.passwd, 128)?;
                }
                if r.proxy_type.is_some() {
                    gate(cmd, "proxy_type", SdkVersion::V1_18, target)?;
                }
                if r.camera_rotation.is_some() {
                    gate(cmd, "camera_rotation", SdkVersion::V1_18, target)?;
                }
            }
            Self::GetFaceCode(r) => {
                required("appid", &r.appid, 32)?;
                required("mch_id", &r.mch_id, 32)?;
                optional("sub_appid", &r.sub_appid, 32)?;
                optional("sub_mch_id", &r.sub_mch_id, 32)?;
                required("store_id", &r.store_id, 32)?;
                optional("openid", &r.openid, 128)?;
                if let Some(t) = &r.telephone {
                    telephone(t)?;
                }
                required("authinfo", &r.authinfo, MAX_AUTHINFO)?;
                if let Some(s) = &r.screen_index {
                    screen_index(s)?;
                }
                if r.openid.is_some() {
                    gate(cmd, "openid", SdkVersion::V1_24, target)?;
                }
                if r.screen_index.is_some() {
                    gate(cmd, "screen_index", SdkVersion::V1_18, target)?;
                }
                if r.disable_keyboard {
                    gate(cmd, "disable_keyboard", SdkVersion::V1_23, target)?;
                }
                if r.token {
                    gate(cmd, "token", SdkVersion::V1_16, target)?;
                }
            }
            Self::GetAuth(r) => {
                required("authinfo", &r.authinfo, MAX_AUTHINFO)?;
                face_sid(&r.face_sid)?;
                if r.quit {
                    gate(cmd, "quit_face_auth", SdkVersion::V1_20, target)?;
                }
            }
            Self::GetRawdata | Self::Release => {}
        }
        Ok(())
    }

    /// The request JSON for `target`, with `now` as the common `now` field.
    ///
    /// `quit_face_auth: "0"` is sent explicitly from SDK 1.20 on and left out
    /// before (where it is the only behaviour).
    ///
    /// # Errors
    /// As [`SdkRequest::validate`].
    pub fn to_json(&self, target: SdkVersion, now: UnixTime) -> Result<String> {
        self.validate(target)?;
        let now = now.protocol_now()?;
        let mut o = Obj::new();
        o.put("cmd", Value::from(self.cmd().as_str()));
        o.put("version", Value::from("1"));
        o.put("now", Value::from(now));
        match self {
            Self::Init(r) => {
                if let Some(p) = &r.proxy {
                    o.put("ip", Value::from(p.ip.as_str()));
                    o.put("port", Value::from(p.port.as_str()));
                    o.put_opt("user", &p.user);
                    o.put_opt("passwd", &p.passwd);
                }
                if let Some(t) = r.proxy_type {
                    o.put("proxy_type", Value::from(t.code()));
                }
                if let Some(c) = r.camera_rotation {
                    o.put("camera_rotation", Value::from(c.code()));
                }
            }
            Self::GetFaceCode(r) => {
                o.put("appid", Value::from(r.appid.as_str()));
                o.put("mch_id", Value::from(r.mch_id.as_str()));
                o.put_opt("sub_appid", &r.sub_appid);
                o.put_opt("sub_mch_id", &r.sub_mch_id);
                o.put("store_id", Value::from(r.store_id.as_str()));
                o.put_opt("openid", &r.openid);
                o.put_opt("telephone", &r.telephone);
                o.put("face_authtype", Value::from(r.face_authtype.as_str()));
                o.put("authinfo", Value::from(r.authinfo.as_str()));
                o.put_opt("screen_index", &r.screen_index);
                if r.disable_keyboard {
                    o.put("disable_keyboard", Value::from("1"));
                }
                if r.token {
                    o.put("token", Value::from("1"));
                }
            }
            Self::GetAuth(r) => {
                o.put("face_sid", Value::from(r.face_sid.as_str()));
                o.put("authinfo", Value::from(r.authinfo.as_str()));
                if r.quit {
                    o.put("quit_face_auth", Value::from("1"));
                } else if target >= SdkVersion::V1_20 {
                    o.put("quit_face_auth", Value::from("0"));
                }
            }
            Self::GetRawdata | Self::Release => {}
        }
        Ok(o.finish())
    }

    /// Parse a request as the SDK receives it (for emulators and proxies):
    /// common fields checked (`version` must be `"1"`, `now` a 10-digit
    /// number), command fields typed and validated, unknown fields ignored as
    /// the SDK does.
    ///
    /// # Errors
    /// [`Error::Malformed`] for bad JSON or wrong types, [`Error::InvalidInput`]
    /// for broken field rules.
    pub fn parse(json: &[u8]) -> Result<(SdkRequest, UnixTime)> {
        const WHAT: &str = "face SDK request";
        if json.len() > MAX_MESSAGE_BYTES {
            return Err(Error::malformed(WHAT, "larger than 64 KiB"));
        }
        let v: Value = crate::redact::from_slice(WHAT, json)?;
        let m = v
            .as_object()
            .ok_or_else(|| Error::malformed(WHAT, "not a JSON object"))?;
        let cmd: Cmd = str_field(m, "cmd")?
            .ok_or_else(|| Error::invalid("cmd", "is required"))?
            .parse()?;
        if str_field(m, "version")?.as_deref() != Some("1") {
            return Err(Error::invalid("version", "must be the string \"1\""));
        }
        let now = match m.get("now") {
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|n| (1_000_000_000..10_000_000_000).contains(n)),
            _ => None,
        }
        .ok_or_else(|| Error::invalid("now", "must be a 10-digit unix time as a JSON number"))?;
        let req = match cmd {
            Cmd::Init => {
                let proxy = match str_field(m, "ip")? {
                    Some(ip) => Some(Proxy {
                        ip,
                        port: str_field(m, "port")?.unwrap_or_default(),
                        user: str_field(m, "user")?,
                        passwd: str_field(m, "passwd")?,
                    }),
                    None => None,
                };
                SdkRequest::Init(InitRequest {
                    proxy,
                    proxy_type: int_field(m, "proxy_type")?
                        .map(ProxyType::from_code)
                        .transpose()?,
                    camera_rotation: int_field(m, "camera_rotation")?
                        .map(CameraRotation::from_code)
                        .transpose()?,
                })
            }
            Cmd::GetRawdata => SdkRequest::GetRawdata,
            Cmd::GetFaceCode => SdkRequest::GetFaceCode(FaceCodeRequest {
                appid: str_field(m, "appid")?.unwrap_or_default(),
                mch_id: str_field(m, "mch_id")?.unwrap_or_default(),
                sub_appid: str_field(m, "sub_appid")?,
                sub_mch_id: str_field(m, "sub_mch_id")?,
                store_id: str_field(m, "store_id")?.unwrap_or_default(),
                openid: str_field(m, "openid")?,
                telephone: str_field(m, "telephone")?,
                face_authtype: match str_field(m, "face_authtype")?.as_deref() {
                    // One default everywhere (see `FaceAuthType`).
                    Some("FACE_AUTH") | None => FaceAuthType::FaceAuth,
                    Some("FACEPAY") => FaceAuthType::FacePay,
                    Some(_) => {
                        return Err(Error::invalid(
                            "face_authtype",
                            "must be FACEPAY or FACE_AUTH",
                        ))
                    }
                },
                authinfo: str_field(m, "authinfo")?.unwrap_or_default(),
                screen_index: str_field(m, "screen_index")?,
                disable_keyboard: flag(m, "disable_keyboard")?,
                token: flag(m, "token")?,
            }),
            Cmd::GetAuth => SdkRequest::GetAuth(AuthRequest {
                authinfo: str_field(m, "authinfo")?.unwrap_or_default(),
                face_sid: str_field(m, "face_sid")?.unwrap_or_default(),
                quit: flag_with(m, "quit_face_auth")?,
            }),
            Cmd::Release => SdkRequest::Release,
        };
        // The newest version: an emulator accepts every documented field.
        req.validate(SdkVersion::new(u16::MAX, 0))?;
        Ok((req, UnixTime(now)))
    }
}

fn str_field(m: &Map<String, Value>, k: &'static str) -> Result<Option<String>> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid(k, "must be a string")),
    }
}

fn int_field(m: &Map<String, Value>, k: &'static str) -> Result<Option<i64>> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| Error::invalid(k, "must be an integer")),
        Some(_) => Err(Error::invalid(k, "must be an integer")),
    }
}

fn flag(m: &Map<String, Value>, k: &'static str) -> Result<bool> {
    match str_field(m, k)?.as_deref() {
        None => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(Error::invalid(k, "must be \"1\" when present")),
    }
}

fn flag_with(m: &Map<String, Value>, k: &'static str) -> Result<bool> {
    match str_field(m, k)?.as_deref() {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(Error::invalid(k, "must be \"0\" or \"1\"")),
    }
}
