//! Async glue: run work off the JS thread, settle a Promise on it.

use std::future::Future;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::Env;

use wxface_core::Error;

/// Run blocking `work` on a background thread and return a Promise that
/// settles on the JS thread: `convert` builds the JS value from the result,
/// an [`Error`] rejects with the matching `WxfaceError`.
pub(crate) fn blocking<'env, T, V, W, C>(
    env: &'env Env,
    work: W,
    convert: C,
) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    W: FnOnce() -> Result<T, Error> + Send + 'static,
    C: FnOnce(&Env, T) -> napi::Result<V> + 'static,
{
    future(
        env,
        async move {
            tokio::task::spawn_blocking(work)
                .await
                .unwrap_or_else(|_| Err(Error::Internal("a background task stopped".into())))
        },
        convert,
    )
}

/// Drive `fut` on the addon's runtime and return a Promise as [`blocking`].
pub(crate) fn future<'env, T, V, F, C>(
    env: &'env Env,
    fut: F,
    convert: C,
) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = Result<T, Error>> + Send + 'static,
    C: FnOnce(&Env, T) -> napi::Result<V> + 'static,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, move |env, r| match r {
        Ok(v) => convert(env, v),
        Err(e) => Err(crate::error::js(env, e)),
    })
}

/// Wait on the current (non-JS, non-async) thread for `fut`, which needs no
/// executor: the channels behind threadsafe-function calls and JS Promises.
pub(crate) fn wait<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => return v,
            std::task::Poll::Pending => std::thread::park(),
        }
    }
}

/// The operating system's clock, in seconds.
pub(crate) fn now() -> wxface_core::UnixTime {
    use wxface_core::time::Clock as _;
    wxface_core::time::SystemClock.now()
}

/// `now` from an optional JS number of seconds.
pub(crate) fn now_or(secs: Option<f64>) -> Result<wxface_core::UnixTime, Error> {
    match secs {
        None => Ok(now()),
        Some(s) => secs_to_time("now", s),
    }
}

/// A JS number of seconds as a time.
pub(crate) fn secs_to_time(field: &str, s: f64) -> Result<wxface_core::UnixTime, Error> {
    if s.is_finite() && s >= 0.0 && s.fract() == 0.0 && s < 1e13 {
        // In range and whole: the conversion is exact.
        Ok(wxface_core::UnixTime(s as u64))
    } else {
        Err(Error::invalid(
            field,
            "must be a whole number of seconds since the epoch",
        ))
    }
}
