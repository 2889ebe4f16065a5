//! A synchronous [`MerchantClient`] for callers without an async runtime
//! (a HIS written around threads, an FFI binding).
//!
//! It owns a small multi-threaded tokio runtime. Each call is spawned onto
//! that runtime and the calling thread waits on a channel, so a call works
//! from any thread — including a thread that is itself running another
//! tokio runtime, where `Runtime::block_on` would panic. (Blocking an async
//! worker thread is still a bad idea; there, use the async client.)

use std::fmt;
use std::future::Future;
use std::sync::{mpsc, Arc};

use wxface_core::decrypt::Decryptor;
use wxface_core::realname::RealName;
use wxface_core::v3::{FaceUser, InfoType, SignedAnswer};

use crate::client::{AuthinfoParams, AuthinfoResponse, ClientStats};
use crate::config::ClientConfig;
use crate::error::{Error, Result, TransportKind};

struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        // Never blocks, so dropping the last handle inside an async context
        // is fine too.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The blocking client. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct MerchantClient {
    inner: crate::MerchantClient,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for MerchantClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::MerchantClient")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl MerchantClient {
    /// A client for `config`, with its own runtime (two worker threads).
    ///
    /// # Errors
    /// [`Error::Transport`] when the runtime or the HTTP stack cannot start.
    pub fn new(config: ClientConfig) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wxface-client")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::transport(TransportKind::Other, format!("cannot start a runtime: {e}"))
            })?;
        let inner = {
            let _guard = rt.enter();
            crate::MerchantClient::new(config)?
        };
        Ok(Self {
            inner,
            runtime: Arc::new(Runtime(Some(rt))),
        })
    }

    /// The async client underneath (same cache, keys and counters).
    pub fn as_async(&self) -> &crate::MerchantClient {
        &self.inner
    }

    fn run<T, Fut>(&self, fut: Fut) -> Result<T>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let rt =
            self.runtime.0.as_ref().ok_or_else(|| {
                Error::transport(TransportKind::Other, "the runtime is shut down")
            })?;
        let (tx, rx) = mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(Error::transport(
                TransportKind::Other,
                "the call was abandoned (runtime shut down or task panicked)",
            ))
        })
    }

    /// See [`crate::MerchantClient::get_authinfo`].
    ///
    /// # Errors
    /// As the async method.
    pub fn get_authinfo(&self, params: AuthinfoParams) -> Result<AuthinfoResponse> {
        let c = self.inner.clone();
        self.run(async move { c.get_authinfo(params).await })
    }

    /// See [`crate::MerchantClient::invalidate_authinfo`].
    pub fn invalidate_authinfo(&self, params: &AuthinfoParams) -> bool {
        self.inner.invalidate_authinfo(params)
    }

    /// See [`crate::MerchantClient::query_user`].
    ///
    /// # Errors
    /// As the async method.
    pub fn query_user(&self, face_sid: &str, info_type: InfoType) -> Result<FaceUser> {
        let c = self.inner.clone();
        let sid = face_sid.to_owned();
        self.run(async move { c.query_user(&sid, info_type).await })
    }

    /// See [`crate::MerchantClient::query_user_signed`].
    ///
    /// # Errors
    /// As the async method.
    pub fn query_user_signed(&self, face_sid: &str, info_type: InfoType) -> Result<SignedAnswer> {
        let c = self.inner.clone();
        let sid = face_sid.to_owned();
        self.run(async move { c.query_user_signed(&sid, info_type).await })
    }

    /// See [`crate::MerchantClient::fetch_real_name`].
    ///
    /// # Errors
    /// As the async method.
    pub fn fetch_real_name(&self, face_sid: &str, decryptor: &Decryptor) -> Result<RealName> {
        let c = self.inner.clone();
        let sid = face_sid.to_owned();
        let d = decryptor.clone();
        self.run(async move { c.fetch_real_name(&sid, &d).await })
    }

    /// See [`crate::MerchantClient::real_name`].
    ///
    /// # Errors
    /// As the async method.
    pub fn real_name(&self, face_sid: &str) -> Result<RealName> {
        let c = self.inner.clone();
        let sid = face_sid.to_owned();
        self.run(async move { c.real_name(&sid).await })
    }

    /// See [`crate::MerchantClient::refresh_platform_certificates`].
    ///
    /// # Errors
    /// As the async method.
    pub fn refresh_platform_certificates(&self) -> Result<usize> {
        let c = self.inner.clone();
        self.run(async move { c.refresh_platform_certificates().await })
    }

    /// See [`crate::MerchantClient::stats`].
    pub fn stats(&self) -> ClientStats {
        self.inner.stats()
    }

    /// See [`crate::MerchantClient::platform_key_ids`].
    pub fn platform_key_ids(&self) -> Vec<String> {
        self.inner.platform_key_ids()
    }
}
