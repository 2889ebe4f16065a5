//! HTTP requests as plain JS objects.

use std::collections::HashMap;

use napi_derive::napi;
use wxface_core::http::{self as core_http, Endpoint};
use wxface_core::Error;

/// A request ready to send (with `fetch` or any HTTP client).
#[napi(object)]
pub struct HttpRequest {
    /// `"GET"` or `"POST"`.
    pub method: String,
    /// The production URL (`https://…` + `pathAndQuery`); against a sandbox,
    /// join `pathAndQuery` to its base URL instead.
    pub url: String,
    /// `"payapp"` (`payapp.weixin.qq.com`) or `"api_mch"` (`api.mch.weixin.qq.com`).
    pub endpoint: String,
    /// Path with its query string, already percent-encoded.
    pub path_and_query: String,
    /// Headers to send.
    pub headers: HashMap<String, String>,
    /// Body (UTF-8; empty for GET).
    pub body: String,
}

impl From<core_http::HttpRequest> for HttpRequest {
    fn from(r: core_http::HttpRequest) -> Self {
        Self {
            method: r.method.as_str().to_owned(),
            url: format!("{}{}", r.endpoint.production_base(), r.path_and_query),
            endpoint: match r.endpoint {
                Endpoint::PayApp => "payapp",
                Endpoint::ApiMch => "api_mch",
            }
            .to_owned(),
            path_and_query: r.path_and_query,
            headers: r.headers.into_iter().collect(),
            body: String::from_utf8_lossy(&r.body).into_owned(),
        }
    }
}

impl TryFrom<HttpRequest> for core_http::HttpRequest {
    type Error = Error;
    fn try_from(r: HttpRequest) -> Result<Self, Error> {
        Ok(core_http::HttpRequest {
            endpoint: match r.endpoint.as_str() {
                "payapp" => Endpoint::PayApp,
                "api_mch" | "" => Endpoint::ApiMch,
                _ => return Err(Error::invalid("endpoint", "must be `payapp` or `api_mch`")),
            },
            method: r.method.parse()?,
            path_and_query: r.path_and_query,
            headers: r.headers.into_iter().collect(),
            body: r.body.into_bytes(),
        })
    }
}
