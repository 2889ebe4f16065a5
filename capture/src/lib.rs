//! # wxface-capture
//!
//! The kiosk side: the seam every face SDK plugs into ([`FaceSdk`]), the
//! native bridge to the vendor library, and the driver that runs the core's
//! flow state machine against an SDK and a merchant server.

use wxface_core::flow::Recognised;
use wxface_core::realname::MaskedIdentity;
use wxface_core::UnixTime;

/// One face SDK: JSON request in, JSON response out.
///
/// Implemented by the native library bridge (`WxpayFaceSDK.dll` or any
/// library with its C ABI), by the emulator of `wxface-sandbox`, and by the
/// bindings (the Android SDK through Kotlin).
pub trait FaceSdk: Send + Sync {
    /// Send one request and return the response JSON.
    ///
    /// # Errors
    /// An error only when the call itself fails (library returned non-zero,
    /// timeout, non-UTF-8 answer); an SDK answer with `return_code != SUCCESS`
    /// is a successful call.
    fn call(&self, request_json: &str) -> Result<String, wxface_core::Error>;
}

/// An authinfo granted by the merchant server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthinfoGrant {
    /// The authinfo.
    pub authinfo: String,
    /// Its absolute expiry.
    pub expires_at: UnixTime,
}

/// How a kiosk reaches its merchant server (see `docs/merchant-api.md`).
pub trait MerchantBackend: Send + Sync {
    /// Authinfo for `rawdata` on this device.
    ///
    /// # Errors
    /// Any error of the merchant server or of WeChat Pay behind it.
    fn authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, wxface_core::Error>;

    /// Whether the merchant already has a verified record for this user.
    ///
    /// # Errors
    /// When the merchant server cannot answer.
    fn is_verified(&self, who: &Recognised) -> Result<bool, wxface_core::Error>;

    /// The masked real-name result for `face_sid` (after consent).
    ///
    /// # Errors
    /// Any error of the merchant server or of WeChat Pay behind it.
    fn real_name(&self, face_sid: &str, device_id: &str) -> Result<MaskedIdentity, wxface_core::Error>;
}
