//! `wxface merchant serve`: the reference merchant server of
//! `docs/merchant-api.md` (`POST /kiosk/authinfo`, `/kiosk/verified`,
//! `/kiosk/real-name`), and the merchant configuration it shares with the
//! demo and the development server.
//!
//! The configuration comes from a key set written by the sandbox
//! (`--keys-dir`: `sandbox.json` and the PEM and key files it names), from
//! individual flags, or both (flags win). Secrets are read from files or the
//! environment and never printed.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use wxface_client::server::{serve, InMemoryRegistry, ServerState};
use wxface_client::{ClientConfig, MerchantClient};
use wxface_core::crypto::Padding;
use wxface_core::decrypt::Decryptor;
use wxface_core::v2::ApiKey;
use wxface_sandbox::{Credentials, Manifest};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::helpers::decrypt::PaddingArg;
use crate::helpers::out;
use crate::input::read_secret_file;
use crate::serve::{runtime, shutdown_signal};

/// Default `store_id` of authinfo requests that name none.
pub const DEFAULT_STORE_ID: &str = "HOSPITAL-OPD-01";
/// Default `store_name` of authinfo requests.
pub const DEFAULT_STORE_NAME: &str = "门诊自助机";

/// What a merchant server needs to talk to WeChat Pay (or the sandbox).
///
/// `Debug` shows ids only.
#[derive(Clone, Default)]
pub struct MerchantSetup {
    /// `appid`.
    pub appid: String,
    /// `mch_id`.
    pub mch_id: String,
    /// The v2 API key.
    pub api_v2_key: Zeroizing<String>,
    /// The APIv3 key (certificate download), if any.
    pub api_v3_key: Option<Zeroizing<String>>,
    /// Merchant API private key PEM.
    pub merchant_key_pem: Zeroizing<String>,
    /// Merchant API certificate serial.
    pub merchant_serial: String,
    /// Platform certificates (PEM).
    pub platform_certs: Vec<String>,
    /// Platform public key: (`PUB_KEY_ID_…`, PEM).
    pub platform_public_key: Option<(String, String)>,
    /// Padding of the real-name fields.
    pub padding: Padding,
    /// Base URL of WeChat Pay (both hosts); `None`: production.
    pub wechat_url: Option<String>,
    /// Default store id.
    pub store_id: String,
    /// Default store name.
    pub store_name: String,
}

impl std::fmt::Debug for MerchantSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantSetup")
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .field("merchant_serial", &self.merchant_serial)
            .field("platform_certs", &self.platform_certs.len())
            .field(
                "platform_public_key",
                &self.platform_public_key.as_ref().map(|(id, _)| id),
            )
            .field("padding", &self.padding)
            .field("wechat_url", &self.wechat_url)
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

impl MerchantSetup {
    /// The direct-merchant setup for a sandbox's credentials.
    pub fn from_credentials(c: &Credentials, wechat_url: &str) -> Self {
        Self {
            appid: c.appid.clone(),
            mch_id: c.mch_id.clone(),
            api_v2_key: Zeroizing::new(c.api_v2_key.clone()),
            api_v3_key: Some(Zeroizing::new(c.api_v3_key.clone())),
            merchant_key_pem: Zeroizing::new(c.merchant_key_pem.clone()),
            merchant_serial: c.merchant_serial.clone(),
            platform_certs: vec![c.platform_cert_pem.clone()],
            platform_public_key: Some((c.pub_key_id.clone(), c.platform_public_key_pem.clone())),
            padding: c.padding,
            wechat_url: Some(wechat_url.to_owned()),
            store_id: DEFAULT_STORE_ID.into(),
            store_name: DEFAULT_STORE_NAME.into(),
        }
    }

