//! `RealName`: a decrypted identity (the core's [`CoreRealName`]) that shows
//! only masked values unless explicitly exposed.
//!
//! The full name and credential number stay in Rust memory (zeroized when the
//! object is collected) and cross into JavaScript only through
//! `exposeName()` and `exposeCredentialId()` (the core's names), which make
//! every use easy to find in review.
//! `toString`, `toJSON` and `util.inspect` (set up by the JS wrapper) show
//! the masked form.

use napi_derive::napi;
use wxface_core::realname::{self as core_realname, CredentialType, RealName as CoreRealName};

/// An identity as a kiosk may see it: masked values only.
#[napi(object)]
#[derive(Clone)]
pub struct MaskedIdentity {
    /// Masked name (`张*三`).
    pub name: String,
    /// Credential type (1 = resident ID card, …).
    pub credential_type: i64,
    /// Masked credential number (`110***********1234`).
    pub credential_id: String,
}

impl From<&core_realname::MaskedIdentity> for MaskedIdentity {
    fn from(m: &core_realname::MaskedIdentity) -> Self {
        Self {
            name: m.name.clone(),
            credential_type: m.credential_type.code(),
            credential_id: m.credential_id.clone(),
        }
    }
}

/// A verified, decrypted identity.
#[napi]
pub struct RealName {
    inner: CoreRealName,
}

impl RealName {
    // Made by the merchant side only (feature `merchant`).
    #[cfg_attr(not(feature = "merchant"), allow(dead_code))]
    pub(crate) fn new(inner: CoreRealName) -> Self {
        Self { inner }
    }
}

#[napi]
impl RealName {
    /// The masked name (`张*三`).
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.masked_name()
    }

    /// The masked credential number (`110***********1234`).
    #[napi(getter)]
    pub fn credential_id(&self) -> String {
        self.inner.masked_credential_id()
    }

    /// The credential type code (1 = resident ID card, …).
    #[napi(getter)]
    pub fn credential_type(&self) -> i64 {
        self.inner.credential_type().code()
    }

    /// The credential type as WeChat names it (`身份证`, `护照`, …).
    #[napi(getter)]
    pub fn credential_type_label(&self) -> String {
        self.inner.credential_type().label_zh().to_owned()
    }

    /// The masked form as a plain object.
    #[napi]
    pub fn masked(&self) -> MaskedIdentity {
        MaskedIdentity::from(&self.inner.masked())
    }

    /// The FULL name. Exposes personal data: use only where the hospital
    /// system stores or shows it under its own controls.
    #[napi(js_name = "exposeName")]
    pub fn expose_name(&self) -> String {
        // EXPOSE: the caller asked for the full value by name.
        self.inner.expose_name().to_owned()
    }

    /// The FULL credential number. Exposes personal data, as `exposeName`.
    #[napi(js_name = "exposeCredentialId")]
    pub fn expose_credential_id(&self) -> String {
        // EXPOSE: as above.
        self.inner.expose_credential_id().to_owned()
    }

    /// The masked form (what `JSON.stringify` writes).
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> MaskedIdentity {
        self.masked()
    }

    /// `张*三 (身份证 110***********1234)`.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        self.inner.to_string()
    }
}

/// The Chinese label of a credential type code (`1` → `身份证`).
#[napi(js_name = "credentialTypeLabel")]
pub fn credential_type_label(code: i64) -> String {
    CredentialType::from_code(code).label_zh().to_owned()
}

/// Mask a name as the kiosk shows it (`张小三` → `张*三`).
#[napi(js_name = "maskName")]
pub fn mask_name(name: String) -> String {
    wxface_core::realname::mask_name(&zeroize::Zeroizing::new(name))
}

/// Mask a credential number: 15+ characters keep the first 3 and last 4 (`110***********0021`), 6-14 the first and last 2 (`E******78`), never more than half.
#[napi(js_name = "maskCredentialId")]
pub fn mask_credential_id(id: String) -> String {
    wxface_core::realname::mask_credential_id(&zeroize::Zeroizing::new(id))
}

/// Whether `id` is a valid 18-character resident ID number (GB 11643: shape,
/// birth date, check digit).
#[napi(js_name = "isResidentId")]
pub fn is_resident_id(id: String) -> bool {
    wxface_core::realname::check_resident_id(&zeroize::Zeroizing::new(id)).is_ok()
}
