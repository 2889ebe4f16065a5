//! `get_wxpayface_authinfo`: WeChat Pay v2 (XML, MD5 / HMAC-SHA256).
//!
//! The signature rule: every non-empty field except `sign`, sorted by key in
//! byte order, joined as `k1=v1&k2=v2…`, then `&key=<API key>`; MD5 or
//! HMAC-SHA256 (keyed with the API key) as uppercase hex. Values are signed
//! raw, never URL-encoded.
//!
//! XML is read with `quick-xml` (no DOM, no entity expansion): a `<!DOCTYPE>`
//! or any entity other than the five predefined ones and character
//! references is refused, so no external entity and no "billion laughs" can
//! get in. Input is limited to [`MAX_XML_BYTES`]. Answers are accepted with or
//! without the `<xml>` root, with CDATA or plain text.

use std::collections::BTreeMap;
use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{named_enum, Error, Result, SignatureFailure};
use crate::http::{Endpoint, HttpRequest, Method};
use crate::sdk::{MAX_AUTHINFO, MAX_RAWDATA};
use crate::time::UnixTime;

/// Longest time an authinfo is reused after it was fetched, in seconds,
/// whatever its `expires_in`: WeChat's advice for its sibling credential
/// (refresh at least hourly, PROTOCOL.md). The merchant server's cache and the
/// kiosk's flow apply the same cap.
pub const MAX_AUTHINFO_REUSE_SECS: u64 = 3600;
/// Path of the endpoint on `payapp.weixin.qq.com`.
pub const AUTHINFO_PATH: &str = "/face/get_wxpayface_authinfo";
/// Largest XML document accepted, in bytes.
pub const MAX_XML_BYTES: usize = 64 * 1024;
/// Most fields accepted in one document.
pub const MAX_FIELDS: usize = 64;

/// `sign_type` (its serde form is the wire value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SignType {
    /// `MD5` (the protocol's default).
    #[default]
    #[serde(rename = "MD5")]
    Md5,
    /// `HMAC-SHA256`.
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
}

named_enum!(
    /// The wire value of `sign_type`: `MD5` or `HMAC-SHA256`.
    SignType, "sign_type", {
        Md5 => "MD5",
        HmacSha256 => "HMAC-SHA256",
    }
);

impl SignType {
    fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::HmacSha256 => 64,
        }
    }
}

/// The v2 API key (32 characters). Zeroized on drop, never printed.
#[derive(Clone)]
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// Wrap a key.
    ///
    /// # Errors
    /// [`Error::Config`] if it is empty, not printable ASCII, or longer than 64.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = Zeroizing::new(key.into());
        if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(
                "the v2 API key must be 1-64 printable ASCII characters".into(),
            ));
        }
        Ok(Self(key))
    }

    // EXPOSE: only to the signature functions of this module.
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

/// The fields of a v2 message, sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub BTreeMap<String, String>);

