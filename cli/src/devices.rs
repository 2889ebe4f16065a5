//! `wxface merchant devices add|list|revoke`: the kiosks the reference
//! merchant server lets in.
//!
//! The credentials live in an SQLite file (`--devices PATH`, or
//! `WXFACE_DEVICES`, by default `$XDG_DATA_HOME/wxface/devices.sqlite3`),
//! which `wxface merchant serve` reads on every request: a revocation takes
//! effect at once, without a restart. The file keeps a hash of each
//! credential; `add` prints the credential once, on standard output alone,
//! so that `CRED=$(wxface merchant devices add KIOSK-01)` captures it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use wxface_client::devices::{issue, DeviceStore, SqliteDevices};
use wxface_core::time::{Clock, OsEntropy, SystemClock};
use wxface_core::UnixTime;

use crate::error::CliError;
use crate::helpers::out;

/// `--devices` and its variable.
#[derive(Debug, Clone, Args)]
pub struct DevicesLocation {
    /// The device-credential store, an SQLite file created when missing
    /// [env: WXFACE_DEVICES] [default: $XDG_DATA_HOME/wxface/devices.sqlite3].
    #[arg(long = "devices", value_name = "PATH", global = true)]
    pub path: Option<PathBuf>,
}

/// The default store: `$XDG_DATA_HOME/wxface/devices.sqlite3`.
pub fn default_devices_path() -> PathBuf {
    crate::serve::data_dir().join("devices.sqlite3")
}

impl DevicesLocation {
    /// `--devices`, else `WXFACE_DEVICES` (through `lookup`), else the default.
    pub fn path_with(&self, lookup: impl Fn(&str) -> Option<String>) -> PathBuf {
        self.path
            .clone()
            .or_else(|| {
                lookup("WXFACE_DEVICES")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(default_devices_path)
    }

    /// Open the store (creating the file and its directory).
    ///
    /// # Errors
    /// [`CliError::Input`] when the file cannot be opened as a store.
    pub fn open(&self) -> Result<Arc<SqliteDevices>, CliError> {
        open_at(&self.path_with(|v| std::env::var(v).ok()))
    }
}

/// Open the store at `path`, creating its directory.
///
/// # Errors
/// [`CliError::Input`].
pub fn open_at(path: &Path) -> Result<Arc<SqliteDevices>, CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::Input(format!(
                "cannot create the directory of the device store {}: {e}",
                dir.display()
            ))
        })?;
    }
    SqliteDevices::open(path)
        .map(Arc::new)
        .map_err(|e| CliError::Input(e.to_string()))
}

/// `wxface merchant devices …`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Where the store is.
    #[command(flatten)]
    pub location: DevicesLocation,
    /// What to do.
    #[command(subcommand)]
    pub command: DevicesCommand,
}

/// The device commands.
#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// Issue a credential for a kiosk and print it (once: only its hash is
    /// kept). A device may hold several; to rotate, add a new one, deploy it,
    /// then revoke the old key id.
    Add {
        /// The kiosk's device id (1 to 32 characters; the id the face SDK
        /// and WeChat Pay know it by).
        device_id: String,
        /// A note for people, e.g. where the kiosk stands.
        #[arg(long)]
        label: Option<String>,
    },
    /// List the credentials: device id, key id, label, issued, revoked.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke every live credential of a device id, or one key id. The
    /// server refuses it from its next request.
    Revoke {
        /// A device id or a key id.
        id: String,
    },
}

/// Run `wxface merchant devices …`.
///
/// # Errors
/// A store that cannot be opened, a bad device id or label, or a revoke that
/// matched nothing.
pub fn run(args: &DevicesArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let store = args.location.open()?;
    let now = SystemClock.now();
    match &args.command {
        DevicesCommand::Add { device_id, label } => {
            let (credential, record) = issue(&*store, device_id, label.as_deref(), now, &OsEntropy)
                .map_err(CliError::Core)?;
            out(stdout, credential.expose())?;
            eprintln!(
                "wxface: issued key {} for device {}; give the line above to the kiosk \
                 (it is shown once and stored only as a hash in {})",
                record.key_id,
                record.device_id,
                store
                    .path()
                    .map_or("memory".into(), |p| p.display().to_string())
            );
            Ok(())
        }
        DevicesCommand::List { json } => {
            let records = store.list().map_err(CliError::Core)?;
            if *json {
                for r in &records {
                    let line = serde_json::json!({
                        "device_id": r.device_id,
                        "key_id": r.key_id,
                        "label": r.label,
                        "created_at": r.created_at.as_secs(),
                        "revoked_at": r.revoked_at.map(UnixTime::as_secs),
                    });
                    out(stdout, &line.to_string())?;
                }
                return Ok(());
            }
            out(
                stdout,
                &format!(
                    "{:<32}  {:<16}  {:<29}  {:<29}  label",
                    "device", "key id", "issued", "revoked"
                ),
            )?;
            for r in &records {
                out(
                    stdout,
                    &format!(
                        "{:<32}  {:<16}  {:<29}  {:<29}  {}",
                        r.device_id,
                        r.key_id,
                        utc(r.created_at),
                        r.revoked_at.map_or_else(|| "-".to_owned(), utc),
                        r.label.as_deref().unwrap_or("")
                    ),
                )?;
            }
            Ok(())
        }
        DevicesCommand::Revoke { id } => {
            let n = store.revoke(id, now).map_err(CliError::Core)?;
            if n == 0 {
                return Err(CliError::Input(format!(
                    "no live credential has device id or key id `{id}`"
                )));
            }
            out(stdout, &format!("revoked {n} credential(s) of `{id}`"))
        }
    }
}

/// An HTTP date (`Fri, 04 Dec 2026 07:20:20 GMT`), the format the kiosk
/// API's own headers use.
fn utc(t: UnixTime) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_comes_from_the_flag_then_the_variable_then_the_default() {
        let none = DevicesLocation { path: None };
        assert_eq!(none.path_with(|_| None), default_devices_path());
        assert!(default_devices_path().ends_with("wxface/devices.sqlite3"));
        assert_eq!(
            none.path_with(|_| Some("/var/lib/his/d.db".into())),
            PathBuf::from("/var/lib/his/d.db")
        );
        let flag = DevicesLocation {
            path: Some("/tmp/f.db".into()),
        };
        assert_eq!(
            flag.path_with(|_| Some("/var/lib/his/d.db".into())),
            PathBuf::from("/tmp/f.db")
        );
    }
}
