//! `wxface doctor`: checks a merchant configuration end to end against
//! WeChat Pay, the sandbox or any base URL, and says what to fix.
//!
//! The configuration is the one `wxface merchant serve` would use: the
//! `WXFACE_*` variables (docs/configuration.md), with `--keys-dir`,
//! `--base-url`, `--proxy` and `--no-proxy` as flags. Checks, in order
//! (each after the one it needs):
//!
//! 1. the configuration builds: every key loads, ids and serials are
//!    well-formed, and the merchant's own certificate or key is not
//!    configured as WeChat Pay's platform key;
//! 2. both hosts answer, through the configured proxy;
//! 3. the clocks agree (the `Date` of the APIv3 host's answer): more than
//!    300 s apart, answers are refused as stale; more than 60 s is a warning;
//! 4. APIv3 signatures, both ways: WeChat Pay accepts the merchant's key and
//!    serial (a signed `GET /v3/certificates`), and its answer verifies with
//!    the configured platform keys;
//! 5. the v2 API key: WeChat Pay accepts the v2 signature of a
//!    `get_wxpayface_authinfo` with a made-up `rawdata`, and its answer
//!    verifies with the key.
//!
//! Every failure is its own message, with what to fix. Exit status 0 when
//! nothing failed (warnings included), 1 otherwise. Nothing secret is
//! printed: ids, serials, URLs without passwords.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use wxface_client::core::http::Endpoint;
use wxface_client::core::SignatureFailure;
use wxface_client::{ClientSettings, MerchantClient, ProxySetting, V2KeyCheck};

use crate::error::CliError;
use crate::helpers::out;
use crate::serve::runtime;

/// `wxface doctor`.
#[derive(Debug, Args)]
#[command(after_help = "\
The configuration comes from the WXFACE_* variables (docs/configuration.md), as for \
`wxface merchant serve`; the flags below win over them. Against the sandbox:

  wxface sandbox serve --keys-dir ./sandbox-keys     # prints its URL
  wxface doctor --keys-dir ./sandbox-keys --base-url http://127.0.0.1:PORT

Exit status 0 when every check passed (warnings allowed), 1 when one failed.")]
pub struct DoctorArgs {
    /// A key set written by `wxface sandbox serve` [env: WXFACE_KEYS_DIR].
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,

    /// Base URL of both WeChat Pay hosts [default: the production hosts]
    /// [env: WXFACE_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// `env`, `system`, `none` or a proxy URL [env: WXFACE_PROXY].
    #[arg(long, value_name = "PROXY")]
    pub proxy: Option<String>,

    /// Hosts reached without the proxy [env: WXFACE_NO_PROXY].
    #[arg(long, value_name = "HOSTS")]
    pub no_proxy: Option<String>,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Passed.
    Pass(String),
    /// Passed with a warning.
    Warn(String),
    /// Failed: what happened, and what to fix.
    Fail(String, String),
    /// Not run: what it needed.
    Skip(String),
}

/// The clock check's verdict for a skew (server minus local), seconds.
pub fn clock_verdict(skew: i64) -> Verdict {
    let (n, way) = if skew >= 0 {
        (skew, "behind")
    } else {
        (-skew, "ahead of")
    };
    let said = format!("this server's clock is {n} s {way} WeChat Pay's");
    if n > 300 {
        Verdict::Fail(
            format!("{said}: WeChat Pay's answers would be refused as stale (window 300 s)"),
            "synchronise this server's clock (NTP, or w32time on Windows)".into(),
        )
    } else if n > 60 {
        Verdict::Warn(format!("{said} (at most 300 s are tolerated)"))
    } else {
        Verdict::Pass(format!("within {n} s of WeChat Pay's"))
    }
}

fn proxy_text(s: &ClientSettings) -> String {
    ProxySetting::parse(
        s.proxy.as_deref().map_or("env", |p| p.as_str()),
        s.no_proxy.as_deref(),
    )
    .map_or_else(|_| "(not usable)".into(), |p| p.describe())
}

/// The report's line for an unreachable host.
fn unreachable(url: &str, e: &wxface_client::Error, through_proxy: bool) -> Verdict {
    let fix = if through_proxy {
        "check `proxy` (WXFACE_PROXY): the proxy's address, port, user and password, and that it \
         lets this server reach WeChat Pay"
    } else {
        "check this server's network, DNS and firewall; if it reaches the internet through a \
         proxy, set `proxy` (WXFACE_PROXY)"
    };
    let how = if through_proxy {
        " through the proxy"
    } else {
        ""
    };
    Verdict::Fail(format!("cannot reach {url}{how}: {e}"), fix.into())
}

