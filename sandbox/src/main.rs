//! `wxface-sandbox`: run the WeChat Pay + face SDK emulator.
//!
//! Prints two lines on standard output, then serves until interrupted:
//!
//! ```text
//! url: http://127.0.0.1:41234
//! keys_dir: /home/me/.local/share/wxface/sandbox-keys
//! ```

use std::io::Write as _;
use std::path::PathBuf;

use clap::Parser;
use wxface_sandbox::{Sandbox, SandboxConfig};

/// Local emulator of WeChat Pay's face real-name endpoints and of the face SDK.
#[derive(Debug, Parser)]
#[command(name = "wxface-sandbox", version)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Configuration file (TOML when it ends in .toml, else JSON).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory of the key set: reused when it has one, generated there otherwise.
    /// Default: $XDG_DATA_HOME/wxface/sandbox-keys (or ~/.local/share/…).
    #[arg(long)]
    keys_dir: Option<PathBuf>,
    /// Recognition answers `openid`/`sub_openid` along with `face_sid` (the
    /// older behaviour; by default it answers none, as the spec's table says).
    #[arg(long)]
    openid_with_face_sid: bool,
}

fn default_keys_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("wxface").join("sandbox-keys")
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let mut config = match &args.config {
        Some(p) => match SandboxConfig::from_file(p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("wxface-sandbox: {e}");
                return std::process::ExitCode::from(2);
            }
        },
        None => SandboxConfig::default(),
    };
    config.host = args.host;
    config.port = args.port;
    config.keys_dir = Some(args.keys_dir.unwrap_or_else(default_keys_dir));
    if args.openid_with_face_sid {
        config.openid_with_face_sid = true;
    }
    let sandbox = match Sandbox::start_blocking(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wxface-sandbox: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let keys_dir = sandbox
        .keys_dir()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        })
        .unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "url: {}", sandbox.url());
    let _ = writeln!(out, "keys_dir: {keys_dir}");
    let _ = out.flush();
    drop(out);
    if sandbox.keys_generated() {
        eprintln!("wxface-sandbox: generated a new key set in {keys_dir}");
    }
    wait_for_signal();
    sandbox.stop();
    std::process::ExitCode::SUCCESS
}

/// Block until Ctrl-C or SIGTERM.
fn wait_for_signal() {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async {
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
    });
}
