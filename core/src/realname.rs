//! The decrypted identity, masking, the plausibility rule of each credential
//! type, and the GB 11643 and GB 32100 check characters.
//!
//! [`RealName`] is what a hospital system gets after decryption. Its name and
//! credential number are zeroized on drop; `Debug` and `Display` show only the
//! masked forms (`张*三`, `110***********1234`). The full values are reachable
//! only through [`RealName::expose_name`] and [`RealName::expose_credential_id`],
//! whose names make every use easy to find in review.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{named_enum, Error, Result};

/// `credential_type` of the real-name answer (1-11), with unknown codes kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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

// By hand, not `named_enum!`: `Unknown` carries the code it was received
// with, so it is not in `ALL` and its name does not parse back.
impl CredentialType {
    /// Every known type, in code order (1-11); [`CredentialType::Unknown`]
    /// is not in it.
    pub const ALL: &'static [Self] = &[
        Self::IdCard,
        Self::Passport,
        Self::MilitaryOfficer,
        Self::Soldier,
        Self::HomeReturnPermit,
        Self::TemporaryIdCard,
        Self::HouseholdRegister,
        Self::PoliceOfficer,
        Self::TaiwanPermit,
        Self::BusinessLicence,
        Self::Other,
    ];

    /// Stable snake_case name (`id_card`, `passport`, …; `unknown` for every
    /// [`CredentialType::Unknown`]). The wire form is the number
    /// ([`CredentialType::code`]), not this name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::IdCard => "id_card",
            Self::Passport => "passport",
            Self::MilitaryOfficer => "military_officer",
            Self::Soldier => "soldier",
            Self::HomeReturnPermit => "home_return_permit",
            Self::TemporaryIdCard => "temporary_id_card",
            Self::HouseholdRegister => "household_register",
            Self::PoliceOfficer => "police_officer",
            Self::TaiwanPermit => "taiwan_permit",
            Self::BusinessLicence => "business_licence",
            Self::Other => "other",
            Self::Unknown(_) => "unknown",
        }
    }

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

impl fmt::Display for CredentialType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses the name of a known type ([`CredentialType::as_str`], exactly);
/// refuses `unknown`, which carries no code.
impl std::str::FromStr for CredentialType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<String> = Self::ALL
                    .iter()
                    .map(|t| format!("`{}`", t.as_str()))
                    .collect();
                Error::invalid(
                    "credential_type",
                    format!("is not a known name (expected one of {})", names.join(", ")),
                )
            })
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

named_enum!(IdNumberProblem, "id_number_problem", {
    Length => "length",
    Characters => "characters",
    BirthDate => "birth_date",
    CheckDigit => "check_digit",
});

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

/// Mask a credential number. The rule depends only on the length in
/// characters (a Chinese character counts as one), which each credential
/// type's format fixes, so callers that do not know the type mask exactly as
/// [`RealName::masked_credential_id`] does:
///
/// | characters | shown | example |
/// |---|---|---|
/// | 1-3 | nothing | `***` |
/// | 4-5 | the last one | `****5` |
/// | 6-14 | the first one and the last two | `1*****78`, `E******78`, `南********7号` |
/// | 15 or more | the first three and the last four | `110***********1234` |
///
/// Every hidden character becomes one `*`, so the length shows. No mask ever
/// shows more than half of the characters.
pub fn mask_credential_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let n = chars.len();
    let (head, tail) = match n {
        0..=3 => (0, 0),
        4..=5 => (0, 1),
        6..=14 => (1, 2),
        _ => (3, 4),
    };
    let mut s = String::with_capacity(id.len());
    s.extend(&chars[..head]);
    s.extend(std::iter::repeat_n('*', n - head - tail));
    s.extend(&chars[n - tail..]);
    s
}

/// Longest name accepted, in characters (names with interpuncts such as
/// 阿卜杜热依木·阿卜杜克热木 can be long).
pub const MAX_NAME_CHARS: usize = 64;
/// Longest credential number accepted for any type, in characters.
pub const MAX_CREDENTIAL_ID_CHARS: usize = 32;

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

/// GB 32100-2015 alphabet of the unified social credit code (no I, O, S, V, Z).
const GB32100_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100-2015 check character of the first 17 characters of a unified
/// social credit code (upper case), or `None` when one is outside its alphabet.
pub fn gb32100_check_char(first17: &[u8; 17]) -> Option<char> {
    let mut sum = 0u32;
    let mut weight = 1u32;
    for c in first17 {
        let v = GB32100_CHARS.iter().position(|a| a == c)?;
        sum += v as u32 * weight;
        weight = weight * 3 % 31;
    }
    Some(GB32100_CHARS[((31 - sum % 31) % 31) as usize] as char)
}

