//! # wxface-cli
//!
//! The `wxface` command: the end-to-end demo of the face real-name flow, the
//! sandbox and reference merchant servers, a development server for browser
//! and Node kiosks, and helpers that sign, verify and decrypt from the command
//! line. `wxface --help` lists the commands; each has its own `--help`.
//!
//! Inputs can be given literally, as `@path` (a file) or `-` (standard
//! input). Errors are one line on standard error, `wxface: error[<code>]: …`,
//! with exit status 1 (2 for usage errors). Keys and real-name data never
//! appear in that output; `wxface decrypt-local` is the one command that prints
//! personal data, on purpose and only to its own standard output.

pub mod demo;
pub mod dev_server;
pub mod devices;
pub mod doctor;
pub mod error;
pub mod helpers;
pub mod input;
pub mod merchant;
pub mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;

/// `wxface`.
#[derive(Debug, Parser)]
#[command(
    name = "wxface",
    version,
    about = "WeChat Pay face real-name authentication (刷脸实名认证): demo, emulators and debugging helpers",
    propagate_version = true
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute a v2 or APIv3 signature.
    #[command(subcommand)]
    Sign(SignCommand),
    /// Check a signature.
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// Local troubleshooting: decrypt real-name fields on this machine
    /// (prints personal data: see --help).
    ///
    /// Decrypts `encrypted_real_name` and `encrypted_credential_id` with the
    /// merchant's (in provider mode: the sub-merchant's) API private key,
    /// without any signature check: the one place where wxface decrypts
    /// ciphertexts that did not come out of a verified answer.
    ///
    /// WARNING: this prints personal data in clear unless --masked is given. It
    /// is a local troubleshooting tool for whoever holds the private key: never
    /// expose it as a service (a decryption service is an oracle for padding
    /// attacks), never run it on ciphertexts you did not receive from WeChat Pay
    /// yourself, never paste its output into logs or tickets. Every failure is
    /// the same `decryption` error, whatever the cause.
    DecryptLocal(helpers::decrypt::DecryptArgs),
    /// The WeChat Pay + face SDK emulator.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// The reference merchant server (the kiosk API of docs/merchant-api.md).
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// One port for browser/Node kiosk development: static files, the face
    /// SDK bridge (POST /sdk), the merchant API and scenario control.
    DevServer(dev_server::DevServerArgs),
    /// Check a merchant configuration end to end against WeChat Pay, the
    /// sandbox or a base URL: keys, serials, platform keys, the clock, the
    /// proxy; says what to fix.
    Doctor(doctor::DoctorArgs),
    /// The whole flow end to end on this machine: sandbox, merchant server,
    /// and a kiosk driving the face SDK emulator through the C ABI.
    Demo(demo::DemoArgs),
}

/// `wxface merchant …`.
#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Serve the kiosk API until interrupted.
    Serve(Box<merchant::MerchantServeArgs>),
    /// Issue, list and revoke the kiosks' device credentials.
    Devices(devices::DevicesArgs),
}

/// `wxface sandbox …`.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the emulator until interrupted.
    Serve(serve::SandboxServeArgs),
}

/// `wxface sign …`.
#[derive(Debug, Subcommand)]
pub enum SignCommand {
    /// v2 (`get_wxpayface_authinfo`): MD5 or HMAC-SHA256 over sorted fields.
    V2(helpers::sign::SignV2Args),
    /// APIv3: SHA256withRSA request signature and `Authorization` header.
    V3(helpers::sign::SignV3Args),
}

/// `wxface verify …`.
#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// An APIv3 answer's `Wechatpay-Signature`.
    V3(helpers::verify::VerifyV3Args),
}

/// Run a parsed command line.
///
/// # Errors
/// Whatever the command reports; see [`CliError`].
pub fn run(cli: Cli) -> Result<(), CliError> {
    // Not locked for the whole command: the demo's spinner draws to standard
    // output from its own thread.
    let mut stdout = std::io::stdout();
    match cli.command {
        Command::Sign(SignCommand::V2(a)) => helpers::sign::run_v2(&a, &mut stdout),
        Command::Sign(SignCommand::V3(a)) => helpers::sign::run_v3(&a, &mut stdout),
        Command::Verify(VerifyCommand::V3(a)) => helpers::verify::run_v3(&a, &mut stdout),
        Command::DecryptLocal(a) => helpers::decrypt::run(&a, &mut stdout),
        Command::Sandbox(SandboxCommand::Serve(a)) => serve::run_sandbox(&a, &mut stdout),
        Command::Merchant(MerchantCommand::Serve(a)) => merchant::run(&a, &mut stdout),
        Command::Merchant(MerchantCommand::Devices(a)) => devices::run(&a, &mut stdout),
        Command::DevServer(a) => dev_server::run(&a, &mut stdout),
        Command::Demo(a) => demo::run(&a, &mut stdout),
        Command::Doctor(a) => doctor::run(&a, &mut stdout),
    }
}

/// Log to standard error, filtered by `WXFACE_LOG` (default: `default`).
/// Colours only on a terminal.
pub fn init_tracing(default: &str) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("WXFACE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// The `wxface` program: parse, run, report.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo provokes failures on purpose and reports them itself; the
    // servers log their warnings.
    init_tracing(match cli.command {
        Command::Demo(_) => "error",
        _ => "warn",
    });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::OutputClosed) => CliError::OutputClosed.exit_code(),
        Err(e) => {
            eprintln!("{}", e.line());
            e.exit_code()
        }
    }
}