    /// Read a key set written by the sandbox (`sandbox.json` and its files).
    ///
    /// # Errors
    /// [`CliError::Input`] naming the file that is missing or unreadable.
    pub fn from_keys_dir(dir: &Path) -> Result<Self, CliError> {
        let manifest_path = dir.join("sandbox.json");
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
            CliError::Input(format!(
                "cannot read `{}` (is this a sandbox keys directory?): {e}",
                manifest_path.display()
            ))
        })?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| {
            CliError::Input(format!(
                "`{}` is not a sandbox manifest: {}",
                manifest_path.display(),
                wxface_core::redact::json_error(&e)
            ))
        })?;
        let file = |role: &str, default: &str| -> PathBuf {
            dir.join(m.files.get(role).map(String::as_str).unwrap_or(default))
        };
        let read_public = |p: PathBuf| -> Result<String, CliError> {
            std::fs::read_to_string(&p)
                .map_err(|e| CliError::Input(format!("cannot read `{}`: {e}", p.display())))
        };
        let trimmed = |z: Zeroizing<String>| Zeroizing::new(z.trim().to_owned());
        Ok(Self {
            appid: m.appid.clone(),
            mch_id: m.mch_id.clone(),
            api_v2_key: trimmed(read_secret_file(&file("api_v2_key", "apiv2_key.txt"))?),
            api_v3_key: Some(trimmed(read_secret_file(&file(
                "api_v3_key",
                "apiv3_key.txt",
            ))?)),
            merchant_key_pem: read_secret_file(&file("merchant_key", "apiclient_key.pem"))?,
            merchant_serial: m.merchant_serial.clone(),
            platform_certs: vec![read_public(file("platform_cert", "platform_cert.pem"))?],
            platform_public_key: Some((
                m.pub_key_id.clone(),
                read_public(file("pub_key", "pub_key.pem"))?,
            )),
            padding: Padding::Pkcs1v15,
            wechat_url: None,
            store_id: DEFAULT_STORE_ID.into(),
            store_name: DEFAULT_STORE_NAME.into(),
        })
    }

    /// The client configuration (with its decryptor).
    ///
    /// # Errors
    /// The client's configuration errors (missing or unusable keys).
    pub fn client_config(&self) -> Result<ClientConfig, CliError> {
        let mut b = ClientConfig::builder()
            .appid(self.appid.clone())
            .mch_id(self.mch_id.clone())
            .store(self.store_id.clone(), self.store_name.clone())
            .api_key(ApiKey::new(self.api_v2_key.to_string())?)
            .merchant_key_pem(
                self.merchant_key_pem.to_string(),
                self.merchant_serial.clone(),
            )
            .decryptor(self.decryptor()?);
        for c in &self.platform_certs {
            b = b.platform_certificate(c.clone());
        }
        if let Some((id, pem)) = &self.platform_public_key {
            b = b.platform_public_key(id.clone(), pem.clone());
        }
        if let Some(k) = &self.api_v3_key {
            b = b.apiv3_key(k.to_string());
        }
        if let Some(url) = &self.wechat_url {
            b = b.base_url(url.clone());
        }
        b.build().map_err(client_error)
    }

    /// The hospital's decryptor (the merchant key, direct mode).
    ///
    /// # Errors
    /// An unusable key.
    pub fn decryptor(&self) -> Result<Decryptor, CliError> {
        Ok(Decryptor::from_pem(&self.merchant_key_pem, self.padding)?)
    }

    /// A client and the reference server's state around it.
    ///
    /// # Errors
    /// As [`Self::client_config`].
    pub fn server_state(&self) -> Result<(MerchantClient, ServerState), CliError> {
        let client = MerchantClient::new(self.client_config()?).map_err(client_error)?;
        let state = ServerState::new(client.clone(), self.decryptor()?);
        Ok((client, state))
    }
}

/// A client error as a CLI error.
pub fn client_error(e: wxface_client::Error) -> CliError {
    CliError::Core(e)
}

/// Arguments of `wxface merchant serve`.
#[derive(Debug, Args)]
#[command(after_help = "\
Prints `listening on http://HOST:PORT` on standard output, then serves the kiosk API of \
docs/merchant-api.md until interrupted. Against the sandbox:

  wxface sandbox serve --keys-dir ./sandbox-keys          # prints its URL
  wxface merchant serve --keys-dir ./sandbox-keys --wechat-url http://127.0.0.1:PORT

Without --keys-dir every id and key comes from the flags (keys from files or the \
environment, never from the command line). Kiosks receive masked identities only; \
the full name and credential number stay in this process.")]
pub struct MerchantServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// A key set written by `wxface sandbox serve` (ids, keys, platform keys).
    #[arg(long, value_name = "DIR", env = "WXFACE_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,

    /// Base URL of WeChat Pay, e.g. the sandbox's [default: the production hosts;
    /// required with --keys-dir].
    #[arg(long, value_name = "URL", env = "WXFACE_WECHAT_URL")]
    pub wechat_url: Option<String>,

    /// `appid`.
    #[arg(long, env = "WXFACE_APPID")]
    pub appid: Option<String>,

    /// `mch_id`.
    #[arg(long, env = "WXFACE_MCH_ID")]
    pub mch_id: Option<String>,

    /// File holding the v2 API key.
    #[arg(long, value_name = "PATH", env = "WXFACE_V2_KEY_FILE")]
    pub api_v2_key_file: Option<PathBuf>,

    /// File holding the APIv3 key (enables platform certificate download).
    #[arg(long, value_name = "PATH", env = "WXFACE_APIV3_KEY_FILE")]
    pub api_v3_key_file: Option<PathBuf>,

    /// Merchant API private key PEM.
    #[arg(long, value_name = "PATH", env = "WXFACE_MERCHANT_KEY_FILE")]
    pub merchant_key_file: Option<PathBuf>,

    /// Merchant API certificate serial.
    #[arg(long, value_name = "SERIAL", env = "WXFACE_MERCHANT_SERIAL_NO")]
    pub merchant_serial: Option<String>,

    /// Platform certificate PEM (repeatable).
    #[arg(long, value_name = "PATH")]
    pub platform_cert: Vec<PathBuf>,

    /// Platform public key PEM.
    #[arg(long, value_name = "PATH", requires = "platform_public_key_id")]
    pub platform_public_key: Option<PathBuf>,

    /// Id of the platform public key (`PUB_KEY_ID_…`).
    #[arg(long, value_name = "ID", requires = "platform_public_key")]
    pub platform_public_key_id: Option<String>,

    /// RSA padding of the real-name fields.
    #[arg(long, value_enum, default_value = "pkcs1v15", ignore_case = true)]
    pub padding: PaddingArg,

    /// Default `store_id` of authinfo requests.
    #[arg(long, default_value = DEFAULT_STORE_ID)]
    pub store_id: String,

    /// Default `store_name` of authinfo requests.
    #[arg(long, default_value = DEFAULT_STORE_NAME)]
    pub store_name: String,

    /// An openid the hospital already verified (repeatable): `/kiosk/verified`
    /// answers true for it.
    #[arg(long, value_name = "OPENID")]
    pub verified: Vec<String>,
}

