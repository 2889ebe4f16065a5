//! The kiosks the hospital lets in (feature `server`): per-device
//! credentials ([`wxface_core::device_auth`]), issued, listed and revoked by
//! the hospital, and checked by the reference server on every request.
//!
//! A [`DeviceStore`] keeps one [`DeviceRecord`] per credential: the device
//! id, the credential's key id, its [`Verifier`] (a hash; never the secret),
//! a label, and when it was issued and revoked. [`issue`] makes a
//! credential and stores its record; the credential's text is shown once
//! and kept nowhere on the server. [`authenticate`] turns a request's
//! `Authorization` header into the device id of its record, so the device a
//! request counts as is the hospital's record, never what the body claims.
//!
//! Implementations: [`InMemoryDevices`] and, with feature `sqlite`,
//! [`SqliteDevices`] (the `wxface merchant devices` commands and
//! `wxface merchant serve` share its file). A HIS with its own device
//! inventory implements the trait over it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use wxface_core::device_auth::{check_device_id, DeviceCredential, Verifier};
use wxface_core::time::Entropy;
use wxface_core::UnixTime;

use crate::Error;

#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteDevices;

/// One issued credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The kiosk's device id (as sent to WeChat Pay with authinfo requests).
    pub device_id: String,
    /// The credential's key id (not secret).
    pub key_id: String,
    /// The hash the credential is checked against.
    pub verifier: Verifier,
    /// A note for people (where the kiosk stands).
    pub label: Option<String>,
    /// When it was issued.
    pub created_at: UnixTime,
    /// When it was revoked; a revoked credential is refused.
    pub revoked_at: Option<UnixTime>,
}

/// Where the hospital keeps its device credentials.
///
/// The reference server calls it on a blocking thread of its runtime, once
/// per request ([`DeviceStore::find`]), so an implementation may do blocking
/// I/O; revocations must be visible to the next `find`.
pub trait DeviceStore: Send + Sync {
    /// Store a new record.
    ///
    /// # Errors
    /// A store failure, or a key id already stored.
    fn insert(&self, record: &DeviceRecord) -> Result<(), Error>;

    /// The record of `key_id`, revoked or not.
    ///
    /// # Errors
    /// A store failure; the server answers it with a 500.
    fn find(&self, key_id: &str) -> Result<Option<DeviceRecord>, Error>;

    /// Every record, in the order they were issued.
    ///
    /// # Errors
    /// A store failure.
    fn list(&self) -> Result<Vec<DeviceRecord>, Error>;

    /// Revoke at `at` the live credentials whose device id or key id is
    /// `id`; returns how many were revoked (0: none matched).
    ///
    /// # Errors
    /// A store failure.
    fn revoke(&self, id: &str, at: UnixTime) -> Result<usize, Error>;
}

/// Issue a credential for `device_id`: store its record and return the
/// credential (to hand to the kiosk once) with the record. A device may
/// hold several live credentials (to rotate: issue, deploy, revoke the old
/// key id).
///
/// # Errors
/// `invalid_input` on `device_id` or `label` (at most 64 characters without
/// control characters), or the store's error.
pub fn issue(
    store: &dyn DeviceStore,
    device_id: &str,
    label: Option<&str>,
    now: UnixTime,
    entropy: &dyn Entropy,
) -> Result<(DeviceCredential, DeviceRecord), Error> {
    check_device_id(device_id)?;
    if let Some(l) = label {
        if l.chars().count() > 64 || wxface_core::redact::has_control_chars(l) {
            return Err(Error::invalid(
                "label",
                "must be at most 64 characters without control characters",
            ));
        }
    }
    let credential = DeviceCredential::generate(entropy);
    let record = DeviceRecord {
        device_id: device_id.to_owned(),
        key_id: credential.key_id().to_owned(),
        verifier: credential.verifier(),
        label: label.map(str::to_owned),
        created_at: now,
        revoked_at: None,
    };
    store.insert(&record)?;
    Ok((credential, record))
}

/// The device of a request's `Authorization` header value.
///
/// Unknown key id and wrong secret get the same answer, so the answer does
/// not tell which key ids exist; a revoked credential is named as such only
/// to its holder (the secret matched).
///
/// # Errors
/// [`Error::Unauthenticated`], or the store's error.
pub fn authenticate(store: &dyn DeviceStore, authorization: Option<&str>) -> Result<String, Error> {
    let credential = DeviceCredential::from_authorization(authorization)?;
    let unknown = || Error::Unauthenticated("the device credential is not known".into());
    let record = store.find(credential.key_id())?.ok_or_else(unknown)?;
    if !record.verifier.matches(&credential) {
        return Err(unknown());
    }
    if record.revoked_at.is_some() {
        return Err(Error::Unauthenticated(
            "the device credential was revoked".into(),
        ));
    }
    Ok(record.device_id)
}