impl Fields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set a field.
    pub fn set(&mut self, k: impl Into<String>, v: impl Into<String>) -> &mut Self {
        self.0.insert(k.into(), v.into());
        self
    }

    /// A field's value.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    /// A non-empty field's value.
    pub fn get_nonempty(&self, k: &str) -> Option<&str> {
        self.get(k).filter(|v| !v.is_empty())
    }

    /// The string that is signed, without the trailing `&key=…`.
    pub fn canonical_string(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.0 {
            if k == "sign" || v.is_empty() {
                continue;
            }
            if !s.is_empty() {
                s.push('&');
            }
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        s
    }

    /// The signature over these fields (uppercase hex).
    ///
    /// The canonical string is fed to the digest piece by piece, never
    /// assembled: no copy of a 2 KB `rawdata`, and no copy of the key.
    pub fn sign(&self, key: &ApiKey, sign_type: SignType) -> String {
        match sign_type {
            SignType::Md5 => {
                let mut h = Md5::new();
                self.feed(key, |b| h.update(b));
                upper_hex(&h.finalize())
            }
            SignType::HmacSha256 => {
                // HMAC takes keys of any length.
                let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes())
                    .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
                self.feed(key, |b| mac.update(b));
                upper_hex(&mac.finalize().into_bytes())
            }
        }
    }

    /// Feed `canonical_string() + "&key=" + key` to `update`.
    fn feed(&self, key: &ApiKey, mut update: impl FnMut(&[u8])) {
        let mut first = true;
        for (k, v) in &self.0 {
            if k == "sign" || v.is_empty() {
                continue;
            }
            if !first {
                update(b"&");
            }
            first = false;
            update(k.as_bytes());
            update(b"=");
            update(v.as_bytes());
        }
        update(b"&key=");
        update(key.expose().as_bytes());
    }

    /// Check the `sign` field in constant time. Every field but `sign` takes
    /// part, including ones this library does not know.
    ///
    /// # Errors
    /// [`Error::Signature`]: `Missing`, `Malformed` (wrong length for the sign
    /// type) or `Mismatch`.
    pub fn verify(&self, key: &ApiKey, sign_type: SignType) -> Result<()> {
        let got = self
            .get_nonempty("sign")
            .ok_or_else(|| Error::signature(SignatureFailure::Missing, "no `sign` field"))?;
        if got.len() != sign_type.hex_len() || !got.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::signature(
                SignatureFailure::Malformed,
                format!(
                    "`sign` is not {} hex digits ({})",
                    sign_type.hex_len(),
                    sign_type.as_str()
                ),
            ));
        }
        let want = self.sign(key, sign_type);
        let got = got.to_ascii_uppercase();
        if bool::from(want.as_bytes().ct_eq(got.as_bytes())) {
            Ok(())
        } else {
            Err(Error::signature(
                SignatureFailure::Mismatch,
                format!("v2 `sign` ({}) does not match", sign_type.as_str()),
            ))
        }
    }

    /// Set `sign` to the signature over the other fields.
    pub fn sign_in_place(&mut self, key: &ApiKey, sign_type: SignType) {
        self.0.remove("sign");
        let s = self.sign(key, sign_type);
        self.0.insert("sign".into(), s);
    }

    /// Serialise as `<xml><k><![CDATA[v]]></k>…</xml>` (decimal numbers as
    /// plain text).
    pub fn to_xml(&self) -> String {
        let mut s = String::from("<xml>");
        for (k, v) in &self.0 {
            s.push('<');
            s.push_str(k);
            s.push('>');
            if !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()) {
                s.push_str(v);
            } else {
                s.push_str("<![CDATA[");
                s.push_str(&v.replace("]]>", "]]]]><![CDATA[>"));
                s.push_str("]]>");
            }
            s.push_str("</");
            s.push_str(k);
            s.push('>');
        }
        s.push_str("</xml>");
        s
    }

    /// Parse a flat XML document: `<xml>` root or a bare sequence of fields.
    ///
    /// # Errors
    /// [`Error::Malformed`] for oversize input, non-UTF-8, a DTD, an unknown
    /// entity, nesting, duplicate fields, or broken XML.
    pub fn parse_xml(xml: &[u8]) -> Result<Self> {
        parse_flat_xml(xml)
    }
}

fn upper_hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

fn resolve_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let n = if let Some(h) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(h, 16).ok()?
            } else {
                name.strip_prefix('#')?.parse().ok()?
            };
            char::from_u32(n)?
        }
    })
}

/// The name of an element without attributes. Names are ASCII (a letter or
/// `_`, then letters, digits, `_`, `-`, `.`), as every v2 field is: the
/// reader takes `<` or `/` inside a tag as part of its name, and such a name
/// could not be written back by [`Fields::to_xml`].
fn field_name(s: &quick_xml::events::BytesStart<'_>) -> Result<String> {
    let bad = |r: &str| Error::malformed("v2 XML", r.to_owned());
    let name = s.name();
    let name = name.as_ref();
    let ok = name
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
    if !ok {
        return Err(bad("bad element name"));
    }
    if s.attributes().next().is_some() {
        return Err(bad("attributes are not expected"));
    }
    // Checked ASCII above.
    Ok(String::from_utf8_lossy(name).into_owned())
}

