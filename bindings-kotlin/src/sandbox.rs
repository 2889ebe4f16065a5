//! The sandbox and the emulated face SDK (feature `sandbox`, for the JVM
//! tests only; never in an Android build).
//!
//! `Sandbox` runs a local WeChat Pay on a free loopback port and hands
//! out merchant-client builders (direct and provider mode) and a decryptor
//! wired to it, so the merchant's keys never cross into Kotlin; the public
//! platform key and the sub-merchant's throwaway test key do, for the
//! hospital's `RealNameReceiver` in the provider-mode tests. On request it also runs the reference merchant
//! server (docs/merchant-api.md) in front of it, with an in-memory store of
//! device credentials that the tests fill (`device_credential`) and revoke
//! (`revoke_device`), as the hospital does with `wxface merchant devices`.
//! `EmulatedFaceSdk` is the face SDK emulator: a Kotlin `FaceSdk` delegates
//! to its `call`, which exercises the callback path exactly as the Android
//! adapter does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use wxface_capture::FaceSdk as _;
use wxface_client::server;
use wxface_core::crypto::Padding;
use wxface_core::model::MaskedIdentity;
use wxface_sandbox as sbx;

use crate::kiosk::FaceSdk;
use crate::merchant::{Decryptor, MerchantClientBuilder};
use crate::sdk::version;
use crate::WxfaceError;

fn sandbox_error(e: sbx::SandboxError) -> WxfaceError {
    wxface_core::Error::config(e.to_string()).into()
}

/// A test person of the sandbox (masked; the full values are the sandbox's
/// documented test data). `toString` shows the openid's length only, as
/// for every record that carries one.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct SandboxIdentity {
    /// Key to pick the person (`patient-a`, …).
    pub key: String,
    /// Their openid under the merchant's appid.
    pub openid: String,
    /// Their identity, masked.
    pub masked: MaskedIdentity,
}

impl std::fmt::Debug for SandboxIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SandboxIdentity(key={}, openid={}, masked={:?})",
            self.key,
            wxface_core::redact::redacted_text(&self.openid),
            self.masked
        )
    }
}

/// The reference merchant server and the runtime it runs on.
struct Reference {
    url: String,
    handle: Option<server::ServerHandle>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Reference {
    fn drop(&mut self) {
        drop(self.handle.take());
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A running sandbox (a local WeChat Pay). Stops when closed.
#[derive(uniffi::Object)]
pub struct Sandbox {
    inner: Mutex<Option<sbx::Sandbox>>,
    url: String,
    creds: sbx::Credentials,
    reference: Mutex<Option<Reference>>,
    registry: Arc<server::InMemoryRegistry>,
    devices: Arc<server::InMemoryDevices>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn io_error(what: &str) -> WxfaceError {
    wxface_core::Error::config(what).into()
}

impl Sandbox {
    fn sandbox(&self) -> MutexGuard<'_, Option<sbx::Sandbox>> {
        lock(&self.inner)
    }

    fn start_reference(&self) -> Result<Reference, WxfaceError> {
        let c = &self.creds;
        let config = wxface_client::ClientConfig::builder()
            .appid(c.appid.clone())
            .mch_id(c.mch_id.clone())
            .store("STORE-01", "Sandbox hospital")
            .api_key(wxface_core::v2::ApiKey::new(c.api_v2_key.clone())?)
            .merchant_key_pem(c.merchant_key_pem.clone(), c.merchant_serial.clone())
            .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
            .base_url(self.url.clone())
            .build()?;
        let decryptor = wxface_core::decrypt::Decryptor::from_pem(&c.merchant_key_pem, c.padding)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wxface-reference-server")
            .enable_all()
            .build()
            .map_err(|_| io_error("cannot start a runtime for the reference server"))?;
        let client = {
            let _guard = runtime.enter();
            wxface_client::MerchantClient::new(config)?
        };
        let registry: Arc<dyn server::PatientRegistry> = self.registry.clone();
        let devices: Arc<dyn server::DeviceStore> = self.devices.clone();
        let state = server::ServerState::new(client, decryptor)
            .with_registry(registry)
            .with_devices(devices);
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let (addr, handle) = runtime
            .block_on(server::serve(addr, state))
            .map_err(|_| io_error("cannot listen for the reference server"))?;
        Ok(Reference {
            url: format!("http://{addr}"),
            handle: Some(handle),
            runtime: Some(runtime),
        })
    }
}

#[uniffi::export]
impl Sandbox {
    /// Start a sandbox on a free loopback port with a fresh key set.
    /// `openid_with_face_sid`: recognition answers `openid` along with
    /// `face_sid` (the sandbox's older behaviour); by default it answers
    /// none, as the spec's table says.
    ///
    /// # Errors
    /// `Config` when it cannot start.
    #[uniffi::constructor(default(
        padding = None,
        authinfo_ttl_secs = None,
        openid_with_face_sid = None
    ))]
    pub fn new(
        padding: Option<Padding>,
        authinfo_ttl_secs: Option<u64>,
        openid_with_face_sid: Option<bool>,
    ) -> Result<Self, WxfaceError> {
        let mut config = sbx::SandboxConfig::default();
        if let Some(p) = padding {
            config.padding = p;
        }
        if let Some(o) = openid_with_face_sid {
            config.openid_with_face_sid = o;
        }
        if let Some(t) = authinfo_ttl_secs {
            config.authinfo_ttl_secs = t;
        }
        let sandbox = sbx::Sandbox::start_blocking(config).map_err(sandbox_error)?;
        Ok(Self {
            url: sandbox.url(),
            creds: sandbox.credentials(),
            inner: Mutex::new(Some(sandbox)),
            reference: Mutex::new(None),
            registry: Arc::new(server::InMemoryRegistry::new()),
            devices: Arc::new(server::InMemoryDevices::new()),
        })
    }

