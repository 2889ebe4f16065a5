//! The decrypted identity, masking, and the GB 11643 check digit.
//!
//! [`RealName`] is what a hospital system gets after decryption. Its name and
//! credential number are zeroized on drop; `Debug` and `Display` show only the
//! masked forms (`张*三`, `110***********1234`). The full values are reachable
//! only through [`RealName::expose_name`] and [`RealName::expose_credential_id`],
//! whose names make every use easy to find in review.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

/// `credential_type` of the real-name answer (1-11), with unknown codes kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// A code this version does not know, kept as received.
    Unknown(i64),
}

impl CredentialType {
    /// From the wire code.
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::IdCard,
            2 => Self::Passport,
            3 => Self::MilitaryOfficer,
            4 => Self::Soldier,
            5 => Self::HomeReturnPermit,
            6 => Self::TemporaryIdCard,
            7 => Self::HouseholdRegister,
            8 => Self::PoliceOfficer,
            9 => Self::TaiwanPermit,
            10 => Self::BusinessLicence,
            11 => Self::Other,
            other => Self::Unknown(other),
        }
    }

    /// The wire code.
    pub fn code(self) -> i64 {
        match self {
            Self::IdCard => 1,
            Self::Passport => 2,
            Self::MilitaryOfficer => 3,
            Self::Soldier => 4,
            Self::HomeReturnPermit => 5,
            Self::TemporaryIdCard => 6,
            Self::HouseholdRegister => 7,
            Self::PoliceOfficer => 8,
            Self::TaiwanPermit => 9,
            Self::BusinessLicence => 10,
            Self::Other => 11,
            Self::Unknown(c) => c,
        }
    }

    /// Chinese label as WeChat's documentation names it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::IdCard => "身份证",
            Self::Passport => "护照",
            Self::MilitaryOfficer => "军官证",
            Self::Soldier => "士兵证",
            Self::HomeReturnPermit => "回乡证",
            Self::TemporaryIdCard => "临时身份证",
            Self::HouseholdRegister => "户口簿",
            Self::PoliceOfficer => "警官证",
            Self::TaiwanPermit => "台胞证",
            Self::BusinessLicence => "营业执照",
            Self::Other => "其他证件",
            Self::Unknown(_) => "未知证件",
        }
    }

    /// Whether the number is an 18-character GB 11643 resident ID.
    pub fn is_resident_id(self) -> bool {
        matches!(self, Self::IdCard | Self::TemporaryIdCard)
    }
}

/// Why a resident ID number failed the GB 11643 check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdNumberProblem {
    /// Not 18 characters.
    Length,
    /// Not 17 digits followed by a digit or `X`.
    Characters,
    /// The birth date (positions 7-14) is not a real date.
    BirthDate,
    /// The 18th character is not the check digit of the first 17.
    CheckDigit,
}

impl IdNumberProblem {
    /// A description that contains no part of the number.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Length => "is not 18 characters long",
            Self::Characters => "is not 17 digits followed by a digit or X",
            Self::BirthDate => "does not carry a valid birth date",
            Self::CheckDigit => "fails the GB 11643 check digit",
        }
    }
}

/// GB 11643-1999 check character of the first 17 digits (`0`-`9` or `X`).
pub fn gb11643_check_char(first17: &[u8; 17]) -> Option<char> {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let mut sum = 0u32;
    for (d, w) in first17.iter().zip(W) {
        if !d.is_ascii_digit() {
            return None;
        }
        sum += u32::from(d - b'0') * w;
    }
    Some(C[(sum % 11) as usize] as char)
}

/// Check an 18-character resident ID number (GB 11643-1999): shape, birth
/// date and check digit. A lowercase `x` is accepted as `X`.
pub fn check_resident_id(id: &str) -> std::result::Result<(), IdNumberProblem> {
    let b = id.as_bytes();
    if b.len() != 18 {
        return Err(IdNumberProblem::Length);
    }
    if !b[..17].iter().all(u8::is_ascii_digit)
        || !(b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
    {
        return Err(IdNumberProblem::Characters);
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        b[r].iter().fold(0, |a, d| a * 10 + u32::from(d - b'0'))
    };
    let (y, m, d) = (num(6..10), num(10..12), num(12..14));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if !(1800..=2200).contains(&y) || d == 0 || d > days {
        return Err(IdNumberProblem::BirthDate);
    }
    let mut first = [0u8; 17];
    first.copy_from_slice(&b[..17]);
    match gb11643_check_char(&first) {
        Some(c) if c == b[17].to_ascii_uppercase() as char => Ok(()),
        _ => Err(IdNumberProblem::CheckDigit),
    }
}

/// Mask a name: one character → `*`; two → first + `*` (`张*`); more → first,
/// one `*` per hidden character, last (`张*三`, `欧**明`).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_owned(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut s = String::with_capacity(name.len());
            s.push(chars[0]);
            s.extend(std::iter::repeat_n('*', n - 2));
            s.push(chars[n - 1]);
            s
        }
    }
}

