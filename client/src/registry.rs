//! Where the hospital keeps which patients it has verified (feature
//! `server`): the [`PatientRegistry`] trait of the reference server, an
//! in-memory implementation, and an embedded SQLite one (feature `sqlite`).
//!
//! The reference server asks the registry twice:
//!
//! * `POST /kiosk/verified` — [`PatientRegistry::lookup`] with the openid
//!   (and sub_openid) WeChat Pay answered for the kiosk's `face_sid`: a
//!   record means "already verified", and the kiosk tells the face SDK to
//!   quit;
//! * `POST /kiosk/real-name` — [`PatientRegistry::record`] after the patient
//!   consented and the identity was decrypted.
//!
//! A record ([`PatientRecord`]) holds what the HIS chooses to keep. The
//! implementations here keep the patient id and the **masked** identity
//! only: no full name, no full credential number. A HIS that must keep the
//! full values implements the trait over its own database, under its own
//! controls (the full identity is handed to [`PatientRegistry::record`] for
//! that, and nowhere else).
//!
//! # Why SQLite, embedded
//!
//! The reference server must remember its patients across restarts without
//! asking a hospital to run a database server for it. SQLite is one file,
//! transactional (a crash never leaves half a record), and readable with
//! standard tools. It is compiled into the program (`rusqlite` with its
//! `bundled` feature, SQLite's own C source built by `cc`), so there is no
//! system library to install or to match in version on Windows, Linux or a
//! container; the cost is one C compilation of SQLite per clean build.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use wxface_core::realname::{MaskedIdentity, RealName};
use wxface_core::v3::FaceUser;

use crate::Error;

#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteRegistry;

/// What the hospital keeps of a verified patient: its patient id and the
/// masked identity (never full values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRecord {
    /// The hospital's patient number.
    pub patient_id: String,
    /// The masked identity, when the record was made by a verification
    /// (`None` for records imported from an existing HIS by openid only).
    pub identity: Option<MaskedIdentity>,
}

impl PatientRecord {
    /// A record of `patient_id` with no identity (imported by openid).
    pub fn imported(patient_id: impl Into<String>) -> Self {
        Self {
            patient_id: patient_id.into(),
            identity: None,
        }
    }
}

/// Where the hospital keeps which users it has verified: openid (and
/// sub_openid) → [`PatientRecord`].
///
/// The reference server calls it on a blocking thread of its runtime
/// (`tokio::task::spawn_blocking`), so an implementation may do blocking
/// I/O, such as a synchronous database driver.
pub trait PatientRegistry: Send + Sync {
    /// The record of a verified user known by `openid` or `sub_openid`
    /// (as WeChat Pay answered them; `sub_openid` is tried first).
    ///
    /// # Errors
    /// Any failure of the store; the server answers it with a 500.
    fn lookup(
        &self,
        openid: Option<&str>,
        sub_openid: Option<&str>,
    ) -> Result<Option<PatientRecord>, Error>;

    /// Record that `user` was verified as `identity`, and return the record:
    /// the existing one when either of the user's ids is already known, else
    /// a new one. The full identity is available here (and only here) for a
    /// HIS to store under its own controls; the implementations of this
    /// crate keep its masked form only.
    ///
    /// # Errors
    /// Any failure of the store; the server answers it with a 500.
    fn record(&self, user: &FaceUser, identity: &RealName) -> Result<PatientRecord, Error>;
}

/// The ids of `user` to record it under: sub_openid first, then openid.
pub(crate) fn user_ids(user: &FaceUser) -> Vec<&str> {
    [user.sub_openid.as_deref(), user.openid.as_deref()]
        .into_iter()
        .flatten()
        .filter(|id| !id.is_empty())
        .collect()
}

/// The patient id of the `n`th patient a registry issues (`P000001`, …).
pub(crate) fn issued_patient_id(n: u64) -> String {
    format!("P{n:06}")
}