fn parse_flat_xml(xml: &[u8]) -> Result<Fields> {
    const WHAT: &str = "v2 XML";
    let bad = |r: &str| Error::malformed(WHAT, r.to_owned());
    if xml.len() > MAX_XML_BYTES {
        return Err(bad("larger than 64 KiB"));
    }
    let text = std::str::from_utf8(xml).map_err(|_| bad("not UTF-8"))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut fields = Fields::new();
    // Element names from the outermost open element inwards.
    let mut stack: Vec<String> = Vec::new();
    let mut rooted = false;
    let mut current = String::new();
    let mut saw_any = false;
    loop {
        let ev = reader.read_event().map_err(xml_error)?;
        match ev {
            Event::DocType(_) => return Err(bad("DTDs are refused")),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Start(s) => {
                let name = field_name(&s)?;
                let depth = stack.len();
                if depth == 0 && !saw_any && name == "xml" {
                    rooted = true;
                } else {
                    let field_depth = usize::from(rooted);
                    if depth != field_depth {
                        return Err(bad("nested elements are not expected"));
                    }
                    current.clear();
                }
                saw_any = true;
                stack.push(name);
            }
            Event::Empty(s) => {
                let name = field_name(&s)?;
                if stack.len() != usize::from(rooted) {
                    return Err(bad("nested elements are not expected"));
                }
                saw_any = true;
                insert(&mut fields, name, String::new())?;
            }
            Event::End(_) => {
                let name = stack.pop().ok_or_else(|| bad("unbalanced end tag"))?;
                if stack.len() == usize::from(rooted) && !(rooted && stack.is_empty()) {
                    insert(&mut fields, name, std::mem::take(&mut current))?;
                } else if rooted && stack.is_empty() {
                    // End of <xml>: anything after it but whitespace is refused.
                    return finish_after_root(&mut reader, fields);
                }
            }
            Event::Text(t) => {
                let s = t.xml_content().map_err(xml_error)?;
                if stack.len() == usize::from(rooted) + 1 {
                    current.push_str(&s);
                } else if !s.trim().is_empty() {
                    return Err(bad("text outside a field"));
                }
            }
            Event::CData(c) => {
                if stack.len() != usize::from(rooted) + 1 {
                    return Err(bad("CDATA outside a field"));
                }
                current.push_str(std::str::from_utf8(&c).map_err(|_| bad("not UTF-8"))?);
            }
            Event::GeneralRef(r) => {
                let name = std::str::from_utf8(&r).map_err(|_| bad("bad entity"))?;
                let c = resolve_entity(name)
                    .ok_or_else(|| bad("entities other than the predefined five are refused"))?;
                if stack.len() != usize::from(rooted) + 1 {
                    return Err(bad("text outside a field"));
                }
                current.push(c);
            }
            Event::Eof => break,
        }
        if fields.0.len() > MAX_FIELDS {
            return Err(bad("too many fields"));
        }
    }
    if !stack.is_empty() {
        return Err(bad("unclosed element"));
    }
    if !saw_any {
        return Err(bad("empty document"));
    }
    Ok(fields)
}

fn finish_after_root(reader: &mut Reader<&[u8]>, fields: Fields) -> Result<Fields> {
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Eof => return Ok(fields),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
            _ => return Err(Error::malformed("v2 XML", "content after the root element")),
        }
    }
}

/// A quick-xml error as a category: its messages quote element names and
/// text from the input.
fn xml_error<E: Into<quick_xml::Error>>(e: E) -> Error {
    use quick_xml::Error as X;
    let reason = match e.into() {
        X::Io(_) => "read error",
        X::Syntax(_) => "syntax error",
        X::IllFormed(_) => "ill-formed (mismatched or unexpected tags)",
        X::InvalidAttr(_) => "bad attribute",
        X::Encoding(_) => "bad encoding",
        X::Escape(_) => "bad escape or entity",
        X::Namespace(_) => "bad namespace",
    };
    Error::malformed("v2 XML", reason)
}