/// Mask a credential number: the first 3 and last 4 characters stay, the rest
/// become `*` (`110***********1234`). Numbers of 7 characters or fewer keep
/// only their last character.
pub fn mask_credential_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    if n <= 7 {
        let mut s: String = std::iter::repeat_n('*', n - 1).collect();
        s.push(chars[n - 1]);
        return s;
    }
    let mut s = String::with_capacity(n);
    s.extend(&chars[..3]);
    s.extend(std::iter::repeat_n('*', n - 7));
    s.extend(&chars[n - 4..]);
    s
}

/// Longest name accepted, in characters (names with interpuncts such as
/// 阿卜杜热依木·阿卜杜克热木 can be long).
pub const MAX_NAME_CHARS: usize = 64;
/// Longest credential number accepted, in characters.
pub const MAX_CREDENTIAL_ID_CHARS: usize = 64;

/// Check that `name` is plausible as a person's name: non-empty, at most
/// [`MAX_NAME_CHARS`] characters, no control characters, no replacement
/// characters.
pub fn validate_name(name: &str) -> std::result::Result<(), &'static str> {
    let n = name.chars().count();
    if n == 0 {
        return Err("is empty");
    }
    if n > MAX_NAME_CHARS {
        return Err("is too long to be a name");
    }
    if name.chars().any(|c| c.is_control() || c == '\u{FFFD}') {
        return Err("contains control or replacement characters");
    }
    if name.trim() != name {
        return Err("has leading or trailing whitespace");
    }
    Ok(())
}

/// Check that `id` is plausible for its credential type: printable ASCII
/// letters, digits and `-`/`(`/`)`, bounded length; for resident ID cards the
/// full GB 11643 check.
pub fn validate_credential_id(
    ty: CredentialType,
    id: &str,
) -> std::result::Result<(), &'static str> {
    if id.is_empty() {
        return Err("is empty");
    }
    if id.chars().count() > MAX_CREDENTIAL_ID_CHARS {
        return Err("is too long to be a credential number");
    }
    if ty.is_resident_id() {
        return check_resident_id(id).map_err(IdNumberProblem::describe);
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '(' | ')' | ' '))
    {
        return Err("contains characters no credential number has");
    }
    Ok(())
}

/// A verified, decrypted identity. Zeroized on drop; redacted in `Debug` and
/// `Display`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RealName {
    name: String,
    credential_id: String,
    #[zeroize(skip)]
    credential_type: CredentialType,
}

impl RealName {
    /// Build from decrypted values, validating both (see [`validate_name`],
    /// [`validate_credential_id`]). The error names the field, never the value.
    ///
    /// # Errors
    /// [`Error::Decryption`] when a value is implausible: with implicit
    /// rejection that is how a wrong key or padding shows itself.
    pub fn new(
        name: String,
        credential_type: CredentialType,
        credential_id: String,
    ) -> Result<Self> {
        let this = Self {
            name,
            credential_id,
            credential_type,
        };
        validate_name(&this.name).map_err(|r| Error::Decryption(format!("`real_name` {r}")))?;
        validate_credential_id(this.credential_type, &this.credential_id)
            .map_err(|r| Error::Decryption(format!("`credential_id` {r}")))?;
        Ok(this)
    }

    /// The full name. EXPOSES personal data: use only where the hospital system
    /// stores or shows it under its own controls.
    pub fn expose_name(&self) -> &str {
        &self.name
    }

    /// The full credential number. EXPOSES personal data (see [`Self::expose_name`]).
    pub fn expose_credential_id(&self) -> &str {
        &self.credential_id
    }

    /// The credential type.
    pub fn credential_type(&self) -> CredentialType {
        self.credential_type
    }

    /// The masked name (`张*三`).
    pub fn masked_name(&self) -> String {
        mask_name(&self.name)
    }

