//! `wxface merchant serve`: the reference merchant server of
//! `docs/merchant-api.md` (`POST /kiosk/authinfo`, `/kiosk/verified`,
//! `/kiosk/real-name`), and the merchant configuration it shares with the
//! demo and the development server.
//!
//! The configuration is the client's [`ClientSettings`]
//! (docs/configuration.md): the flags, then the `WXFACE_*` environment for
//! every option not given, then a key set written by the sandbox
//! (`--keys-dir`) for what is still missing. Secrets are read from files or
//! the environment and never printed.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use wxface_client::server::{
    serve, InMemoryRegistry, Limits, PatientRegistry, Rate, ServerState, SqliteRegistry,
};
use wxface_client::{ClientConfig, ClientSettings, MerchantClient};
use wxface_core::crypto::Padding;
use wxface_core::decrypt::Decryptor;
use wxface_sandbox::Credentials;
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::helpers::decrypt::PaddingArg;
use crate::helpers::out;
use crate::serve::{runtime, shutdown_signal};

/// Default `store_id` of authinfo requests that name none.
pub const DEFAULT_STORE_ID: &str = "HOSPITAL-OPD-01";
/// Default `store_name` of authinfo requests.
pub const DEFAULT_STORE_NAME: &str = "门诊自助机";

/// What a merchant server needs to talk to WeChat Pay (or the sandbox): the
/// client's settings, checked and loaded by [`Self::server_state`].
///
/// `Debug` shows ids only.
#[derive(Clone, Debug, Default)]
pub struct MerchantSetup {
    /// The options (see docs/configuration.md).
    pub settings: ClientSettings,
}

impl MerchantSetup {
    /// The direct-merchant setup for a sandbox's credentials.
    pub fn from_credentials(c: &Credentials, base_url: &str) -> Self {
        let mut s = ClientSettings::default();
        s.appid = Some(c.appid.clone());
        s.mch_id = Some(c.mch_id.clone());
        s.v2_key = Some(Zeroizing::new(c.api_v2_key.clone()));
        s.apiv3_key = Some(Zeroizing::new(c.api_v3_key.clone()));
        s.merchant_key_pem = Some(Zeroizing::new(c.merchant_key_pem.clone()));
        s.merchant_serial_no = Some(c.merchant_serial.clone());
        s.platform_certificate_pem = vec![c.platform_cert_pem.clone()];
        s.platform_public_key_id = Some(c.pub_key_id.clone());
        s.platform_public_key_pem = Some(c.platform_public_key_pem.clone());
        s.padding = Some(c.padding.as_str().to_owned());
        s.base_url = Some(base_url.to_owned());
        s.store_id = Some(DEFAULT_STORE_ID.into());
        s.store_name = Some(DEFAULT_STORE_NAME.into());
        Self { settings: s }
    }

    /// The client configuration and the hospital's decryptor (in direct
    /// mode the merchant key).
    ///
    /// # Errors
    /// The settings' errors (missing or unusable options, unreadable files);
    /// [`CliError::Usage`] without a decryptor (provider mode without
    /// `decrypt_key_*`): the reference server decrypts real names.
    pub fn build(&self) -> Result<(ClientConfig, Decryptor), CliError> {
        let (config, decryptor) = self.settings.build()?;
        let decryptor = decryptor.ok_or_else(|| {
            CliError::Usage(
                "the reference server decrypts real names: in provider mode set \
                 WXFACE_DECRYPT_KEY_FILE (or WXFACE_DECRYPT_KEY_PEM) to the hospital's key"
                    .into(),
            )
        })?;
        Ok((config, decryptor))
    }

