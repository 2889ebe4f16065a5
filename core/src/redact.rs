//! Text that leaves the library without the values that went into it.
//!
//! Three tools, used by every crate and binding of the workspace:
//!
//! - **Parser errors.** serde's messages quote the value they refused
//!   (`invalid type: string "张三 1101…", expected u64`, ``unknown variant
//!   `…` ``). [`serde_message`], [`json_error`] and the [`from_value`] /
//!   [`from_slice`] helpers turn them into the field path, the category and
//!   the expected type: `` field `proxy.port`: invalid type (integer), expected
//!   a string ``, or `line 1, column 9: syntax error (expected value)`. No
//!   value, no unknown key, no variant name supplied by the caller survives.
//! - **Log fields.** [`LogSafe`] prints a caller-supplied string with control
//!   characters escaped (`\n`, `\u{1b}`), so a `device_id` cannot forge a log
//!   line or drive a terminal.
//! - **Credentials in `Debug`.** [`Redacted`] prints `"[redacted, 40 chars]"`
//!   in place of a `face_sid`: the identity query credential is reachable
//!   through its field, never through `{:?}`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// Longest part of a serde "expected …" clause kept (it comes from the
/// library's own types, but a bound keeps messages small).
const MAX_EXPECTED_CHARS: usize = 120;

/// A serde deserialisation message (from any serde format: JSON, a JS value,
/// a Python object…) without the values it quotes. The position suffix
/// serde_json appends (`at line 1 column 9`) is kept.
///
/// Recognised serde templates keep their category and their "expected"
/// clause; field names are kept only when they look like field names
/// (ASCII, starting with a letter or `_`, few digits). Anything else — a
/// custom message from a `Deserialize` implementation outside this crate —
/// becomes "value not accepted", unless it is one of this crate's own
/// [`Error`] messages, which never carry values.
pub fn serde_message(msg: &str) -> String {
    let (body, position) = split_position(msg);
    let text = describe(body);
    match position {
        Some((line, column)) => format!("{text} at line {line}, column {column}"),
        None => text,
    }
}

/// A serde_json error without the values it quotes: the position (when the
/// input was text), the category and, for data errors, what was expected.
pub fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let (body, _) = split_position_owned(&e.to_string());
    let what = match e.classify() {
        Category::Io => "read error".to_owned(),
        Category::Eof => "truncated input".to_owned(),
        Category::Syntax => format!("syntax error ({})", syntax_reason(&body)),
        Category::Data => describe(&body),
    };
    if e.line() == 0 {
        what
    } else {
        format!("line {}, column {}: {what}", e.line(), e.column())
    }
}

/// Deserialize `T` from a JSON value; on failure an
/// [`Error::InvalidInput`] on `what`, or on the path of the failing field
/// (`` `what.proxy.port` ``), with a message from [`serde_message`].
///
/// # Errors
/// [`Error::InvalidInput`] as above.
pub fn from_value<T: DeserializeOwned>(what: &str, value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = with_path(what, e.path());
        Error::invalid(field, serde_message(&e.inner().to_string()))
    })
}

/// Deserialize `T` from JSON text; on failure an [`Error::Malformed`] about
/// `what` naming the failing field's path, the position and the category,
/// never a value.
///
/// # Errors
/// [`Error::Malformed`] as above.
pub fn from_slice<T: DeserializeOwned>(what: &'static str, json: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let out: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = path_text(e.path());
        let reason = json_error(e.inner());
        let reason = match path {
            Some(p) => format!("field `{p}`: {reason}"),
            None => reason,
        };
        Error::malformed(what, reason)
    })?;
    // Trailing characters are a syntax error of the whole document.
    de.end()
        .map_err(|e| Error::malformed(what, json_error(&e)))?;
    Ok(out)
}

/// A caller-supplied string for a log field: control characters (newlines,
/// carriage returns, escape sequences, other C0/C1 controls) and Unicode
/// line/paragraph separators escaped the way `str::escape_debug` does;
/// everything else, CJK included, unchanged.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LogSafe<'a>(pub &'a str);

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl fmt::Display for LogSafe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_debug())?;
            } else if needs_escape(c) {
                // Line separators and bidirectional overrides.
                write!(f, "{}", c.escape_unicode())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for LogSafe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Whether `s` holds characters [`LogSafe`] would escape.
pub fn has_control_chars(s: &str) -> bool {
    s.chars().any(needs_escape)
}

/// A credential in `Debug` output: `"[redacted, 40 chars]"`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Redacted<'a>(pub &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[redacted, {} chars]", self.0.chars().count())
    }
}

