//! `dev.startDevServer()`: a WeChat Pay sandbox and the reference merchant
//! server in this process, on loopback, for development and tests of kiosk
//! front ends (feature `dev`). Nothing here talks to WeChat Pay.
//!
//! The merchant server lets in the kiosks it issued a device credential to
//! (an in-memory store, empty at every start but for the default device):
//! `deviceCredential` is the default device's, `issueDeviceCredential` makes
//! one for another device id, `revokeDeviceCredential` revokes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use wxface_client::server::{self, DeviceStore, InMemoryDevices, ServerHandle, ServerState};
use wxface_core::crypto::Padding;
use wxface_core::decrypt::Decryptor;
use wxface_core::device_auth::DeviceCredential;
use wxface_core::time::{Clock, OsEntropy, SystemClock};
use wxface_core::Error;
use wxface_sandbox::{Credentials, Sandbox, SandboxConfig};

use crate::decrypt::RealNameReceiverOptions;
use crate::merchant::{client_config, ClientSettings};
use crate::runtime;

/// The store the reference merchant server asks authinfo for.
const STORE_ID: &str = "HOSP-01";
const STORE_NAME: &str = "门诊大厅";
/// The device issued a credential at start: the emulator's default device id.
const DEFAULT_DEVICE: &str = "EMU-DEVICE-01";
/// The label of the credentials the dev server issues.
const LABEL: &str = "dev-server";

/// Options of the dev server.
#[napi(object, namespace = "dev")]
#[derive(Default)]
pub struct DevServerOptions {
    /// The sandbox configuration as JSON (fields of `SandboxConfig`; those
    /// left out keep their defaults), e.g. `{"authinfo_ttl_secs": 60}`.
    pub sandbox_config_json: Option<String>,
    /// The device id issued a credential at start, the one
    /// `deviceCredential` answers (default `EMU-DEVICE-01`, the emulator's
    /// default device).
    pub device_id: Option<String>,
}

/// A running sandbox and reference merchant server.
#[napi(namespace = "dev")]
pub struct DevServer {
    sandbox: Mutex<Option<Sandbox>>,
    server: Mutex<Option<ServerHandle>>,
    sandbox_url: String,
    merchant_url: String,
    creds: Credentials,
    devices: Arc<InMemoryDevices>,
    device_id: String,
    device_credential: DeviceCredential,
}

/// Issue a credential for `device_id` in `devices`.
fn issue(devices: &InMemoryDevices, device_id: &str) -> Result<DeviceCredential, Error> {
    server::issue(
        devices,
        device_id,
        Some(LABEL),
        SystemClock.now(),
        &OsEntropy,
    )
    .map(|(c, _)| c)
}

fn merchant_config(creds: &Credentials, sandbox_url: &str) -> ClientSettings {
    ClientSettings {
        appid: creds.appid.clone(),
        mch_id: creds.mch_id.clone(),
        v2_key: creds.api_v2_key.clone(),
        merchant_serial_no: creds.merchant_serial.clone(),
        merchant_key_pem: creds.merchant_key_pem.clone(),
        platform_public_key_id: Some(creds.pub_key_id.clone()),
        platform_public_key_pem: Some(creds.platform_public_key_pem.clone()),
        platform_certificates: Some(vec![creds.platform_cert_pem.clone()]),
        store_id: Some(STORE_ID.into()),
        store_name: Some(STORE_NAME.into()),
        decrypt_key_pem: Some(creds.merchant_key_pem.clone()),
        padding: Some(creds.padding.as_str().into()),
        base_url: Some(sandbox_url.into()),
        ..ClientSettings::default()
    }
}

async fn start(options: DevServerOptions) -> Result<DevServer, Error> {
    // A bad device id is refused before anything starts.
    let device_id = options.device_id.unwrap_or_else(|| DEFAULT_DEVICE.into());
    let devices = Arc::new(InMemoryDevices::new());
    let device_credential = issue(&devices, &device_id)?;
    let config = match options.sandbox_config_json {
        Some(j) => SandboxConfig::from_json(&j),
        None => Ok(SandboxConfig::default()),
    }
    .map_err(|e| Error::config(e.to_string()))?;
    let sandbox = Sandbox::start(config)
        .await
        .map_err(|e| Error::config(e.to_string()))?;
    let creds = sandbox.credentials();
    let sandbox_url = sandbox.url();
    let cfg = merchant_config(&creds, &sandbox_url);
    let padding: Padding = creds.padding;
    let client = wxface_client::MerchantClient::new(client_config(cfg)?)?;
    let decryptor = Decryptor::from_pem(&creds.merchant_key_pem, padding)?;
    let state = ServerState::new(client, decryptor)
        .with_devices(Arc::clone(&devices) as Arc<dyn DeviceStore>);
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let (bound, handle) = server::serve(addr, state)
        .await
        .map_err(|e| Error::config(format!("merchant server: {e}")))?;
    Ok(DevServer {
        sandbox: Mutex::new(Some(sandbox)),
        server: Mutex::new(Some(handle)),
        sandbox_url,
        merchant_url: format!("http://{bound}"),
        creds,
        devices,
        device_id,
        device_credential,
    })
}