/// A [`DeviceStore`] in memory (nothing survives the process).
#[derive(Default)]
pub struct InMemoryDevices {
    records: Mutex<Vec<DeviceRecord>>,
}

impl fmt::Debug for InMemoryDevices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryDevices")
            .field("records", &self.lock().len())
            .finish()
    }
}

impl InMemoryDevices {
    /// An empty store: every request is refused until a credential is issued.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<DeviceRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DeviceStore for InMemoryDevices {
    fn insert(&self, record: &DeviceRecord) -> Result<(), Error> {
        let mut records = self.lock();
        if records.iter().any(|r| r.key_id == record.key_id) {
            return Err(Error::Internal(
                "device store: the key id is already stored".into(),
            ));
        }
        records.push(record.clone());
        Ok(())
    }

    fn find(&self, key_id: &str) -> Result<Option<DeviceRecord>, Error> {
        Ok(self.lock().iter().find(|r| r.key_id == key_id).cloned())
    }

    fn list(&self) -> Result<Vec<DeviceRecord>, Error> {
        Ok(self.lock().clone())
    }

    fn revoke(&self, id: &str, at: UnixTime) -> Result<usize, Error> {
        let mut n = 0;
        for r in self.lock().iter_mut() {
            if r.revoked_at.is_none() && (r.device_id == id || r.key_id == id) {
                r.revoked_at = Some(at);
                n += 1;
            }
        }
        Ok(n)
    }
}

/// A map of device id → credential, for tests and demos that issue a few
/// credentials up front.
pub fn issue_all(
    store: &dyn DeviceStore,
    device_ids: &[&str],
    now: UnixTime,
    entropy: &dyn Entropy,
) -> Result<HashMap<String, DeviceCredential>, Error> {
    device_ids
        .iter()
        .map(|id| Ok(((*id).to_owned(), issue(store, id, None, now, entropy)?.0)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use wxface_core::time::OsEntropy;

    /// What every store must do.
    pub(crate) fn behaves(store: &dyn DeviceStore) {
        let now = UnixTime(1_700_000_000);
        let (a, rec) = issue(store, "KIOSK-01", Some("门诊大厅 1"), now, &OsEntropy).unwrap();
        let (b, _) = issue(store, "KIOSK-02", None, now, &OsEntropy).unwrap();
        let (a2, _) = issue(store, "KIOSK-01", None, now, &OsEntropy).unwrap();
        assert_eq!(store.find(a.key_id()).unwrap().as_ref(), Some(&rec));
        assert_eq!(store.list().unwrap().len(), 3);
        let auth = |c: &DeviceCredential| authenticate(store, Some(c.authorization().as_str()));
        assert_eq!(auth(&a).unwrap(), "KIOSK-01");
        assert_eq!(auth(&a2).unwrap(), "KIOSK-01");
        assert_eq!(auth(&b).unwrap(), "KIOSK-02");
        // Revoke one key id: the device's other credential still works.
        assert_eq!(store.revoke(a.key_id(), UnixTime(now.0 + 5)).unwrap(), 1);
        let e = auth(&a).unwrap_err();
        assert_eq!(e.code(), "unauthenticated");
        assert!(e.to_string().contains("revoked"), "{e}");
        assert_eq!(auth(&a2).unwrap(), "KIOSK-01");
        // Revoke the device: all of its live credentials.
        assert_eq!(store.revoke("KIOSK-01", UnixTime(now.0 + 6)).unwrap(), 1);
        assert!(auth(&a2).is_err());
        assert_eq!(store.revoke("NO-SUCH", now).unwrap(), 0);
        assert_eq!(
            store.find(a.key_id()).unwrap().unwrap().revoked_at,
            Some(UnixTime(now.0 + 5))
        );
        assert_eq!(auth(&b).unwrap(), "KIOSK-02");
        // A credential never issued, and a forged secret under a real key id:
        // the same answer.
        let stranger = DeviceCredential::generate(&OsEntropy);
        let mut forged = b.expose().to_owned();
        let last = forged.pop().unwrap();
        forged.push(if last == 'x' { 'y' } else { 'x' });
        let e1 = auth(&stranger).unwrap_err();
        let e2 = authenticate(store, Some(&format!("Bearer {forged}"))).unwrap_err();
        assert_eq!(e1, e2);
        assert_eq!(e1.code(), "unauthenticated");
        assert!(issue(store, "", None, now, &OsEntropy).is_err());
        assert!(issue(store, "K", Some("a\nb"), now, &OsEntropy).is_err());
    }

    #[test]
    fn in_memory_devices() {
        behaves(&InMemoryDevices::new());
    }
}