fn insert(fields: &mut Fields, name: String, value: String) -> Result<()> {
    if fields.0.contains_key(&name) {
        return Err(Error::malformed(
            "v2 XML",
            format!("field `{}` appears twice", crate::redact::field_name(&name)),
        ));
    }
    fields.0.insert(name, value);
    Ok(())
}

/// A `get_wxpayface_authinfo` request, before signing. Deserializable from
/// its snake_case fields (absent ones default: empty, `None`, `MD5`), for
/// bindings that take it as a record; [`AuthinfoRequest::build`] checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AuthinfoRequest {
    /// `store_id` (≤ 32, required).
    pub store_id: String,
    /// `store_name` (≤ 128, required).
    pub store_name: String,
    /// `device_id` (≤ 32, required).
    pub device_id: String,
    /// `attach`: a JSON string.
    pub attach: Option<String>,
    /// `rawdata` from the SDK (≤ 2048, required).
    pub rawdata: String,
    /// `appid` (≤ 32, required).
    pub appid: String,
    /// `mch_id` (≤ 32, required; the provider's in provider mode).
    pub mch_id: String,
    /// `sub_appid` (provider mode).
    pub sub_appid: Option<String>,
    /// `sub_mch_id` (provider mode).
    pub sub_mch_id: Option<String>,
    /// `sign_type`.
    pub sign_type: SignType,
}

fn check(field: &str, v: &str, max: usize, required: bool) -> Result<()> {
    if v.is_empty() {
        return if required {
            Err(Error::invalid(field, "is required"))
        } else {
            Ok(())
        };
    }
    if v.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if v.chars().any(|c| c as u32 > 0xFFFF) {
        return Err(Error::invalid(field, "contains characters outside the Basic Multilingual Plane, which WeChat Pay's signer does not support"));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(())
}

impl AuthinfoRequest {
    /// Check the field rules.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        check("store_id", &self.store_id, 32, true)?;
        check("store_name", &self.store_name, 128, true)?;
        check("device_id", &self.device_id, 32, true)?;
        if let Some(a) = &self.attach {
            check("attach", a, 4096, false)?;
            if serde_json::from_str::<serde_json::Value>(a).is_err() {
                return Err(Error::invalid("attach", "must be a JSON string"));
            }
        }
        check("rawdata", &self.rawdata, MAX_RAWDATA, true)?;
        check("appid", &self.appid, 32, true)?;
        check("mch_id", &self.mch_id, 32, true)?;
        check(
            "sub_appid",
            self.sub_appid.as_deref().unwrap_or(""),
            32,
            false,
        )?;
        check(
            "sub_mch_id",
            self.sub_mch_id.as_deref().unwrap_or(""),
            32,
            false,
        )?;
        Ok(())
    }

    /// The signed fields.
    ///
    /// # Errors
    /// As [`Self::validate`]; `nonce_str` must be 1-32 characters.
    pub fn to_fields(&self, key: &ApiKey, now: UnixTime, nonce_str: &str) -> Result<Fields> {
        self.validate()?;
        let now = now.protocol_now()?;
        if nonce_str.is_empty()
            || nonce_str.len() > 32
            || !nonce_str.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(Error::invalid(
                "nonce_str",
                "must be 1-32 letters or digits",
            ));
        }
        let mut f = Fields::new();
        f.set("store_id", &self.store_id)
            .set("store_name", &self.store_name)
            .set("device_id", &self.device_id)
            .set("rawdata", &self.rawdata)
            .set("appid", &self.appid)
            .set("mch_id", &self.mch_id)
            .set("now", now.to_string())
            .set("version", "1")
            .set("sign_type", self.sign_type.as_str())
            .set("nonce_str", nonce_str);
        for (k, v) in [
            ("attach", &self.attach),
            ("sub_appid", &self.sub_appid),
            ("sub_mch_id", &self.sub_mch_id),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                f.set(k, v);
            }
        }
        f.sign_in_place(key, self.sign_type);
        Ok(f)
    }

    /// The HTTP request: `POST /face/get_wxpayface_authinfo` with the XML body.
    ///
    /// # Errors
    /// As [`Self::to_fields`].
    pub fn build(&self, key: &ApiKey, now: UnixTime, nonce_str: &str) -> Result<HttpRequest> {
        let body = self.to_fields(key, now, nonce_str)?.to_xml().into_bytes();
        Ok(HttpRequest {
            endpoint: Endpoint::PayApp,
            method: Method::Post,
            path_and_query: AUTHINFO_PATH.into(),
            headers: vec![("Content-Type".into(), "text/xml; charset=utf-8".into())],
            body,
        })
    }
}