    /// A client and the reference server's state around it.
    ///
    /// # Errors
    /// As [`Self::build`].
    pub fn server_state(&self) -> Result<(MerchantClient, ServerState), CliError> {
        let (config, decryptor) = self.build()?;
        let client = MerchantClient::new(config)?;
        let state = ServerState::new(client.clone(), decryptor);
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
  wxface merchant devices add KIOSK-01                    # prints the kiosk's credential
  wxface merchant serve --keys-dir ./sandbox-keys --base-url http://127.0.0.1:PORT

Every kiosk request must carry a live device credential (Authorization: Bearer wxfd1.…), \
issued with `wxface merchant devices add` into the store of --devices (WXFACE_DEVICES, \
default $XDG_DATA_HOME/wxface/devices.sqlite3); anything else is answered 401 before \
WeChat Pay is asked anything. Revocations (`wxface merchant devices revoke`) apply from \
the next request.

With --tls-cert/--tls-key it serves HTTPS; with --client-ca as well, the TLS handshake \
refuses any client without a certificate of that CA (mutual TLS), and the device \
credential is still required on every request.

Every option not given as a flag comes from its WXFACE_* environment variable \
(WXFACE_APPID, WXFACE_MCH_ID, WXFACE_V2_KEY_FILE, WXFACE_MERCHANT_KEY_FILE, \
WXFACE_BASE_URL, WXFACE_KEYS_DIR, …: docs/configuration.md lists them all), and \
with --keys-dir the key set fills what is still missing. Keys come from files or the \
environment, never from the command line. Kiosks receive masked identities only; the \
full name and credential number stay in this process.

Verified patients (openid → patient id and masked identity, no full identity) are kept \
in an SQLite file, by default $XDG_DATA_HOME/wxface/patients.sqlite3 (--registry PATH or \
WXFACE_REGISTRY; `--registry :memory:` forgets them on exit), so a patient verified \
before a restart is still `already_verified` after it.")]
pub struct MerchantServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// A key set written by `wxface sandbox serve` (ids, keys, platform keys)
    /// [env: WXFACE_KEYS_DIR].
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,

    /// Base URL of both WeChat Pay hosts, e.g. the sandbox's [default: the
    /// production hosts; required with --keys-dir] [env: WXFACE_BASE_URL].
    #[arg(long, value_name = "URL", alias = "wechat-url")]
    pub base_url: Option<String>,

    /// `appid` [env: WXFACE_APPID].
    #[arg(long)]
    pub appid: Option<String>,

    /// `mch_id` [env: WXFACE_MCH_ID].
    #[arg(long)]
    pub mch_id: Option<String>,

    /// File holding the v2 API key [env: WXFACE_V2_KEY_FILE, or the key
    /// itself in WXFACE_V2_KEY].
    #[arg(long, value_name = "PATH", alias = "api-v2-key-file")]
    pub v2_key_file: Option<PathBuf>,

    /// File holding the APIv3 key (enables platform certificate download)
    /// [env: WXFACE_APIV3_KEY_FILE].
    #[arg(long, value_name = "PATH", alias = "api-v3-key-file")]
    pub apiv3_key_file: Option<PathBuf>,

    /// Merchant API private key PEM [env: WXFACE_MERCHANT_KEY_FILE].
    #[arg(long, value_name = "PATH")]
    pub merchant_key_file: Option<PathBuf>,

    /// Merchant API certificate serial [env: WXFACE_MERCHANT_SERIAL_NO].
    #[arg(long, value_name = "SERIAL", alias = "merchant-serial")]
    pub merchant_serial_no: Option<String>,

    /// Platform certificate PEM (repeatable) [env: WXFACE_PLATFORM_CERT_FILE,
    /// comma-separated].
    #[arg(long, value_name = "PATH", alias = "platform-cert")]
    pub platform_certificate_file: Vec<PathBuf>,

    /// Platform public key PEM, with --platform-public-key-id
    /// [env: WXFACE_PLATFORM_PUBLIC_KEY_FILE].
    #[arg(long, value_name = "PATH", alias = "platform-public-key")]
    pub platform_public_key_file: Option<PathBuf>,

    /// Id of the platform public key (`PUB_KEY_ID_…`)
    /// [env: WXFACE_PLATFORM_PUBLIC_KEY_ID].
    #[arg(long, value_name = "ID")]
    pub platform_public_key_id: Option<String>,

    /// RSA padding of the real-name fields [default: pkcs1v15]
    /// [env: WXFACE_PADDING].
    #[arg(long, value_enum, ignore_case = true)]
    pub padding: Option<PaddingArg>,

    /// Default `store_id` of authinfo requests [default: HOSPITAL-OPD-01]
    /// [env: WXFACE_STORE_ID].
    #[arg(long)]
    pub store_id: Option<String>,

    /// Default `store_name` of authinfo requests [default: 门诊自助机]
    /// [env: WXFACE_STORE_NAME].
    #[arg(long)]
    pub store_name: Option<String>,

    /// An openid the hospital already verified (repeatable): `/kiosk/verified`
    /// answers true for it (added to the registry as `P-SEED-NNNN` unless
    /// the registry already knows it).
    #[arg(long, value_name = "OPENID")]
    pub verified: Vec<String>,

    /// The patient registry (openid → patient id and masked identity), an
    /// SQLite file created when missing; `:memory:` keeps it in memory only
    /// [env: WXFACE_REGISTRY] [default:
    /// $XDG_DATA_HOME/wxface/patients.sqlite3].
    #[arg(long, value_name = "PATH")]
    pub registry: Option<PathBuf>,

    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs
    /// --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates issued by this CA (PEM): mutual TLS, for
    /// hospitals with their own PKI. Needs --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,

    /// Where the device credentials are (`--devices`).
    #[command(flatten)]
    pub devices: crate::devices::DevicesLocation,

    /// Requests per device on every kiosk route: BURST/PER_MINUTE (a 429
    /// with Retry-After beyond it).
    #[arg(long, value_name = "BURST/PER_MINUTE", default_value = "30/60", value_parser = parse_rate)]
    pub device_rate: Rate,

    /// Refused requests (no live device credential) per peer IP address:
    /// BURST/PER_MINUTE; beyond it they are answered 429.
    #[arg(long, value_name = "BURST/PER_MINUTE", default_value = "120/600", value_parser = parse_rate)]
    pub peer_rate: Rate,

    /// Requests to the whole server: BURST/PER_MINUTE.
    #[arg(long, value_name = "BURST/PER_MINUTE", default_value = "200/1200", value_parser = parse_rate)]
    pub global_rate: Rate,

    /// Authinfo refreshes (`"refresh": true`) per device: BURST/PER_MINUTE;
    /// beyond it a refresh is answered from the cache.
    #[arg(long, value_name = "BURST/PER_MINUTE", default_value = "3/3", value_parser = parse_rate)]
    pub refresh_rate: Rate,

    /// Seconds a face_sid answered by /kiosk/real-name is remembered; a
    /// replay inside them is refused.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub lookup_window: u64,

    /// Longest time one kiosk request may take, in seconds (then HTTP 504).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub request_timeout: u64,
}

/// `BURST/PER_MINUTE`, e.g. `30/60`.
fn parse_rate(s: &str) -> Result<Rate, String> {
    let (burst, per_minute) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not BURST/PER_MINUTE"))?;
    let burst: u32 = burst
        .trim()
        .parse()
        .map_err(|_| format!("`{burst}` is not a number"))?;
    let per_minute: u32 = per_minute
        .trim()
        .parse()
        .map_err(|_| format!("`{per_minute}` is not a number"))?;
    if burst == 0 {
        return Err("the burst must be at least 1".into());
    }
    Ok(Rate::new(burst, per_minute))
}

/// Where `wxface merchant serve` keeps its patient registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryLocation {
    /// In memory: forgotten when the server stops (`--registry :memory:`).
    Memory,
    /// An SQLite file.
    File(PathBuf),
}