/// An in-memory [`PatientRegistry`]: openid (and sub_openid) → record. It
/// forgets everything when the process ends; see `SqliteRegistry` (feature
/// `sqlite`) for a registry that survives restarts.
#[derive(Default)]
pub struct InMemoryRegistry {
    inner: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    by_id: HashMap<String, PatientRecord>,
    issued: u64,
}

impl fmt::Debug for InMemoryRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.lock().by_id.len();
        f.debug_struct("InMemoryRegistry")
            .field("entries", &n)
            .finish()
    }
}

impl InMemoryRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, MemoryState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Mark `openid` verified as `patient_id` (seeding from an existing HIS).
    pub fn insert(&self, openid: impl Into<String>, patient_id: impl Into<String>) {
        self.lock()
            .by_id
            .insert(openid.into(), PatientRecord::imported(patient_id));
    }
}

impl PatientRegistry for InMemoryRegistry {
    fn lookup(
        &self,
        openid: Option<&str>,
        sub_openid: Option<&str>,
    ) -> Result<Option<PatientRecord>, Error> {
        let state = self.lock();
        Ok([sub_openid, openid]
            .into_iter()
            .flatten()
            .find_map(|id| state.by_id.get(id).cloned()))
    }

    fn record(&self, user: &FaceUser, identity: &RealName) -> Result<PatientRecord, Error> {
        let ids = user_ids(user);
        if ids.is_empty() {
            return Err(Error::Internal(
                "patient registry: the identity answer has no openid to record".into(),
            ));
        }
        let mut state = self.lock();
        if let Some(existing) = ids.iter().find_map(|id| state.by_id.get(*id).cloned()) {
            return Ok(existing);
        }
        state.issued += 1;
        let record = PatientRecord {
            patient_id: issued_patient_id(state.issued),
            identity: Some(identity.masked()),
        };
        for id in ids {
            state.by_id.insert(id.to_owned(), record.clone());
        }
        Ok(record)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use wxface_core::realname::CredentialType;

    pub(crate) fn user(openid: Option<&str>, sub_openid: Option<&str>) -> FaceUser {
        FaceUser {
            openid: openid.map(str::to_owned),
            sub_openid: sub_openid.map(str::to_owned),
            union_id: None,
            real_name: None,
        }
    }

    pub(crate) fn identity() -> RealName {
        RealName::new(
            "测试患者".into(),
            CredentialType::IdCard,
            "11010519491231002X".into(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// What every registry must do.
    pub(crate) fn behaves(r: &dyn PatientRegistry) {
        assert_eq!(r.lookup(Some("o1"), None).ok(), Some(None));
        let first = r
            .record(&user(Some("o1"), Some("s1")), &identity())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.patient_id, "P000001");
        let masked = first
            .identity
            .clone()
            .unwrap_or_else(|| panic!("no identity"));
        assert_eq!(masked, identity().masked());
        // Found by either id; the same user again keeps the record.
        assert_eq!(r.lookup(Some("o1"), None).ok(), Some(Some(first.clone())));
        assert_eq!(r.lookup(None, Some("s1")).ok(), Some(Some(first.clone())));
        assert_eq!(
            r.lookup(Some("zz"), Some("s1")).ok(),
            Some(Some(first.clone()))
        );
        assert_eq!(
            r.record(&user(Some("o1"), None), &identity()).ok(),
            Some(first.clone())
        );
        let second = r
            .record(&user(Some("o2"), None), &identity())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(second.patient_id, "P000002");
        assert_eq!(r.lookup(None, None).ok(), Some(None));
        assert!(r.record(&user(None, None), &identity()).is_err());
        // Nothing full is kept.
        let shown = format!("{first:?}");
        assert!(!shown.contains("测试患者") && !shown.contains("11010519491231002X"));
    }

    #[test]
    fn in_memory_registry() {
        let r = InMemoryRegistry::new();
        behaves(&r);
        r.insert("o-seed", "P-SEED-0001");
        assert_eq!(
            r.lookup(Some("o-seed"), None).ok(),
            Some(Some(PatientRecord::imported("P-SEED-0001")))
        );
        assert_eq!(format!("{r:?}"), "InMemoryRegistry { entries: 4 }");
    }
}
