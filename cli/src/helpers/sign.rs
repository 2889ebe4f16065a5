//! `wxface sign v2` and `wxface sign v3`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use wxface_core::crypto::{default_provider, pem};
use wxface_core::time::{nonce, Clock, OsEntropy, SystemClock};
use wxface_core::v2::{ApiKey, Fields, SignType};
use wxface_core::v3::{request_message, Authorization, MerchantSigner};
use wxface_core::UnixTime;
use zeroize::Zeroizing;

use super::{out, show_bytes};
use crate::error::CliError;
use crate::input::{read_secret_file, Source};

/// `--sign-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignTypeArg {
    /// MD5 (the protocol's default).
    Md5,
    /// HMAC-SHA256 keyed with the API key.
    #[value(name = "hmac-sha256")]
    HmacSha256,
}

impl From<SignTypeArg> for SignType {
    fn from(a: SignTypeArg) -> Self {
        match a {
            SignTypeArg::Md5 => SignType::Md5,
            SignTypeArg::HmacSha256 => SignType::HmacSha256,
        }
    }
}

/// Arguments of `wxface sign v2`.
#[derive(Debug, Args)]
#[command(after_help = "\
Each FIELD is `key=value`, or `@file` / `-` (standard input) holding an XML document \
(`<xml><k>v</k>…</xml>`, CDATA accepted) or a flat JSON object. Later fields override \
earlier ones. A `sign` field in the input takes no part in the signature; when present \
it is checked against the computed one and a mismatch exits with status 1.

Examples:
  wxface sign v2 appid=wxd930ea5d5a258f4f body=test device_info=1000 \\
      mch_id=10000100 nonce_str=ibuaiVcKdpRxkhJA --key-file api.key
  curl … | wxface sign v2 - --sign-type hmac-sha256      # check an answer's sign")]
pub struct SignV2Args {
    /// Fields: `key=value`, `@file` or `-` (XML document or JSON object).
    #[arg(value_name = "FIELD", required = true)]
    pub fields: Vec<String>,

    /// The v2 API key (prefer --key-file or WXFACE_V2_KEY: arguments are
    /// visible to other local users). Without either flag, the environment
    /// variable WXFACE_V2_KEY is used.
    #[arg(long, conflicts_with = "key_file")]
    pub key: Option<String>,

    /// File holding the v2 API key (surrounding whitespace is ignored).
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,

    /// Signature algorithm [default: the input's `sign_type` field, else md5].
    #[arg(long, value_enum, ignore_case = true)]
    pub sign_type: Option<SignTypeArg>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_field_arg(arg: &str, fields: &mut Fields) -> Result<(), CliError> {
    let source = Source::parse(arg);
    if let Source::Literal(text) = &source {
        let (k, v) = text.split_once('=').ok_or_else(|| {
            CliError::Usage(format!(
                "field argument `{}` is not `key=value`, `@file` or `-`",
                truncate_for_message(text)
            ))
        })?;
        if k.is_empty() {
            return Err(CliError::Usage("a field argument has an empty key".into()));
        }
        fields.set(k, v);
        return Ok(());
    }
    let bytes = source.read()?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::Input(format!("{} is not UTF-8", source.describe())))?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('{') {
        let obj: serde_json::Map<String, Value> = serde_json::from_str(trimmed).map_err(|e| {
            CliError::Input(format!(
                "{} is not a JSON object: {}",
                source.describe(),
                wxface_core::redact::json_error(&e)
            ))
        })?;
        for (k, v) in obj {
            let v = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(CliError::Input(format!(
                        "field `{k}` of {} is not a string or number (v2 fields are flat)",
                        source.describe()
                    )))
                }
            };
            fields.set(k, v);
        }
    } else if trimmed.starts_with('<') {
        let parsed = Fields::parse_xml(trimmed.as_bytes())?;
        fields.0.extend(parsed.0);
    } else {
        return Err(CliError::Input(format!(
            "{} is neither an XML document nor a JSON object",
            source.describe()
        )));
    }
    Ok(())
}

