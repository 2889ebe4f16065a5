//! wxface's `tracing` events as flat records ([`LogRecord`]), handed to a
//! sink of the host language: Python's `logging` (logger `wxface`), a Node
//! logger function, the JVM's `java.util.logging` (logger `wxface`).
//!
//! One layer for every binding, so that levels and field names are the same
//! everywhere:
//!
//! * `level`: `error`, `warn`, `info`, `debug`, `trace` (tracing's);
//! * `target`: the Rust module path (`wxface_client::client::transport`);
//! * `message`: the event's message;
//! * `fields`: the event's other fields and those of the spans it happened
//!   in (outermost first), as `name` → text, in order. Span fields are
//!   prefixed with the span's name: `wxface.http.attempt`.
//!
//! Fields are formatted as the code that logs them wrote them: wxface logs
//! ids, codes, counts and durations only, and wraps anything that came from
//! outside in `LogSafe` (control characters escaped) — never a key, a
//! credential, a name or an ID number. The bindings' tests check that
//! through each bridge.
//!
//! Install the layer once per process with [`install`]; later calls replace
//! the sink and the level (a host may reconfigure its logging).

use std::fmt::{self, Write as _};
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: &'static str,
    /// The module path of the code that logged it.
    pub target: String,
    /// The message.
    pub message: String,
    /// Other fields, spans' first (`span.field`), then the event's.
    pub fields: Vec<(String, String)>,
}

/// Where records go.
pub type Sink = Arc<dyn Fn(&LogRecord) + Send + Sync>;

/// The level names, most severe first.
pub const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

fn level_name(l: &Level) -> &'static str {
    match *l {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// The most verbose level passed on, from its name.
///
/// # Errors
/// The name when it is not one of [`LEVELS`].
pub fn parse_level(name: &str) -> Result<Level, String> {
    match name.trim().to_ascii_lowercase().as_str() {
        "error" => Ok(Level::ERROR),
        "warn" | "warning" => Ok(Level::WARN),
        "info" => Ok(Level::INFO),
        "debug" => Ok(Level::DEBUG),
        "trace" => Ok(Level::TRACE),
        _ => Err(format!(
            "`{}` is not a log level (error, warn, info, debug, trace)",
            name.chars().take(16).collect::<String>()
        )),
    }
}

struct Config {
    sink: Sink,
    max: Level,
}

static CONFIG: OnceLock<RwLock<Option<Config>>> = OnceLock::new();

fn config() -> &'static RwLock<Option<Config>> {
    CONFIG.get_or_init(|| RwLock::new(None))
}

/// Send wxface's events at `max` or more severe to `sink`. The first call
/// installs the process's global `tracing` subscriber (when the host has
/// not installed one of its own: then `false` is returned and nothing is
/// bridged); later calls replace the sink and the level.
pub fn install(max: Level, sink: Sink) -> bool {
    if let Ok(mut c) = config().write() {
        *c = Some(Config { sink, max });
    }
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(Bridge);
        tracing::subscriber::set_global_default(subscriber).is_ok()
    })
}

/// Stop passing events on (the subscriber stays; it then drops them).
pub fn uninstall() {
    if let Ok(mut c) = config().write() {
        *c = None;
    }
}

/// Only wxface's own events (and the sandbox's) are passed on.
fn is_wxface(target: &str) -> bool {
    target.starts_with("wxface")
}

/// The layer.
struct Bridge;

/// The fields a span was created with, formatted once.
struct SpanFields(Vec<(String, String)>);

#[derive(Default)]
struct Collect {
    message: String,
    fields: Vec<(String, String)>,
}

impl Visit for Collect {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.push((field.name().to_owned(), text));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.fields
                .push((field.name().to_owned(), value.to_owned()));
        }
    }
}

impl<S> Layer<S> for Bridge
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !is_wxface(attrs.metadata().target()) {
            return;
        }
        let mut c = Collect::default();
        attrs.record(&mut c);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(c.fields));
        }
    }

    fn on_record(&self, id: &Id, values: &tracing::span::Record<'_>, ctx: Context<'_, S>) {
        let mut c = Collect::default();
        values.record(&mut c);
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(fields) = ext.get_mut::<SpanFields>() {
                for (k, v) in c.fields {
                    match fields.0.iter_mut().find(|(n, _)| *n == k) {
                        Some(slot) => slot.1 = v,
                        None => fields.0.push((k, v)),
                    }
                }
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !is_wxface(meta.target()) {
            return;
        }
        let Ok(guard) = config().read() else {
            return;
        };
        let Some(cfg) = guard.as_ref() else {
            return;
        };
        if *meta.level() > cfg.max {
            return;
        }
        let mut fields = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    for (k, v) in &f.0 {
                        fields.push((format!("{}.{k}", span.name()), v.clone()));
                    }
                }
            }
        }
        let mut c = Collect::default();
        event.record(&mut c);
        fields.extend(c.fields);
        let record = LogRecord {
            level: level_name(meta.level()),
            target: meta.target().to_owned(),
            message: c.message,
            fields,
        };
        (cfg.sink)(&record);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn events_become_records_with_span_fields_and_the_level_filter_applies() {
        let seen: Arc<Mutex<Vec<LogRecord>>> = Arc::default();
        let sink = seen.clone();
        assert!(install(
            Level::INFO,
            Arc::new(move |r| sink.lock().unwrap().push(r.clone()))
        ));
        {
            let span =
                tracing::info_span!(target: "wxface_client::test", "wxface.http", attempt = 1);
            let _g = span.enter();
            tracing::warn!(target: "wxface_client::test", code = "transport", latency_ms = 12u64, "retrying");
            tracing::debug!(target: "wxface_client::test", "not passed on at info");
            tracing::warn!(target: "hyper::client", "another crate's event");
        }
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{got:?}");
        let r = &got[0];
        assert_eq!(r.level, "warn");
        assert_eq!(r.target, "wxface_client::test");
        assert_eq!(r.message, "retrying");
        assert_eq!(
            r.fields,
            vec![
                ("wxface.http.attempt".to_owned(), "1".to_owned()),
                ("code".to_owned(), "transport".to_owned()),
                ("latency_ms".to_owned(), "12".to_owned()),
            ]
        );
        // Another level; then nothing at all.
        install(Level::DEBUG, {
            let sink = seen.clone();
            Arc::new(move |r| sink.lock().unwrap().push(r.clone()))
        });
        tracing::debug!(target: "wxface_core::x", "now passed on");
        assert_eq!(seen.lock().unwrap().len(), 2);
        uninstall();
        tracing::error!(target: "wxface_core::x", "dropped");
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert!(parse_level("WARNING").is_ok());
        assert!(parse_level("verbose").is_err());
    }
}
