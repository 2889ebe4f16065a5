//! v2 `get_wxpayface_authinfo` helpers for callers with their own HTTP stack.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use wxface_core::time::{nonce, OsEntropy};
use wxface_core::v2::{self, ApiKey, AuthinfoRequest, Fields, SignType};

use crate::errors::IntoPyResult;
use crate::util::{bytes_arg, now_or};

fn sign_type_arg(py: Python<'_>, s: &str) -> PyResult<SignType> {
    s.parse().py_err(py)
}

fn api_key(py: Python<'_>, key: &str) -> PyResult<ApiKey> {
    ApiKey::new(key).py_err(py)
}

/// The v2 signature (uppercase hex) of `fields` with the API key `key`.
///
/// Every non-empty field except `sign` is signed, sorted by name; values are
/// signed raw. `sign_type` is `"MD5"` (default) or `"HMAC-SHA256"`.
///
/// # Errors
/// `InvalidInputError` for an unknown sign type, `ConfigError` for an unusable key.
#[pyfunction]
#[pyo3(signature = (fields, key, sign_type = "MD5"))]
pub fn sign_v2(
    py: Python<'_>,
    fields: BTreeMap<String, String>,
    key: &str,
    sign_type: &str,
) -> PyResult<String> {
    let st = sign_type_arg(py, sign_type)?;
    let key = api_key(py, key)?;
    Ok(Fields(fields).sign(&key, st))
}

/// Build a signed `get_wxpayface_authinfo` request.
///
/// Returns `(url_path, body)`: POST `body` (XML bytes, `Content-Type:
/// text/xml`) to `https://payapp.weixin.qq.com` + `url_path`. `now` (Unix
/// seconds) and `nonce_str` default to the clock and a fresh random nonce.
///
/// # Errors
/// `InvalidInputError` naming the field that breaks a rule (length, control
/// characters, characters outside the Basic Multilingual Plane, `attach` not
/// JSON); `ConfigError` for an unusable key.
#[pyfunction]
#[pyo3(signature = (*, rawdata, store_id, store_name, device_id, appid, mch_id, key, attach = None, sub_appid = None, sub_mch_id = None, sign_type = "MD5", now = None, nonce_str = None))]
#[allow(clippy::too_many_arguments)]
pub fn build_authinfo_request<'py>(
    py: Python<'py>,
    rawdata: String,
    store_id: String,
    store_name: String,
    device_id: String,
    appid: String,
    mch_id: String,
    key: &str,
    attach: Option<String>,
    sub_appid: Option<String>,
    sub_mch_id: Option<String>,
    sign_type: &str,
    now: Option<u64>,
    nonce_str: Option<String>,
) -> PyResult<(&'static str, Bound<'py, PyBytes>)> {
    let req = AuthinfoRequest {
        store_id,
        store_name,
        device_id,
        attach,
        rawdata,
        appid,
        mch_id,
        sub_appid,
        sub_mch_id,
        sign_type: sign_type_arg(py, sign_type)?,
    };
    let key = api_key(py, key)?;
    let nonce_str = nonce_str.unwrap_or_else(|| nonce(&OsEntropy, 32));
    let http = req.build(&key, now_or(now), &nonce_str).py_err(py)?;
    Ok((v2::AUTHINFO_PATH, PyBytes::new(py, &http.body)))
}

/// A verified `get_wxpayface_authinfo` answer (the core's
/// `v2::AuthinfoResponse`); `MerchantClient.get_authinfo`'s carries no
/// echoed ids.
#[pyclass(frozen, module = "wxface", name = "AuthinfoResponse")]
pub struct PyAuthinfoResponse {
    inner: v2::AuthinfoResponse,
    /// Whether `MerchantClient` answered from its cache (or shared a
    /// concurrent caller's request) instead of calling WeChat Pay.
    #[pyo3(get)]
    from_cache: bool,
}

impl From<v2::AuthinfoResponse> for PyAuthinfoResponse {
    fn from(inner: v2::AuthinfoResponse) -> Self {
        Self {
            inner,
            from_cache: false,
        }
    }
}

impl From<wxface_client::AuthinfoResponse> for PyAuthinfoResponse {
    fn from(r: wxface_client::AuthinfoResponse) -> Self {
        let inner = v2::AuthinfoResponse {
            authinfo: r.authinfo,
            expires_in: r.expires_in,
            expires_at: r.expires_at,
            appid: None,
            mch_id: None,
            sub_appid: None,
            sub_mch_id: None,
        };
        Self {
            inner,
            from_cache: r.from_cache,
        }
    }
}