    /// The masked credential number (`110***********1234`).
    pub fn masked_credential_id(&self) -> String {
        mask_credential_id(&self.credential_id)
    }

    /// The masked form, safe to send to a kiosk screen.
    pub fn masked(&self) -> MaskedIdentity {
        MaskedIdentity {
            name: self.masked_name(),
            credential_type: self.credential_type,
            credential_id: self.masked_credential_id(),
        }
    }
}

impl fmt::Debug for RealName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealName")
            .field("name", &self.masked_name())
            .field("credential_type", &self.credential_type)
            .field("credential_id", &self.masked_credential_id())
            .finish()
    }
}

impl fmt::Display for RealName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} {})",
            self.masked_name(),
            self.credential_type.label_zh(),
            self.masked_credential_id()
        )
    }
}

/// An identity as a kiosk may see it: masked values only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MaskedIdentity {
    /// Masked name (`张*三`).
    pub name: String,
    /// Credential type.
    #[serde(with = "credential_type_code")]
    pub credential_type: CredentialType,
    /// Masked credential number.
    pub credential_id: String,
}

mod credential_type_code {
    use super::CredentialType;
    pub fn serialize<S: serde::Serializer>(t: &CredentialType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.code())
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CredentialType, D::Error> {
        let c = <i64 as serde::Deserialize>::deserialize(d)?;
        Ok(CredentialType::from_code(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 11010519491231002X is the specimen number printed in GB 11643-1999 itself.
    const SPECIMEN: &str = "11010519491231002X";

    #[test]
    fn specimen_passes_and_every_single_digit_change_fails() {
        assert_eq!(check_resident_id(SPECIMEN), Ok(()));
        assert_eq!(check_resident_id("11010519491231002x"), Ok(()));
        for i in 0..17 {
            let mut b = SPECIMEN.as_bytes().to_vec();
            b[i] = if b[i] == b'9' { b'0' } else { b[i] + 1 };
            let s = String::from_utf8(b).unwrap_or_default();
            assert!(check_resident_id(&s).is_err(), "position {i}");
        }
    }

    #[test]
    fn shape_problems_are_named() {
        assert_eq!(
            check_resident_id("1101051949123100"),
            Err(IdNumberProblem::Length)
        );
        assert_eq!(
            check_resident_id("1101051949123100AX"),
            Err(IdNumberProblem::Characters)
        );
        assert_eq!(
            check_resident_id("110105194902300021"),
            Err(IdNumberProblem::BirthDate)
        );
        assert_eq!(
            check_resident_id("110105194912310021"),
            Err(IdNumberProblem::CheckDigit)
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张小三"), "张*三");
        assert_eq!(mask_name("欧阳小明"), "欧**明");
        assert_eq!(mask_name("李"), "*");
        assert_eq!(
            mask_credential_id("110105194912311234"),
            "110***********1234"
        );
        assert_eq!(mask_credential_id("E1234567"), "E12*4567");
        assert_eq!(mask_credential_id("12345"), "****5");
    }

    #[test]
    fn debug_and_display_never_show_full_values() {
        let r = RealName::new("张小三".into(), CredentialType::IdCard, SPECIMEN.into())
            .unwrap_or_else(|e| panic!("{e}"));
        for shown in [
            format!("{r:?}"),
            format!("{r}"),
            format!("{:?}", r.masked()),
        ] {
            assert!(!shown.contains("张小三"), "{shown}");
            assert!(!shown.contains(SPECIMEN), "{shown}");
            assert!(!shown.contains("0519491231"), "{shown}");
        }
        assert_eq!(r.expose_name(), "张小三");
    }

    #[test]
    fn implausible_plaintexts_are_decryption_errors_without_values() {
        let e = RealName::new(
            "张三".into(),
            CredentialType::IdCard,
            "110105194912310021".into(),
        )
        .expect_err("implausible value must be refused");
        assert_eq!(e.code(), "decryption");
        assert!(!e.to_string().contains("110105"));
        let e = RealName::new(
            "\u{1}\u{2}".into(),
            CredentialType::Passport,
            "E1234567".into(),
        )
        .expect_err("implausible value must be refused");
        assert_eq!(e.code(), "decryption");
        let e = RealName::new("张三".into(), CredentialType::Passport, "E12\u{7}".into())
            .expect_err("control character must be refused");
        assert_eq!(e.code(), "decryption");
    }
}
