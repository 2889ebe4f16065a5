//! Logs: wxface's `tracing` events, as `wxface-log` records, handed to a JS
//! function (`setLogger` of `index.js`, or the `DEBUG=wxface` /
//! `WXFACE_LOG` fallback that writes to stderr).
//!
//! Events happen on any thread (tokio workers, blocking threads, the kiosk
//! driver's); each record goes to the JS thread through a threadsafe
//! function called without blocking: when its queue is full, the record is
//! dropped rather than the logging thread held. The function is unref'd, so
//! a logger never keeps the process alive.

use std::sync::Arc;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use wxface_core::Error;
use wxface_log::LogRecord;

use crate::error::js;

/// Records waiting for the JS thread at most; more are dropped.
const QUEUE: usize = 4096;

/// A record as the addon passes it to the wrapper: `fields` as
/// `[name, value]` pairs, in order (the wrapper makes an object of them).
#[napi(object)]
pub struct NativeLogRecord {
    /// `"error"`, `"warn"`, `"info"`, `"debug"` or `"trace"`.
    pub level: String,
    /// The module that logged it (`wxface_client::client`).
    pub target: String,
    /// The message.
    pub message: String,
    /// The other fields, as `[name, value]` pairs.
    pub fields: Vec<Vec<String>>,
}

type Sink = ThreadsafeFunction<NativeLogRecord, (), NativeLogRecord, Status, false, true, QUEUE>;

/// Send wxface's events at `level` or more severe to `sink`, or stop
/// (`sink` null). Returns whether records are passed on: `false` after a
/// stop, or when another `tracing` subscriber was installed in the process
/// first. Called by the package's wrapper (`setLogger`); not public API.
#[napi(
    js_name = "__setLogSink",
    ts_args_type = "level: string, sink: ((record: NativeLogRecord) => void) | null"
)]
pub fn set_log_sink(
    env: Env,
    level: String,
    sink: Option<Function<NativeLogRecord, ()>>,
) -> napi::Result<bool> {
    let Some(f) = sink else {
        wxface_log::uninstall();
        return Ok(false);
    };
    let max = wxface_log::parse_level(&level).map_err(|_| {
        js(
            &env,
            Error::invalid("level", "must be error, warn, info, debug or trace"),
        )
    })?;
    let tsfn: Sink = f
        .build_threadsafe_function()
        .weak::<true>()
        .max_queue_size::<QUEUE>()
        .build()?;
    let tsfn = Arc::new(tsfn);
    Ok(wxface_log::install(
        max,
        Arc::new(move |r: &LogRecord| {
            let record = NativeLogRecord {
                level: r.level.to_owned(),
                target: r.target.clone(),
                message: r.message.clone(),
                fields: r
                    .fields
                    .iter()
                    .map(|(k, v)| vec![k.clone(), v.clone()])
                    .collect(),
            };
            // Closing (the environment is going away) or a full queue: the
            // record is dropped.
            let _ = tsfn.call(record, ThreadsafeFunctionCallMode::NonBlocking);
        }),
    ))
}