/// The redacted form of an optional credential for `Debug` output.
pub fn redacted_opt(v: &Option<String>) -> Option<Redacted<'_>> {
    v.as_deref().map(Redacted)
}

/// The text [`Redacted`] prints, for bindings that build their own `repr`
/// or `toString`: `[redacted, 40 chars]`.
pub fn redacted_text(s: &str) -> String {
    Redacted(s).to_string()
}

/// What a peer's error code is reported as when it is not code-shaped.
pub const UNRECOGNISED_CODE: &str = "UNRECOGNISED_CODE";

/// A peer's error code (`SYSTEMERROR`, `USER_CANCEL`, `271382020`) as it may
/// appear in an error: a word of ASCII letters, digits and `_` (starting with
/// a letter, at most four digits) or a number of at most 11 digits; anything
/// else becomes [`UNRECOGNISED_CODE`].
pub fn code_token(s: &str) -> String {
    let number = {
        let d = s.strip_prefix('-').unwrap_or(s);
        !d.is_empty() && d.len() <= 11 && d.bytes().all(|b| b.is_ascii_digit())
    };
    let word = is_field_name(s) && !s.contains('-');
    if number || word {
        s.to_owned()
    } else {
        UNRECOGNISED_CODE.to_owned()
    }
}

/// A name taken from input (an XML element name, a JSON key) for an error
/// message: itself when it looks like a field name, else `?`.
pub fn field_name(s: &str) -> &str {
    if is_field_name(s) {
        s
    } else {
        "?"
    }
}

// ------------------------------------------------------------------ internals

fn with_path(what: &str, path: &serde_path_to_error::Path) -> String {
    match path_text(path) {
        Some(p) => format!("{what}.{p}"),
        None => what.to_owned(),
    }
}

/// The path of the failing field, keys that do not look like field names
/// replaced by `?`; `None` at the top level.
fn path_text(path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(if is_field_name(key) { key } else { "?" });
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// ASCII, 1 to 64 characters, starting with a letter or `_`, letters,
/// digits, `_` and `-` only, at most four digits: a field name, not a
/// credential number or a name.
fn is_field_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    s.len() <= 64
        && (first.is_ascii_alphabetic() || first == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && s.chars().filter(char::is_ascii_digit).count() <= 4
}

fn split_position(msg: &str) -> (&str, Option<(u64, u64)>) {
    if let Some(i) = msg.rfind(" at line ") {
        let tail = &msg[i + " at line ".len()..];
        if let Some((l, c)) = tail.split_once(" column ") {
            if let (Ok(l), Ok(c)) = (l.parse(), c.parse()) {
                return (&msg[..i], Some((l, c)));
            }
        }
    }
    (msg, None)
}

fn split_position_owned(msg: &str) -> (String, Option<(u64, u64)>) {
    let (body, pos) = split_position(msg);
    (body.to_owned(), pos)
}

/// The reason of a serde_json syntax error: its own fixed texts, none of
/// which quote input.
fn syntax_reason(body: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "expected value",
        "expected ident",
        "expected `:`",
        "expected `,` or `]`",
        "expected `,` or `}`",
        "trailing characters",
        "trailing comma",
        "invalid escape",
        "invalid number",
        "number out of range",
        "invalid unicode code point",
        "control character (\\u0000-\\u001F) found while parsing a string",
        "key must be a string",
        "lone leading surrogate in hex escape",
        "unexpected end of hex escape",
        "recursion limit exceeded",
        "EOF while parsing a value",
        "EOF while parsing a string",
        "EOF while parsing an object",
        "EOF while parsing a list",
        "invalid type",
    ];
    KNOWN
        .iter()
        .find(|k| body.starts_with(*k))
        .copied()
        .unwrap_or("not JSON")
}

