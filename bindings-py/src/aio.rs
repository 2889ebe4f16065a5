//! The native asyncio calls of `AsyncMerchantClient` (`wxface/aio.py`).
//!
//! Each call is the async client's future, spawned as a tokio task on the
//! binding's runtime; when it ends, the task attaches to Python and calls
//! `done(ok, value)` (which hands the result to the asyncio loop with
//! `call_soon_threadsafe`). Cancelling the asyncio task calls
//! [`PyAsyncCall::cancel`], which aborts the tokio task: the future, and
//! with it the HTTP request in flight, is dropped, and `done` is never
//! called.

use std::future::Future;
use std::sync::OnceLock;

use pyo3::prelude::*;
use wxface_core::error::TransportKind;
use wxface_core::Error;

use crate::errors::{to_py, IntoPyResult};

/// The runtime of the asyncio calls (two workers), started on first use.
fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    static RT: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wxface-py-async")
            .enable_all()
            .build()
            .ok()
    })
    .as_ref()
    .ok_or_else(|| Error::transport(TransportKind::Other, "cannot start a runtime"))
}

/// A call in flight: `cancel()` drops its future (and its request).
#[pyclass(frozen, module = "wxface", name = "_AsyncCall")]
pub struct PyAsyncCall {
    abort: tokio::task::AbortHandle,
}

#[pymethods]
impl PyAsyncCall {
    /// Abort the call: its future is dropped, and `done` is not called.
    fn cancel(&self) {
        self.abort.abort();
    }

    /// Whether the task ended (answered, failed or aborted).
    #[getter]
    fn finished(&self) -> bool {
        self.abort.is_finished()
    }
}

/// Spawn `fut`; its value goes through `convert` to `done(True, value)`,
/// its error to `done(False, exception)`.
pub fn spawn<T, F, C>(py: Python<'_>, fut: F, convert: C, done: Py<PyAny>) -> PyResult<PyAsyncCall>
where
    T: Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
    C: for<'py> FnOnce(Python<'py>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let rt = runtime().py_err(py)?;
    let task = rt.spawn(async move {
        let out = fut.await;
        // The call's log records reach `logging` before its result.
        crate::log::flush();
        let _ = Python::try_attach(|py| {
            let (ok, value) = match out.map_err(|e| to_py(py, &e)).and_then(|v| convert(py, v)) {
                Ok(v) => (true, v),
                Err(e) => (false, e.into_value(py).into_any()),
            };
            // `done` swallows a closed loop; anything else is reported by
            // the loop's exception handler.
            let _ = done.call1(py, (ok, value));
        });
    });
    Ok(PyAsyncCall {
        abort: task.abort_handle(),
    })
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAsyncCall>()
}