    /// Base URL of the reference merchant server (docs/merchant-api.md) in
    /// front of this sandbox, started on first use: for
    /// `httpMerchantBackend`.
    ///
    /// # Errors
    /// `Config` when it cannot start.
    pub fn reference_server_url(&self) -> Result<String, WxfaceError> {
        let mut slot = lock(&self.reference);
        if let Some(r) = slot.as_ref() {
            return Ok(r.url.clone());
        }
        let r = self.start_reference()?;
        let url = r.url.clone();
        *slot = Some(r);
        Ok(url)
    }

    /// Issue a new device credential (`wxfd1.…`) for `device_id` in the
    /// reference server's store, as `wxface merchant devices add DEVICE_ID`
    /// does for a real server: pass it to `httpMerchantBackend` of a kiosk
    /// with that `device_id`. Each call issues another live one (a device
    /// may hold several); the server keeps only its hash. A secret, even a
    /// test one: do not log it.
    ///
    /// # Errors
    /// `InvalidInput` for a `device_id` that is empty, longer than 32
    /// characters or holds control characters.
    pub fn device_credential(&self, device_id: String) -> Result<String, WxfaceError> {
        let now = wxface_core::time::Clock::now(&wxface_core::time::SystemClock);
        let (credential, _) = server::issue(
            &*self.devices,
            &device_id,
            Some("sandbox"),
            now,
            &wxface_core::time::OsEntropy,
        )?;
        Ok(credential.expose().to_owned())
    }

    /// Revoke, in the reference server's store, the live credentials whose
    /// device id (or key id: the 16 hex digits after `wxfd1.`) is `id`, as
    /// `wxface merchant devices revoke ID` does; how many. Their next
    /// request is refused (`Unauthenticated`).
    pub fn revoke_device(&self, id: String) -> u64 {
        let now = wxface_core::time::Clock::now(&wxface_core::time::SystemClock);
        // The in-memory store cannot fail.
        server::DeviceStore::revoke(&*self.devices, &id, now).map_or(0, |n| n as u64)
    }

    /// Mark `openid` as already verified in the reference server's registry.
    pub fn register_verified(&self, openid: String, patient_id: String) {
        self.registry.insert(openid, patient_id);
    }

    /// Base URL (`http://127.0.0.1:…`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The merchant's appid.
    pub fn appid(&self) -> String {
        self.creds.appid.clone()
    }

    /// The merchant's mch_id.
    pub fn mch_id(&self) -> String {
        self.creds.mch_id.clone()
    }

