//! The blocking client: from plain threads, concurrently, and from inside
//! another tokio runtime.

mod common;

use common::*;
use wxface_client::{blocking, AuthinfoParams};
use wxface_core::v3::InfoType;

/// Runs the mock on its own runtime thread; the test body is synchronous.
fn with_mock(f: impl FnOnce(&Mock)) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mock = rt.block_on(Mock::start(TestClock::new()));
    f(&mock);
    drop(mock);
    rt.shutdown_background();
}

#[test]
fn blocking_calls_from_many_threads() {
    with_mock(|mock| {
        let client = blocking::MerchantClient::new(
            config_pubkey(mock)
                .decryptor(merchant_decryptor())
                .build()
                .expect("config"),
        )
        .expect("client");
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let c = client.clone();
                std::thread::spawn(move || {
                    let a = c
                        .get_authinfo(AuthinfoParams::new(format!("raw-{i}"), "KIOSK-01"))
                        .expect("authinfo");
                    let rn = c.real_name("fs_blocking").expect("real name");
                    (a.authinfo, rn.expose_credential_id().to_owned())
                })
            })
            .collect();
        for t in threads {
            let (authinfo, id) = t.join().expect("thread");
            assert_eq!(authinfo, "AUTHINFO-1-+/=");
            assert_eq!(id, CREDENTIAL_ID);
        }
        assert_eq!(mock.state.authinfo_calls(), 1);
        let user = client
            .query_user("fs_blocking", InfoType::AskUnionId)
            .expect("union id");
        assert!(user.union_id.is_some());
        let s = client.stats();
        assert_eq!(s.calls, 9);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_client_inside_another_runtime() {
    let mock = Mock::start(TestClock::new()).await;
    let client = blocking::MerchantClient::new(config_pubkey(&mock).build().expect("config"))
        .expect("client");
    // Calling from an async context must not panic (it blocks this worker,
    // which the docs advise against, but works).
    let user = client
        .query_user("fs_nested", InfoType::AskRealName)
        .expect("query");
    assert!(user.real_name.is_some());
    let rn = client
        .fetch_real_name("fs_nested", &merchant_decryptor())
        .expect("decrypt");
    assert_eq!(rn.expose_name(), NAME);
    // Dropping the last handle here must not panic either.
    drop(client);
}
