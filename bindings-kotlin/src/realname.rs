//! Identity types, masking, and the GB 11643 check of resident ID numbers.

use wxface_core::realname as core;

use crate::error::WxfaceError;

/// `credential_type` of the real-name answer (WeChat's codes 1-11), with an
/// unknown code kept as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CredentialType {
    /// 1 身份证 resident identity card.
    IdCard,
    /// 2 护照 passport.
    Passport,
    /// 3 军官证 military officer card.
    MilitaryOfficer,
    /// 4 士兵证 soldier card.
    Soldier,
    /// 5 回乡证 home-return permit.
    HomeReturnPermit,
    /// 6 临时身份证 temporary identity card.
    TemporaryIdCard,
    /// 7 户口簿 household register.
    HouseholdRegister,
    /// 8 警官证 police officer card.
    PoliceOfficer,
    /// 9 台胞证 Taiwan compatriot permit.
    TaiwanPermit,
    /// 10 营业执照 business licence.
    BusinessLicence,
    /// 11 其他证件 other.
    Other,
    /// A code this version does not know.
    Unknown {
        /// The code as received.
        code: i64,
    },
}

impl From<core::CredentialType> for CredentialType {
    fn from(t: core::CredentialType) -> Self {
        use core::CredentialType as C;
        match t {
            C::IdCard => Self::IdCard,
            C::Passport => Self::Passport,
            C::MilitaryOfficer => Self::MilitaryOfficer,
            C::Soldier => Self::Soldier,
            C::HomeReturnPermit => Self::HomeReturnPermit,
            C::TemporaryIdCard => Self::TemporaryIdCard,
            C::HouseholdRegister => Self::HouseholdRegister,
            C::PoliceOfficer => Self::PoliceOfficer,
            C::TaiwanPermit => Self::TaiwanPermit,
            C::BusinessLicence => Self::BusinessLicence,
            C::Other => Self::Other,
            C::Unknown(code) => Self::Unknown { code },
        }
    }
}

impl From<CredentialType> for core::CredentialType {
    fn from(t: CredentialType) -> Self {
        use CredentialType as C;
        match t {
            C::IdCard => Self::IdCard,
            C::Passport => Self::Passport,
            C::MilitaryOfficer => Self::MilitaryOfficer,
            C::Soldier => Self::Soldier,
            C::HomeReturnPermit => Self::HomeReturnPermit,
            C::TemporaryIdCard => Self::TemporaryIdCard,
            C::HouseholdRegister => Self::HouseholdRegister,
            C::PoliceOfficer => Self::PoliceOfficer,
            C::TaiwanPermit => Self::TaiwanPermit,
            C::BusinessLicence => Self::BusinessLicence,
            C::Other => Self::Other,
            // `from_code` folds a known code back into its variant.
            C::Unknown { code } => Self::from_code(code),
        }
    }
}

/// The credential type of a wire code (1-11; anything else is `Unknown`).
#[uniffi::export]
pub fn credential_type_from_code(code: i64) -> CredentialType {
    core::CredentialType::from_code(code).into()
}

/// The wire code of a credential type.
#[uniffi::export]
pub fn credential_type_code(credential_type: CredentialType) -> i64 {
    core::CredentialType::from(credential_type).code()
}

/// The Chinese label WeChat's documentation uses (`身份证`, `护照`, …).
#[uniffi::export]
pub fn credential_type_label(credential_type: CredentialType) -> String {
    core::CredentialType::from(credential_type)
        .label_zh()
        .to_owned()
}

/// An identity as a kiosk may show it: masked values only.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MaskedIdentity {
    /// Masked name (`张*三`).
    pub name: String,
    /// Credential type.
    pub credential_type: CredentialType,
    /// Masked credential number (`110***********1234`).
    pub credential_id: String,
}

impl From<core::MaskedIdentity> for MaskedIdentity {
    fn from(m: core::MaskedIdentity) -> Self {
        Self {
            name: m.name,
            credential_type: m.credential_type.into(),
            credential_id: m.credential_id,
        }
    }
}

impl From<MaskedIdentity> for core::MaskedIdentity {
    fn from(m: MaskedIdentity) -> Self {
        Self {
            name: m.name,
            credential_type: m.credential_type.into(),
            credential_id: m.credential_id,
        }
    }
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
    core::check_resident_id(&id).map_err(|p| WxfaceError::invalid("credential_id", p.describe()))
}

/// Whether `id` is a valid 18-character resident ID number.
#[uniffi::export]
pub fn is_valid_resident_id(id: String) -> bool {
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
    core::validate_name(&name).map_err(|r| WxfaceError::invalid("real_name", r))
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
    core::validate_credential_id(credential_type.into(), &credential_id)
        .map_err(|r| WxfaceError::invalid("credential_id", r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_types_round_trip() {
        for code in -1..=13 {
            let t = credential_type_from_code(code);
            assert_eq!(credential_type_code(t), code);
        }
        assert_eq!(
            core::CredentialType::from(CredentialType::Unknown { code: 1 }),
            core::CredentialType::IdCard
        );
    }

    #[test]
    fn resident_id_errors_carry_no_digits() {
        let e = check_resident_id("110101199003071230".into()).err();
        let text = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("check digit"), "{text}");
        assert!(!text.contains("1101"), "{text}");
        assert_eq!(gb11643_check_char("1101011990030712".into()), None);
    }
}