/// Check an 18-character unified social credit code (GB 32100-2015): the
/// alphabet, a 6-digit region code at positions 3-8 and the check character.
/// Lower-case letters are accepted as upper case.
pub fn check_social_credit_code(code: &str) -> std::result::Result<(), &'static str> {
    let b = code.as_bytes();
    if b.len() != 18 || !code.is_ascii() {
        return Err("is not an 18-character unified social credit code (GB 32100)");
    }
    let mut up = [0u8; 18];
    for (u, c) in up.iter_mut().zip(b) {
        *u = c.to_ascii_uppercase();
    }
    if !up.iter().all(|c| GB32100_CHARS.contains(c)) {
        return Err("has a character outside the GB 32100 alphabet");
    }
    if !up[2..8].iter().all(u8::is_ascii_digit) {
        return Err("has no 6-digit region code at positions 3-8 (GB 32100)");
    }
    let mut first = [0u8; 17];
    first.copy_from_slice(&up[..17]);
    match gb32100_check_char(&first) {
        Some(c) if c == up[17] as char => Ok(()),
        _ => Err("fails the GB 32100 check character"),
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

fn is_fullwidth_digit(c: char) -> bool {
    matches!(c, '\u{FF10}'..='\u{FF19}')
}

fn is_any_digit(c: char) -> bool {
    c.is_ascii_digit() || is_fullwidth_digit(c)
}

/// 17 ASCII digits followed by a digit or `X`/`x`: the GB 11643 shape.
fn resident_shaped(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
}

/// The rule for codes outside 1-11 and the fallback of type 11: 4 to 32
/// characters of letters, digits, Chinese characters and `-/()（）` or single
/// inner spaces, with at least one digit.
fn generic_rule(id: &str, n: usize) -> std::result::Result<(), &'static str> {
    const RULE: &str =
        "is not 4-32 letters, digits, Chinese characters or -/() with at least one digit";
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || is_han(c)
            || is_fullwidth_digit(c)
            || matches!(c, '-' | '/' | '(' | ')' | '（' | '）' | ' ')
    };
    if !(4..=MAX_CREDENTIAL_ID_CHARS).contains(&n)
        || !id.chars().all(allowed)
        || id.contains("  ")
        || !id.chars().any(is_any_digit)
    {
        return Err(RULE);
    }
    Ok(())
}

/// 台胞证: 8 digits (the 2015 card) or 10 digits, or the older booklet form
/// of 7-9 digits with a suffix of one or two capital letters, or of one or two
/// capital letters or digits in parentheses (ASCII or full-width).
fn taiwan_rule(id: &str) -> std::result::Result<(), &'static str> {
    const RULE: &str =
        "is not a Taiwan compatriot permit number (8 or 10 digits, or 7-9 digits with a letter or parenthesised suffix)";
    let digits = id.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &id[digits..];
    let ok = if rest.is_empty() {
        digits == 8 || digits == 10
    } else if !(7..=9).contains(&digits) {
        false
    } else {
        let inner = rest
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .or_else(|| rest.strip_prefix('（').and_then(|r| r.strip_suffix('）')));
        match inner {
            Some(i) => {
                (1..=2).contains(&i.len())
                    && i.bytes()
                        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            }
            None => (1..=2).contains(&rest.len()) && rest.bytes().all(|c| c.is_ascii_uppercase()),
        }
    };
    if ok {
        Ok(())
    } else {
        Err(RULE)
    }
}

