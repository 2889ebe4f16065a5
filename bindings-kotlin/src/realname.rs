//! Identity types, masking, and the GB 11643 check of resident ID numbers.

use wxface_core::realname::{self as core, CredentialType};

use crate::WxfaceError;

/// The credential type of a wire code (1-11; anything else is `Unknown`).
#[uniffi::export]
pub fn credential_type_from_code(code: i64) -> CredentialType {
    CredentialType::from_code(code)
}

/// The wire code of a credential type.
#[uniffi::export]
pub fn credential_type_code(credential_type: CredentialType) -> i64 {
    credential_type.code()
}

/// The Chinese label WeChat's documentation uses (`身份证`, `护照`, …).
#[uniffi::export]
pub fn credential_type_label(credential_type: CredentialType) -> String {
    credential_type.label_zh().to_owned()
}

/// Mask a name: `张*三`, `欧**明`, `张*`, `*`.
#[uniffi::export]
pub fn mask_name(name: String) -> String {
    core::mask_name(&name)
}

/// Mask a credential number: 15 characters or more keep the first 3 and last
/// 4 (`110***********1234`), 6-14 the first and last 2 (`E******78`), 4-5 the
/// last one, fewer nothing; never more than half.
#[uniffi::export]
pub fn mask_credential_id(credential_id: String) -> String {
    core::mask_credential_id(&credential_id)
}

/// Check an 18-character resident ID number (GB 11643: shape, birth date,
/// check digit).
///
/// # Errors
/// `InvalidInput` on field `credential_id`, saying which rule failed (never
/// any part of the number).
#[uniffi::export]
pub fn check_resident_id(id: String) -> Result<(), WxfaceError> {
    core::check_resident_id(&id)
        .map_err(|p| wxface_core::Error::invalid("credential_id", p.describe()).into())
}

/// Whether `id` is a valid 18-character resident ID number.
#[uniffi::export]
pub fn is_resident_id(id: String) -> bool {
    core::check_resident_id(&id).is_ok()
}

/// The GB 11643 check character (`0`-`9` or `X`) of the first 17 digits;
/// `None` when `first17` is not 17 ASCII digits.
#[uniffi::export]
pub fn gb11643_check_char(first17: String) -> Option<String> {
    let bytes: &[u8; 17] = first17.as_bytes().try_into().ok()?;
    core::gb11643_check_char(bytes).map(String::from)
}

/// Check that `name` is plausible as a person's name.
///
/// # Errors
/// `InvalidInput` on field `real_name`.
#[uniffi::export]
pub fn validate_name(name: String) -> Result<(), WxfaceError> {
    core::validate_name(&name).map_err(|r| wxface_core::Error::invalid("real_name", r).into())
}

/// Check that `credential_id` is plausible for its type (the full GB 11643
/// check for resident ID cards).
///
/// # Errors
/// `InvalidInput` on field `credential_id`.
#[uniffi::export]
pub fn validate_credential_id(
    credential_type: CredentialType,
    credential_id: String,
) -> Result<(), WxfaceError> {
    core::validate_credential_id(credential_type, &credential_id)
        .map_err(|r| wxface_core::Error::invalid("credential_id", r).into())
}
