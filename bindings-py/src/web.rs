//! The kiosk API of docs/merchant-api.md for a HIS's own web layer
//! (`wxface.web`): the core's checks of a request body, of an answer, and
//! the error → HTTP status mapping (`wxface_core::kiosk_api`), so that a
//! Flask blueprint or an ASGI app in Python only moves bytes.

use pyo3::prelude::*;
use wxface_core::kiosk_api::{self, Answer, Request};
use wxface_core::Error;

use crate::errors::IntoPyResult;
use crate::util::{bytes_arg, invalid, json_dumps, json_loads};

/// Decode and check a request body for `T::PATH`; the request as JSON text.
fn request_json<T: Request>(body: &[u8]) -> Result<String, Error> {
    let request: T = kiosk_api::decode_request(body)?;
    serde_json::to_string(&request).map_err(|e| Error::Internal(e.to_string()))
}

/// Check an answer (as JSON text) for `T::PATH`; its body.
fn answer_body<T: Answer>(json: &str) -> Result<Vec<u8>, Error> {
    let path = T::PATH;
    let refused = |e: Error| {
        // The server's own answer breaks the API: its bug, not the kiosk's.
        Error::Internal(format!(
            "the answer to POST {path} breaks the kiosk API: {e}"
        ))
    };
    let answer: T =
        wxface_core::redact::from_slice("kiosk answer", json.as_bytes()).map_err(refused)?;
    answer.check().map_err(refused)?;
    Ok(kiosk_api::encode_answer(&answer))
}

/// The request of `path` (`/kiosk/authinfo`, `/kiosk/verified`,
/// `/kiosk/real-name`) in `body` (bytes or str), decoded and checked as the
/// reference server does: a dict of the request's fields.
///
/// # Errors
/// `InvalidInputError` naming the field and the rule (never a value): a
/// body over 16 KiB, not the JSON object of the path, a missing field, an
/// empty `face_sid`, a `device_id` of more than 32 characters; on `path`
/// for a path that is not the API's.
#[pyfunction]
pub fn kiosk_request<'py>(
    py: Python<'py>,
    path: &str,
    body: &Bound<'_, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let body = bytes_arg(py, "body", body)?;
    let json = match path {
        kiosk_api::AUTHINFO_PATH => request_json::<kiosk_api::AuthinfoRequest>(&body),
        kiosk_api::VERIFIED_PATH => request_json::<kiosk_api::VerifiedRequest>(&body),
        kiosk_api::REAL_NAME_PATH => request_json::<kiosk_api::RealNameRequest>(&body),
        _ => return Err(invalid(py, "path", "is not a path of the kiosk API")),
    }
    .py_err(py)?;
    json_loads(py, &json)
}

/// The 200 body (bytes) of `answer` (a dict) to `path`, checked as a kiosk
/// checks it: an authinfo of 1 to 4096 characters with an expiry, a boolean
/// `already_verified`, a masked identity.
///
/// # Errors
/// `InternalError` naming the rule the answer breaks (never a value: a
/// full name or number is refused, not quoted); `InvalidInputError` on
/// `path` for a path that is not the API's.
#[pyfunction]
pub fn kiosk_answer(py: Python<'_>, path: &str, answer: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let json = json_dumps(py, answer)?;
    match path {
        kiosk_api::AUTHINFO_PATH => answer_body::<kiosk_api::AuthinfoAnswer>(&json),
        kiosk_api::VERIFIED_PATH => answer_body::<kiosk_api::VerifiedAnswer>(&json),
        kiosk_api::REAL_NAME_PATH => answer_body::<kiosk_api::RealNameAnswer>(&json),
        _ => return Err(invalid(py, "path", "is not a path of the kiosk API")),
    }
    .py_err(py)
}

/// The HTTP status and body (bytes, the error record) that answer
/// `error`, as docs/merchant-api.md maps them (`kiosk_api::error_status`).
/// A wxface error is answered with its own record; any other exception is
/// an `internal` error that names its type only.
#[pyfunction]
pub fn kiosk_error(py: Python<'_>, error: &Bound<'_, PyAny>) -> (u16, Vec<u8>) {
    let err = crate::errors::from_py(py, &PyErr::from_value(error.clone()), "the kiosk API");
    kiosk_api::error_answer(&err)
}

/// The paths of the kiosk API.
#[pyfunction]
pub fn kiosk_paths() -> Vec<&'static str> {
    kiosk_api::PATHS.to_vec()
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kiosk_request, m)?)?;
    m.add_function(wrap_pyfunction!(kiosk_answer, m)?)?;
    m.add_function(wrap_pyfunction!(kiosk_error, m)?)?;
    m.add_function(wrap_pyfunction!(kiosk_paths, m)?)?;
    m.add("KIOSK_MAX_REQUEST_BYTES", kiosk_api::MAX_REQUEST_BYTES)?;
    Ok(())
}
