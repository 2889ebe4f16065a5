//! HTTP requests as data.
//!
//! The core builds requests and checks answers; sending them is the caller's
//! business (`wxface-client` uses reqwest, a binding may use its language's
//! HTTP stack). Header names are compared case-insensitively.

use crate::error::named_enum;

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
}

named_enum!(
    /// The method as sent on the wire: `GET` or `POST`.
    Method, "method", {
        Get => "GET",
        Post => "POST",
    }
);

/// Which WeChat Pay host a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `https://payapp.weixin.qq.com` (v2 `get_wxpayface_authinfo`).
    PayApp,
    /// `https://api.mch.weixin.qq.com` (APIv3).
    ApiMch,
}

named_enum!(Endpoint, "endpoint", {
    PayApp => "pay_app",
    ApiMch => "api_mch",
});

impl Endpoint {
    /// Production base URL of the host.
    pub fn production_base(self) -> &'static str {
        match self {
            Self::PayApp => "https://payapp.weixin.qq.com",
            Self::ApiMch => "https://api.mch.weixin.qq.com",
        }
    }

    /// WeChat Pay's backup domain of the host, for failover when the
    /// primary cannot be reached: APIv3 has `api2.mch.weixin.qq.com`; the
    /// v2 authinfo host has none.
    pub fn production_backup_base(self) -> Option<&'static str> {
        match self {
            Self::PayApp => None,
            Self::ApiMch => Some("https://api2.mch.weixin.qq.com"),
        }
    }
}

/// A request ready to send: the caller joins `path_and_query` to the base URL
/// of `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The host it is meant for.
    pub endpoint: Endpoint,
    /// Method.
    pub method: Method,
    /// Path with its query string, already percent-encoded (e.g. `/v3/facemch/users/abc?info_type=ASK_REAL_NAME&appid=wx1`).
    pub path_and_query: String,
    /// Headers to send, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (empty for GET).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// First header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Read access to response headers, whatever HTTP library produced them.
///
/// Signature checks refuse a `Wechatpay-*` header that appears more than
/// once, so a source that can hold a name several times (a header list, an
/// HTTP library's header map) must report every occurrence through
/// [`Headers::header_count`]; the default suits sources that keep one value
/// per name.
pub trait Headers {
    /// The value of header `name` (case-insensitive), if present and UTF-8.
    fn header(&self, name: &str) -> Option<&str>;

    /// How many times header `name` (case-insensitive) occurs, values that
    /// are not UTF-8 included.
    fn header_count(&self, name: &str) -> usize {
        usize::from(self.header(name).is_some())
    }
}

impl Headers for [(String, String)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn header_count(&self, name: &str) -> usize {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    }
}

impl Headers for Vec<(String, String)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }

    fn header_count(&self, name: &str) -> usize {
        self.as_slice().header_count(name)
    }
}

impl Headers for [(&str, &str)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    fn header_count(&self, name: &str) -> usize {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    }
}
