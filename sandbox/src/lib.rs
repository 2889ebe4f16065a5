//! # wxface-sandbox
//!
//! A local, faithful emulator of the two WeChat Pay endpoints of face
//! real-name authentication (刷脸实名认证) and of the face SDK, for tests,
//! demos and CI. Nothing here talks to WeChat Pay.
//!
//! | path | what |
//! |---|---|
//! | `POST /face/get_wxpayface_authinfo` | v2 XML, every field rule, MD5 / HMAC-SHA256 signatures |
//! | `GET /v3/facemch/users/{face_sid}` | APIv3: `Authorization` verified, answers signed, real-name fields encrypted |
//! | `GET /v3/certificates` | the platform certificate, AEAD_AES_256_GCM under the APIv3 key |
//! | `/_emu/…` | internal: what the emulated SDK ([`emu::EmulatedFaceSdk`]) asks of "WeChat's face service" |
//! | `/_sandbox/…` | control: faults, reset, expiry hooks |
//!
//! ```no_run
//! use wxface_sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start_blocking(SandboxConfig::default())?;
//! let creds = sandbox.credentials();
//! println!("{} for merchant {}", sandbox.url(), creds.mch_id);
//! sandbox.stop();
//! # Ok::<(), wxface_sandbox::SandboxError>(())
//! ```
//!
//! Everything the sandbox logs about a person is masked (`测*甲`); keys,
//! API keys and full identities never appear in logs, errors or `Debug`.
//! See `docs/sandbox.md` for the endpoint reference, the error codes and the
//! fault kinds.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod emu;
pub mod faults;
pub mod identity;
pub mod keys;
mod server;
mod state;
mod util;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{MerchantIds, PlatformKeyChoice, PlatformKeys, RealNameShape, SandboxConfig};
pub use emu::{EmuConfig, EmulatedFaceSdk, Outcome};
pub use faults::{FaultEndpoint, FaultKind, FaultRule, Faults, Trigger};
pub use identity::{default_identities, SandboxIdentity};
pub use keys::{Credentials, Manifest};

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The configuration is unusable.
    #[error("sandbox configuration: {0}")]
    Config(String),
    /// Keys could not be generated, read, written or checked.
    #[error("sandbox keys: {0}")]
    Keys(String),
    /// The listening socket or the runtime could not be set up.
    #[error("sandbox I/O: {0}")]
    Io(String),
}

/// A running sandbox. Dropping it (or [`Sandbox::stop`]) shuts it down.
pub struct Sandbox {
    inner: Arc<server::Inner>,
    addr: SocketAddr,
    keys_dir: Option<PathBuf>,
    keys_generated: bool,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url())
            .field("keys_dir", &self.keys_dir)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Start a sandbox on the current tokio runtime.
    ///
    /// Keys come from `config.keys_dir` (reused, or generated there on first
    /// start) or, without one, are generated in memory. Port 0 picks a free
    /// port: read it back with [`Sandbox::url`].
    ///
    /// # Errors
    /// [`SandboxError`] for a bad configuration, unusable keys, or a port
    /// that cannot be bound.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        config.validate()?;
        let keys_dir = config.keys_dir.clone();
        let merchant = config.merchant.clone();
        let (keys, generated) = match &keys_dir {
            Some(dir) => keys::KeySet::load_or_generate(dir, merchant.as_ref())?,
            None => (keys::KeySet::generate(&merchant.unwrap_or_default())?, true),
        };
        let addr = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|e| SandboxError::Io(format!("cannot listen on {addr}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| SandboxError::Io(e.to_string()))?;
        let inner = Arc::new(server::Inner::new(config, keys, Faults::default())?);
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, inner.clone(), rx));
        tracing::info!(url = %format!("http://{addr}"), "wxface sandbox listening");
        Ok(Sandbox {
            inner,
            addr,
            keys_dir,
            keys_generated: generated,
            shutdown,
            task: Some(task),
            runtime: None,
        })
    }

    /// Start a sandbox on a runtime of its own (two worker threads), for
    /// callers without one: the CLI, the Python and Node bindings, the C-ABI
    /// emulator, plain `#[test]`s.
    ///
    /// # Errors
    /// As [`Sandbox::start`].
    pub fn start_blocking(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wxface-sandbox")
            .enable_all()
            .build()
            .map_err(|e| SandboxError::Io(format!("cannot build a runtime: {e}")))?;
        let mut sandbox = runtime.block_on(Self::start(config))?;
        sandbox.runtime = Some(runtime);
        Ok(sandbox)
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address the sandbox listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The keys directory, when the key set lives in one.
    pub fn keys_dir(&self) -> Option<&Path> {
        self.keys_dir.as_deref()
    }

    /// Whether this start generated the key set (rather than reusing one).
    pub fn keys_generated(&self) -> bool {
        self.keys_generated
    }

    /// Everything a merchant-side client needs: ids, API keys, merchant and
    /// sub-merchant keys and serials, platform certificate and public key.
    pub fn credentials(&self) -> Credentials {
        self.inner.keys.credentials(self.inner.config.padding)
    }

    /// The ids and serials of the key set (`sandbox.json`).
    pub fn manifest(&self) -> &Manifest {
        &self.inner.keys.manifest
    }

    /// The fault rules (a handle: changes apply at once).
    pub fn faults(&self) -> Faults {
        self.inner.faults.clone()
    }

    /// The test persons.
    pub fn identities(&self) -> &[SandboxIdentity] {
        self.inner.identities()
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    /// Test hook: every authinfo issued so far expires now.
    pub fn expire_authinfos(&self) -> usize {
        self.inner.sessions().expire_authinfos()
    }

    /// Test hook: every face_sid issued so far expires now.
    pub fn expire_face_sids(&self) -> usize {
        self.inner.sessions().expire_face_sids()
    }

    /// Clear all fault rules and all sessions.
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// An emulated face SDK for device `device_id`, talking to this sandbox
    /// over HTTP.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn emulated_sdk(&self, device_id: &str) -> Result<EmulatedFaceSdk, wxface_core::Error> {
        let mut c = EmuConfig::new(self.url());
        c.device_id = device_id.to_owned();
        EmulatedFaceSdk::new(c)
    }

    /// Stop serving. Connections in flight are cut.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