/// The report's line for the APIv3 signature check.
fn apiv3_verdict(r: Result<String, wxface_client::Error>, mch_id: &str) -> Verdict {
    match r {
        Ok(serial) => Verdict::Pass(format!(
            "WeChat Pay accepted the merchant's signature; its answer, signed by {serial}, verified"
        )),
        Err(ref e @ wxface_client::Error::Backend { ref message, .. })
            if message.contains("Wechatpay-Serial") =>
        {
            Verdict::Fail(
                format!(
                    "WeChat Pay does not know the platform key this configuration names in \
                     `Wechatpay-Serial`: {e}"
                ),
                "configure WeChat Pay's platform public key with its own id \
                 (platform_public_key_id PUB_KEY_ID_… and its PEM, from the merchant platform)"
                    .into(),
            )
        }
        Err(ref e @ wxface_client::Error::Backend { ref code, status, .. })
            if code != "SIGN_ERROR" && status != Some(401) =>
        {
            Verdict::Fail(
                format!("WeChat Pay refused the signed request: {e}"),
                "see WeChat Pay's message and its Request-ID".into(),
            )
        }
        Err(e @ wxface_client::Error::Backend { .. }) => Verdict::Fail(
            format!("WeChat Pay refused the merchant's signature: {e}"),
            format!(
                "the merchant private key (merchant_key_file) and merchant_serial_no must be the \
                 key and the serial of merchant {mch_id}'s API certificate (a key of another \
                 merchant, or the serial of an older certificate?)"
            ),
        ),
        Err(
            e @ wxface_client::Error::Signature {
                failure: SignatureFailure::UnknownSerial,
                ..
            },
        ) => Verdict::Fail(
            format!("WeChat Pay's answer is signed by a platform key this configuration does not have: {e}"),
            "configure WeChat Pay's platform public key (platform_public_key_id PUB_KEY_ID_… and \
             its PEM, from the merchant platform) or its platform certificates"
                .into(),
        ),
        Err(e @ wxface_client::Error::Signature { .. }) => Verdict::Fail(
            format!("WeChat Pay's answer does not verify with the configured platform key: {e}"),
            "the key configured under that id is not WeChat Pay's: download the platform public \
             key (or certificate) again from the merchant platform"
                .into(),
        ),
        Err(e) => Verdict::Fail(
            format!("the signed request failed: {e}"),
            "see the message; run again once the hosts are reachable".into(),
        ),
    }
}

