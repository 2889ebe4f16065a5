//! `wxface sandbox serve`: the WeChat Pay + face SDK emulator as a
//! long-running server, and what every serving command shares (runtime,
//! shutdown on a signal, the default keys directory).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use wxface_sandbox::{Sandbox, SandboxConfig};

use crate::error::CliError;
use crate::helpers::out;

/// Arguments of `wxface sandbox serve`.
#[derive(Debug, Args)]
#[command(after_help = "\
Prints `listening on http://HOST:PORT` and `keys_dir: DIR` on standard output, then serves \
until interrupted (Ctrl-C or SIGTERM). The key set in DIR (merchant and platform keys, \
API keys, ids in sandbox.json) is reused across runs; give the same directory to \
`wxface merchant serve --keys-dir`. Paths: POST /face/get_wxpayface_authinfo, \
GET /v3/facemch/users/{face_sid}, GET /v3/certificates, and the emulator's own \
/_emu/… and /_sandbox/… (faults, reset, expiry).")]
pub struct SandboxServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// Sandbox configuration file (TOML when it ends in .toml, else JSON).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Directory of the key set: reused when it holds one, generated there
    /// otherwise [default: $XDG_DATA_HOME/wxface/sandbox-keys].
    #[arg(long, value_name = "DIR", env = "WXFACE_SANDBOX_KEYS_DIR")]
    pub keys_dir: Option<PathBuf>,

    /// Recognition answers `openid`/`sub_openid` along with `face_sid` (the
    /// sandbox's older behaviour; by default it answers none, as the spec's
    /// table says, and the merchant server resolves the openid itself).
    #[arg(long)]
    pub openid_with_face_sid: bool,
}

/// wxface's data directory: `$XDG_DATA_HOME/wxface` (else
/// `~/.local/share/wxface`, else one in the temporary directory).
pub fn data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("wxface")
}

/// Where `wxface sandbox serve` keeps its key set by default (the same place
/// as the `wxface-sandbox` program).
pub fn default_keys_dir() -> PathBuf {
    data_dir().join("sandbox-keys")
}

/// A multi-threaded tokio runtime for the serving commands.
///
/// # Errors
/// [`CliError::Runtime`] when the runtime cannot be built.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("wxface")
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(format!("cannot start the async runtime: {e}")))
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Load a sandbox configuration file, or the defaults.
///
/// # Errors
/// [`CliError::Input`] for an unreadable or invalid file.
pub fn sandbox_config(path: Option<&PathBuf>) -> Result<SandboxConfig, CliError> {
    match path {
        Some(p) => SandboxConfig::from_file(p).map_err(|e| CliError::Input(e.to_string())),
        None => Ok(SandboxConfig::default()),
    }
}

/// Run `wxface sandbox serve` until a signal arrives.
///
/// # Errors
/// A bad configuration, unusable keys, or a port that cannot be bound.
pub fn run_sandbox(args: &SandboxServeArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let mut config = sandbox_config(args.config.as_ref())?;
    config.host = args.host.clone();
    config.port = args.port;
    config.keys_dir = Some(args.keys_dir.clone().unwrap_or_else(default_keys_dir));
    if args.openid_with_face_sid {
        config.openid_with_face_sid = true;
    }
    let rt = runtime()?;
    rt.block_on(async {
        let sandbox = Sandbox::start(config)
            .await
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        let keys_dir = sandbox
            .keys_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        out(stdout, &format!("listening on {}", sandbox.url()))?;
        out(stdout, &format!("keys_dir: {keys_dir}"))?;
        stdout
            .flush()
            .map_err(|e| CliError::Runtime(format!("cannot write output: {e}")))?;
        if sandbox.keys_generated() {
            eprintln!("wxface: generated a new sandbox key set in {keys_dir}");
        }
        eprintln!(
            "wxface: merchant server for it: wxface merchant serve --keys-dir {keys_dir} --base-url {}",
            sandbox.url()
        );
        shutdown_signal().await;
        sandbox.stop();
        Ok(())
    })
}