    /// A builder with everything set for this sandbox in direct mode (ids,
    /// store `STORE-01`, API key, merchant key, platform public key, base
    /// URL, decryptor).
    ///
    /// # Errors
    /// `Config` when the sandbox's keys do not load.
    pub fn merchant_client_builder(&self) -> Result<Arc<MerchantClientBuilder>, WxfaceError> {
        let c = &self.creds;
        let builder = Arc::new(MerchantClientBuilder::new())
            .appid(c.appid.clone())
            .mch_id(c.mch_id.clone())
            .store("STORE-01".into(), "Sandbox hospital".into())
            .api_key(c.api_v2_key.clone())?;
        Ok(builder
            .merchant_key_pem(c.merchant_key_pem.clone(), c.merchant_serial.clone())
            .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
            .base_url(self.url.clone())
            .decryptor(self.decryptor(None)?))
    }

    /// A decryptor with the merchant's key and `padding` (default: the
    /// padding the sandbox encrypts with).
    ///
    /// # Errors
    /// `Config` when the key does not load.
    #[uniffi::method(default(padding = None))]
    pub fn decryptor(&self, padding: Option<Padding>) -> Result<Arc<Decryptor>, WxfaceError> {
        Decryptor::from_pem(
            self.creds.merchant_key_pem.clone(),
            Some(padding.unwrap_or(self.creds.padding)),
        )
        .map(Arc::new)
    }

    /// A builder for this sandbox in provider mode (服务商): the provider's
    /// ids and keys, the sub-merchant's ids and certificate serial, no
    /// decryptor (the provider cannot decrypt what is meant for the
    /// hospital). For `queryUserSigned`.
    ///
    /// # Errors
    /// `Config` when the sandbox's keys do not load.
    pub fn provider_client_builder(&self) -> Result<Arc<MerchantClientBuilder>, WxfaceError> {
        let c = &self.creds;
        let builder = Arc::new(MerchantClientBuilder::new())
            .appid(c.appid.clone())
            .mch_id(c.mch_id.clone())
            .sub_merchant(c.sub_mch_id.clone(), c.sub_merchant_serial.clone())
            .sub_appid(c.sub_appid.clone())
            .store("STORE-01".into(), "Sandbox hospital".into())
            .api_key(c.api_v2_key.clone())?;
        Ok(builder
            .merchant_key_pem(c.merchant_key_pem.clone(), c.merchant_serial.clone())
            .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
            .base_url(self.url.clone()))
    }

    /// The sub-merchant's mch_id (provider mode).
    pub fn sub_mch_id(&self) -> String {
        self.creds.sub_mch_id.clone()
    }

    /// The sub-merchant's appid (provider mode).
    pub fn sub_appid(&self) -> String {
        self.creds.sub_appid.clone()
    }

    /// The platform public key (SPKI PEM) this sandbox signs answers with.
    pub fn platform_public_key_pem(&self) -> String {
        self.creds.platform_public_key_pem.clone()
    }

    /// The id (`PUB_KEY_ID_…`) of the platform public key.
    pub fn pub_key_id(&self) -> String {
        self.creds.pub_key_id.clone()
    }

    /// The platform certificate (PEM).
    pub fn platform_certificate_pem(&self) -> String {
        self.creds.platform_cert_pem.clone()
    }

    /// The sub-merchant's (hospital's) private key of this sandbox's
    /// throwaway key set (PKCS#8 PEM), for the hospital's side of the
    /// provider-mode tests. A test key generated for this sandbox only.
    pub fn sub_merchant_key_pem(&self) -> String {
        self.creds.sub_merchant_key_pem.clone()
    }

    /// The merchant's private key of this sandbox's throwaway key set
    /// (PKCS#8 PEM): for tests that check it is printed nowhere.
    pub fn merchant_key_pem(&self) -> String {
        self.creds.merchant_key_pem.clone()
    }

    /// The merchant's API v2 key of this sandbox: for tests that check it is
    /// printed nowhere.
    pub fn api_v2_key(&self) -> String {
        self.creds.api_v2_key.clone()
    }