/// The category of serde's `Unexpected` display (`string "…"`, `integer
/// `5``, `map`…), without the value.
fn unexpected_kind(s: &str) -> &'static str {
    const KINDS: &[&str] = &[
        "boolean",
        "integer",
        "floating point",
        "character",
        "string",
        "byte array",
        "unit value",
        "Option value",
        "newtype struct",
        "sequence",
        "map",
        "enum",
        "unit variant",
        "newtype variant",
        "tuple variant",
        "struct variant",
        "null",
    ];
    KINDS
        .iter()
        .find(|k| s.starts_with(*k))
        .copied()
        .unwrap_or("value")
}

/// The "expected" clause when it is ASCII text of a reasonable size (serde
/// and this library write it; a value would not fit these rules reliably
/// enough to keep it otherwise).
fn expected_clause(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()
        && s.chars().count() <= MAX_EXPECTED_CHARS
        && s.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && !s.contains('"')
        && !has_long_digit_run(s))
    .then_some(s)
}

fn has_long_digit_run(s: &str) -> bool {
    let mut run = 0;
    for c in s.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run > 6 {
            return true;
        }
    }
    false
}

fn with_expected(head: &str, rest: Option<&str>) -> String {
    match rest.and_then(expected_clause) {
        Some(exp) => format!("{head}, expected {exp}"),
        None => head.to_owned(),
    }
}

/// The field named between the first pair of backticks, when it looks like
/// a field name.
fn backticked_field(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    let name = &s[start..start + len];
    is_field_name(name).then_some(name)
}