/// Start a sandbox and the reference merchant server on loopback (free ports).
///
/// Rejects with `ConfigError` for a bad sandbox configuration or a port that
/// cannot be bound, `InvalidInputError` for a bad `deviceId`.
#[napi(
    namespace = "dev",
    js_name = "startDevServer",
    ts_return_type = "Promise<DevServer>"
)]
pub fn start_dev_server<'env>(
    env: &'env Env,
    options: Option<DevServerOptions>,
) -> napi::Result<PromiseRaw<'env, DevServer>> {
    runtime::future(env, start(options.unwrap_or_default()), |_, s| Ok(s))
}

#[napi(namespace = "dev")]
impl DevServer {
    /// Base URL of the WeChat Pay sandbox (for `FaceSdk.emulator` and
    /// `MerchantClient`'s `baseUrl`).
    #[napi(getter)]
    pub fn sandbox_url(&self) -> String {
        self.sandbox_url.clone()
    }

    /// Base URL of the reference merchant server (the kiosk's `merchantUrl`).
    #[napi(getter)]
    pub fn merchant_url(&self) -> String {
        self.merchant_url.clone()
    }

    /// The sandbox merchant's `appid`.
    #[napi(getter)]
    pub fn appid(&self) -> String {
        self.creds.appid.clone()
    }

    /// The sandbox merchant's `mch_id`.
    #[napi(getter)]
    pub fn mch_id(&self) -> String {
        self.creds.mch_id.clone()
    }

    /// The store the reference merchant server uses.
    #[napi(getter)]
    pub fn store_id(&self) -> String {
        STORE_ID.into()
    }

    /// The device issued a credential at start (`options.deviceId`, default
    /// `EMU-DEVICE-01`).
    #[napi(getter)]
    pub fn device_id(&self) -> String {
        self.device_id.clone()
    }

    /// The device credential of `deviceId`, issued at start: the kiosk's
    /// `deviceCredential`. A secret of this run only (the server keeps its
    /// hash in memory); never log it.
    #[napi(getter)]
    pub fn device_credential(&self) -> String {
        self.device_credential.expose().to_owned()
    }

    /// Issue a device credential for another kiosk (a device may hold
    /// several); the merchant server accepts it until it stops or the
    /// credential is revoked. Throws `InvalidInputError` on `deviceId`
    /// (1 to 32 characters, no control characters).
    #[napi(js_name = "issueDeviceCredential")]
    pub fn issue_device_credential(&self, env: Env, device_id: String) -> napi::Result<String> {
        issue(&self.devices, &device_id)
            .map(|c| c.expose().to_owned())
            .map_err(|e| crate::error::js(&env, e))
    }

    /// Revoke the live credentials whose device id or key id (the part
    /// after `wxfd1.`) is `id`; returns how many were revoked (0: none
    /// matched). The merchant server refuses them from the next request on.
    #[napi(js_name = "revokeDeviceCredential")]
    pub fn revoke_device_credential(&self, env: Env, id: String) -> napi::Result<u32> {
        self.devices
            .revoke(&id, SystemClock.now())
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .map_err(|e| crate::error::js(&env, e))
    }

    /// A `MerchantClient` configuration for the sandbox merchant (sandbox
    /// keys, generated at start; never real ones).
    #[napi(js_name = "merchantConfig")]
    pub fn merchant_config(&self) -> ClientSettings {
        merchant_config(&self.creds, &self.sandbox_url)
    }

    /// A `MerchantClient` configuration for the sandbox provider (服务商):
    /// the sandbox merchant with its sub-merchant (`subMchId`, `subSerialNo`,
    /// `subAppid`), and no decryption key — the provider cannot decrypt.
    #[napi(js_name = "providerConfig")]
    pub fn provider_config(&self) -> ClientSettings {
        ClientSettings {
            sub_mch_id: Some(self.creds.sub_mch_id.clone()),
            sub_serial_no: Some(self.creds.sub_merchant_serial.clone()),
            sub_appid: Some(self.creds.sub_appid.clone()),
            decrypt_key_pem: None,
            padding: None,
            ..merchant_config(&self.creds, &self.sandbox_url)
        }
    }

    /// `RealNameReceiver` options for the sandbox's hospital in provider
    /// mode: the sub-merchant's private key and the platform public key.
    #[napi(js_name = "receiverOptions")]
    pub fn receiver_options(&self) -> RealNameReceiverOptions {
        RealNameReceiverOptions {
            private_key_pem: self.creds.sub_merchant_key_pem.clone(),
            platform_public_key_pem: Some(self.creds.platform_public_key_pem.clone()),
            pub_key_id: Some(self.creds.pub_key_id.clone()),
            platform_certificate_pem: None,
            padding: Some(self.creds.padding.as_str().into()),
        }
    }

    /// Stop both servers. Idempotent.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let server = self.server.lock().ok().and_then(|mut s| s.take());
        let sandbox = self.sandbox.lock().ok().and_then(|mut s| s.take());
        runtime::future(
            env,
            async move {
                if let Some(s) = server {
                    // Open keep-alive connections of a kiosk may linger: bound the wait.
                    let _ = tokio::time::timeout(Duration::from_secs(2), s.shutdown()).await;
                }
                drop(sandbox);
                Ok(())
            },
            |_, ()| Ok(()),
        )
    }
}
