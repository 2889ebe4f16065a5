//! Small helpers: randomness, dates, PEM, masking for logs.

use base64::Engine as _;
use wxface_core::time::{nonce, OsEntropy};

/// `len` random characters from `[0-9A-Za-z]`.
pub(crate) fn random_alnum(len: usize) -> String {
    nonce(&OsEntropy, len)
}

/// `len` random bytes.
pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    wxface_core::time::Entropy::fill(&OsEntropy, &mut b);
    b
}

/// `len` random decimal digits.
pub(crate) fn random_digits(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        // Rejection sampling keeps the digits uniform: 250 = 25 * 10.
        out.extend(
            random_bytes(len)
                .into_iter()
                .filter(|b| *b < 250)
                .map(|b| char::from(b'0' + b % 10)),
        );
    }
    out.truncate(len);
    out
}

/// Base64 (standard alphabet) of `len` random bytes: the look of opaque
/// WeChat credentials such as `rawdata` and `authinfo`.
pub(crate) fn random_b64(len: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes(len))
}

/// Civil date (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DDTHH:MM:SS+08:00`: how WeChat Pay writes times (China Standard Time).
pub(crate) fn rfc3339_cst(unix: u64) -> String {
    let t = unix as i64 + 8 * 3600;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00",
        s / 3600,
        (s % 3600) / 60,
        s % 60
    )
}

/// PEM text of `der` under `label`, 64-character lines.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(&String::from_utf8_lossy(chunk));
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

/// The first few characters of an opaque credential, for logs.
pub(crate) fn short(s: &str) -> String {
    let head: String = s.chars().take(6).collect();
    format!("{}…", wxface_core::redact::LogSafe(&head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        // 2023-11-14T22:13:20Z is 2023-11-15T06:13:20+08:00.
        assert_eq!(rfc3339_cst(1_700_000_000), "2023-11-15T06:13:20+08:00");
    }

    #[test]
    fn random_shapes() {
        assert_eq!(random_alnum(32).len(), 32);
        let d = random_digits(10);
        assert_eq!(d.len(), 10);
        assert!(d.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(short("abcdefghij"), "abcdef…");
    }
}