/// The value of `--registry` / `WXFACE_REGISTRY` that keeps the registry in
/// memory.
pub const MEMORY_REGISTRY: &str = ":memory:";

/// The default registry file: `$XDG_DATA_HOME/wxface/patients.sqlite3`
/// (else `~/.local/share/wxface/…`, else the temporary directory).
pub fn default_registry_path() -> PathBuf {
    crate::serve::data_dir().join("patients.sqlite3")
}

impl RegistryLocation {
    fn from_path(p: PathBuf) -> Self {
        if p.as_os_str() == MEMORY_REGISTRY {
            Self::Memory
        } else {
            Self::File(p)
        }
    }

    /// Open the registry here (a missing file and its directory are
    /// created), with `verified` openids added as `P-SEED-0001`, … (an
    /// openid it already knows keeps its record).
    ///
    /// # Errors
    /// [`CliError::Input`] when the file cannot be opened as a registry.
    pub fn open(&self, verified: &[String]) -> Result<Arc<dyn PatientRegistry>, CliError> {
        let seeds = verified
            .iter()
            .enumerate()
            .map(|(i, openid)| (openid.as_str(), format!("P-SEED-{:04}", i + 1)));
        match self {
            Self::Memory => {
                let registry = InMemoryRegistry::new();
                for (openid, patient_id) in seeds {
                    if registry.lookup(Some(openid), None).ok().flatten().is_none() {
                        registry.insert(openid, patient_id);
                    }
                }
                Ok(Arc::new(registry))
            }
            Self::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        CliError::Input(format!(
                            "cannot create the registry directory {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
                let input = |e: wxface_client::Error| CliError::Input(e.to_string());
                let registry = SqliteRegistry::open(path).map_err(input)?;
                for (openid, patient_id) in seeds {
                    registry.insert(openid, &patient_id).map_err(input)?;
                }
                Ok(Arc::new(registry))
            }
        }
    }

    /// How it is shown on start-up.
    pub fn describe(&self) -> String {
        match self {
            Self::Memory => "in memory (forgotten on exit)".into(),
            Self::File(p) => p.display().to_string(),
        }
    }
}

impl MerchantServeArgs {
    /// The server's limits from the flags.
    pub fn limits(&self) -> Limits {
        Limits {
            per_device: self.device_rate,
            per_peer: self.peer_rate,
            global: self.global_rate,
            refreshes: self.refresh_rate,
            lookup_window: std::time::Duration::from_secs(self.lookup_window),
            request_timeout: std::time::Duration::from_secs(self.request_timeout.max(1)),
            ..Limits::default()
        }
    }

