//! wxface's `tracing` events in Python's `logging` (logger `wxface`),
//! through the shared bridge of every binding, `wxface-log`: the same level
//! and field names as the Node and JVM bridges.
//!
//! The sink never waits for the GIL on the thread that logged (a tokio
//! worker of the client or the sandbox may log while a Python thread holding
//! the GIL waits for it): it queues the record, and one delivery thread
//! attaches to Python and calls the Python side's `emit(level, target,
//! message, fields)` (`wxface/_logs.py`), which hands it to `logging`. The
//! client's calls end with [`flush`], with the GIL released, so the records
//! of a call are in `logging` when it returns.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use wxface_log::LogRecord;

/// Records queued at once; more are dropped (and counted) rather than let a
/// stalled interpreter grow the queue without bound.
const MAX_QUEUED: usize = 10_000;
/// How long a call waits for its records to reach `logging`.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

#[derive(Default)]
struct State {
    queue: VecDeque<LogRecord>,
    /// Records queued since the start, and delivered (or dropped) since.
    queued: u64,
    delivered: u64,
    dropped: u64,
    /// The Python `emit` callable; `None`: not installed.
    emit: Option<Arc<Py<PyAny>>>,
    /// The process whose delivery thread runs (none yet: 0). A child of
    /// `fork()` has no such thread: it starts its own.
    thread_pid: u32,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the delivery thread.
    work: Condvar,
    /// Wakes the callers of [`flush`].
    done: Condvar,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| Shared {
        state: Mutex::new(State::default()),
        work: Condvar::new(),
        done: Condvar::new(),
    })
}

fn lock() -> MutexGuard<'static, State> {
    shared()
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

thread_local! {
    /// Set on the delivery thread: a `logging` handler that calls wxface
    /// must not wait for its own records.
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
}

/// The sink given to `wxface_log`: queue, never block.
fn enqueue(record: &LogRecord) {
    let mut s = lock();
    if s.emit.is_none() {
        return;
    }
    if s.queue.len() >= MAX_QUEUED {
        s.dropped += 1;
        return;
    }
    if s.thread_pid != std::process::id() {
        // Forked: the parent's thread and queue are not this process's.
        s.queue.clear();
        s.delivered = s.queued;
        if start_thread(&mut s).is_err() {
            return;
        }
    }
    s.queue.push_back(record.clone());
    s.queued += 1;
    drop(s);
    shared().work.notify_one();
}

/// Start the delivery thread of this process.
fn start_thread(s: &mut State) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("wxface-log".into())
        .spawn(deliver)?;
    s.thread_pid = std::process::id();
    Ok(())
}

/// The delivery thread: hands queued records to Python, in order.
fn deliver() {
    DELIVERING.with(|d| d.set(true));
    loop {
        let (batch, emit) = {
            let mut s = lock();
            while s.queue.is_empty() {
                s = shared()
                    .work
                    .wait(s)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            (s.queue.drain(..).collect::<Vec<_>>(), s.emit.clone())
        };
        let n = batch.len() as u64;
        if let Some(emit) = emit {
            // Not attached while the interpreter shuts down: the records are
            // dropped then.
            let _ = Python::try_attach(|py| {
                for r in batch {
                    // A failing handler must not stop the bridge; `logging`
                    // reports its own handler errors.
                    let _ = emit.call1(py, (r.level, r.target, r.message, r.fields));
                }
            });
        }
        let mut s = lock();
        s.delivered += n;
        drop(s);
        shared().done.notify_all();
    }
}

/// Wait (at most `timeout`) until the records queued so far reached
/// `logging`. Call it with the GIL released.
pub fn flush_for(timeout: Duration) -> bool {
    if DELIVERING.with(Cell::get) {
        return false;
    }
    let deadline = Instant::now() + timeout;
    let mut s = lock();
    if s.thread_pid != std::process::id() {
        // No delivery thread in this process (yet, or since a fork).
        return s.queue.is_empty();
    }
    let target = s.queued;
    while s.delivered < target {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        s = shared()
            .done
            .wait_timeout(s, deadline - now)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
    true
}

/// [`flush_for`] with the default wait; cheap when nothing is queued.
pub fn flush() {
    let idle = {
        let s = lock();
        s.queued == s.delivered || s.thread_pid != std::process::id()
    };
    if idle {
        return;
    }
    flush_for(FLUSH_WAIT);
}

/// Run `f` with the GIL released, then let its log records reach `logging`.
pub fn detach<T: Send, F: FnOnce() -> T + Send>(py: Python<'_>, f: F) -> T {
    py.detach(|| {
        let out = f();
        flush();
        out
    })
}

/// Install (or reconfigure) the bridge: wxface's events at `level` or more
/// severe (`error`, `warn`, `info`, `debug`, `trace`) go to
/// `emit(level, target, message, fields)`. Returns whether wxface's
/// subscriber is the process's (`False`: another library installed a global
/// `tracing` subscriber first, and nothing is bridged).
///
/// # Errors
/// `ValueError` for an unknown level name.
#[pyfunction]
fn _install_log_bridge(level: &str, emit: Py<PyAny>) -> PyResult<bool> {
    let max = wxface_log::parse_level(level).map_err(pyo3::exceptions::PyValueError::new_err)?;
    {
        let mut s = lock();
        s.emit = Some(Arc::new(emit));
        if s.thread_pid != std::process::id() {
            start_thread(&mut s)
                .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        }
    }
    Ok(wxface_log::install(max, Arc::new(enqueue)))
}

/// Stop bridging (records already queued are dropped).
#[pyfunction]
fn _uninstall_log_bridge() {
    wxface_log::uninstall();
    let mut s = lock();
    s.emit = None;
    let n = s.queue.len() as u64;
    s.queue.clear();
    s.delivered += n;
    drop(s);
    shared().done.notify_all();
}

/// Wait (at most `timeout` seconds) until every record logged so far
/// reached `logging`; whether they all did. The GIL is released meanwhile.
#[pyfunction]
#[pyo3(signature = (timeout = 2.0))]
fn flush_logs(py: Python<'_>, timeout: f64) -> bool {
    let timeout = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(FLUSH_WAIT);
    py.detach(|| flush_for(timeout))
}

/// Records dropped because the queue was full (the interpreter did not take
/// them in time).
#[pyfunction]
fn _dropped_log_records() -> u64 {
    lock().dropped
}

/// The bridge installed on first use of the client or the sandbox, at the
/// level of `logging.getLogger("wxface")` (`wxface._logs._auto_install`,
/// which does nothing after `enable_logging`/`disable_logging`).
pub fn ensure(py: Python<'_>) {
    static TRIED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if TRIED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    if let Ok(m) = py.import("wxface._logs") {
        let _ = m.call_method0("_auto_install");
    }
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_install_log_bridge, m)?)?;
    m.add_function(wrap_pyfunction!(_uninstall_log_bridge, m)?)?;
    m.add_function(wrap_pyfunction!(flush_logs, m)?)?;
    m.add_function(wrap_pyfunction!(_dropped_log_records, m)?)?;
    Ok(())
}