/// Check that `id` is plausible for its credential type. Every type refuses
/// an empty value, more than [`MAX_CREDENTIAL_ID_CHARS`] characters, control
/// and replacement characters and leading or trailing whitespace; then:
///
/// - 1 身份证, 6 临时身份证: an 18-character GB 11643 number (birth date and
///   check digit; `x` read as `X`). The 15-digit first-generation number is
///   refused: those cards have not been valid since 2013 and every number was
///   converted to 18 characters.
/// - 2 护照: 5-17 ASCII letters and digits with at least one digit (Chinese
///   `E12345678`, `EA1234567`, `G12345678` and foreign passports).
/// - 3 军官证, 4 士兵证, 8 警官证: 4-24 Chinese characters, capital letters,
///   digits (ASCII or full-width), `-` and parentheses, with at least 4
///   digits (`南字第1234567号`, `123456`).
/// - 5 回乡证: `H` or `M` then 8 or 10 digits.
/// - 7 户口簿: the holder's 18-character resident ID (GB 11643), or a
///   household number of 6-12 digits.
/// - 9 台胞证: 8 or 10 digits, or 7-9 digits with a suffix (`12345678(B)`).
/// - 10 营业执照: an 18-character unified social credit code with its GB 32100
///   check character.
/// - 11 其他证件: an 18-character number of the resident-ID shape must pass
///   GB 11643 (the 2023 foreigner's permanent residence card starting with
///   `9`, residence permits of Hong Kong, Macau and Taiwan residents);
///   anything else (the old 15-character permanent residence card, foreign
///   documents) follows the rule of unknown codes.
/// - unknown codes: 4-32 letters, digits, Chinese characters, `-/()（）` and
///   single inner spaces, with at least one digit.
///
/// The reason names the rule, never the value.
pub fn validate_credential_id(
    ty: CredentialType,
    id: &str,
) -> std::result::Result<(), &'static str> {
    if id.is_empty() {
        return Err("is empty");
    }
    // Bound the work before counting characters.
    if id.len() > 4 * MAX_CREDENTIAL_ID_CHARS {
        return Err("is longer than 32 characters");
    }
    let n = id.chars().count();
    if n > MAX_CREDENTIAL_ID_CHARS {
        return Err("is longer than 32 characters");
    }
    if id.chars().any(|c| c.is_control() || c == '\u{FFFD}') {
        return Err("contains control or replacement characters");
    }
    if id.trim() != id {
        return Err("has leading or trailing whitespace");
    }
    match ty {
        CredentialType::IdCard | CredentialType::TemporaryIdCard => {
            check_resident_id(id).map_err(IdNumberProblem::describe)
        }
        CredentialType::Passport => {
            if (5..=17).contains(&n)
                && id.bytes().all(|c| c.is_ascii_alphanumeric())
                && id.bytes().any(|c| c.is_ascii_digit())
            {
                Ok(())
            } else {
                Err("is not a passport number (5-17 ASCII letters and digits, at least one digit)")
            }
        }
        CredentialType::MilitaryOfficer
        | CredentialType::Soldier
        | CredentialType::PoliceOfficer => {
            let allowed = |c: char| {
                is_han(c)
                    || is_any_digit(c)
                    || c.is_ascii_uppercase()
                    || matches!(c, '-' | '(' | ')' | '（' | '）')
            };
            if (4..=24).contains(&n)
                && id.chars().all(allowed)
                && id.chars().filter(|&c| is_any_digit(c)).count() >= 4
            {
                Ok(())
            } else {
                Err("is not an officer, soldier or police card number (4-24 Chinese characters, capital letters and digits, at least 4 digits)")
            }
        }
        CredentialType::HomeReturnPermit => {
            let b = id.as_bytes();
            if matches!(b.first(), Some(b'H' | b'M' | b'h' | b'm'))
                && (b.len() == 9 || b.len() == 11)
                && b[1..].iter().all(u8::is_ascii_digit)
            {
                Ok(())
            } else {
                Err("is not a home-return permit number (H or M, then 8 or 10 digits)")
            }
        }
        CredentialType::HouseholdRegister => {
            if n == 18 {
                check_resident_id(id).map_err(IdNumberProblem::describe)
            } else if (6..=12).contains(&n) && id.bytes().all(|c| c.is_ascii_digit()) {
                Ok(())
            } else {
                Err("is neither an 18-character resident ID number nor a 6-12 digit household number")
            }
        }
        CredentialType::TaiwanPermit => taiwan_rule(id),
        CredentialType::BusinessLicence => check_social_credit_code(id),
        CredentialType::Other => {
            if resident_shaped(id) {
                check_resident_id(id).map_err(IdNumberProblem::describe)
            } else {
                generic_rule(id, n)
            }
        }
        CredentialType::Unknown(_) => generic_rule(id, n),
    }
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
    /// [`Error::InvalidInput`] naming the field and the rule (never the
    /// value). The decryptor turns any such failure into its single
    /// [`Error::Decryption`]: with implicit rejection an implausible
    /// plaintext is how a wrong key or padding shows itself.
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
        validate_name(&this.name).map_err(|r| Error::invalid("real_name", r))?;
        validate_credential_id(this.credential_type, &this.credential_id)
            .map_err(|r| Error::invalid("credential_id", r))?;
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

