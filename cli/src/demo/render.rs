//! How the demo shows the flow: one line per step as it ends (a spinner
//! while it runs, on a terminal), and tables at the end.
//!
//! Nothing here ever sees personal data other than the masked identity the
//! merchant server answers.

use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wxface_capture::{Step, StepStatus};

use crate::error::CliError;

/// The SDK call or HTTP request of a step, and what it means.
pub fn step_label(step: Step) -> (&'static str, &'static str) {
    match step {
        Step::Initialising => ("initWxpayface", "start the face SDK"),
        Step::ReadingRawdata => ("getWxpayfaceRawdata", "device data for the authinfo"),
        Step::FetchingAuthinfo => ("POST /kiosk/authinfo", "merchant → get_wxpayface_authinfo"),
        Step::Recognising => ("getWxpayfaceCode", "patient faces the camera (FACE_AUTH)"),
        Step::CheckingVerified => ("POST /kiosk/verified", "verified at an earlier visit?"),
        Step::AskingConsent => ("getWxpayAuth quit=0", "patient sees masked data, decides"),
        Step::Quitting => ("getWxpayAuth quit=1", "on record: the SDK stops waiting"),
        Step::FetchingRealName => ("POST /kiosk/real-name", "merchant → facemch/users, decrypt"),
        Step::Releasing => ("releaseWxpayface", "stop the face SDK"),
    }
}

/// A duration as the demo prints it (`12 ms`, `1.25 s`).
pub fn ms(d: Duration) -> String {
    let millis = d.as_secs_f64() * 1000.0;
    if millis < 1000.0 {
        format!("{} ms", millis.round() as u64)
    } else {
        format!("{:.2} s", millis / 1000.0)
    }
}

/// One finished step.
#[derive(Debug, Clone)]
pub struct StepLine {
    /// The step.
    pub step: Step,
    /// How it ended.
    pub status: StepStatus,
    /// How long it took.
    pub elapsed: Duration,
    /// An explanation added by the scenario (e.g. "authinfo expired").
    pub note: Option<String>,
}

/// Writes the demo's output, with spinners when `live`.
pub struct Printer<'w> {
    out: &'w mut dyn Write,
    live: bool,
    spinner: Option<ProgressBar>,
}

fn io(e: std::io::Error) -> CliError {
    CliError::output(&e)
}

impl<'w> Printer<'w> {
    /// A printer to `out`; `live` shows spinners (use it only when `out` is
    /// the terminal's standard output).
    pub fn new(out: &'w mut dyn Write, live: bool) -> Self {
        Self {
            out,
            live,
            spinner: None,
        }
    }

    /// Print a line (after clearing a spinner).
    ///
    /// # Errors
    /// Output that cannot be written.
    pub fn line(&mut self, text: &str) -> Result<(), CliError> {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
        writeln!(self.out, "{text}").map_err(io)?;
        self.out.flush().map_err(io)
    }

    /// A step started.
    pub fn step_started(&mut self, step: Step) {
        if !self.live {
            return;
        }
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
        let (call, meaning) = step_label(step);
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
        if let Ok(style) = ProgressStyle::with_template("   {spinner} {msg}") {
            pb.set_style(style.tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "));
        }
        pb.set_message(format!("{call:<22} {meaning}"));
        pb.enable_steady_tick(Duration::from_millis(80));
        self.spinner = Some(pb);
    }

    /// A step ended.
    ///
    /// # Errors
    /// Output that cannot be written.
    pub fn step_finished(&mut self, line: &StepLine) -> Result<(), CliError> {
        let mark = match line.status {
            StepStatus::Ok => "✓",
            StepStatus::Error => "✗",
            StepStatus::Cancelled => "⊘",
        };
        let (call, meaning) = step_label(line.step);
        let note = line
            .note
            .as_ref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        self.line(&format!(
            "   {mark} {call:<22} {meaning:<38} {:>8}{note}",
            ms(line.elapsed)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(ms(Duration::from_micros(1_400)), "1 ms");
        assert_eq!(ms(Duration::from_millis(999)), "999 ms");
        assert_eq!(ms(Duration::from_millis(1_250)), "1.25 s");
    }

    #[test]
    fn plain_lines() {
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, false);
        p.step_started(Step::Recognising);
        p.step_finished(&StepLine {
            step: Step::Recognising,
            status: StepStatus::Error,
            elapsed: Duration::from_millis(5),
            note: Some("authinfo expired".into()),
        })
        .ok();
        let s = String::from_utf8_lossy(&buf);
        assert!(s.starts_with("   ✗ getWxpayfaceCode"), "{s}");
        assert!(s.trim_end().ends_with("5 ms  (authinfo expired)"), "{s}");
    }
}
