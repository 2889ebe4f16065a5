//! The sandbox's test persons.
//!
//! Every identity is plainly fictitious: names start with 测试 ("test") or
//! 测, and the resident ID numbers are built from a region code, a birth date
//! and a sequence number with their GB 11643 check character **computed**, so
//! they pass the same validation a real number does. Whether a person is
//! "already verified" is the hospital system's business, not the sandbox's:
//! there is no such flag here.
//!
//! `Debug` shows masked forms only; the full values are reachable through
//! [`SandboxIdentity::expose_name`] and [`SandboxIdentity::expose_credential_id`].

use std::fmt;

use serde::{Deserialize, Serialize};
use wxface_core::realname::{
    gb11643_check_char, mask_credential_id, mask_name, validate_credential_id, validate_name,
    CredentialType, MaskedIdentity,
};

/// One test person the emulated SDK can "recognise".
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxIdentity {
    /// Stable key to pick the person (`WXFACE_EMU_PERSON`, `person` of `/_emu/recognise`).
    pub key: String,
    name: String,
    /// `credential_type` code (1 ID card, 2 passport, … 11 other).
    pub credential_type: i64,
    credential_id: String,
    /// The person's openid under the merchant's appid.
    pub openid: String,
    /// The person's openid under the sub-merchant's appid (answered when `sub_appid` is sent).
    pub sub_openid: String,
    /// The union id (`ASK_UNIONID`).
    pub union_id: String,
}

impl SandboxIdentity {
    /// A test identity. Values are checked by [`SandboxIdentity::validate`] when
    /// a sandbox starts.
    pub fn new(
        key: impl Into<String>,
        name: impl Into<String>,
        credential_type: CredentialType,
        credential_id: impl Into<String>,
    ) -> Self {
        let key = key.into();
        let tag: String = key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Self {
            name: name.into(),
            credential_type: credential_type.code(),
            credential_id: credential_id.into(),
            openid: format!("o_sbx_{tag}"),
            sub_openid: format!("o_sbx_sub_{tag}"),
            union_id: format!("u_sbx_{tag}"),
            key,
        }
    }

    /// The full name. EXPOSES the (fictitious) personal data: tests compare
    /// it with what a merchant decrypted.
    pub fn expose_name(&self) -> &str {
        &self.name
    }

    /// The full credential number (see [`Self::expose_name`]).
    pub fn expose_credential_id(&self) -> &str {
        &self.credential_id
    }

    /// The credential type.
    pub fn credential_type(&self) -> CredentialType {
        CredentialType::from_code(self.credential_type)
    }

    /// The masked form (`测*甲`, `110***********1233`).
    pub fn masked(&self) -> MaskedIdentity {
        MaskedIdentity {
            name: mask_name(&self.name),
            credential_type: self.credential_type(),
            credential_id: mask_credential_id(&self.credential_id),
        }
    }

    /// Check the values the way a merchant's decryptor will: a plausible
    /// name, a credential number of the right shape (GB 11643 for ID cards),
    /// ids usable on the wire. Errors name the identity's key, never a value.
    ///
    /// # Errors
    /// A description of the broken rule.
    pub fn validate(&self) -> Result<(), String> {
        let who = &self.key;
        if who.is_empty() || who.len() > 32 {
            return Err("an identity key must be 1-32 characters".into());
        }
        validate_name(&self.name).map_err(|r| format!("identity `{who}`: name {r}"))?;
        // 2048-bit RSA with OAEP-SHA1 carries at most 214 bytes.
        if self.name.len() > 200 {
            return Err(format!("identity `{who}`: name is too long to encrypt"));
        }
        if !(1..=11).contains(&self.credential_type) {
            return Err(format!("identity `{who}`: credential_type must be 1-11"));
        }
        validate_credential_id(self.credential_type(), &self.credential_id)
            .map_err(|r| format!("identity `{who}`: credential_id {r}"))?;
        for (field, v) in [
            ("openid", &self.openid),
            ("sub_openid", &self.sub_openid),
            ("union_id", &self.union_id),
        ] {
            if v.is_empty()
                || v.len() > 64
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(format!(
                    "identity `{who}`: {field} must be 1-64 letters, digits, `_` or `-`"
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for SandboxIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxIdentity")
            .field("key", &self.key)
            .field("name", &mask_name(&self.name))
            .field("credential_type", &self.credential_type)
            .field("credential_id", &mask_credential_id(&self.credential_id))
            .field("openid", &self.openid)
            .finish_non_exhaustive()
    }
}

/// A resident ID number from its first 17 digits, with the check character computed.
fn resident_id(first17: &str) -> String {
    let mut digits = [0u8; 17];
    digits.copy_from_slice(&first17.as_bytes()[..17]);
    let check = gb11643_check_char(&digits).unwrap_or('0');
    format!("{first17}{check}")
}

/// The built-in test persons:
///
/// | key | name | credential |
/// |---|---|---|
/// | `patient-a` | 测试患者甲 | ID card (born 1990-03-07) |
/// | `patient-b` | 测试患者乙 | ID card ending in `X` (born 1985-11-20) |
/// | `patient-c` | 测丙 (two characters) | ID card (born 2001-02-28) |
/// | `patient-d` | 测试·长名患者·丁戊己庚辛 (long, with `·`) | ID card (born 1978-06-15) |
/// | `patient-e` | 测试患者戊 | passport |
pub fn default_identities() -> Vec<SandboxIdentity> {
    vec![
        SandboxIdentity::new(
            "patient-a",
            "测试患者甲",
            CredentialType::IdCard,
            resident_id("11010119900307123"),
        ),
        SandboxIdentity::new(
            "patient-b",
            "测试患者乙",
            CredentialType::IdCard,
            resident_id("31010419851120038"),
        ),
        SandboxIdentity::new(
            "patient-c",
            "测丙",
            CredentialType::IdCard,
            resident_id("44030520010228056"),
        ),
        SandboxIdentity::new(
            "patient-d",
            "测试·长名患者·丁戊己庚辛",
            CredentialType::IdCard,
            resident_id("65010219780615033"),
        ),
        SandboxIdentity::new(
            "patient-e",
            "测试患者戊",
            CredentialType::Passport,
            "E99990001",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use wxface_core::realname::check_resident_id;

    #[test]
    fn defaults_are_valid_and_cover_the_cases() {
        let ids = default_identities();
        for i in &ids {
            i.validate().unwrap_or_else(|e| panic!("{e}"));
            if i.credential_type().is_resident_id() {
                assert_eq!(check_resident_id(i.expose_credential_id()), Ok(()));
            }
        }
        assert!(ids.iter().any(|i| i.expose_credential_id().ends_with('X')));
        assert!(ids.iter().any(|i| i.expose_name().chars().count() == 2));
        assert!(ids.iter().any(|i| i.expose_name().contains('·')));
        assert!(ids.iter().any(|i| !i.credential_type().is_resident_id()));
    }

    #[test]
    fn debug_is_masked() {
        for i in default_identities() {
            let shown = format!("{i:?}");
            assert!(!shown.contains(i.expose_name()), "{shown}");
            assert!(!shown.contains(i.expose_credential_id()), "{shown}");
        }
    }

    #[test]
    fn validation_names_the_key_not_the_value() {
        let bad = SandboxIdentity::new(
            "bad-one",
            "测试",
            CredentialType::IdCard,
            "110101199003071230",
        );
        let e = bad.validate().err().unwrap_or_default();
        assert!(e.contains("bad-one"), "{e}");
        assert!(!e.contains("110101"), "{e}");
    }
}
