"""The full flow against the embedded sandbox, and every error type the
merchant client can raise."""

import pytest

import wxface


def test_full_flow_step_by_step(wxface_sandbox, wxface_client):
    sb, client = wxface_sandbox, wxface_client
    person = sb.identities[0]
    kiosk = sb.kiosk(person=person.key, device_id="KIOSK-07")
    rawdata = kiosk.rawdata()
    grant = client.get_authinfo(rawdata, device_id="KIOSK-07")
    assert grant.authinfo and grant.expires_in > 0 and grant.from_cache is False
    assert grant.authinfo not in repr(grant)
    face_sid, openid = kiosk.recognise(grant.authinfo)
    assert openid in (None, person.openid)
    kiosk.consent(grant.authinfo, face_sid)
    user = client.query_user(face_sid)
    assert user.openid == person.openid
    assert user.real_name is not None
    who = client.fetch_real_name(face_sid)
    assert who == person.real_name
    assert repr(who) == repr(person.real_name)
    assert who.name not in repr(who) and who.credential_id not in str(who)
    kiosk.release()


@pytest.mark.parametrize("index", range(5))
def test_every_test_person(wxface_sandbox, wxface_client, index):
    person = wxface_sandbox.identities[index]
    face_sid = wxface_sandbox.kiosk(person=person.key).consented_face_sid(wxface_client)
    who = wxface_client.fetch_real_name(face_sid)
    assert (who.name, who.credential_type, who.credential_id) == (
        person.real_name.name,
        person.credential_type,
        person.real_name.credential_id,
    )
    if who.credential_type == 1:
        assert wxface.is_resident_id(who.credential_id)
    assert person.key in repr(person) and person.real_name.name not in repr(person)


def test_union_id(wxface_sandbox, wxface_client):
    person = wxface_sandbox.identities[1]
    face_sid = wxface_sandbox.kiosk(person=person.key).consented_face_sid(wxface_client)
    user = wxface_client.query_user(face_sid, "ASK_UNIONID")
    assert user.union_id == person.union_id and user.real_name is None


