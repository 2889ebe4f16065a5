//! The command-line tool's error: one line on standard error, a typed code,
//! and an exit status.
//!
//! Like the core's errors, none of these ever carries a key, a secret or
//! personal data: messages name files, fields and rules, not values.

use std::process::ExitCode;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The command line is inconsistent (beyond what the parser checks).
    #[error("{0}")]
    Usage(String),
    /// An input could not be read or understood.
    #[error("{0}")]
    Input(String),
    /// The protocol layer refused something (a signature, a key, a field).
    #[error("{0}")]
    Core(#[from] wxface_core::Error),
    /// A check the user asked for did not pass (e.g. a given v2 `sign` differs).
    #[error("{0}")]
    Check(String),
    /// A server or the demo failed to run.
    #[error("{0}")]
    Runtime(String),
    /// Standard output was closed by its reader (`wxface … | head`): the
    /// program stops quietly.
    #[error("standard output was closed")]
    OutputClosed,
}

impl CliError {
    /// A stable snake_case code: the core's code for protocol errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Usage(_) => "usage",
            Self::Input(_) => "input",
            Self::Core(e) => e.code(),
            Self::Check(_) => "check_failed",
            Self::Runtime(_) => "runtime",
            Self::OutputClosed => "output_closed",
        }
    }

    /// The process exit status: 2 for usage errors (as the argument parser
    /// uses), 0 when the reader closed standard output, 1 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::OutputClosed => ExitCode::SUCCESS,
            _ => ExitCode::from(1),
        }
    }

    /// An error writing standard output.
    pub fn output(e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self::OutputClosed
        } else {
            Self::Runtime(format!("cannot write output: {e}"))
        }
    }

    /// The single line printed on standard error.
    pub fn line(&self) -> String {
        let text = self.to_string();
        let one_line: String = text
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        format!("wxface: error[{}]: {}", self.code(), one_line.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_single_and_typed() {
        let e = CliError::Input("a\nb".into());
        assert_eq!(e.line(), "wxface: error[input]: a b");
        let e = CliError::from(wxface_core::Error::Config("bad key".into()));
        assert_eq!(e.line(), "wxface: error[config]: configuration: bad key");
    }
}
