//! `Decryptor` and `RealNameReceiver`: real-name decryption with the
//! hospital's private key, of verified answers only.
//!
//! Node ≥ 18.19 refuses PKCS#1 v1.5 private decryption, and OpenSSL ≥ 3.2
//! answers random bytes instead of an error; this does it in Rust, with the
//! padding configured explicitly and every plaintext validated.
//!
//! Nothing here decrypts a ciphertext JavaScript made up: `Decryptor` takes
//! only the opaque `EncryptedRealName` of a verified `FaceUser`, and
//! `RealNameReceiver` verifies a forwarded answer with the platform key before
//! it decrypts. Every decryption failure is the same `DecryptionError`, with
//! one fixed message.

use std::sync::Arc;

use napi::bindgen_prelude::{
    Buffer, ClassInstance, FromNapiValue, JsObjectValue, Object, PromiseRaw, Unknown, ValueType,
};
use napi::{Env, JsValue};
use napi_derive::napi;
use wxface_core::crypto::{default_provider, Padding};
use wxface_core::decrypt;
use wxface_core::v3::{self as core_v3, PlatformKeyStore, ResponseVerifier};
use wxface_core::Error;
use zeroize::Zeroizing;

use crate::error::js;
use crate::identity::RealName;
use crate::runtime;
use crate::v3::{key_ids, EncryptedRealName, SignedAnswer};

/// Options of a decryptor.
#[napi(object)]
#[derive(Default)]
pub struct DecryptorOptions {
    /// `"pkcs1v15"` (default, as WeChat's sample) or `"oaep-sha1"`. Never
    /// tried one after the other.
    #[napi(ts_type = "Padding")]
    pub padding: Option<String>,
}

fn padding_of(p: Option<&str>) -> Result<Padding, Error> {
    match p {
        Some(p) => p.parse::<Padding>(),
        None => Ok(Padding::default()),
    }
}

/// A promise rejected with `failure` (argument errors of async methods
/// reject rather than throw).
fn rejected<'env, V: napi::bindgen_prelude::ToNapiValue + Send + 'static>(
    env: &'env Env,
    failure: Error,
) -> napi::Result<PromiseRaw<'env, V>> {
    runtime::future(env, async move { Err::<V, _>(failure) }, |_, v| Ok(v))
}

/// The opaque encrypted part of `value`: an `EncryptedRealName`, or a
/// `FaceUser` holding one. Anything else (a plain object with ciphertexts
/// in it) is refused.
fn encrypted_of(value: Unknown<'_>) -> Result<core_v3::EncryptedRealName, Error> {
    let refused = || {
        Error::invalid(
            "realName",
            "must be the `EncryptedRealName` of a verified answer (a `FaceUser` from \
             `MerchantClient.queryUser` or `v3.handleUsersResponse`, or its `realName`)",
        )
    };
    if value.get_type().map_err(|_| refused())? != ValueType::Object {
        return Err(refused());
    }
    if let Ok(enc) = ClassInstance::<EncryptedRealName>::from_unknown(value) {
        return Ok(enc.inner.clone());
    }
    let obj = Object::from_unknown(value).map_err(|_| refused())?;
    let inner: Unknown<'_> = obj.get_named_property("realName").map_err(|_| refused())?;
    if inner.get_type().map_err(|_| refused())? != ValueType::Object {
        // Also a `FaceUser` of `ASK_UNIONID`: it carries no identity.
        return Err(refused());
    }
    ClassInstance::<EncryptedRealName>::from_unknown(inner)
        .map(|enc| enc.inner.clone())
        .map_err(|_| refused())
}

/// Decrypts the real-name part of verified answers. Holds nothing but the
/// (sub-)merchant private key and the padding; opaque, never printed.
#[napi]
pub struct Decryptor {
    inner: Arc<decrypt::Decryptor>,
}

impl Decryptor {
    /// The core decryptor (shared).
    pub(crate) fn core(&self) -> Arc<decrypt::Decryptor> {
        Arc::clone(&self.inner)
    }
}