/// Run the checks; the report's lines, in order.
///
/// # Errors
/// A runtime that cannot start.
pub fn checks(settings: &ClientSettings) -> Result<Vec<(&'static str, Verdict)>, CliError> {
    let mut report = Vec::new();
    let config = match settings.build() {
        Ok((config, _)) => config,
        Err(e) => {
            report.push((
                "configuration",
                Verdict::Fail(
                    e.to_string(),
                    "correct the option it names (docs/configuration.md)".into(),
                ),
            ));
            for name in [
                "APIv3 host",
                "v2 host",
                "clock",
                "APIv3 signatures",
                "v2 API key",
            ] {
                report.push((name, Verdict::Skip("a configuration that builds".into())));
            }
            return Ok(report);
        }
    };
    let through_proxy = matches!(config.proxy(), ProxySetting::Url { .. });
    let mch_id = config.mch_id().to_owned();
    let rt = runtime()?;
    let client = {
        let _guard = rt.enter();
        match MerchantClient::new(config) {
            Ok(c) => c,
            Err(e) => {
                report.push((
                    "configuration",
                    Verdict::Fail(e.to_string(), "see the message".into()),
                ));
                return Ok(report);
            }
        }
    };
    report.push((
        "configuration",
        Verdict::Pass(format!(
            "merchant {mch_id}; platform keys {}",
            client.platform_key_ids().join(", ")
        )),
    ));
    rt.block_on(async {
        let apimch = client.probe(Endpoint::ApiMch).await;
        let payapp = client.probe(Endpoint::PayApp).await;
        let reached = apimch.is_ok();
        let line = |p: &Result<wxface_client::HostProbe, wxface_client::Error>, url: &str| match p {
            Ok(p) => Verdict::Pass(format!(
                "{} answered HTTP {} in {} ms",
                p.url,
                p.status,
                p.latency.as_millis()
            )),
            Err(e) => unreachable(url, e, through_proxy),
        };
        let cfg_base = |e: Endpoint| match e {
            Endpoint::ApiMch => settings
                .apimch_base_url
                .clone()
                .or_else(|| settings.base_url.clone())
                .unwrap_or_else(|| e.production_base().to_owned()),
            Endpoint::PayApp => settings
                .payapp_base_url
                .clone()
                .or_else(|| settings.base_url.clone())
                .unwrap_or_else(|| e.production_base().to_owned()),
        };
        report.push(("APIv3 host", line(&apimch, &cfg_base(Endpoint::ApiMch))));
        report.push(("v2 host", line(&payapp, &cfg_base(Endpoint::PayApp))));
        let now = client.config().clock().now();
        report.push((
            "clock",
            match &apimch {
                Ok(p) => match p.clock_skew_secs(now) {
                    Some(skew) => clock_verdict(skew),
                    None => Verdict::Warn("the APIv3 host's answer had no `Date`".into()),
                },
                Err(_) => Verdict::Skip("the APIv3 host".into()),
            },
        ));
        if reached {
            report.push((
                "APIv3 signatures",
                apiv3_verdict(client.check_apiv3_signatures().await, &mch_id),
            ));
        } else {
            report.push(("APIv3 signatures", Verdict::Skip("the APIv3 host".into())));
        }
        report.push((
            "v2 API key",
            match (&payapp, client.check_v2_key().await) {
                (Err(_), _) => Verdict::Skip("the v2 host".into()),
                (_, Ok(V2KeyCheck::Accepted)) => {
                    Verdict::Pass("WeChat Pay accepted the v2 signature".into())
                }
                (_, Ok(V2KeyCheck::Refused(why))) => Verdict::Fail(
                    format!("the v2 API key is not merchant {mch_id}'s: {why}"),
                    "set the v2 API key (v2_key_file, WXFACE_V2_KEY_FILE) to the one in the \
                     merchant platform (API安全 → API密钥)"
                        .into(),
                ),
                (_, Err(e)) => Verdict::Fail(
                    format!("the v2 request failed: {e}"),
                    "see the message".into(),
                ),
            },
        ));
    });
    drop(client);
    drop(rt);
    Ok(report)
}

/// Run `wxface doctor`.
///
/// # Errors
/// [`CliError::Check`] when a check failed (after the report), a usage or
/// input error for the flags and variables.
pub fn run(args: &DoctorArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let mut s = ClientSettings::default();
    s.keys_dir.clone_from(&args.keys_dir);
    s.base_url.clone_from(&args.base_url);
    s.proxy = args.proxy.clone().map(zeroize::Zeroizing::new);
    s.no_proxy.clone_from(&args.no_proxy);
    s.merge_lookup(&[], |v| std::env::var(v).ok())?;
    out(
        stdout,
        &format!(
            "wxface doctor · {} · proxy {}",
            s.base_url
                .as_deref()
                .or(s.apimch_base_url.as_deref())
                .unwrap_or("the WeChat Pay production hosts"),
            proxy_text(&s)
        ),
    )?;
    let report = checks(&s)?;
    let mut failed = 0;
    for (name, verdict) in &report {
        let line = match verdict {
            Verdict::Pass(m) => format!("  ✓ {name:<17} {m}"),
            Verdict::Warn(m) => format!("  ! {name:<17} {m}"),
            Verdict::Fail(m, fix) => {
                failed += 1;
                format!("  ✗ {name:<17} {m}\n    {:<17} fix: {fix}", "")
            }
            Verdict::Skip(needs) => format!("  - {name:<17} not checked (needs {needs})"),
        };
        out(stdout, &line)?;
    }
    if failed > 0 {
        out(stdout, &format!("result: {failed} check(s) failed"))?;
        return Err(CliError::Check(format!("{failed} check(s) failed")));
    }
    out(stdout, "result: every check passed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_verdicts() {
        assert!(matches!(clock_verdict(0), Verdict::Pass(_)));
        assert!(matches!(clock_verdict(-60), Verdict::Pass(_)));
        assert!(matches!(clock_verdict(90), Verdict::Warn(_)));
        match clock_verdict(-3600) {
            Verdict::Fail(m, fix) => {
                assert!(m.contains("3600 s ahead of"), "{m}");
                assert!(fix.contains("NTP"));
            }
            other => panic!("{other:?}"),
        }
        match clock_verdict(301) {
            Verdict::Fail(m, _) => assert!(m.contains("301 s behind"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
