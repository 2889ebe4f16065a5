//! Face session state: rawdata, authinfo, face_sid.
//!
//! * `rawdata` is issued by the emulated SDK for one device (the physical
//!   terminal the SDK runs on).
//! * An `authinfo` is issued by `get_wxpayface_authinfo` for a rawdata. It is
//!   bound to that device and to appid, mch_id, sub_appid, sub_mch_id and
//!   store_id, and valid for `authinfo_ttl_secs`: the same device may reuse
//!   it with the same parameters until then.
//! * A `face_sid` is issued when the emulated SDK recognises a person under a
//!   valid authinfo. It can be queried for `ASK_REAL_NAME` only after the
//!   user consented, and for `face_sid_ttl_secs` after recognition.
//!   Refusal and quit (`quit_face_auth=1`) close it for real-name queries.

use std::collections::HashMap;

use wxface_core::UnixTime;

/// Rawdata and authinfo are pruned this long after they stop mattering.
const RAWDATA_TTL_SECS: u64 = 24 * 3600;

/// How many entries of each kind are kept at most (oldest pruned first).
const MAX_ENTRIES: usize = 100_000;

/// The parameters an authinfo is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    pub appid: String,
    pub mch_id: String,
    pub sub_appid: Option<String>,
    pub sub_mch_id: Option<String>,
    pub store_id: String,
}

impl Binding {
    /// The first bound parameter that differs, by name.
    pub fn mismatch(&self, other: &Binding) -> Option<&'static str> {
        if self.appid != other.appid {
            Some("appid")
        } else if self.mch_id != other.mch_id {
            Some("mch_id")
        } else if self.sub_appid != other.sub_appid {
            Some("sub_appid")
        } else if self.sub_mch_id != other.sub_mch_id {
            Some("sub_mch_id")
        } else if self.store_id != other.store_id {
            Some("store_id")
        } else {
            None
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Rawdata {
    pub device: String,
    pub issued: UnixTime,
}

#[derive(Debug, Clone)]
pub(crate) struct Authinfo {
    /// The SDK device the rawdata came from.
    pub device: String,
    pub binding: Binding,
    pub expires_at: UnixTime,
}

/// Where a face session stands with the user's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Consent {
    /// Recognised; `getWxpayAuth` not called yet.
    Pending,
    /// The user agreed to share real-name data.
    Consented,
    /// The user refused.
    Refused,
    /// The kiosk quit (`quit_face_auth=1`).
    Quit,
}

#[derive(Debug, Clone)]
pub(crate) struct FaceSession {
    /// Index into the sandbox's identities.
    pub person: usize,
    pub authinfo: String,
    pub device: String,
    pub binding: Binding,
    pub consent: Consent,
    pub expires_at: UnixTime,
}

/// All sessions of a sandbox.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    pub rawdata: HashMap<String, Rawdata>,
    pub authinfo: HashMap<String, Authinfo>,
    pub faces: HashMap<String, FaceSession>,
}

impl Sessions {
    /// Drop what can no longer matter, and keep every map bounded.
    pub fn prune(&mut self, now: UnixTime) {
        let grace = RAWDATA_TTL_SECS;
        if self.rawdata.len() >= MAX_ENTRIES {
            self.rawdata.retain(|_, r| now.abs_diff(r.issued) < grace);
            trim(&mut self.rawdata, |r| r.issued);
        }
        if self.authinfo.len() >= MAX_ENTRIES {
            self.authinfo.retain(|_, a| a.expires_at.plus(grace) > now);
            trim(&mut self.authinfo, |a| a.expires_at);
        }
        if self.faces.len() >= MAX_ENTRIES {
            self.faces.retain(|_, f| f.expires_at.plus(grace) > now);
            trim(&mut self.faces, |f| f.expires_at);
        }
    }

    /// Mark every authinfo as expired; returns how many.
    pub fn expire_authinfos(&mut self) -> usize {
        for a in self.authinfo.values_mut() {
            a.expires_at = UnixTime(0);
        }
        self.authinfo.len()
    }

    /// Mark every face_sid as expired; returns how many.
    pub fn expire_face_sids(&mut self) -> usize {
        for f in self.faces.values_mut() {
            f.expires_at = UnixTime(0);
        }
        self.faces.len()
    }
}

/// Remove the oldest half of a map that is still at its bound.
fn trim<V>(map: &mut HashMap<String, V>, age: impl Fn(&V) -> UnixTime) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    let mut times: Vec<UnixTime> = map.values().map(&age).collect();
    times.sort_unstable();
    let cut = times[times.len() / 2];
    map.retain(|_, v| age(v) > cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(store: &str) -> Binding {
        Binding {
            appid: "wx1".into(),
            mch_id: "1".into(),
            sub_appid: None,
            sub_mch_id: None,
            store_id: store.into(),
        }
    }

    #[test]
    fn binding_names_the_first_difference() {
        assert_eq!(b("s1").mismatch(&b("s1")), None);
        assert_eq!(b("s1").mismatch(&b("s2")), Some("store_id"));
        let mut other = b("s1");
        other.sub_mch_id = Some("2".into());
        assert_eq!(b("s1").mismatch(&other), Some("sub_mch_id"));
    }

    #[test]
    fn expiry_hooks() {
        let mut s = Sessions::default();
        s.authinfo.insert(
            "a".into(),
            Authinfo {
                device: "d".into(),
                binding: b("s"),
                expires_at: UnixTime(10),
            },
        );
        assert_eq!(s.expire_authinfos(), 1);
        assert_eq!(s.authinfo["a"].expires_at, UnixTime(0));
        s.prune(UnixTime(100));
        assert_eq!(s.authinfo.len(), 1);
    }
}