    /// Where the patient registry is: `--registry`, else `WXFACE_REGISTRY`
    /// (read through `lookup`), else [`default_registry_path`].
    pub fn registry_with(&self, lookup: impl Fn(&str) -> Option<String>) -> RegistryLocation {
        let path = self
            .registry
            .clone()
            .or_else(|| {
                lookup("WXFACE_REGISTRY")
                    .filter(|v| !v.trim().is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(default_registry_path);
        RegistryLocation::from_path(path)
    }

    /// The setup from the process environment: see [`Self::setup_with`].
    ///
    /// # Errors
    /// As [`Self::setup_with`].
    pub fn setup(&self) -> Result<MerchantSetup, CliError> {
        self.setup_with(|var| std::env::var(var).ok())
    }

    /// The setup: the flags, then the environment (`lookup`) for every
    /// option not given, then the keys directory (when the settings are
    /// built). Checks here what a command line can fix, as usage errors.
    ///
    /// # Errors
    /// [`CliError::Usage`] for missing values; the settings' errors for a
    /// variable of the wrong type.
    pub fn setup_with(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<MerchantSetup, CliError> {
        let mut s = ClientSettings::default();
        s.keys_dir.clone_from(&self.keys_dir);
        s.base_url.clone_from(&self.base_url);
        s.appid.clone_from(&self.appid);
        s.mch_id.clone_from(&self.mch_id);
        s.v2_key_file.clone_from(&self.v2_key_file);
        s.apiv3_key_file.clone_from(&self.apiv3_key_file);
        s.merchant_key_file.clone_from(&self.merchant_key_file);
        s.merchant_serial_no.clone_from(&self.merchant_serial_no);
        s.platform_certificate_file
            .clone_from(&self.platform_certificate_file);
        s.platform_public_key_file
            .clone_from(&self.platform_public_key_file);
        s.platform_public_key_id
            .clone_from(&self.platform_public_key_id);
        s.padding = self.padding.map(|p| Padding::from(p).as_str().to_owned());
        s.store_id.clone_from(&self.store_id);
        s.store_name.clone_from(&self.store_name);
        s.merge_lookup(&[], lookup)?;
        // Each half of the default store has its own default, as the flags
        // always had.
        s.store_id.get_or_insert_with(|| DEFAULT_STORE_ID.into());
        s.store_name
            .get_or_insert_with(|| DEFAULT_STORE_NAME.into());
        if s.keys_dir.is_some() {
            if s.base_url.is_none() && (s.payapp_base_url.is_none() || s.apimch_base_url.is_none())
            {
                return Err(CliError::Usage(
                    "a sandbox key set needs --base-url (the URL `wxface sandbox serve` printed)"
                        .into(),
                ));
            }
        } else {
            let missing = |what: &str, flag: &str, var: &str| {
                CliError::Usage(format!(
                    "no {what}: pass {flag} or set {var} (or --keys-dir)"
                ))
            };
            if s.appid.is_none() {
                return Err(missing("appid", "--appid", "WXFACE_APPID"));
            }
            if s.mch_id.is_none() {
                return Err(missing("mch_id", "--mch-id", "WXFACE_MCH_ID"));
            }
            if s.v2_key.is_none() && s.v2_key_file.is_none() {
                return Err(missing("v2 API key", "--v2-key-file", "WXFACE_V2_KEY_FILE"));
            }
            if s.merchant_key_pem.is_none() && s.merchant_key_file.is_none() {
                return Err(missing(
                    "merchant private key",
                    "--merchant-key-file",
                    "WXFACE_MERCHANT_KEY_FILE",
                ));
            }
            if s.merchant_serial_no.is_none() {
                return Err(missing(
                    "merchant certificate serial",
                    "--merchant-serial-no",
                    "WXFACE_MERCHANT_SERIAL_NO",
                ));
            }
        }
        Ok(MerchantSetup { settings: s })
    }
}

impl MerchantServeArgs {
    /// The TLS settings of --tls-cert, --tls-key and --client-ca.
    ///
    /// # Errors
    /// [`CliError::Input`] for a file that cannot be read.
    pub fn tls_settings(&self) -> Result<Option<wxface_client::tls::TlsSettings>, CliError> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let read = |p: &PathBuf| {
            std::fs::read_to_string(p)
                .map_err(|e| CliError::Input(format!("cannot read {}: {e}", p.display())))
        };
        Ok(Some(wxface_client::tls::TlsSettings {
            cert_chain_pem: read(cert)?,
            key_pem: read(key)?,
            client_ca_pem: self.client_ca.as_ref().map(read).transpose()?,
        }))
    }
}

/// Run `wxface merchant serve` until a signal arrives.
///
/// # Errors
/// Configuration errors, or a port that cannot be bound.
pub fn run(args: &MerchantServeArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let setup = args.setup()?;
    let location = args.registry_with(|var| std::env::var(var).ok());
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|_| CliError::Usage(format!("`{}` is not an IP address", args.host)))?;
    let rt = runtime()?;
    rt.block_on(async {
        let (client, state) = setup.server_state()?;
        let registry = location.open(&args.verified)?;
        let devices = args.devices.open()?;
        let devices_path = devices.path().map(|p| p.display().to_string());
        let state = state
            .with_registry(registry)
            .with_devices(devices)
            .with_limits(args.limits());
        let (bound, handle, scheme) = match args.tls_settings()? {
            None => {
                let (bound, handle) = serve(addr, state)
                    .await
                    .map_err(|e| CliError::Runtime(format!("cannot listen on {addr}: {e}")))?;
                (bound, handle, "http")
            }
            Some(tls) => {
                let (bound, handle) = wxface_client::tls::serve_tls(addr, state, &tls)
                    .await
                    .map_err(|e| CliError::Runtime(e.to_string()))?;
                (bound, handle, "https")
            }
        };
        out(stdout, &format!("listening on {scheme}://{bound}"))?;
        stdout
            .flush()
            .map_err(|e| CliError::Runtime(format!("cannot write output: {e}")))?;
        let settings = &setup.settings;
        eprintln!(
            "wxface: merchant {} (store {}) → {} · patient registry {} · device credentials {}",
            client.config().mch_id(),
            settings.store_id.as_deref().unwrap_or("-"),
            settings
                .base_url
                .as_deref()
                .or(settings.apimch_base_url.as_deref())
                .unwrap_or("the WeChat Pay production hosts"),
            location.describe(),
            devices_path.as_deref().unwrap_or("in memory")
        );
        shutdown_signal().await;
        handle
            .shutdown()
            .await
            .map_err(|e| CliError::Runtime(format!("server error: {e}")))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: MerchantServeArgs,
    }

    fn setup(argv: &[&str], env: &[(&str, &str)]) -> Result<MerchantSetup, CliError> {
        let cmd = Cmd::try_parse_from(std::iter::once("serve").chain(argv.iter().copied()))
            .expect("arguments");
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        cmd.args.setup_with(|var| env.get(var).cloned())
    }

    #[test]
    fn the_limits_default_as_the_server_does_and_follow_the_flags() {
        let cmd = Cmd::try_parse_from(["serve"]).expect("arguments");
        assert_eq!(cmd.args.limits(), Limits::default());
        let cmd = Cmd::try_parse_from([
            "serve",
            "--device-rate",
            "5/10",
            "--global-rate",
            "50/100",
            "--refresh-rate",
            "1/2",
            "--lookup-window",
            "60",
            "--request-timeout",
            "5",
        ])
        .expect("arguments");
        let l = cmd.args.limits();
        assert_eq!(l.per_device, Rate::new(5, 10));
        assert_eq!(l.global, Rate::new(50, 100));
        assert_eq!(l.refreshes, Rate::new(1, 2));
        assert_eq!(l.lookup_window.as_secs(), 60);
        assert_eq!(l.request_timeout.as_secs(), 5);
        for bad in ["5", "0/10", "a/b"] {
            assert!(
                Cmd::try_parse_from(["serve", "--device-rate", bad]).is_err(),
                "{bad}"
            );
        }
    }

    const COMPLETE: &[(&str, &str)] = &[
        ("WXFACE_APPID", "wx_env"),
        ("WXFACE_MCH_ID", "1900000002"),
        ("WXFACE_V2_KEY", "k"),
        ("WXFACE_MERCHANT_KEY_FILE", "/k.pem"),
        ("WXFACE_MERCHANT_SERIAL_NO", "AB"),
    ];

    #[test]
    fn flags_win_over_the_environment() {
        let s = setup(&["--appid", "wx_flag", "--padding", "oaep-sha1"], COMPLETE)
            .expect("setup")
            .settings;
        assert_eq!(s.appid.as_deref(), Some("wx_flag"));
        assert_eq!(s.mch_id.as_deref(), Some("1900000002"));
        assert_eq!(s.padding.as_deref(), Some("oaep-sha1"));
        assert_eq!(s.store_id.as_deref(), Some(DEFAULT_STORE_ID));
        assert_eq!(s.store_name.as_deref(), Some(DEFAULT_STORE_NAME));
    }

    #[test]
    fn a_flag_keeps_the_other_half_of_its_pair_out() {
        let s = setup(&["--v2-key-file", "/v2.txt"], COMPLETE)
            .expect("setup")
            .settings;
        assert!(s.v2_key.is_none());
        assert_eq!(s.v2_key_file, Some(PathBuf::from("/v2.txt")));
    }

    #[test]
    fn the_old_flag_names_still_work() {
        let s = setup(
            &[
                "--wechat-url",
                "http://127.0.0.1:1",
                "--api-v2-key-file",
                "/v2",
                "--merchant-serial",
                "CD",
                "--platform-cert",
                "/c.pem",
                "--platform-public-key",
                "/p.pem",
            ],
            COMPLETE,
        )
        .expect("setup")
        .settings;
        assert_eq!(s.base_url.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(s.v2_key_file, Some(PathBuf::from("/v2")));
        assert_eq!(s.merchant_serial_no.as_deref(), Some("CD"));
        assert_eq!(s.platform_certificate_file, vec![PathBuf::from("/c.pem")]);
        assert_eq!(s.platform_public_key_file, Some(PathBuf::from("/p.pem")));
    }

    #[test]
    fn the_store_comes_from_the_environment_too() {
        let mut env = COMPLETE.to_vec();
        env.extend([("WXFACE_STORE_ID", "S9"), ("WXFACE_STORE_NAME", "Nine")]);
        let s = setup(&[], &env).expect("setup").settings;
        assert_eq!(s.store_id.as_deref(), Some("S9"));
        assert_eq!(s.store_name.as_deref(), Some("Nine"));
    }

    #[test]
    fn what_is_missing_is_a_usage_error_naming_flag_and_variable() {
        let e = setup(&["--appid", "wx1"], &[]).expect_err("missing");
        assert!(matches!(e, CliError::Usage(_)));
        assert_eq!(
            e.to_string(),
            "no mch_id: pass --mch-id or set WXFACE_MCH_ID (or --keys-dir)"
        );
        let e = setup(&[], &[("WXFACE_KEYS_DIR", "/keys")]).expect_err("no url");
        assert!(e.to_string().contains("--base-url"), "{e}");
        // A key set and its URL from the environment are complete.
        let s = setup(
            &[],
            &[
                ("WXFACE_KEYS_DIR", "/keys"),
                ("WXFACE_BASE_URL", "http://127.0.0.1:1"),
            ],
        )
        .expect("setup")
        .settings;
        assert_eq!(s.keys_dir, Some(PathBuf::from("/keys")));
    }

    fn registry(argv: &[&str], env: &[(&str, &str)]) -> RegistryLocation {
        let cmd = Cmd::try_parse_from(std::iter::once("serve").chain(argv.iter().copied()))
            .expect("arguments");
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        cmd.args.registry_with(|var| env.get(var).cloned())
    }

    #[test]
    fn the_registry_is_a_file_by_default_and_memory_on_request() {
        assert_eq!(
            registry(&[], &[]),
            RegistryLocation::File(default_registry_path())
        );
        assert!(default_registry_path().ends_with("wxface/patients.sqlite3"));
        assert_eq!(
            registry(&[], &[("WXFACE_REGISTRY", "/var/lib/his/p.db")]),
            RegistryLocation::File(PathBuf::from("/var/lib/his/p.db"))
        );
        assert_eq!(
            registry(
                &["--registry", "/tmp/flag.db"],
                &[("WXFACE_REGISTRY", "/var/lib/his/p.db")]
            ),
            RegistryLocation::File(PathBuf::from("/tmp/flag.db"))
        );
        assert_eq!(
            registry(&["--registry", ":memory:"], &[]),
            RegistryLocation::Memory
        );
        assert_eq!(
            registry(&[], &[("WXFACE_REGISTRY", ":memory:")]),
            RegistryLocation::Memory
        );
    }

    #[test]
    fn seeded_openids_are_in_the_registry() {
        let seeds = vec!["o-a".to_owned(), "o-b".to_owned()];
        let memory = RegistryLocation::Memory.open(&seeds).expect("open");
        let found = memory.lookup(Some("o-b"), None).expect("lookup");
        assert_eq!(found.map(|r| r.patient_id).as_deref(), Some("P-SEED-0002"));
        let dir = std::env::temp_dir().join(format!("wxface-cli-registry-{}", std::process::id()));
        let file = RegistryLocation::File(dir.join("sub").join("p.sqlite3"));
        let r = file.open(&seeds).expect("open");
        assert!(r.lookup(Some("o-a"), None).expect("lookup").is_some());
        drop(r);
        // Seeding again keeps the records.
        let r = file.open(&seeds[..1]).expect("reopen");
        let found = r.lookup(Some("o-b"), None).expect("lookup");
        assert_eq!(found.map(|r| r.patient_id).as_deref(), Some("P-SEED-0002"));
        drop(r);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_variable_of_the_wrong_type_names_the_option() {
        let mut env = COMPLETE.to_vec();
        env.push(("WXFACE_TIMEOUT", "soon"));
        let e = setup(&[], &env).expect_err("bad");
        assert_eq!(e.code(), "invalid_input");
        let text = e.to_string();
        assert!(
            text.contains("`timeout`") && text.contains("WXFACE_TIMEOUT"),
            "{text}"
        );
        assert!(!text.contains("soon"), "{text}");
    }
}