fn describe(body: &str) -> String {
    let body = body.trim();
    if let Some(rest) = body
        .strip_prefix("invalid type: ")
        .or_else(|| body.strip_prefix("invalid value: "))
    {
        let head = if body.starts_with("invalid type") {
            "invalid type"
        } else {
            "invalid value"
        };
        let (unexp, exp) = match rest.rfind(", expected ") {
            Some(i) => (&rest[..i], Some(&rest[i + ", expected ".len()..])),
            None => (rest, None),
        };
        return with_expected(&format!("{head} ({})", unexpected_kind(unexp)), exp);
    }
    if let Some(rest) = body.strip_prefix("invalid length ") {
        let exp = rest.split_once(", expected ").map(|(_, e)| e);
        return with_expected("invalid length", exp);
    }
    if let Some(rest) = body.strip_prefix("unknown variant ") {
        let exp = rest.split_once(", expected ").map(|(_, e)| e);
        return with_expected("unknown variant", exp);
    }
    if let Some(rest) = body.strip_prefix("unknown field ") {
        let exp = rest.split_once(", expected ").map(|(_, e)| e);
        return with_expected("unknown field", exp);
    }
    for head in ["missing field", "duplicate field"] {
        if let Some(rest) = body.strip_prefix(head) {
            return match backticked_field(rest) {
                Some(f) => format!("{head} `{f}`"),
                None => head.to_owned(),
            };
        }
    }
    if body.starts_with("data did not match any variant") {
        return "does not match any accepted shape".to_owned();
    }
    if let Some(rest) = body.strip_prefix("invalid input: `") {
        // This crate's own `Error::InvalidInput` (a `TryFrom` in a serde
        // derive): it names a field and a rule, never a value.
        if backticked_field(&format!("`{rest}")).is_some() {
            return body.to_owned();
        }
    }
    let reason = syntax_reason(body);
    if reason != "not JSON" {
        return reason.to_owned();
    }
    "value not accepted".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    const NAME: &str = "张三丰";
    const ID: &str = "11010519491231002X";

    fn clean(s: &str) {
        assert!(!s.contains(NAME) && !s.contains(ID), "{s}");
        assert!(!s.contains("张") && !s.contains("1101"), "{s}");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        port: u16,
        kind: Kind,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    enum Kind {
        A,
        B,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
        list: Vec<u8>,
    }

    #[test]
    fn values_keys_and_variants_are_not_echoed() {
        let value = format!("{NAME} {ID}");
        let cases = [
            serde_json::json!({"name": value, "inner": {"port": value, "kind": "A"}, "list": []}),
            serde_json::json!({"name": "x", "inner": {"port": 1, "kind": value}, "list": []}),
            serde_json::json!({"name": "x", "inner": {"port": 1, "kind": "A", value.clone(): 1}, "list": []}),
            serde_json::json!({"name": 5, "inner": {"port": 1, "kind": "A"}, "list": [value]}),
            serde_json::json!({"name": "x", "inner": {"port": 1, "kind": "A"}, "list": value}),
            serde_json::json!({"name": ID.parse::<f64>().unwrap_or(1.0), "inner": 1, "list": []}),
            serde_json::json!(value),
        ];
        for c in cases {
            let text = c.to_string();
            let e = from_value::<Outer>("request", c)
                .err()
                .map(|e| format!("{e} {e:?}"));
            let e = e.unwrap_or_default();
            assert!(!e.is_empty());
            clean(&e);
            let e = from_slice::<Outer>("request", text.as_bytes())
                .err()
                .map(|e| format!("{e} {e:?}"))
                .unwrap_or_default();
            assert!(!e.is_empty());
            clean(&e);
        }
    }

    #[test]
    fn the_field_path_and_expected_type_are_kept() {
        let e = from_value::<Outer>(
            "request",
            serde_json::json!({"name": "x", "inner": {"port": "张三丰", "kind": "A"}, "list": []}),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert_eq!(
            e,
            "invalid input: `request.inner.port` invalid type (string), expected u16"
        );
        let e = from_slice::<Outer>(
            "thing",
            br#"{"name": "x", "inner": {"port": 1, "kind": "A"}}"#,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert_eq!(
            e,
            "malformed thing: line 1, column 48: missing field `list`"
        );
        let e = from_slice::<Outer>("thing", "{\"name\": \"张三丰".as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("malformed thing: field `name`: line 1, column"),
            "{e}"
        );
        assert!(e.ends_with("truncated input"), "{e}");
        let e = from_slice::<Value>("thing", b"{} x")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("trailing characters"), "{e}");
    }

    #[test]
    fn serde_messages_of_other_formats() {
        assert_eq!(
            serde_message("invalid type: string \"张三丰\", expected a boolean"),
            "invalid type (string), expected a boolean"
        );
        assert_eq!(
            serde_message("unknown variant `11010519491231002X`, expected `A` or `B`"),
            "unknown variant, expected `A` or `B`"
        );
        assert_eq!(
            serde_message("unknown field `张三丰`, expected one of `a`, `b`"),
            "unknown field, expected one of `a`, `b`"
        );
        assert_eq!(
            serde_message("missing field `appid`"),
            "missing field `appid`"
        );
        assert_eq!(serde_message("missing field `张三丰`"), "missing field");
        assert_eq!(
            serde_message("custom 张三丰 11010519491231002X"),
            "value not accepted"
        );
        assert_eq!(
            serde_message("invalid input: `proxy_type` must be 0, 1 or 2"),
            "invalid input: `proxy_type` must be 0, 1 or 2"
        );
        assert_eq!(
            serde_message("invalid value: integer `110105194912310021`, expected 11010519491231"),
            "invalid value (integer)"
        );
    }

    #[test]
    fn log_safe_escapes_controls_only() {
        let forged = "KIOSK\n2026-12-03T00:00:00Z  INFO forged\u{1b}[2J\u{2028}";
        let s = LogSafe(forged).to_string();
        assert!(
            !s.contains('\n') && !s.contains('\u{1b}') && !s.contains('\u{2028}'),
            "{s}"
        );
        assert_eq!(
            s,
            "KIOSK\\n2026-12-03T00:00:00Z  INFO forged\\u{1b}[2J\\u{2028}"
        );
        assert_eq!(LogSafe("诊室-3 A").to_string(), "诊室-3 A");
        assert!(has_control_chars(forged));
        assert!(!has_control_chars("诊室-3 A"));
    }

    #[test]
    fn codes_and_names_from_input() {
        for ok in ["SYSTEMERROR", "USER_CANCEL", "271382020", "-1", "FAIL"] {
            assert_eq!(code_token(ok), ok);
        }
        for bad in [NAME, ID, "110105194912310021", "a b", "X11010519491231002"] {
            assert_eq!(code_token(bad), UNRECOGNISED_CODE);
        }
        assert_eq!(field_name("device_id"), "device_id");
        assert_eq!(field_name(NAME), "?");
        assert_eq!(field_name(ID), "?");
    }

    #[test]
    fn redacted_prints_the_length_only() {
        let sid = "a".repeat(40);
        assert_eq!(format!("{:?}", Redacted(&sid)), "\"[redacted, 40 chars]\"");
        assert_eq!(redacted_text("abc"), "[redacted, 3 chars]");
    }
}
