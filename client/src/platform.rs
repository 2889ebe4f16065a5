//! The platform keys a client verifies answers with, and the trust rules of
//! certificate downloads.
//!
//! Two sources, usable together:
//!
//! 1. Configured keys: a platform public key (`PUB_KEY_ID_…`) and/or platform
//!    certificates. New merchants only have a public key, and that works alone.
//! 2. Downloaded certificates (`GET /v3/certificates`, needs the APIv3 key).
//!    An answer is trusted when it verifies with a key already trusted; the
//!    very first download, when nothing is configured, must verify with a
//!    certificate whose serial was pinned in the configuration. Nothing is
//!    ever trusted on first use.
//!
//! The verifier is swapped as a whole (`RwLock<Arc<…>>`), so a verification
//! never waits for a download and never sees half a store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use wxface_core::crypto::CryptoProvider;
use wxface_core::http::Headers;
use wxface_core::v3::{PlatformKeyKind, PlatformKeyStore, ResponseVerifier, PUB_KEY_ID_PREFIX};
use wxface_core::{SignatureFailure, UnixTime};

use crate::certificates::{parse_certificates, ApiV3Key, PlatformCertificate};
use crate::error::{Error, Result};

/// When the last download was tried.
#[derive(Debug, Default)]
pub(crate) struct RefreshState {
    pub(crate) last_attempt: Option<UnixTime>,
}

pub(crate) struct PlatformKeys {
    verifier: RwLock<Arc<ResponseVerifier>>,
    generation: AtomicU64,
    pub(crate) apiv3_key: Option<ApiV3Key>,
    pinned: Vec<String>,
    pub(crate) refresh_secs: u64,
    /// Held for the whole of a download: concurrent refreshes wait for the
    /// one in flight instead of starting their own.
    pub(crate) refresh: tokio::sync::Mutex<RefreshState>,
}

impl PlatformKeys {
    pub(crate) fn new(
        store: PlatformKeyStore,
        window_secs: u64,
        apiv3_key: Option<ApiV3Key>,
        pinned: Vec<String>,
        refresh_secs: u64,
    ) -> Self {
        let mut v = ResponseVerifier::new(store);
        v.window_secs = window_secs;
        Self {
            verifier: RwLock::new(Arc::new(v)),
            generation: AtomicU64::new(0),
            apiv3_key,
            pinned,
            refresh_secs,
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
        }
    }

    /// The current verifier.
    pub(crate) fn verifier(&self) -> Arc<ResponseVerifier> {
        self.verifier
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Bumped at every successful download.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Ids of the trusted keys.
    pub(crate) fn ids(&self) -> Vec<String> {
        self.verifier()
            .store
            .ids()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Whether certificates must be downloaded before anything can be verified.
    pub(crate) fn needs_bootstrap(&self) -> bool {
        self.apiv3_key.is_some() && self.verifier().store.is_empty()
    }

    /// Whether an unknown `serial` may be cured by downloading certificates.
    pub(crate) fn can_refresh_for(&self, serial: Option<&str>) -> bool {
        self.apiv3_key.is_some() && serial.is_some_and(|s| !s.starts_with(PUB_KEY_ID_PREFIX))
    }

    /// The `Wechatpay-Serial` to send: a key we can verify with, or during
    /// the first download the first pinned serial.
    pub(crate) fn request_serial(&self, now: UnixTime) -> Option<String> {
        let v = self.verifier();
        v.store
            .preferred_id(now)
            .map(str::to_owned)
            .or_else(|| self.pinned.first().cloned())
    }

    /// Check a `/v3/certificates` answer and return its certificates: verified
    /// with a trusted key, or (first download) with a pinned certificate
    /// carried in the answer itself.
    ///
    /// In the pinned case the certificates are decrypted before the signature
    /// is checked (the verifying key is inside); that decryption is
    /// AES-256-GCM under the APIv3 key, which authenticates the data by itself.
    pub(crate) fn trust_answer(
        &self,
        status: u16,
        headers: &dyn Headers,
        body: &[u8],
        now: UnixTime,
        provider: &dyn CryptoProvider,
    ) -> Result<Vec<PlatformCertificate>> {
        let key = self
            .apiv3_key
            .as_ref()
            .ok_or_else(|| Error::config("downloading certificates needs the APIv3 key"))?;
        let verifier = self.verifier();
        match verifier.verify(status, headers, body, now) {
            Ok(()) => parse_certificates(body, key, provider),
            Err(wxface_core::Error::Signature {
                failure: SignatureFailure::UnknownSerial,
                ..
            }) if !self.pinned.is_empty() => {
                let certs = parse_certificates(body, key, provider)?;
                let mut pinned = PlatformKeyStore::new();
                for c in certs.iter().filter(|c| {
                    self.pinned
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&c.serial))
                }) {
                    pinned.insert(
                        c.serial.clone(),
                        PlatformKeyKind::Certificate,
                        c.key.clone(),
                        Some(c.not_after),
                    )?;
                }
                let mut v = ResponseVerifier::new(pinned);
                v.window_secs = verifier.window_secs;
                v.verify(status, headers, body, now).map_err(|e| match e {
                    wxface_core::Error::Signature {
                        failure: SignatureFailure::UnknownSerial,
                        ..
                    } => wxface_core::Error::Signature {
                        failure: SignatureFailure::UnknownSerial,
                        detail: "the certificates answer is signed by neither a trusted key nor \
                                 a pinned certificate"
                            .into(),
                    },
                    other => other,
                })?;
                Ok(certs)
            }
            Err(wxface_core::Error::Signature {
                failure: SignatureFailure::UnknownSerial,
                ..
            }) if verifier.store.is_empty() => Err(Error::config(
                "refusing to trust /v3/certificates on first use: no platform key is \
                 configured and no serial is pinned",
            )),
            Err(e) => Err(e),
        }
    }

    /// Add downloaded certificates to the store (replacing same serials).
    pub(crate) fn install(&self, certs: &[PlatformCertificate]) -> Result<()> {
        let mut slot = self
            .verifier
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut v = ResponseVerifier::clone(&slot);
        for c in certs {
            v.store.insert(
                c.serial.clone(),
                PlatformKeyKind::Certificate,
                c.key.clone(),
                Some(c.not_after),
            )?;
        }
        *slot = Arc::new(v);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}
