//! Debugging helpers that need only the core: signing, verification and
//! decryption from the command line.

pub mod decrypt;
pub mod sign;
pub mod verify;

use std::io::Write;

use crate::error::CliError;

/// Write one line to standard output.
pub(crate) fn out(w: &mut dyn Write, line: &str) -> Result<(), CliError> {
    writeln!(w, "{line}").map_err(|e| CliError::output(&e))
}

/// Bytes as a double-quoted string with `\n` and other controls escaped, so
/// a signed message's line breaks (and its trailing one) are visible.
pub(crate) fn show_bytes(bytes: &[u8]) -> String {
    serde_json::to_string(&String::from_utf8_lossy(bytes)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn show_bytes_escapes_newlines() {
        assert_eq!(super::show_bytes(b"GET\n/\n"), "\"GET\\n/\\n\"");
    }
}