#[napi]
impl Decryptor {
    /// A decryptor from the private key of the merchant API certificate (PEM,
    /// PKCS#1 or PKCS#8); in provider mode, the sub-merchant's.
    ///
    /// Throws `ConfigError` for an unusable key, `InvalidInputError` for an unknown padding.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        private_key_pem: String,
        options: Option<DecryptorOptions>,
    ) -> napi::Result<Self> {
        let pem = Zeroizing::new(private_key_pem);
        padding_of(options.and_then(|o| o.padding).as_deref())
            .and_then(|padding| decrypt::Decryptor::from_pem(&pem, padding))
            .map(|d| Self { inner: Arc::new(d) })
            .map_err(|e| js(&env, e))
    }

    /// The configured padding: `"pkcs1v15"` or `"oaep-sha1"`.
    #[napi(getter, ts_return_type = "Padding")]
    pub fn padding(&self) -> String {
        self.inner.padding().as_str().to_owned()
    }

    /// Decrypt and validate the identity of a verified answer: a `FaceUser`
    /// from `MerchantClient.queryUser` / `v3.handleUsersResponse`, or its
    /// `realName`. Ciphertexts made in JavaScript are not accepted.
    ///
    /// Rejects with `DecryptionError` — one code, one fixed message — for
    /// every way decryption can fail; `InvalidInputError` for anything but a
    /// verified answer's `EncryptedRealName` (a `FaceUser` without
    /// `realName` included: was `ASK_REAL_NAME` granted?).
    #[napi(
        js_name = "decryptRealName",
        ts_args_type = "verified: FaceUser | EncryptedRealName",
        ts_return_type = "Promise<RealName>"
    )]
    pub fn decrypt_real_name<'env>(
        &self,
        env: &'env Env,
        verified: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, RealName>> {
        let enc = match encrypted_of(verified) {
            Ok(enc) => enc,
            Err(e) => return rejected(env, e),
        };
        let d = Arc::clone(&self.inner);
        runtime::blocking(
            env,
            move || d.decrypt_real_name(&enc),
            |_, rn| Ok(RealName::new(rn)),
        )
    }

    /// A redacted description.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "Decryptor(padding={}, key=[REDACTED])",
            self.inner.padding().as_str()
        )
    }
}

/// Options of a `RealNameReceiver`: the hospital's private key and WeChat
/// Pay's platform key(s).
#[napi(object)]
pub struct RealNameReceiverOptions {
    /// The hospital's (sub-merchant's) API certificate private key (PEM,
    /// PKCS#1 or PKCS#8): the key the real-name fields are encrypted for.
    pub private_key_pem: String,
    /// WeChat Pay platform public key (PEM), with `pubKeyId`.
    pub platform_public_key_pem: Option<String>,
    /// Its id, `PUB_KEY_ID_…`.
    pub pub_key_id: Option<String>,
    /// WeChat Pay platform certificate(s) (PEM).
    #[napi(ts_type = "string | string[]")]
    pub platform_certificate_pem: Option<napi::Either<String, Vec<String>>>,
    /// `"pkcs1v15"` (default) or `"oaep-sha1"`.
    #[napi(ts_type = "Padding")]
    pub padding: Option<String>,
}

fn build_receiver(
    o: RealNameReceiverOptions,
) -> Result<(decrypt::RealNameReceiver, Vec<String>), Error> {
    let key = Zeroizing::new(o.private_key_pem);
    let padding = padding_of(o.padding.as_deref())?;
    let provider = default_provider();
    let mut store = PlatformKeyStore::new();
    match (o.pub_key_id, o.platform_public_key_pem) {
        (Some(id), Some(pem)) => store.add_public_key_pem(provider.as_ref(), &id, &pem)?,
        (None, None) => {}
        _ => {
            return Err(Error::config(
                "`pubKeyId` and `platformPublicKeyPem` go together",
            ))
        }
    }
    let certs = match o.platform_certificate_pem {
        None => Vec::new(),
        Some(napi::Either::A(one)) => vec![one],
        Some(napi::Either::B(many)) => many,
    };
    for pem in certs {
        store.add_certificate_pem(provider.as_ref(), &pem)?;
    }
    let ids = key_ids(&store);
    if ids.is_empty() {
        return Err(Error::config(
            "a platform key is needed: `pubKeyId` with `platformPublicKeyPem`, or `platformCertificatePem`",
        ));
    }
    let decryptor = decrypt::Decryptor::from_pem(&key, padding)?;
    Ok((
        decrypt::RealNameReceiver::new(ResponseVerifier::new(store), decryptor),
        ids,
    ))
}

