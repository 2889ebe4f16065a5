//! [`SqliteRegistry`]: the patient registry in an embedded SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use wxface_core::realname::{CredentialType, MaskedIdentity, RealName};
use wxface_core::v3::FaceUser;

use super::{issued_patient_id, user_ids, PatientRecord, PatientRegistry};
use crate::Error;

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// One row per patient; one row per WeChat id (openid or sub_openid) that
/// leads to it. Masked values only.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS patient (
    seq                  INTEGER PRIMARY KEY,
    patient_id           TEXT    NOT NULL UNIQUE,
    masked_name          TEXT,
    credential_type      INTEGER,
    masked_credential_id TEXT,
    recorded_at          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS wechat_id (
    id          TEXT    PRIMARY KEY,
    patient_seq INTEGER NOT NULL REFERENCES patient(seq)
);
";

/// How long a writer waits for another process holding the file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`PatientRegistry`] in an SQLite file (feature `sqlite`): it keeps its
/// records across restarts. Two tables, `patient` (patient id, masked name,
/// credential type, masked credential number, when it was recorded) and
/// `wechat_id` (openid or sub_openid → patient); no full identity is
/// written. Patient ids are issued as `P000001`, `P000002`, … Every change is
/// one transaction, so a crash never leaves a half-written record.
///
/// Calls are serialised on one connection: the reference server calls the
/// registry on blocking threads, and one patient's lookup is a single
/// indexed read.
pub struct SqliteRegistry {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl fmt::Debug for SqliteRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteRegistry")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A store error, named by what was being done (SQLite's messages name
/// tables and constraints, never values).
fn store_error(what: &str, e: &rusqlite::Error) -> Error {
    Error::Internal(format!("patient registry: {what}: {e}"))
}

impl SqliteRegistry {
    /// Open (or create) the registry file at `path`, creating its tables.
    ///
    /// # Errors
    /// [`Error::Config`] when the file cannot be opened or created, is not an
    /// SQLite database, or was written by a newer version of this schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            Error::Config(format!(
                "cannot open the patient registry {}: {e}",
                path.display()
            ))
        })?;
        Self::init(conn, Some(path.to_path_buf())).map_err(|e| match e {
            Error::Internal(m) | Error::Config(m) => {
                Error::Config(format!("{m} (patient registry {})", path.display()))
            }
            other => other,
        })
    }

    /// A registry in memory only (nothing survives the process); the same
    /// SQL as a file, for tests.
    ///
    /// # Errors
    /// [`Error::Config`] when SQLite cannot start.
    pub fn open_in_memory() -> Result<Self, Error> {
        let conn = Connection::open_in_memory()
            .map_err(|e| Error::Config(format!("cannot open an in-memory registry: {e}")))?;
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
                "the registry has schema version {version}, newer than this program's {SCHEMA_VERSION}"
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

    /// Mark `openid` verified as `patient_id` (seeding from an existing HIS);
    /// an openid already known keeps its record.
    ///
    /// # Errors
    /// A store failure, or a `patient_id` already used for another patient.
    pub fn insert(&self, openid: &str, patient_id: &str) -> Result<(), Error> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| store_error("begin", &e))?;
        let known: Option<i64> = tx
            .query_row(
                "SELECT patient_seq FROM wechat_id WHERE id = ?1",
                [openid],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| store_error("lookup", &e))?;
        if known.is_none() {
            let seq: Option<i64> = tx
                .query_row(
                    "SELECT seq FROM patient WHERE patient_id = ?1",
                    [patient_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| store_error("lookup", &e))?;
            let seq = match seq {
                Some(seq) => seq,
                None => {
                    tx.execute(
                        "INSERT INTO patient (patient_id, recorded_at) VALUES (?1, ?2)",
                        params![patient_id, now_secs()],
                    )
                    .map_err(|e| store_error("insert", &e))?;
                    tx.last_insert_rowid()
                }
            };
            tx.execute(
                "INSERT INTO wechat_id (id, patient_seq) VALUES (?1, ?2)",
                params![openid, seq],
            )
            .map_err(|e| store_error("insert", &e))?;
        }
        tx.commit().map_err(|e| store_error("commit", &e))
    }

    /// How many patients it holds.
    ///
    /// # Errors
    /// A store failure.
    pub fn patients(&self) -> Result<u64, Error> {
        let n: i64 = self
            .lock()
            .query_row("SELECT COUNT(*) FROM patient", [], |r| r.get(0))
            .map_err(|e| store_error("count", &e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The record of patient `seq` (in `conn`, which may be a transaction).
fn record_of(conn: &Connection, seq: i64) -> Result<Option<PatientRecord>, Error> {
    conn.query_row(
        "SELECT patient_id, masked_name, credential_type, masked_credential_id \
         FROM patient WHERE seq = ?1",
        [seq],
        |r| {
            let patient_id: String = r.get(0)?;
            let name: Option<String> = r.get(1)?;
            let credential_type: Option<i64> = r.get(2)?;
            let credential_id: Option<String> = r.get(3)?;
            let identity = match (name, credential_type, credential_id) {
                (Some(name), Some(t), Some(credential_id)) => Some(MaskedIdentity {
                    name,
                    credential_type: CredentialType::from_code(t),
                    credential_id,
                }),
                _ => None,
            };
            Ok(PatientRecord {
                patient_id,
                identity,
            })
        },
    )
    .optional()
    .map_err(|e| store_error("reading a record", &e))
}

/// The patient an id leads to.
fn seq_of(conn: &Connection, id: &str) -> Result<Option<i64>, Error> {
    conn.query_row(
        "SELECT patient_seq FROM wechat_id WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .optional()
    .map_err(|e| store_error("lookup", &e))
}

impl PatientRegistry for SqliteRegistry {
    fn lookup(
        &self,
        openid: Option<&str>,
        sub_openid: Option<&str>,
    ) -> Result<Option<PatientRecord>, Error> {
        let conn = self.lock();
        for id in [sub_openid, openid].into_iter().flatten() {
            if let Some(seq) = seq_of(&conn, id)? {
                return record_of(&conn, seq);
            }
        }
        Ok(None)
    }

    fn record(&self, user: &FaceUser, identity: &RealName) -> Result<PatientRecord, Error> {
        let ids = user_ids(user);
        if ids.is_empty() {
            return Err(Error::Internal(
                "patient registry: the identity answer has no openid to record".into(),
            ));
        }
        let mut conn = self.lock();
        // IMMEDIATE: the write lock from the start, so two servers on one
        // file cannot both issue the same patient id.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| store_error("begin", &e))?;
        let mut known = None;
        for id in &ids {
            if let Some(seq) = seq_of(&tx, id)? {
                known = Some(seq);
                break;
            }
        }
        let seq = match known {
            Some(seq) => seq,
            None => {
                let next: i64 = tx
                    .query_row("SELECT IFNULL(MAX(seq), 0) + 1 FROM patient", [], |r| {
                        r.get(0)
                    })
                    .map_err(|e| store_error("numbering", &e))?;
                let masked = identity.masked();
                tx.execute(
                    "INSERT INTO patient (seq, patient_id, masked_name, credential_type, \
                     masked_credential_id, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        next,
                        issued_patient_id(u64::try_from(next).unwrap_or(0)),
                        masked.name,
                        masked.credential_type.code(),
                        masked.credential_id,
                        now_secs(),
                    ],
                )
                .map_err(|e| store_error("insert", &e))?;
                next
            }
        };
        // Every id of the user leads to the record (a sub_openid seen for
        // the first time is added to a known openid's patient).
        for id in &ids {
            tx.execute(
                "INSERT OR IGNORE INTO wechat_id (id, patient_seq) VALUES (?1, ?2)",
                params![id, seq],
            )
            .map_err(|e| store_error("insert", &e))?;
        }
        let record = record_of(&tx, seq)?
            .ok_or_else(|| Error::Internal("patient registry: a record vanished".into()))?;
        tx.commit().map_err(|e| store_error("commit", &e))?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::tests::{behaves, identity, user};

    #[test]
    fn in_memory_sqlite_behaves_like_a_registry() {
        let r = SqliteRegistry::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        behaves(&r);
        assert_eq!(r.patients().ok(), Some(2));
        assert!(r.path().is_none());
    }

    fn temp_file(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "wxface-registry-{}-{name}-{}",
            std::process::id(),
            now_secs()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir.join("registry.sqlite3")
    }

    #[test]
    fn a_file_keeps_its_records_across_opens() {
        let path = temp_file("reopen");
        {
            let r = SqliteRegistry::open(&path).unwrap_or_else(|e| panic!("{e}"));
            behaves(&r);
            r.insert("o-seed", "P-SEED-0001")
                .unwrap_or_else(|e| panic!("{e}"));
            // Seeding an openid already known changes nothing.
            r.insert("o1", "P-OTHER").unwrap_or_else(|e| panic!("{e}"));
        }
        let r = SqliteRegistry::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let first = r
            .lookup(Some("o1"), None)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("forgotten"));
        assert_eq!(first.patient_id, "P000001");
        assert_eq!(first.identity, Some(identity().masked()));
        assert_eq!(
            r.lookup(Some("o-seed"), None).ok(),
            Some(Some(PatientRecord::imported("P-SEED-0001")))
        );
        // Numbering goes on after the highest issued.
        let third = r
            .record(&user(Some("o3"), None), &identity())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(third.patient_id, "P000004");
        // A sub_openid seen later joins the known patient.
        let again = r
            .record(&user(Some("o2"), Some("s2")), &identity())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.patient_id, "P000002");
        assert_eq!(r.lookup(None, Some("s2")).ok(), Some(Some(again)));
        // The file holds no full identity.
        drop(r);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("测试患者"), "full name in the file");
        assert!(
            !text.contains("11010519491231002X"),
            "full number in the file"
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap_or(&path));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_config_error() {
        let path = temp_file("garbage");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap_or_else(|e| panic!("{e}"));
        let e = SqliteRegistry::open(&path).expect_err("not a database");
        assert_eq!(e.code(), "config", "{e}");
        assert!(e.to_string().contains("registry"), "{e}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap_or(&path));
    }
}
