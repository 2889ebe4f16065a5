//! The core's serde records ([`wxface_core::model`], [`wxface_core::error::ErrorInfo`],
//! the SDK requests, [`wxface_core::kiosk_api`]) as plain JS objects: the
//! same fields, in camelCase. Their TypeScript types are declared in
//! `index.d.ts`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use wxface_core::Error;

/// `record` as a JS value: its JSON form with every key in camelCase.
pub(crate) fn to_js<T: Serialize>(record: &T) -> Value {
    camel_keys(serde_json::to_value(record).unwrap_or_default())
}

/// A record from a JS object (`what` names it in errors): its own keys in
/// snake_case, `null` and `undefined` as absent. Only the object's own keys
/// are renamed: a field holding arbitrary JSON (`attach`) stays as given.
///
/// # Errors
/// [`Error::InvalidInput`] on `what` or on the failing field, through
/// [`wxface_core::redact::from_value`]: no value is quoted.
pub(crate) fn from_js<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, Error> {
    let value = match value {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (snake(&k), v))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    };
    wxface_core::redact::from_value(what, value)
}

fn camel_keys(value: Value) -> Value {
    match value {
        Value::Object(m) => m
            .into_iter()
            .map(|(k, v)| (camel(&k), camel_keys(v)))
            .collect(),
        Value::Array(a) => a.into_iter().map(camel_keys).collect(),
        v => v,
    }
}

/// `snake_case` → `camelCase`.
pub(crate) fn camel(k: &str) -> String {
    let mut parts = k.split('_');
    let first = parts.next().unwrap_or_default().to_owned();
    parts.fold(first, |mut out, p| {
        let mut c = p.chars();
        out.extend(c.next().map(|c| c.to_ascii_uppercase()));
        out.push_str(c.as_str());
        out
    })
}

/// `camelCase` → `snake_case` (ASCII capitals only).
fn snake(k: &str) -> String {
    let mut out = String::with_capacity(k.len() + 4);
    for c in k.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
