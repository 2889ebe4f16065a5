//! Face SDK commands: JSON in, JSON out.
//!
//! The vendor face SDK (`WxpayFaceSDK.dll` on Windows, the Java SDK on
//! Android) takes one JSON request per call and answers one JSON response.
//! This module builds those requests to the byte — common fields `cmd`,
//! `version:"1"`, `now` (a JSON number) first, then the command's fields in
//! the order of the spec's examples — enforces the field rules, and refuses a
//! field that the configured target SDK version does not know yet
//! ([`Error::SdkVersion`]) instead of silently dropping it.
//!
//! Both directions are here: [`SdkRequest::to_json`] / [`SdkReply::parse`] for
//! a kiosk, [`SdkRequest::parse`] / [`SdkReply::to_json`] for an emulator of
//! the SDK, so that the two cannot drift apart.

mod request;
mod response;

use std::fmt;
use std::str::FromStr;

pub use request::{
    AuthRequest, CameraRotation, FaceAuthType, FaceCodeRequest, InitRequest, Proxy, ProxyType,
    SdkRequest,
};
pub use response::{classify_sdk_error, sdk_error_json, FaceCodeReply, SdkErrorClass, SdkReply};

use crate::error::{Error, Result};

/// Largest SDK request or response this module accepts, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest `rawdata`, in characters.
pub const MAX_RAWDATA: usize = 2048;
/// Longest `authinfo`, in characters.
pub const MAX_AUTHINFO: usize = 4096;
/// Longest `return_msg`, in characters.
pub const MAX_RETURN_MSG: usize = 128;

/// A face SDK version such as `1.24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SdkVersion {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

impl SdkVersion {
    /// `major.minor`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }
    /// The first version with `getWxpayfaceRawdata`, `getWxpayfaceCode`, `initWxpayface`.
    pub const V1_12: Self = Self::new(1, 12);
    /// `token`, `getWxpayAuth`.
    pub const V1_16: Self = Self::new(1, 16);
    /// `proxy_type`, `camera_rotation`, `screen_index`.
    pub const V1_18: Self = Self::new(1, 18);
    /// `quit_face_auth`; the quit call becomes mandatory.
    pub const V1_20: Self = Self::new(1, 20);
    /// `disable_keyboard`.
    pub const V1_23: Self = Self::new(1, 23);
    /// `openid` in `getWxpayfaceCode`.
    pub const V1_24: Self = Self::new(1, 24);
}

impl Default for SdkVersion {
    /// 1.24, the newest version the spec documents.
    fn default() -> Self {
        Self::V1_24
    }
}

impl fmt::Display for SdkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for SdkVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid("sdk_version", "must look like `1.24`");
        let mut parts = s.trim().split('.');
        let major = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let minor = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        // A patch level (`1.24.3`) does not change which fields exist.
        if let Some(p) = parts.next() {
            p.parse::<u32>().map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self { major, minor })
    }
}

/// The five commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Cmd {
    /// `initWxpayface`
    Init,
    /// `getWxpayfaceRawdata`
    GetRawdata,
    /// `getWxpayfaceCode`
    GetFaceCode,
    /// `getWxpayAuth`
    GetAuth,
    /// `releaseWxpayface`
    Release,
}

impl Cmd {
    /// The `cmd` string on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Init => "initWxpayface",
            Self::GetRawdata => "getWxpayfaceRawdata",
            Self::GetFaceCode => "getWxpayfaceCode",
            Self::GetAuth => "getWxpayAuth",
            Self::Release => "releaseWxpayface",
        }
    }

    /// The first SDK version that has the command.
    pub fn since(self) -> SdkVersion {
        match self {
            Self::GetAuth => SdkVersion::V1_16,
            _ => SdkVersion::V1_12,
        }
    }

    /// All commands.
    pub const ALL: [Cmd; 5] = [
        Self::Init,
        Self::GetRawdata,
        Self::GetFaceCode,
        Self::GetAuth,
        Self::Release,
    ];
}

impl FromStr for Cmd {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::invalid("cmd", "is not a face SDK command"))
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