/// Whether `s` can be a masked name as [`mask_name`] makes them: at least one
/// character hidden (`*`), at most half of them shown, rounded up (`张*`,
/// `张*三`, `欧**明`, `*`). A full name, even of one character, is not.
pub fn is_masked_name(s: &str) -> bool {
    let (n, hidden) = count_hidden(s);
    hidden >= 1 && (n - hidden) <= n.div_ceil(2)
}

/// Whether `s` can be a masked credential number as [`mask_credential_id`]
/// makes them: at least one character hidden (`*`) and at most half of them
/// shown (`110***********1234`, `E******78`, `***`).
pub fn is_masked_credential_id(s: &str) -> bool {
    let (n, hidden) = count_hidden(s);
    hidden >= 1 && (n - hidden) * 2 <= n
}

/// Characters of `s`, and how many of them are `*`.
fn count_hidden(s: &str) -> (usize, usize) {
    s.chars()
        .fold((0, 0), |(n, h), c| (n + 1, h + usize::from(c == '*')))
}

impl MaskedIdentity {
    /// Check that both values really are masked ([`is_masked_name`],
    /// [`is_masked_credential_id`]): what a kiosk does with an identity its
    /// merchant server sent, so that a misconfigured server that sends full
    /// values is refused instead of shown.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on `name` or `credential_id`, naming the rule,
    /// never the value.
    pub fn check_masked(&self) -> Result<()> {
        if !is_masked_name(&self.name) {
            return Err(Error::invalid(
                "name",
                "is not masked (a masked name hides at least one character and shows at most half)",
            ));
        }
        if !is_masked_credential_id(&self.credential_id) {
            return Err(Error::invalid(
                "credential_id",
                "is not masked (a masked number hides at least one character and shows at most half)",
            ));
        }
        Ok(())
    }
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
    }

    #[test]
    fn credential_masks_by_length() {
        for (id, masked) in [
            ("", ""),
            ("1", "*"),
            ("12", "**"),
            ("123", "***"),
            ("1234", "***4"),
            ("12345", "****5"),
            ("123456", "1***56"),
            ("12345678", "1*****78"),
            ("E1234567", "E*****67"),
            ("E12345678", "E******78"),
            ("H1234567801", "H********01"),
            ("12345678(B)", "1********B)"),
            ("南字第1234567号", "南********7号"),
            ("12345678901234", "1***********34"),
            ("USA110018010100", "USA********0100"),
            ("110105194912311234", "110***********1234"),
            (SPECIMEN, "110***********002X"),
            ("91350100M000100Y43", "913***********0Y43"),
            ("一二三四五六七八九十一二三四五", "一二三********二三四五"),
        ] {
            assert_eq!(mask_credential_id(id), masked, "{id}");
        }
    }

    /// Whatever the characters, a mask keeps the length and never shows more
    /// than half of them; below 15 characters at most the first and the last
    /// two.
    #[test]
    fn masks_never_show_more_than_half() {
        for alphabet in [
            "ABCDEFGHJKLMNPQRTUWXY0123456789",
            "南字第一二三四五六七八九十号",
        ] {
            let pool: Vec<char> = alphabet.chars().cycle().take(64).collect();
            for n in 1..=64 {
                let id: String = pool[..n].iter().collect();
                let masked: Vec<char> = mask_credential_id(&id).chars().collect();
                assert_eq!(masked.len(), n);
                let shown: Vec<usize> = (0..n).filter(|&i| masked[i] != '*').collect();
                assert!(shown.len() * 2 <= n, "{n}: {} shown", shown.len());
                for &i in &shown {
                    assert_eq!(masked[i], pool[i], "{n}: position {i}");
                }
                if n < 15 {
                    assert!(
                        shown.iter().all(|&i| i == 0 || i + 2 >= n),
                        "{n}: {shown:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn gb32100_sample_and_typos() {
        // The sample code printed in GB 32100-2015.
        assert_eq!(check_social_credit_code("91350100M000100Y43"), Ok(()));
        assert_eq!(check_social_credit_code("91350100m000100y43"), Ok(()));
        assert!(check_social_credit_code("91350100M000100Y44").is_err());
        assert!(check_social_credit_code("91350100M000100Y4").is_err());
        assert!(check_social_credit_code("9135010OM000100Y43").is_err());
        for i in 0..17 {
            let mut b = b"91350100M000100Y43".to_vec();
            b[i] = if b[i] == b'1' { b'2' } else { b'1' };
            let s = String::from_utf8(b).unwrap_or_default();
            assert!(check_social_credit_code(&s).is_err(), "position {i}");
        }
    }

    #[test]
    fn every_type_accepts_its_real_formats() {
        use CredentialType::*;
        let ok = [
            (IdCard, SPECIMEN),
            (TemporaryIdCard, SPECIMEN),
            (Passport, "E12345678"),
            (Passport, "EA1234567"),
            (Passport, "G12345678"),
            (MilitaryOfficer, "南字第1234567号"),
            (Soldier, "士字第1234567号"),
            (PoliceOfficer, "警字第1234567号"),
            (PoliceOfficer, "123456"),
            (HomeReturnPermit, "H12345678"),
            (HomeReturnPermit, "M1234567801"),
            (HouseholdRegister, SPECIMEN),
            (HouseholdRegister, "123456789"),
            (TaiwanPermit, "12345678"),
            (TaiwanPermit, "1234567890"),
            (TaiwanPermit, "12345678(B)"),
            (TaiwanPermit, "12345678（B）"),
            (BusinessLicence, "91350100M000100Y43"),
            (Other, "USA110018010100"),
            (Other, "A123456(7)"),
            (Unknown(42), "字第1234号"),
        ];
        for (ty, id) in ok {
            assert_eq!(validate_credential_id(ty, id), Ok(()), "{ty:?} {id}");
        }
        let bad = [
            (IdCard, "110105491231002"),
            (TemporaryIdCard, "110105194912310021"),
            (Passport, "E-1234567"),
            (MilitaryOfficer, "南字第123号"),
            (Soldier, "士字第 1234567号"),
            (HomeReturnPermit, "H1234567"),
            (HouseholdRegister, "110105194912310021"),
            (TaiwanPermit, "123456789"),
            (BusinessLicence, "110105000000001"),
            (Other, "110105194912310021"),
            (Unknown(0), "ABC"),
        ];
        for (ty, id) in bad {
            assert!(validate_credential_id(ty, id).is_err(), "{ty:?} {id}");
        }
    }

    #[test]
    fn every_type_refuses_controls_replacement_and_length() {
        let long = "1".repeat(MAX_CREDENTIAL_ID_CHARS + 1);
        let huge = "号".repeat(10_000);
        for code in 0..=12 {
            let ty = CredentialType::from_code(code);
            for id in [
                "",
                "E1234567\u{0}",
                "E1234\u{7}567",
                "E1234\u{85}567",
                "E1234\u{FFFD}567",
                " E12345678",
                "E12345678\n",
                long.as_str(),
                huge.as_str(),
            ] {
                let r = validate_credential_id(ty, id);
                assert!(r.is_err(), "{code}: {id:?}");
            }
        }
    }

    #[test]
    fn reasons_name_the_rule_not_the_value() {
        for (ty, id) in [
            (CredentialType::Passport, "E12\u{7}45678"),
            (CredentialType::MilitaryOfficer, "南字第123号"),
            (CredentialType::BusinessLicence, "91350100M000100Y44"),
            (CredentialType::TaiwanPermit, "1234567890123"),
            (CredentialType::HouseholdRegister, "12345"),
        ] {
            let r = validate_credential_id(ty, id).expect_err("must be refused");
            assert!(!r.contains(id) && !r.contains("123"), "{r}");
        }
    }

    #[test]
    fn officer_numbers_with_chinese_characters_decrypt_to_a_real_name() {
        let r = RealName::new(
            "测试军官".into(),
            CredentialType::MilitaryOfficer,
            "南字第1234567号".into(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.masked_credential_id(), "南********7号");
        let shown = format!("{r:?} {r}");
        assert!(!shown.contains("1234567"), "{shown}");
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
    fn implausible_values_are_refused_naming_the_field_not_the_value() {
        let e = RealName::new(
            "张三".into(),
            CredentialType::IdCard,
            "110105194912310021".into(),
        )
        .expect_err("implausible value must be refused");
        assert_eq!(e.code(), "invalid_input");
        assert!(e.to_string().contains("credential_id"));
        assert!(!e.to_string().contains("110105"));
        let e = RealName::new(
            "\u{1}\u{2}".into(),
            CredentialType::Passport,
            "E1234567".into(),
        )
        .expect_err("implausible value must be refused");
        assert_eq!(e.code(), "invalid_input");
        assert!(e.to_string().contains("real_name"));
        let e = RealName::new("张三".into(), CredentialType::Passport, "E12\u{7}".into())
            .expect_err("control character must be refused");
        assert_eq!(e.code(), "invalid_input");
    }
}