/// The `#[pymethods]` of [`PyAuthinfoResponse`], with a getter for each of
/// the answer's echoed ids (`$echo`, an `Option<String>` of the core's
/// answer).
macro_rules! authinfo_response_methods {
    ($($echo:ident),*) => {
        #[pymethods]
        impl PyAuthinfoResponse {
            /// The credential for the face SDK's `getWxpayfaceCode` / `getWxpayAuth`.
            #[getter]
            fn authinfo(&self) -> &str {
                &self.inner.authinfo
            }

            /// Lifetime in seconds, as WeChat Pay sent it.
            #[getter]
            fn expires_in(&self) -> u64 {
                self.inner.expires_in
            }

            /// Absolute expiry: `now` + `expires_in` (Unix seconds).
            #[getter]
            fn expires_at(&self) -> u64 {
                self.inner.expires_at.as_secs()
            }

            $(
                /// Echoed by WeChat Pay, if it was.
                #[getter]
                fn $echo(&self) -> Option<&str> {
                    self.inner.$echo.as_deref()
                }
            )*

            /// A JSON-ready dict: `{"authinfo", "expires_in", "expires_at",
            /// "from_cache"}` and the echoed ids that WeChat Pay sent.
            /// `authinfo` is a credential: redacted (`"[redacted, N
            /// chars]"`) unless `expose=True`, which is what the answer to
            /// a kiosk needs (`to_dict(expose=True)`, or `kiosk_answer()`).
            #[pyo3(signature = (*, expose = false))]
            fn to_dict<'py>(
                &self,
                py: Python<'py>,
                expose: bool,
            ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
                let d = pyo3::types::PyDict::new(py);
                if expose {
                    d.set_item("authinfo", &self.inner.authinfo)?;
                } else {
                    d.set_item(
                        "authinfo",
                        wxface_core::redact::redacted_text(&self.inner.authinfo),
                    )?;
                }
                d.set_item("expires_in", self.inner.expires_in)?;
                d.set_item("expires_at", self.inner.expires_at.as_secs())?;
                d.set_item("from_cache", self.from_cache)?;
                $(
                    if let Some(v) = self.inner.$echo.as_deref() {
                        d.set_item(stringify!($echo), v)?;
                    }
                )*
                Ok(d)
            }

            /// The answer of `POST /kiosk/authinfo` (docs/merchant-api.md),
            /// with the authinfo: `{"authinfo", "expires_in", "expires_at"}`.
            fn kiosk_answer<'py>(
                &self,
                py: Python<'py>,
            ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
                let d = pyo3::types::PyDict::new(py);
                d.set_item("authinfo", &self.inner.authinfo)?;
                d.set_item("expires_in", self.inner.expires_in)?;
                d.set_item("expires_at", self.inner.expires_at.as_secs())?;
                Ok(d)
            }

            fn __repr__(&self) -> String {
                format!(
                    "AuthinfoResponse(authinfo=<{} chars>, expires_in={}, expires_at={}, from_cache={})",
                    self.inner.authinfo.chars().count(),
                    self.inner.expires_in,
                    self.inner.expires_at.as_secs(),
                    if self.from_cache { "True" } else { "False" }
                )
            }
        }
    };
}

authinfo_response_methods!(appid, mch_id, sub_appid, sub_mch_id);

/// Parse and verify an answer of `get_wxpayface_authinfo`.
///
/// `sign_type` must be the one the request was signed with (the answer does
/// not echo it). `now` (Unix seconds, default: the clock) sets `expires_at`.
///
/// # Errors
/// `MalformedError` (bad XML, DTDs, missing fields), `SignatureError` (the
/// answer's `sign` is missing or wrong), `BackendError` (WeChat answered
/// `return_code=FAIL`; `.wechat_code`, `.message`).
#[pyfunction]
#[pyo3(signature = (body, key, sign_type = "MD5", now = None))]
pub fn parse_authinfo_response(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    key: &str,
    sign_type: &str,
    now: Option<u64>,
) -> PyResult<PyAuthinfoResponse> {
    let body = bytes_arg(py, "body", body)?;
    let st = sign_type_arg(py, sign_type)?;
    let key = api_key(py, key)?;
    v2::parse_authinfo_response(&body, &key, st, now_or(now))
        .map(PyAuthinfoResponse::from)
        .py_err(py)
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAuthinfoResponse>()?;
    m.add_function(wrap_pyfunction!(sign_v2, m)?)?;
    m.add_function(wrap_pyfunction!(build_authinfo_request, m)?)?;
    m.add_function(wrap_pyfunction!(parse_authinfo_response, m)?)?;
    Ok(())
}