fn missing(what: &str, flag: &str) -> CliError {
    CliError::Usage(format!("no {what}: pass {flag} (or --keys-dir)"))
}

impl MerchantServeArgs {
    /// The setup: the keys directory, then the flags on top.
    ///
    /// # Errors
    /// Missing values, unreadable files.
    pub fn setup(&self) -> Result<MerchantSetup, CliError> {
        let mut s = match &self.keys_dir {
            Some(dir) => {
                if self.wechat_url.is_none() {
                    return Err(CliError::Usage(
                        "a sandbox key set needs --wechat-url (the URL `wxface sandbox serve` printed)"
                            .into(),
                    ));
                }
                MerchantSetup::from_keys_dir(dir)?
            }
            None => MerchantSetup::default(),
        };
        if let Some(v) = &self.appid {
            s.appid = v.clone();
        }
        if let Some(v) = &self.mch_id {
            s.mch_id = v.clone();
        }
        if let Some(p) = &self.api_v2_key_file {
            s.api_v2_key = Zeroizing::new(read_secret_file(p)?.trim().to_owned());
        }
        if let Some(p) = &self.api_v3_key_file {
            s.api_v3_key = Some(Zeroizing::new(read_secret_file(p)?.trim().to_owned()));
        }
        if let Some(p) = &self.merchant_key_file {
            s.merchant_key_pem = read_secret_file(p)?;
        }
        if let Some(v) = &self.merchant_serial {
            s.merchant_serial = v.clone();
        }
        for p in &self.platform_cert {
            s.platform_certs.push(
                std::fs::read_to_string(p)
                    .map_err(|e| CliError::Input(format!("cannot read `{}`: {e}", p.display())))?,
            );
        }
        if let (Some(p), Some(id)) = (&self.platform_public_key, &self.platform_public_key_id) {
            let pem = std::fs::read_to_string(p)
                .map_err(|e| CliError::Input(format!("cannot read `{}`: {e}", p.display())))?;
            s.platform_public_key = Some((id.clone(), pem));
        }
        s.padding = self.padding.into();
        s.wechat_url = self.wechat_url.clone();
        s.store_id = self.store_id.clone();
        s.store_name = self.store_name.clone();
        if s.appid.is_empty() {
            return Err(missing("appid", "--appid"));
        }
        if s.mch_id.is_empty() {
            return Err(missing("mch_id", "--mch-id"));
        }
        if s.api_v2_key.is_empty() {
            return Err(missing("v2 API key", "--api-v2-key-file"));
        }
        if s.merchant_key_pem.is_empty() {
            return Err(missing("merchant private key", "--merchant-key-file"));
        }
        if s.merchant_serial.is_empty() {
            return Err(missing("merchant certificate serial", "--merchant-serial"));
        }
        Ok(s)
    }
}

/// Run `wxface merchant serve` until a signal arrives.
///
/// # Errors
/// Configuration errors, or a port that cannot be bound.
pub fn run(args: &MerchantServeArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let setup = args.setup()?;
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|_| CliError::Usage(format!("`{}` is not an IP address", args.host)))?;
    let rt = runtime()?;
    rt.block_on(async {
        let (_client, state) = setup.server_state()?;
        let registry = Arc::new(InMemoryRegistry::new());
        for (i, openid) in args.verified.iter().enumerate() {
            registry.insert(openid.clone(), format!("P-SEED-{:04}", i + 1));
        }
        let state = state.with_registry(registry);
        let (bound, handle) = serve(addr, state)
            .await
            .map_err(|e| CliError::Runtime(format!("cannot listen on {addr}: {e}")))?;
        out(stdout, &format!("listening on http://{bound}"))?;
        stdout
            .flush()
            .map_err(|e| CliError::Runtime(format!("cannot write output: {e}")))?;
        eprintln!(
            "wxface: merchant {} (store {}) → {}",
            setup.mch_id,
            setup.store_id,
            setup
                .wechat_url
                .as_deref()
                .unwrap_or("the WeChat Pay production hosts")
        );
        shutdown_signal().await;
        handle
            .shutdown()
            .await
            .map_err(|e| CliError::Runtime(format!("server error: {e}")))
    })
}
