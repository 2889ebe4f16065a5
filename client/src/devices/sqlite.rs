//! [`SqliteDevices`]: the device credentials in an embedded SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use wxface_core::device_auth::Verifier;
use wxface_core::UnixTime;

use super::{DeviceRecord, DeviceStore};
use crate::Error;

const SCHEMA_VERSION: i64 = 1;

/// One row per credential: the verifier (a hash), never the secret.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS device_credential (
    seq         INTEGER PRIMARY KEY,
    key_id      TEXT    NOT NULL UNIQUE,
    device_id   TEXT    NOT NULL,
    verifier    TEXT    NOT NULL,
    label       TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX IF NOT EXISTS device_credential_device ON device_credential(device_id);
";

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`DeviceStore`] in an SQLite file (feature `sqlite`), shared by
/// `wxface merchant devices add|list|revoke` and a running
/// `wxface merchant serve`: a revocation made by the command is refused by
/// the server from its next request, without a restart.
pub struct SqliteDevices {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl fmt::Debug for SqliteDevices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteDevices")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn store_error(what: &str, e: &rusqlite::Error) -> Error {
    Error::Internal(format!("device store: {what}: {e}"))
}

fn secs(t: UnixTime) -> i64 {
    i64::try_from(t.0).unwrap_or(i64::MAX)
}

fn time(v: i64) -> UnixTime {
    UnixTime(u64::try_from(v).unwrap_or(0))
}

impl SqliteDevices {
    /// Open (or create) the store at `path`.
    ///
    /// # Errors
    /// [`Error::Config`] when the file cannot be opened or created, is not an
    /// SQLite database, or has a newer schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            Error::Config(format!(
                "cannot open the device store {}: {e}",
                path.display()
            ))
        })?;
        Self::init(conn, Some(path.to_path_buf())).map_err(|e| match e {
            Error::Internal(m) | Error::Config(m) => {
                Error::Config(format!("{m} (device store {})", path.display()))
            }
            other => other,
        })
    }

    /// A store in memory only, with the same SQL as a file.
    ///
    /// # Errors
    /// [`Error::Config`] when SQLite cannot start.
    pub fn open_in_memory() -> Result<Self, Error> {
        let conn = Connection::open_in_memory()
            .map_err(|e| Error::Config(format!("cannot open an in-memory device store: {e}")))?;
        Self::init(conn, None)
    }

    fn init(conn: Connection, path: Option<PathBuf>) -> Result<Self, Error> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| store_error("busy timeout", &e))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| Error::Config(format!("not a readable SQLite database: {e}")))?;
        if version > SCHEMA_VERSION {
            return Err(Error::Config(format!(
                "the device store has schema version {version}, newer than this program's {SCHEMA_VERSION}"
            )));
        }
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        ))
        .map_err(|e| store_error("creating the tables", &e))?;
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The file, when it is not in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(DeviceRecordRow, String)> {
    Ok((
        DeviceRecordRow {
            key_id: r.get(0)?,
            device_id: r.get(1)?,
            label: r.get(3)?,
            created_at: r.get(4)?,
            revoked_at: r.get(5)?,
        },
        r.get(2)?,
    ))
}

struct DeviceRecordRow {
    key_id: String,
    device_id: String,
    label: Option<String>,
    created_at: i64,
    revoked_at: Option<i64>,
}

fn record((r, verifier): (DeviceRecordRow, String)) -> Result<DeviceRecord, Error> {
    Ok(DeviceRecord {
        device_id: r.device_id,
        key_id: r.key_id,
        verifier: Verifier::from_hex(&verifier)?,
        label: r.label,
        created_at: time(r.created_at),
        revoked_at: r.revoked_at.map(time),
    })
}

const COLUMNS: &str = "key_id, device_id, verifier, label, created_at, revoked_at";

impl DeviceStore for SqliteDevices {
    fn insert(&self, rec: &DeviceRecord) -> Result<(), Error> {
        self.lock()
            .execute(
                "INSERT INTO device_credential \
                 (key_id, device_id, verifier, label, created_at, revoked_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    rec.key_id,
                    rec.device_id,
                    rec.verifier.to_hex(),
                    rec.label,
                    secs(rec.created_at),
                    rec.revoked_at.map(secs),
                ],
            )
            .map_err(|e| store_error("insert", &e))?;
        Ok(())
    }

    fn find(&self, key_id: &str) -> Result<Option<DeviceRecord>, Error> {
        self.lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM device_credential WHERE key_id = ?1"),
                [key_id],
                row,
            )
            .optional()
            .map_err(|e| store_error("lookup", &e))?
            .map(record)
            .transpose()
    }

    fn list(&self) -> Result<Vec<DeviceRecord>, Error> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM device_credential ORDER BY seq"
            ))
            .map_err(|e| store_error("list", &e))?;
        let rows = stmt
            .query_map([], row)
            .map_err(|e| store_error("list", &e))?;
        rows.map(|r| record(r.map_err(|e| store_error("list", &e))?))
            .collect()
    }

    fn revoke(&self, id: &str, at: UnixTime) -> Result<usize, Error> {
        self.lock()
            .execute(
                "UPDATE device_credential SET revoked_at = ?2 \
                 WHERE revoked_at IS NULL AND (device_id = ?1 OR key_id = ?1)",
                params![id, secs(at)],
            )
            .map_err(|e| store_error("revoke", &e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use wxface_core::time::OsEntropy;

    #[test]
    fn sqlite_devices_in_memory() {
        crate::devices::tests::behaves(&SqliteDevices::open_in_memory().unwrap());
    }

    #[test]
    fn a_revocation_in_one_handle_is_seen_by_another_and_survives_reopening() {
        let dir =
            std::env::temp_dir().join(format!("wxface-devices-{}-{}", std::process::id(), line!()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("devices.sqlite3");
        let _ = std::fs::remove_file(&path);
        let server = SqliteDevices::open(&path).unwrap();
        let admin = SqliteDevices::open(&path).unwrap();
        let (c, _) =
            crate::devices::issue(&admin, "KIOSK-9", None, UnixTime(1), &OsEntropy).unwrap();
        let header = c.authorization();
        assert_eq!(
            crate::devices::authenticate(&server, Some(&header)).unwrap(),
            "KIOSK-9"
        );
        assert_eq!(admin.revoke("KIOSK-9", UnixTime(2)).unwrap(), 1);
        assert!(crate::devices::authenticate(&server, Some(&header)).is_err());
        drop((server, admin));
        let reopened = SqliteDevices::open(&path).unwrap();
        let all = reopened.list().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].revoked_at, Some(UnixTime(2)));
        // The file holds the verifier, never the secret.
        let bytes = std::fs::read(&path).unwrap();
        let secret = c.expose().rsplit('.').next().unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
