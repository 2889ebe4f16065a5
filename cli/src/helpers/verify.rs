//! `wxface verify v3`: check an APIv3 answer's signature.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use wxface_core::crypto::default_provider;
use wxface_core::http::Headers;
use wxface_core::time::{Clock, SystemClock};
use wxface_core::v3::verify::{HEADER_SERIAL, HEADER_TIMESTAMP};
use wxface_core::v3::{PlatformKeyStore, ResponseVerifier, DEFAULT_WINDOW_SECS};
use wxface_core::UnixTime;

use super::out;
use crate::error::CliError;
use crate::input::Source;

/// Arguments of `wxface verify v3`.
#[derive(Debug, Args)]
#[command(after_help = "\
Each HEADER is `Name: value`, or `@file` / `-` holding such lines (the output of \
`curl -D`, say: a leading `HTTP/1.1 200` status line sets --status, other lines without \
a colon are refused). Names are case-insensitive.

Exit status: 0 and `OK …` on standard output when the signature verifies; 1 and the \
typed failure (signature_missing, signature_unknown_serial, signature_stale_timestamp, \
signature_mismatch, signature_malformed) on standard error otherwise.

Example:
  wxface verify v3 @headers.txt --body @body.json --cert wechatpay_platform.pem")]
pub struct VerifyV3Args {
    /// Answer headers: `Name: value`, `@file` or `-`.
    #[arg(value_name = "HEADER", required = true)]
    pub headers: Vec<String>,

    /// The answer body exactly as received: text, `@file` or `-`.
    #[arg(long, value_name = "BODY")]
    pub body: String,

    /// Platform certificate PEM (repeatable).
    #[arg(long, value_name = "PATH", required_unless_present = "public_key")]
    pub cert: Vec<PathBuf>,

    /// Platform public key PEM (`pub_key.pem`).
    #[arg(long, value_name = "PATH", requires = "public_key_id")]
    pub public_key: Option<PathBuf>,

    /// Id of the platform public key (`PUB_KEY_ID_…`).
    #[arg(long, value_name = "ID", requires = "public_key")]
    pub public_key_id: Option<String>,

    /// "Now" as a Unix timestamp, for checking saved answers [default: the clock].
    #[arg(long)]
    pub now: Option<u64>,

    /// Accepted clock skew in seconds.
    #[arg(long, default_value_t = DEFAULT_WINDOW_SECS)]
    pub window: u64,

    /// HTTP status of the answer (only named in messages).
    #[arg(long)]
    pub status: Option<u16>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parse `Name: value` lines; returns the headers and the status of a
/// leading `HTTP/…` line.
fn parse_header_lines(
    text: &str,
    what: &str,
    headers: &mut Vec<(String, String)>,
) -> Result<Option<u16>, CliError> {
    let mut status = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with("HTTP/") {
            status = line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse::<u16>().ok());
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| CliError::Input(format!("a line of {what} is not `Name: value`")))?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(CliError::Input(format!(
                "a line of {what} has no valid header name"
            )));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(status)
}

/// Run `wxface verify v3`.
///
/// # Errors
/// Unreadable inputs or keys, and (exit status 1) a signature that does not verify.
pub fn run_v3(args: &VerifyV3Args, stdout: &mut dyn Write) -> Result<(), CliError> {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut status_from_input = None;
    for arg in &args.headers {
        let source = Source::parse(arg);
        let text = source.read_text()?;
        let what = match &source {
            Source::Literal(_) => "a header argument".to_owned(),
            other => other.describe(),
        };
        if let Some(s) = parse_header_lines(&text, &what, &mut headers)? {
            status_from_input = Some(s);
        }
    }
    let status = args.status.or(status_from_input).unwrap_or(200);
    let body = Source::parse(&args.body).read()?;

    let provider = default_provider();
    let mut store = PlatformKeyStore::new();
    for path in &args.cert {
        let pem_text = Source::File(path.clone()).read_text()?;
        store.add_certificate_pem(provider.as_ref(), &pem_text)?;
    }
    if let (Some(path), Some(id)) = (&args.public_key, &args.public_key_id) {
        let pem_text = Source::File(path.clone()).read_text()?;
        store.add_public_key_pem(provider.as_ref(), id, &pem_text)?;
    }
    let mut verifier = ResponseVerifier::new(store);
    verifier.window_secs = args.window;
    let now = args.now.map(UnixTime).unwrap_or_else(|| SystemClock.now());
    verifier.verify(status, &headers, &body, now)?;

    let serial = headers.header(HEADER_SERIAL).unwrap_or_default().to_owned();
    let signed_at = headers
        .header(HEADER_TIMESTAMP)
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or_default();
    let skew = now.abs_diff(UnixTime(signed_at));
    if args.json {
        let v = json!({"ok": true, "serial": serial, "timestamp": signed_at, "skew_secs": skew});
        out(stdout, &v.to_string())?;
    } else {
        out(
            stdout,
            &format!(
                "OK: HTTP {status} answer signed by {serial} at {signed_at} ({skew} s from now)"
            ),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_with_status_line() {
        let mut h = Vec::new();
        let s = parse_header_lines(
            "HTTP/1.1 204 No Content\r\nWechatpay-Nonce: a:b\r\n\r\n",
            "x",
            &mut h,
        );
        assert_eq!(s.ok().flatten(), Some(204));
        assert_eq!(h, vec![("Wechatpay-Nonce".to_owned(), "a:b".to_owned())]);
    }

    #[test]
    fn header_lines_without_colon_are_refused() {
        let mut h = Vec::new();
        assert!(parse_header_lines("nonsense", "x", &mut h).is_err());
    }
}
