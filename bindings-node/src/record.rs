//! The core's serde records ([`wxface_core::model`], [`wxface_core::error::ErrorInfo`])
//! as plain JS objects: the same fields, in camelCase.

use serde::Serialize;
use serde_json::Value;

/// `record` as a JS value: its JSON form with every key in camelCase.
pub(crate) fn to_js<T: Serialize>(record: &T) -> Value {
    camel_keys(serde_json::to_value(record).unwrap_or_default())
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
