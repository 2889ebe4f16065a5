//! `wxface decrypt-local`: decrypt real-name fields locally, for
//! troubleshooting.
//!
//! The only user of `wxface-core`'s `local-decrypt` feature: it decrypts
//! fields that did not come out of a verified answer. Every failure is the
//! core's single `decryption` error.
//!
//! This prints personal data in clear (unless `--masked`). It is a
//! troubleshooting tool for the person who holds the hospital's private key,
//! on that person's own machine: never wrap it in a service, never feed it
//! ciphertexts from someone else (an RSA decryption oracle is exactly what
//! PKCS#1 v1.5 attacks need), never paste its output into tickets or logs.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::json;
use wxface_core::crypto::Padding;
use wxface_core::decrypt::{local, Decryptor};
use wxface_core::realname::{mask_credential_id, mask_name};

use super::out;
use crate::error::CliError;
use crate::input::{read_secret_file, Source};

/// `--padding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaddingArg {
    /// RSA PKCS#1 v1.5 (what WeChat's sample uses; the default).
    Pkcs1v15,
    /// RSA OAEP with SHA-1 and MGF1-SHA-1.
    #[value(name = "oaep-sha1")]
    OaepSha1,
}

impl From<PaddingArg> for Padding {
    fn from(p: PaddingArg) -> Self {
        match p {
            PaddingArg::Pkcs1v15 => Padding::Pkcs1v15,
            PaddingArg::OaepSha1 => Padding::OaepSha1,
        }
    }
}

/// Arguments of `wxface decrypt-local`.
#[derive(Debug, Args)]
#[command(after_help = "\
Each CIPHERTEXT is base64 text, `@file` or `-` (standard input). An input that is a JSON \
object (a saved `GET /v3/facemch/users/…` answer, or an object with encrypted_real_name, \
credential_type and encrypted_credential_id) is decrypted as a whole and validated: \
name, credential type and credential number (with the GB 11643 check digit of a resident \
ID card). The padding is never guessed: with the wrong one the result is refused.

Example:
  wxface decrypt-local @answer.json --key-file apiclient_key.pem --masked")]
pub struct DecryptArgs {
    /// Base64 ciphertexts or JSON answers: text, `@file` or `-`.
    #[arg(value_name = "CIPHERTEXT", required = true)]
    pub inputs: Vec<String>,

    /// Merchant API private key PEM (PKCS#8 or PKCS#1).
    #[arg(long, value_name = "PATH", env = "WXFACE_MERCHANT_KEY_FILE")]
    pub key_file: PathBuf,

    /// RSA padding of the ciphertexts.
    #[arg(long, value_enum, default_value = "pkcs1v15", ignore_case = true)]
    pub padding: PaddingArg,

    /// Print masked values (张*三, 110***********1234) instead of clear text.
    #[arg(long)]
    pub masked: bool,

    /// Print one JSON object per input instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Run `wxface decrypt-local`.
///
/// # Errors
/// Unreadable inputs or key, bad base64, or a plaintext that does not look
/// like what it should (the sign of a wrong key or padding).
pub fn run(args: &DecryptArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let pem_text = read_secret_file(&args.key_file)?;
    let decryptor = Decryptor::from_pem(&pem_text, args.padding.into())?;
    drop(pem_text);
    for arg in &args.inputs {
        let source = Source::parse(arg);
        let text = zeroize::Zeroizing::new(source.read_text()?);
        let trimmed = text.trim();
        if trimmed.starts_with('{') {
            let real = local::decrypt_answer(&decryptor, trimmed.as_bytes()).map_err(|e| {
                if e.code() == "malformed" {
                    CliError::Input(format!(
                        "{} is JSON without encrypted real-name fields",
                        source.describe()
                    ))
                } else {
                    e.into()
                }
            })?;
            // EXPOSE: the operator asked to see the decrypted identity on their own terminal.
            let (name, id) = if args.masked {
                (real.masked_name(), real.masked_credential_id())
            } else {
                (
                    real.expose_name().to_owned(),
                    real.expose_credential_id().to_owned(),
                )
            };
            let (name, id) = (zeroize::Zeroizing::new(name), zeroize::Zeroizing::new(id));
            let ty = real.credential_type();
            if args.json {
                let v = zeroize::Zeroizing::new(
                    json!({"name": *name, "credential_type": ty.code(), "credential_id": *id})
                        .to_string(),
                );
                out(stdout, &v)?;
            } else {
                out(stdout, &format!("name:            {}", *name))?;
                out(
                    stdout,
                    &format!("credential_type: {} ({})", ty.code(), ty.label_zh()),
                )?;
                out(stdout, &format!("credential_id:   {}", *id))?;
            }
        } else {
            let plain = local::decrypt_field(&decryptor, trimmed)?;
            // EXPOSE: as above. A lone field is a name or a credential number:
            // ASCII letters and digits are masked as a number, anything else as a name.
            let shown = if args.masked {
                let looks_like_id = plain.chars().all(|c| c.is_ascii_alphanumeric());
                zeroize::Zeroizing::new(if looks_like_id {
                    mask_credential_id(&plain)
                } else {
                    mask_name(&plain)
                })
            } else {
                plain
            };
            if args.json {
                let v = zeroize::Zeroizing::new(json!({"plaintext": *shown}).to_string());
                out(stdout, &v)?;
            } else {
                out(stdout, &shown)?;
            }
        }
    }
    Ok(())
}