/// A short, safe excerpt of an argument for an error message.
fn truncate_for_message(s: &str) -> String {
    let mut t: String = s.chars().take(24).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

/// The environment variable holding the v2 API key.
pub const V2_KEY_ENV: &str = "WXFACE_V2_KEY";

fn load_v2_key(args: &SignV2Args) -> Result<ApiKey, CliError> {
    let text: Zeroizing<String> = match (&args.key_file, &args.key) {
        (Some(path), _) => read_secret_file(path)?,
        (None, Some(k)) => Zeroizing::new(k.clone()),
        (None, None) => match std::env::var(V2_KEY_ENV) {
            Ok(k) if !k.is_empty() => Zeroizing::new(k),
            _ => {
                return Err(CliError::Usage(format!(
                    "no v2 API key: pass --key-file PATH, --key KEY or set {V2_KEY_ENV}"
                )))
            }
        },
    };
    Ok(ApiKey::new(text.trim().to_owned())?)
}

/// Run `wxface sign v2`.
///
/// # Errors
/// Bad input, no key, or (exit status 1) a given `sign` that does not match.
pub fn run_v2(args: &SignV2Args, stdout: &mut dyn Write) -> Result<(), CliError> {
    let mut fields = Fields::new();
    for arg in &args.fields {
        parse_field_arg(arg, &mut fields)?;
    }
    let key = load_v2_key(args)?;
    let field_type = match fields.get_nonempty("sign_type") {
        Some(t) => Some(t.parse::<SignType>()?),
        None => None,
    };
    let sign_type = match (args.sign_type.map(SignType::from), field_type) {
        (Some(flag), Some(field)) if flag != field => {
            eprintln!(
                "wxface: note: the input's sign_type is {} but --sign-type {} was given; using {}",
                field.as_str(),
                flag.as_str(),
                flag.as_str()
            );
            flag
        }
        (Some(flag), _) => flag,
        (None, Some(field)) => field,
        (None, None) => SignType::Md5,
    };
    let canonical = fields.canonical_string();
    let shown = if canonical.is_empty() {
        "key=***".to_owned()
    } else {
        format!("{canonical}&key=***")
    };
    let sign = fields.sign(&key, sign_type);
    let given = fields.get_nonempty("sign").map(str::to_owned);
    let check = given.as_ref().map(|_| fields.verify(&key, sign_type));
    if args.json {
        let mut v = json!({
            "canonical": canonical,
            "string_to_sign": shown,
            "sign_type": sign_type.as_str(),
            "sign": sign,
        });
        if let Some(c) = &check {
            v["given_sign_matches"] = Value::Bool(c.is_ok());
        }
        out(stdout, &v.to_string())?;
    } else {
        out(stdout, &format!("string to sign: {shown}"))?;
        out(stdout, &format!("sign_type:      {}", sign_type.as_str()))?;
        out(stdout, &format!("sign:           {sign}"))?;
        if let Some(c) = &check {
            let verdict = if c.is_ok() {
                "matches"
            } else {
                "DOES NOT MATCH"
            };
            out(stdout, &format!("given sign:     {verdict}"))?;
        }
    }
    match check {
        Some(Err(e)) => Err(e.into()),
        _ => Ok(()),
    }
}

/// Arguments of `wxface sign v3`.
#[derive(Debug, Args)]
#[command(after_help = "\
BODY is the literal body, `@file` or `-` (standard input); omit it for a GET. \
Without --timestamp and --nonce the current time and a fresh random nonce are used.

Example:
  wxface sign v3 GET '/v3/facemch/users/FACE_SID?info_type=ASK_REAL_NAME&appid=wx1' \\
      --mchid 1900000001 --cert apiclient_cert.pem --key-file apiclient_key.pem")]
pub struct SignV3Args {
    /// HTTP method (GET, POST…).
    #[arg(value_name = "METHOD")]
    pub method: String,

    /// Path with its percent-encoded query, as sent (`/v3/…?a=1`).
    #[arg(value_name = "PATH_AND_QUERY")]
    pub path_and_query: String,

    /// Request body: text, `@file` or `-` [default: empty].
    #[arg(long, value_name = "BODY")]
    pub body: Option<String>,

    /// Merchant id (`mchid`).
    #[arg(long, env = "WXFACE_MCH_ID")]
    pub mchid: String,

    /// Serial number of the merchant API certificate.
    #[arg(long, value_name = "SERIAL", required_unless_present = "cert")]
    pub serial: Option<String>,

    /// Merchant API certificate PEM: its serial is used when --serial is absent.
    #[arg(long, value_name = "PATH", conflicts_with = "serial")]
    pub cert: Option<PathBuf>,

    /// Merchant API private key PEM (`apiclient_key.pem`; PKCS#8 or PKCS#1).
    #[arg(long, value_name = "PATH", env = "WXFACE_MERCHANT_KEY_FILE")]
    pub key_file: PathBuf,

    /// Unix timestamp to sign with [default: now].
    #[arg(long)]
    pub timestamp: Option<u64>,

    /// Nonce to sign with [default: 32 random characters].
    #[arg(long)]
    pub nonce: Option<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Run `wxface sign v3`.
///
/// # Errors
/// Unreadable or invalid key, certificate or fields.
pub fn run_v3(args: &SignV3Args, stdout: &mut dyn Write) -> Result<(), CliError> {
    let serial = match (&args.serial, &args.cert) {
        (Some(s), _) => s.clone(),
        (None, Some(path)) => {
            let text = Source::File(path.clone()).read_text()?;
            pem::certificate_from_pem(&text)?.serial_hex
        }
        (None, None) => {
            return Err(CliError::Usage(
                "pass --serial SERIAL or --cert merchant_cert.pem".into(),
            ))
        }
    };
    let body = match &args.body {
        Some(b) => Source::parse(b).read()?,
        None => Vec::new(),
    };
    let pem_text = read_secret_file(&args.key_file)?;
    let key = pem::load_private_key(default_provider().as_ref(), &pem_text)?;
    let signer = MerchantSigner::new(args.mchid.clone(), serial.clone(), key)?;
    let timestamp = args
        .timestamp
        .map(UnixTime)
        .unwrap_or_else(|| SystemClock.now());
    let nonce_str = args
        .nonce
        .clone()
        .unwrap_or_else(|| nonce(&OsEntropy, wxface_core::v3::sign::NONCE_LEN));
    let signature = signer.signature(
        &args.method,
        &args.path_and_query,
        &body,
        timestamp,
        &nonce_str,
    )?;
    let message = request_message(
        &args.method,
        &args.path_and_query,
        timestamp,
        &nonce_str,
        &body,
    );
    let authorization = Authorization {
        mchid: args.mchid.clone(),
        nonce_str,
        signature: signature.clone(),
        timestamp,
        serial_no: serial,
    }
    .to_header_value();
    if args.json {
        let v = json!({
            "message": String::from_utf8_lossy(&message),
            "signature": signature,
            "authorization": authorization,
        });
        out(stdout, &v.to_string())?;
    } else {
        out(stdout, &format!("message:       {}", show_bytes(&message)))?;
        out(stdout, &format!("signature:     {signature}"))?;
        out(stdout, &format!("Authorization: {authorization}"))?;
    }
    Ok(())
}
