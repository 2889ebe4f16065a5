//! Where a command-line value comes from: the argument itself, a file
//! (`@path`) or standard input (`-`).
//!
//! `@@text` stands for the literal `@text`, for the rare value that starts
//! with `@`. Standard input can be read once per invocation; a second `-` is
//! refused rather than silently read as empty.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroizing;

use crate::error::CliError;

/// Largest input read from a file or standard input (certificates, bodies
/// and XML documents are far smaller).
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// A value's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The argument is the value.
    Literal(String),
    /// `@path`: the file's contents.
    File(PathBuf),
    /// `-`: standard input.
    Stdin,
}

impl Source {
    /// Classify an argument.
    pub fn parse(arg: &str) -> Self {
        if arg == "-" {
            Self::Stdin
        } else if let Some(rest) = arg.strip_prefix("@@") {
            Self::Literal(format!("@{rest}"))
        } else if let Some(path) = arg.strip_prefix('@') {
            Self::File(PathBuf::from(path))
        } else {
            Self::Literal(arg.to_owned())
        }
    }

    /// A short description for error messages (never the value itself).
    pub fn describe(&self) -> String {
        match self {
            Self::Literal(_) => "the argument".into(),
            Self::File(p) => format!("`{}`", p.display()),
            Self::Stdin => "standard input".into(),
        }
    }

    /// The bytes of the value.
    ///
    /// # Errors
    /// [`CliError::Input`] when the file or standard input cannot be read, is
    /// too large, or standard input was already used.
    pub fn read(&self) -> Result<Vec<u8>, CliError> {
        match self {
            Self::Literal(s) => Ok(s.clone().into_bytes()),
            Self::File(p) => read_file(p),
            Self::Stdin => read_stdin(),
        }
    }

    /// The value as UTF-8 text.
    ///
    /// # Errors
    /// As [`Self::read`], and when the bytes are not UTF-8.
    pub fn read_text(&self) -> Result<String, CliError> {
        String::from_utf8(self.read()?)
            .map_err(|_| CliError::Input(format!("{} is not UTF-8", self.describe())))
    }
}

/// Read a file, refusing anything larger than [`MAX_INPUT_BYTES`].
///
/// # Errors
/// [`CliError::Input`] naming the path and the I/O error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    let io = |e: std::io::Error| CliError::Input(format!("cannot read `{}`: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    read_limited(file, &format!("`{}`", path.display()))
}

/// Read a secret file (a PEM key, an API key); the buffer is wiped on drop.
///
/// # Errors
/// As [`read_file`], and when the file is not UTF-8.
pub fn read_secret_file(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let bytes = Zeroizing::new(read_file(path)?);
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(Zeroizing::new(s.to_owned())),
        Err(_) => Err(CliError::Input(format!(
            "`{}` is not UTF-8 text",
            path.display()
        ))),
    }
}

fn read_stdin() -> Result<Vec<u8>, CliError> {
    if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
        return Err(CliError::Usage(
            "standard input (`-`) can be used for one value only".into(),
        ));
    }
    read_limited(std::io::stdin().lock(), "standard input")
}

fn read_limited(reader: impl Read, what: &str) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::Input(format!("cannot read {what}: {e}")))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::Input(format!(
            "{what} is larger than {} MiB",
            MAX_INPUT_BYTES / (1024 * 1024)
        )));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_arguments() {
        assert_eq!(Source::parse("-"), Source::Stdin);
        assert_eq!(Source::parse("@a/b"), Source::File("a/b".into()));
        assert_eq!(Source::parse("@@x"), Source::Literal("@x".into()));
        assert_eq!(Source::parse("k=v"), Source::Literal("k=v".into()));
        assert_eq!(Source::parse(""), Source::Literal(String::new()));
    }

    #[test]
    fn literal_reads_back() {
        assert_eq!(
            Source::parse("abc").read_text().ok().as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = Source::parse("@/nonexistent/wxface").read().err();
        assert!(e.is_some_and(|e| e.to_string().contains("/nonexistent/wxface")));
    }
}
