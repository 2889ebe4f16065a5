//! How the merchant client reaches WeChat Pay: directly, through a forward
//! proxy, or through what the environment or the operating system says.
//!
//! Hospital servers usually reach the internet through a proxy. The choice
//! is explicit ([`ProxySetting`]); the default keeps the conventional
//! environment variables working, as every HTTP client does.

use std::fmt;

use reqwest::Url;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Where the merchant client's requests go.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// The conventional variables: `HTTPS_PROXY` / `https_proxy` for
    /// `https://` hosts, `HTTP_PROXY` / `http_proxy` for `http://`,
    /// `ALL_PROXY` / `all_proxy` for both, and `NO_PROXY` / `no_proxy` (the
    /// default).
    #[default]
    Environment,
    /// The operating system's proxy settings: on Windows the Internet
    /// Options (WinINet) settings, on macOS the network preferences; the
    /// variables above win when they are set, and are all there is
    /// elsewhere.
    System,
    /// No proxy at all, whatever the environment says.
    Direct,
    /// Every request through this proxy (`http://`, `https://`, `socks5://`
    /// resolving names locally, `socks5h://` resolving them at the proxy),
    /// with `user:password@` when it wants credentials; `no_proxy` lists the
    /// hosts reached directly (the `NO_PROXY` syntax: `host`, `.domain`,
    /// `*`, IP addresses and CIDR blocks, comma-separated).
    Url {
        /// The proxy's URL (it may carry a password: never printed).
        url: Zeroizing<String>,
        /// Hosts reached directly.
        no_proxy: Option<String>,
    },
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Environment => f.write_str("Environment"),
            Self::System => f.write_str("System"),
            Self::Direct => f.write_str("Direct"),
            Self::Url { url, no_proxy } => f
                .debug_struct("Url")
                .field("url", &redacted_url(url))
                .field("no_proxy", no_proxy)
                .finish(),
        }
    }
}

/// A proxy URL with its password replaced, for messages.
pub(crate) fn redacted_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

impl ProxySetting {
    /// For people: `env`, `system`, `none`, or the URL with `***` for its
    /// password (and the hosts that bypass it).
    pub fn describe(&self) -> String {
        match self {
            Self::Environment => "env (HTTPS_PROXY, ALL_PROXY, NO_PROXY)".into(),
            Self::System => "system".into(),
            Self::Direct => "none".into(),
            Self::Url { url, no_proxy } => match no_proxy {
                Some(n) => format!("{} (not for {n})", redacted_url(url)),
                None => redacted_url(url),
            },
        }
    }

    /// The setting named by text: `env`, `system`, `none`, or a proxy URL
    /// (with `no_proxy`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on `proxy` for a URL of another scheme or
    /// without a host; the message never quotes it.
    pub fn parse(text: &str, no_proxy: Option<&str>) -> Result<Self> {
        let text = text.trim();
        match text {
            "" | "env" => return Ok(Self::Environment),
            "system" => return Ok(Self::System),
            "none" | "direct" => return Ok(Self::Direct),
            _ => {}
        }
        let url = Url::parse(text).map_err(|_| {
            Error::invalid(
                "proxy",
                "must be `env`, `system`, `none` or a proxy URL (http://, https://, socks5://, socks5h://)",
            )
        })?;
        if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
            return Err(Error::invalid(
                "proxy",
                "a proxy URL is http://, https://, socks5:// or socks5h://",
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::invalid("proxy", "a proxy URL needs a host"));
        }
        Ok(Self::Url {
            url: Zeroizing::new(text.to_owned()),
            no_proxy: no_proxy.map(str::to_owned).filter(|s| !s.trim().is_empty()),
        })
    }

    /// Apply to a reqwest client builder.
    pub(crate) fn apply(&self, b: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
        Ok(match self {
            // reqwest reads the variables itself; with its system-proxy
            // feature it would also read the OS settings, so the variables
            // are applied by hand instead.
            Self::Environment => match environment_proxies()? {
                Some(proxies) => proxies.into_iter().fold(b.no_proxy(), |b, p| b.proxy(p)),
                None => b.no_proxy(),
            },
            // reqwest's own default: the variables, then the OS settings.
            Self::System => b,
            Self::Direct => b.no_proxy(),
            Self::Url { url, no_proxy } => {
                let proxy = reqwest::Proxy::all(url.as_str())
                    .map_err(|_| Error::invalid("proxy", "is not a usable proxy URL"))?
                    .no_proxy(no_proxy.as_deref().and_then(reqwest::NoProxy::from_string));
                b.no_proxy().proxy(proxy)
            }
        })
    }
}

/// The proxies the conventional variables name, if any.
fn environment_proxies() -> Result<Option<Vec<reqwest::Proxy>>> {
    let var = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let no_proxy = reqwest::NoProxy::from_env();
    let bad = |var: &str| {
        Error::config(format!(
            "the environment variable {var} is not a usable proxy URL"
        ))
    };
    let mut proxies = Vec::new();
    if let Some(u) = var(["HTTPS_PROXY", "https_proxy"]) {
        proxies.push(
            reqwest::Proxy::https(u.as_str())
                .map_err(|_| bad("HTTPS_PROXY"))?
                .no_proxy(no_proxy.clone()),
        );
    }
    if let Some(u) = var(["HTTP_PROXY", "http_proxy"]) {
        proxies.push(
            reqwest::Proxy::http(u.as_str())
                .map_err(|_| bad("HTTP_PROXY"))?
                .no_proxy(no_proxy.clone()),
        );
    }
    if let Some(u) = var(["ALL_PROXY", "all_proxy"]) {
        proxies.push(
            reqwest::Proxy::all(u.as_str())
                .map_err(|_| bad("ALL_PROXY"))?
                .no_proxy(no_proxy),
        );
    }
    Ok((!proxies.is_empty()).then_some(proxies))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn settings_by_name_and_url() {
        assert_eq!(
            ProxySetting::parse("env", None).unwrap(),
            ProxySetting::Environment
        );
        assert_eq!(
            ProxySetting::parse("system", None).unwrap(),
            ProxySetting::System
        );
        assert_eq!(
            ProxySetting::parse("none", None).unwrap(),
            ProxySetting::Direct
        );
        let p = ProxySetting::parse(
            "http://his:s3cret@10.0.0.8:3128",
            Some("localhost,.his.local"),
        )
        .unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("10.0.0.8:3128") && shown.contains(".his.local"),
            "{shown}"
        );
        for ok in [
            "https://proxy:443",
            "socks5://127.0.0.1:1080",
            "socks5h://u:p@proxy:1080",
        ] {
            assert!(ProxySetting::parse(ok, None).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://proxy:21",
            "proxy:3128",
            "http://",
            "http://u:s3cret@",
        ] {
            let e = ProxySetting::parse(bad, None).expect_err(bad);
            assert_eq!(e.code(), "invalid_input");
            assert!(!e.to_string().contains("s3cret"));
        }
    }
}