def test_already_verified_branch_quits(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk()
    grant = wxface_client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    rec = kiosk.recognise(grant.authinfo)
    kiosk.quit(grant.authinfo, rec.face_sid)
    # Quitting does not consent: the identity cannot be read.
    with pytest.raises(wxface.BackendError) as e:
        wxface_client.fetch_real_name(rec.face_sid)
    assert e.value.status == 403 and e.value.wechat_code == "NO_AUTH"
    # The session is closed, so the next recognition works (SDK >= 1.20 rule).
    kiosk.recognise(grant.authinfo)


def test_refusal_is_an_sdk_error_and_leaves_nothing_to_read(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk(outcome="refuse")
    grant = wxface_client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    rec = kiosk.recognise(grant.authinfo)
    with pytest.raises(wxface.SdkError) as e:
        kiosk.consent(grant.authinfo, rec.face_sid)
    assert e.value.code == "sdk"
    assert e.value.return_code == "ACTION_ON_USER_QUERY_CANCEL"
    assert e.value.cmd == "getWxpayAuth"
    with pytest.raises(wxface.BackendError):
        wxface_client.fetch_real_name(rec.face_sid)
    # A per-session outcome overrides the kiosk's.
    rec = kiosk.recognise(grant.authinfo, outcome="consent")
    kiosk.consent(grant.authinfo, rec.face_sid)
    assert wxface_client.fetch_real_name(rec.face_sid)


def test_user_cancel_at_recognition(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk(outcome="user_cancel")
    grant = wxface_client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    with pytest.raises(wxface.SdkError) as e:
        kiosk.recognise(grant.authinfo)
    assert e.value.return_code == "USER_CANCEL"
    with pytest.raises(wxface.InvalidInputError):
        wxface_sandbox.kiosk(outcome="dance")


def test_authinfo_cache_and_expiry(wxface_sandbox, wxface_client):
    client, kiosk = wxface_client, wxface_sandbox.kiosk()
    a = client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    b = client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    assert not a.from_cache and b.from_cache and a.authinfo == b.authinfo
    assert client.stats()["cache_hits"] == 1
    other = client.get_authinfo(kiosk.rawdata(), "SBX-STORE-01", "沙箱医院门诊大厅", "KIOSK-02")
    assert not other.from_cache
    # The sandbox expires every authinfo: the SDK says so (271382020); the
    # merchant forgets it and fetches a new one.
    assert wxface_sandbox.expire_authinfos() >= 1
    with pytest.raises(wxface.SdkError) as e:
        kiosk.recognise(a.authinfo)
    assert e.value.err_code == "271382020"
    assert client.invalidate_authinfo("KIOSK-01") is True
    assert client.invalidate_authinfo("KIOSK-01") is False
    fresh = client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    assert not fresh.from_cache and fresh.authinfo != a.authinfo
    kiosk.recognise(fresh.authinfo)


def test_attach_and_store_arguments(wxface_sandbox):
    client = wxface_sandbox.client(store_id=None, store_name=None)
    kiosk = wxface_sandbox.kiosk()
    with pytest.raises(wxface.InvalidInputError) as e:
        client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    assert e.value.field == "store_id"
    with pytest.raises(wxface.InvalidInputError) as e:
        client.get_authinfo(kiosk.rawdata(), "S1", "N")
    assert e.value.field == "device_id"
    g = client.get_authinfo(kiosk.rawdata(), "SBX-STORE-01", "门诊", "KIOSK-01", attach={"dept": "内科"})
    assert g.authinfo and not g.from_cache
    # A dict is sent as compact JSON: the same attach as text hits the cache.
    g = client.get_authinfo(kiosk.rawdata(), "SBX-STORE-01", "门诊", "KIOSK-01", attach='{"dept":"内科"}')
    assert g.from_cache
    # The cache is keyed on every field sent: another attach is another authinfo.
    g = client.get_authinfo(kiosk.rawdata(), "SBX-STORE-01", "门诊", "KIOSK-01", attach='{"a":1}')
    assert g.authinfo and not g.from_cache


def test_expired_face_sid(wxface_sandbox, wxface_client):
    face_sid = wxface_sandbox.kiosk().consented_face_sid(wxface_client)
    wxface_sandbox.expire_face_sids()
    with pytest.raises(wxface.BackendError) as e:
        wxface_client.fetch_real_name(face_sid)
    assert e.value.status == 400 and e.value.retryable is False


def test_unknown_face_sid(wxface_client):
    with pytest.raises(wxface.BackendError) as e:
        wxface_client.query_user("NO_SUCH_FACE_SID")
    assert (e.value.status, e.value.wechat_code) == (404, "NOT_FOUND")


@pytest.mark.parametrize("platform_key", ["public_key", "certificate", "both"])
def test_platform_key_modes(wxface_sandbox, platform_key):
    client = wxface_sandbox.client(platform_key=platform_key)
    assert client.platform_key_ids
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    assert client.fetch_real_name(face_sid) == wxface_sandbox.identities[0].real_name


def test_oaep_sandbox():
    with wxface.Sandbox(padding="oaep-sha1") as sb:
        assert sb.credentials.padding == "oaep-sha1"
        client = sb.client()
        face_sid = sb.kiosk().consented_face_sid(client)
        assert client.fetch_real_name(face_sid) == sb.identities[0].real_name
        wrong = wxface.Decryptor(sb.credentials.merchant_key_pem, "pkcs1v15")
        with pytest.raises(wxface.DecryptionError):
            client.fetch_real_name(face_sid, wrong)
    assert not sb.running


def test_provider_mode_keeps_the_identity_for_the_hospital_key(wxface_sandbox):
    client = wxface_sandbox.client(provider_mode=True)
    assert client.config.is_provider_mode and not client.config.has_decryptor
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    user = client.query_user(face_sid)
    # The provider's client has no key for it...
    with pytest.raises(wxface.ConfigError):
        client.fetch_real_name(face_sid)
    with pytest.raises(wxface.DecryptionError):
        wxface.Decryptor(wxface_sandbox.credentials.merchant_key_pem).decrypt_real_name(user)
    # ...the hospital receives the signed answer and decrypts it with its own
    # key, after verifying it (test_provider_receiver.py has the details).
    assert user.sub_openid == wxface_sandbox.identities[0].sub_openid
    c = wxface_sandbox.credentials
    hospital = wxface.RealNameReceiver(
        c.sub_merchant_key_pem,
        platform_public_key_pem=c.platform_public_key_pem,
        pub_key_id=c.platform_public_key_id,
        padding=c.padding,
    )
    forwarded = client.query_user_signed(face_sid).to_json()
    assert hospital.receive(forwarded) == wxface_sandbox.identities[0].real_name
    assert client.fetch_real_name(face_sid, wxface_sandbox.sub_merchant_decryptor()) == (
        wxface_sandbox.identities[0].real_name
    )


# ------------------------------------------------------------------ faults


def test_500_is_retried_then_succeeds(wxface_sandbox, wxface_client):
    face_sid = wxface_sandbox.kiosk().consented_face_sid(wxface_client)
    fired = wxface_sandbox.faults.fired
    wxface_sandbox.faults.inject("users", "500", count=2)
    before = wxface_client.stats()
    assert wxface_client.fetch_real_name(face_sid)
    after = wxface_client.stats()
    assert after["retries"] - before["retries"] == 2
    assert wxface_sandbox.faults.fired - fired == 2


def test_persistent_500_is_a_retryable_backend_error(wxface_sandbox, wxface_client):
    face_sid = wxface_sandbox.kiosk().consented_face_sid(wxface_client)
    wxface_sandbox.faults.inject("users", "system_error", count=10)
    with pytest.raises(wxface.BackendError) as e:
        wxface_client.fetch_real_name(face_sid)
    err = e.value
    assert (err.code, err.status, err.wechat_code, err.retryable) == ("backend", 500, "SYSTEM_ERROR", True)
    assert err.message
    assert "SYSTEM_ERROR" in str(err)


def test_503_and_429(wxface_sandbox):
    client = wxface_sandbox.client(max_retries=0)
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    wxface_sandbox.faults.inject("users", "503")
    with pytest.raises(wxface.BackendError) as e:
        client.query_user(face_sid)
    assert e.value.status == 503
    wxface_sandbox.faults.inject("users", "429")
    with pytest.raises(wxface.BackendError) as e:
        client.query_user(face_sid)
    assert e.value.status == 429 and e.value.retryable


@pytest.mark.parametrize(
    "kind,code",
    [("bad_signature", "signature_mismatch"), ("stale_timestamp", "signature_stale_timestamp")],
)
def test_signature_faults_are_never_retried(wxface_sandbox, wxface_client, kind, code):
    face_sid = wxface_sandbox.kiosk().consented_face_sid(wxface_client)
    wxface_sandbox.faults.inject("users", kind, count=5)
    before = wxface_client.stats()["http_requests"]
    with pytest.raises(wxface.SignatureError) as e:
        wxface_client.fetch_real_name(face_sid)
    assert e.value.code == code
    assert wxface_client.stats()["http_requests"] - before == 1


def test_malformed_answer(wxface_sandbox, wxface_client):
    face_sid = wxface_sandbox.kiosk().consented_face_sid(wxface_client)
    wxface_sandbox.faults.inject("users", "malformed")
    with pytest.raises(wxface.MalformedError) as e:
        wxface_client.query_user(face_sid)
    assert e.value.code == "malformed"


def test_dropped_connection_is_a_transport_error(wxface_sandbox):
    client = wxface_sandbox.client(max_retries=0)
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    wxface_sandbox.faults.inject("users", "drop")
    with pytest.raises(wxface.TransportError) as e:
        client.query_user(face_sid)
    assert e.value.code == "transport" and e.value.kind == "interrupted"
    assert face_sid not in str(e.value)


def test_timeout_is_a_transport_error(wxface_sandbox):
    client = wxface_sandbox.client(max_retries=0, timeout=0.3)
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    wxface_sandbox.faults.inject("users", "latency", latency=2.0)
    with pytest.raises(wxface.TransportError) as e:
        client.query_user(face_sid)
    assert e.value.kind == "timeout" and e.value.retryable is True


def test_authinfo_faults(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk()
    wxface_sandbox.faults.inject("authinfo", "system_error", count=10)
    with pytest.raises(wxface.BackendError) as e:
        wxface_client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    assert e.value.status is None and e.value.wechat_code == "SYSTEMERROR" and e.value.retryable
    wxface_sandbox.faults.clear()
    wxface_sandbox.faults.inject("authinfo", "bad_signature")
    with pytest.raises(wxface.SignatureError):
        wxface_client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    assert wxface_client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01").authinfo


def test_fault_controls(wxface_sandbox):
    f = wxface_sandbox.faults
    f.inject("any", "latency", latency=0.01)
    f.inject("users", "429", probability=0.5, seed=7)
    assert f.rules() == [("any", "latency"), ("users", "rate_limited")]
    assert "rate_limited" in repr(f)
    f.clear()
    assert f.rules() == []
    with pytest.raises(wxface.InvalidInputError):
        f.inject("nowhere", "500")
    with pytest.raises(wxface.InvalidInputError):
        f.inject("users", "teapot")
    with pytest.raises(wxface.InvalidInputError):
        f.inject("users", "latency")


def test_stopped_sandbox():
    sb = wxface.Sandbox()
    client = sb.client(max_retries=0, connect_timeout=1.0)
    url = sb.url
    assert url.startswith("http://127.0.0.1:") and "running=True" in repr(sb)
    sb.stop()
    sb.stop()
    assert not sb.running
    with pytest.raises(wxface.StateError):
        sb.reset()
    with pytest.raises(wxface.TransportError) as e:
        client.query_user("ANY")
    # Refused once the listener is gone; cut off if the request races the
    # shutdown of the sandbox's last connections.
    assert e.value.kind in ("connect", "interrupted")


def test_credentials_and_identities_are_not_shown(wxface_sandbox):
    c = wxface_sandbox.credentials
    shown = repr(c)
    for secret in (c.v2_key, c.apiv3_key, c.merchant_key_pem, c.sub_merchant_key_pem):
        assert secret and secret not in shown
    assert c.appid in shown
    cfg = wxface_sandbox.client_config()
    assert c.v2_key not in repr(cfg) and "PRIVATE" not in repr(cfg)
    client = wxface.MerchantClient(cfg)
    assert c.v2_key not in repr(client)
    for p in wxface_sandbox.identities:
        assert p.real_name.name not in repr(p) and p.real_name.credential_id not in repr(p)


def test_bad_sandbox_options():
    with pytest.raises(wxface.ConfigError):
        wxface.Sandbox(no_such_option=1)
    with pytest.raises(wxface.ConfigError):
        wxface.Sandbox(padding="rot13")


@pytest.mark.parametrize("platform_key", ["public_key", "certificate"])
def test_platform_certificate_download(wxface_sandbox, platform_key):
    c = wxface_sandbox.credentials
    client = wxface_sandbox.client(platform_key=platform_key, apiv3_key=c.apiv3_key)
    assert client.refresh_platform_certificates() >= 1
    assert c.platform_serial_no in client.platform_key_ids
    assert client.stats()["certificate_downloads"] == 1
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    assert client.fetch_real_name(face_sid)
    # Without the APIv3 key there is nothing to download with.
    with pytest.raises(wxface.ConfigError):
        wxface_sandbox.client().refresh_platform_certificates()


def test_kiosk_helpers(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk(person="patient-c", device_id="KIOSK-33", sdk_version="1.24")
    assert kiosk.device_id == "KIOSK-33" and "KIOSK-33" in repr(kiosk)
    seen = []

    def merchant(rawdata):
        seen.append(rawdata)
        return wxface_client.get_authinfo(rawdata, device_id="KIOSK-33").authinfo

    face_sid = kiosk.consented_face_sid(merchant)
    assert seen and wxface_client.fetch_real_name(face_sid) == wxface_sandbox.identities[2].real_name
    d = wxface_sandbox.sub_merchant_decryptor()
    assert isinstance(d, wxface.Decryptor) and d.padding == wxface_sandbox.credentials.padding
    assert "fired=" in repr(wxface_sandbox.faults)


def test_provider_mode_kiosk_step_by_step(wxface_sandbox):
    client = wxface_sandbox.client(provider_mode=True)
    kiosk = wxface_sandbox.kiosk(person="patient-b", provider_mode=True)
    grant = client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    rec = kiosk.recognise(grant.authinfo)
    kiosk.consent(grant.authinfo, rec.face_sid)
    who = client.fetch_real_name(rec.face_sid, wxface_sandbox.sub_merchant_decryptor())
    assert who == wxface_sandbox.identities[1].real_name
    # A kiosk that leaves the sub-merchant out does not match the authinfo.
    plain = wxface_sandbox.kiosk()
    grant = client.get_authinfo(plain.rawdata(), device_id="KIOSK-01")
    with pytest.raises(wxface.SdkError):
        plain.recognise(grant.authinfo)