/// What `receive` was given, taken over to the background thread.
enum Forwarded {
    Answer(core_v3::SignedAnswer),
    Json(Vec<u8>),
}

fn forwarded_of(value: Unknown<'_>) -> Result<Forwarded, Error> {
    let refused = || {
        Error::invalid(
            "answer",
            "must be a `SignedAnswer` or its JSON form (a string or a Buffer)",
        )
    };
    match value.get_type().map_err(|_| refused())? {
        ValueType::String => String::from_unknown(value)
            .map(|s| Forwarded::Json(s.into_bytes()))
            .map_err(|_| refused()),
        ValueType::Object if value.is_buffer().unwrap_or(false) => Buffer::from_unknown(value)
            .map(|b| Forwarded::Json(b.to_vec()))
            .map_err(|_| refused()),
        ValueType::Object => ClassInstance::<SignedAnswer>::from_unknown(value)
            .map(|a| Forwarded::Answer(a.inner.clone()))
            .map_err(|_| refused()),
        _ => Err(refused()),
    }
}

/// The hospital's end of provider mode (服务商): takes the answer the
/// provider forwards (`MerchantClient.queryUserSigned` on the provider's
/// side), verifies it with WeChat Pay's platform key — signature, timestamp
/// window against this machine's clock — and only then decrypts it with the
/// hospital's own key. Opaque, never printed.
#[napi]
pub struct RealNameReceiver {
    inner: Arc<decrypt::RealNameReceiver>,
    key_ids: Vec<String>,
    padding: Padding,
}

#[napi]
impl RealNameReceiver {
    /// A receiver over the hospital's private key and the platform key(s).
    ///
    /// Throws `ConfigError` for an unusable key or no platform key,
    /// `InvalidInputError` for an unknown padding or a bad `pubKeyId`.
    #[napi(constructor)]
    pub fn new(env: Env, options: RealNameReceiverOptions) -> napi::Result<Self> {
        let padding = padding_of(options.padding.as_deref()).map_err(|e| js(&env, e))?;
        let (receiver, key_ids) = build_receiver(options).map_err(|e| js(&env, e))?;
        Ok(Self {
            inner: Arc::new(receiver),
            key_ids,
            padding,
        })
    }

    /// The configured padding: `"pkcs1v15"` or `"oaep-sha1"`.
    #[napi(getter, ts_return_type = "Padding")]
    pub fn padding(&self) -> String {
        self.padding.as_str().to_owned()
    }

    /// The ids of the trusted platform keys.
    #[napi(js_name = "platformKeyIds")]
    pub fn platform_key_ids(&self) -> Vec<String> {
        self.key_ids.clone()
    }

    /// Verify a forwarded answer (a `SignedAnswer`, or its JSON form as a
    /// string or Buffer) with the platform key, then decrypt its identity.
    /// Both happen off the JS thread, on this machine's clock.
    ///
    /// Rejects with `SignatureError` when the answer does not verify (nothing
    /// is decrypted then); `BackendError` for a forwarded error answer;
    /// `MalformedError` for a bad JSON form or an answer without real-name
    /// fields; `DecryptionError` — one code, one fixed message — for every
    /// way decryption can fail; `InvalidInputError` for another argument.
    #[napi(
        ts_args_type = "answer: SignedAnswer | string | Buffer",
        ts_return_type = "Promise<RealName>"
    )]
    pub fn receive<'env>(
        &self,
        env: &'env Env,
        answer: Unknown<'_>,
    ) -> napi::Result<PromiseRaw<'env, RealName>> {
        let forwarded = match forwarded_of(answer) {
            Ok(f) => f,
            Err(e) => return rejected(env, e),
        };
        let r = Arc::clone(&self.inner);
        runtime::blocking(
            env,
            move || match forwarded {
                Forwarded::Answer(a) => r.receive(&a),
                Forwarded::Json(j) => r.receive_json(&j),
            },
            |_, rn| Ok(RealName::new(rn)),
        )
    }

    /// A redacted description.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "RealNameReceiver(platformKeys=[{}], padding={}, key=[REDACTED])",
            self.key_ids.join(", "),
            self.padding.as_str()
        )
    }

    /// A redacted description.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> String {
        self.to_js_string()
    }
}
