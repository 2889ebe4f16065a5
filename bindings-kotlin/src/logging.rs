//! wxface's logs on the JVM: the `tracing` events of the kiosk driver, the
//! merchant client and the HTTP backend, as flat records (wxface-log) handed
//! to a `LogSink` implemented in Kotlin. `WxfaceLogging.install(level)`
//! (kotlin/main/wxface/Logging.kt) installs one that forwards them to
//! `java.util.logging`, logger `wxface`.
//!
//! The sink is called on whatever thread logged (the kiosk's, the merchant
//! client's runtime workers, blocking threads): the Kotlin side must be
//! thread-safe (`java.util.logging` is). Records carry ids, codes, counts
//! and durations, never a key, a credential, a name or an ID number.

use std::collections::HashMap;
use std::sync::Arc;

use wxface_core::Error as CoreError;

use crate::WxfaceError;

/// Where wxface's log records go. Implemented in Kotlin.
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    /// One record: `level` is `error`, `warn`, `info`, `debug` or `trace`;
    /// `target` the Rust module that logged it; `fields` the event's fields
    /// and those of its spans (`span.field`).
    fn log(&self, level: String, target: String, message: String, fields: HashMap<String, String>);
}

/// Send wxface's records at `level` (`error`, `warn`, `info`, `debug`,
/// `trace`) or more severe to `sink`, in place of the previous sink. `false`
/// when the process already has a `tracing` subscriber of its own (another
/// Rust library installed one): then nothing is passed on.
///
/// # Errors
/// `InvalidInput` (field `level`) for a level that is not one of those.
#[uniffi::export]
pub fn install_log_sink(level: String, sink: Arc<dyn LogSink>) -> Result<bool, WxfaceError> {
    let max =
        wxface_log::parse_level(&level).map_err(|reason| CoreError::invalid("level", reason))?;
    Ok(wxface_log::install(
        max,
        Arc::new(move |r: &wxface_log::LogRecord| {
            sink.log(
                r.level.to_owned(),
                r.target.clone(),
                r.message.clone(),
                r.fields.iter().cloned().collect(),
            );
        }),
    ))
}

/// Stop passing records on.
#[uniffi::export]
pub fn uninstall_log_sink() {
    wxface_log::uninstall();
}

/// The level names, most severe first.
#[uniffi::export]
pub fn log_levels() -> Vec<String> {
    wxface_log::LEVELS.iter().map(|&l| l.to_owned()).collect()
}