    /// The test identities.
    pub fn identities(&self) -> Vec<SandboxIdentity> {
        self.sandbox()
            .as_ref()
            .map(|s| {
                s.identities()
                    .iter()
                    .map(|p| SandboxIdentity {
                        key: p.key.clone(),
                        openid: p.openid.clone(),
                        masked: p.masked().into(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every authinfo issued so far expires now; how many.
    pub fn expire_authinfos(&self) -> u64 {
        self.sandbox()
            .as_ref()
            .map_or(0, |s| s.expire_authinfos() as u64)
    }

    /// Every face_sid issued so far expires now; how many.
    pub fn expire_face_sids(&self) -> u64 {
        self.sandbox()
            .as_ref()
            .map_or(0, |s| s.expire_face_sids() as u64)
    }

    /// An emulated face SDK for `device_id`, talking to this sandbox.
    ///
    /// # Errors
    /// `Config` when its HTTP client cannot be built or the sandbox stopped.
    #[uniffi::method(default(sdk_version = None))]
    pub fn emulated_sdk(
        &self,
        device_id: String,
        sdk_version: Option<String>,
    ) -> Result<Arc<EmulatedFaceSdk>, WxfaceError> {
        let mut c = sbx::EmuConfig::new(self.url.clone());
        c.device_id = device_id;
        if let Some(v) = sdk_version {
            c.sdk_version = version(&v)?;
        }
        Ok(Arc::new(EmulatedFaceSdk {
            inner: sbx::EmulatedFaceSdk::new(c)?,
        }))
    }

    /// Stop serving (also done when the object is closed or collected).
    pub fn stop(&self) {
        drop(lock(&self.reference).take());
        drop(self.sandbox().take());
    }
}

/// What the emulated patient does in one face session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EmulatedOutcome {
    /// Recognised, then consents.
    Consent,
    /// Recognised, then refuses consent.
    Refuse,
    /// Cancels on the face screen.
    UserCancel,
    /// The camera fails.
    CameraError,
}

impl From<EmulatedOutcome> for sbx::Outcome {
    fn from(o: EmulatedOutcome) -> Self {
        match o {
            EmulatedOutcome::Consent => Self::Consent,
            EmulatedOutcome::Refuse => Self::Refuse,
            EmulatedOutcome::UserCancel => Self::UserCancel,
            EmulatedOutcome::CameraError => Self::CameraError,
        }
    }
}

/// The face SDK emulator. Its answers are built by the same core code the
/// kiosk parses with, and it enforces the vendor's rules (init first, the
/// quit call after recognition since 1.20).
#[derive(Debug, uniffi::Object)]
pub struct EmulatedFaceSdk {
    inner: sbx::EmulatedFaceSdk,
}

#[uniffi::export]
impl EmulatedFaceSdk {
    /// One SDK call: request JSON in, answer JSON out.
    ///
    /// # Errors
    /// Never in practice (errors are SDK answers), kept for the interface.
    pub fn call(&self, request_json: String) -> Result<String, WxfaceError> {
        Ok(self.inner.call(&request_json)?)
    }

    /// Script the outcome of the next face session.
    pub fn push_outcome(&self, outcome: EmulatedOutcome) {
        self.inner.push_outcome(outcome.into());
    }

    /// The outcome when the script is empty.
    pub fn set_outcome(&self, outcome: EmulatedOutcome) {
        self.inner.set_outcome(outcome.into());
    }

    /// Recognise this person (`null`: the sandbox's default).
    pub fn set_person(&self, person: Option<String>) {
        self.inner.set_person(person);
    }

    /// Recognition latency from now on.
    pub fn set_latency_ms(&self, ms: u32) {
        self.inner.set_latency(Duration::from_millis(u64::from(ms)));
    }

    /// Whether recognition answers `openid` along with `face_sid` from now
    /// on: `true` the sandbox's older behaviour, `false` the spec's table,
    /// `null` the sandbox's setting.
    pub fn set_openid_with_face_sid(&self, with_openid: Option<bool>) {
        self.inner.set_openid_with_face_sid(with_openid);
    }

    /// This emulator as a Rust-implemented `FaceSdk` (no Kotlin in between).
    pub fn as_face_sdk(self: Arc<Self>) -> Arc<dyn FaceSdk> {
        self
    }
}

impl FaceSdk for EmulatedFaceSdk {
    fn call(&self, request_json: String) -> Result<String, WxfaceError> {
        EmulatedFaceSdk::call(self, request_json)
    }
}