/// A verified `get_wxpayface_authinfo` answer. `Debug` shows the authinfo's
/// length only: it is a credential. Serialised (for the bindings) with
/// `expires_at` in unix seconds and the absent echoes left out.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct AuthinfoResponse {
    /// The SDK call credential (≤ 4096).
    pub authinfo: String,
    /// `expires_in` seconds as sent.
    pub expires_in: u64,
    /// Absolute expiry: the injected `now` + `expires_in`.
    pub expires_at: UnixTime,
    /// `appid` echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// `mch_id` echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mch_id: Option<String>,
    /// `sub_appid` echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_appid: Option<String>,
    /// `sub_mch_id` echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_mch_id: Option<String>,
}

impl fmt::Debug for AuthinfoResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthinfoResponse")
            .field("authinfo_len", &self.authinfo.len())
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .field("sub_appid", &self.sub_appid)
            .field("sub_mch_id", &self.sub_mch_id)
            .finish()
    }
}

/// Parse and verify an answer to a request signed with `sign_type`.
///
/// A `SUCCESS` answer must be signed and is verified before anything in it is
/// used. A `FAIL` answer is verified when it carries a `sign` and becomes
/// [`Error::Backend`] (code = `return_code`, message = `return_msg`).
///
/// # Errors
/// [`Error::Malformed`], [`Error::Signature`], [`Error::Backend`].
pub fn parse_authinfo_response(
    body: &[u8],
    key: &ApiKey,
    sign_type: SignType,
    now: UnixTime,
) -> Result<AuthinfoResponse> {
    const WHAT: &str = "get_wxpayface_authinfo answer";
    let f = Fields::parse_xml(body)?;
    let return_code = f
        .get_nonempty("return_code")
        .ok_or_else(|| Error::malformed(WHAT, "no `return_code`"))?;
    if return_code != "SUCCESS" {
        if f.get_nonempty("sign").is_some() {
            f.verify(key, sign_type)?;
        }
        return Err(Error::Backend {
            status: None,
            code: crate::redact::code_token(return_code),
            message: f
                .get("return_msg")
                .unwrap_or_default()
                .chars()
                .take(128)
                .collect(),
            detail: None,
            request_id: None,
        });
    }
    f.verify(key, sign_type)?;
    let authinfo = f
        .get_nonempty("authinfo")
        .ok_or_else(|| Error::malformed(WHAT, "no `authinfo`"))?;
    if authinfo.chars().count() > MAX_AUTHINFO {
        return Err(Error::malformed(
            WHAT,
            "`authinfo` longer than 4096 characters",
        ));
    }
    let expires_in: u64 = f
        .get_nonempty("expires_in")
        .ok_or_else(|| Error::malformed(WHAT, "no `expires_in`"))?
        .parse()
        .map_err(|_| Error::malformed(WHAT, "`expires_in` is not a number"))?;
    let opt = |k: &str| f.get_nonempty(k).map(str::to_owned);
    Ok(AuthinfoResponse {
        authinfo: authinfo.to_owned(),
        expires_in,
        expires_at: now.plus(expires_in),
        appid: opt("appid"),
        mch_id: opt("mch_id"),
        sub_appid: opt("sub_appid"),
        sub_mch_id: opt("sub_mch_id"),
    })
}

#[cfg(test)]
mod tests;
