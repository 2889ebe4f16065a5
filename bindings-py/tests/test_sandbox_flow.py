"""The full flow against the embedded sandbox — the kiosk driver
(`EmulatedKiosk`) over the face SDK emulator, a `MerchantClient` as its
merchant server — and every error type the merchant client can raise."""

import pytest

import wxface
from wxface_sandbox import EmulatedKiosk, Sandbox


class Recording(wxface.ClientBackend):
    """The in-process merchant server, keeping what it was asked and answered."""

    def __init__(self, client, **kw):
        super().__init__(client, **kw)
        self.calls = []
        self.grants = []

    def __call__(self, path, request):
        self.calls.append((path, dict(request)))
        if path == "/kiosk/authinfo":
            if request.get("refresh"):
                self.refreshed = self.client.invalidate_authinfo(request["device_id"])
            grant = self.client.get_authinfo(request["rawdata"], device_id=request["device_id"])
            self.grants.append(grant)
            return {"authinfo": grant.authinfo, "expires_in": grant.expires_in}
        return super().__call__(path, request)

    def paths(self):
        return [p for p, _ in self.calls]


def step_errors(outcome, step):
    """The errors that ended `step` in a verification."""
    return [e for s, status, e in outcome.steps if s == step and e is not None]


def test_full_flow(wxface_sandbox, wxface_client):
    sb, client = wxface_sandbox, wxface_client
    person = sb.identities[0]
    kiosk = sb.kiosk(person=person.key, device_id="KIOSK-07")
    assert isinstance(kiosk, EmulatedKiosk) and kiosk.state == "ready"
    merchant = Recording(client)
    out = kiosk.verify(merchant)
    assert out.kind == "verified" and out.error is None and out.step is None
    assert merchant.paths() == ["/kiosk/authinfo", "/kiosk/verified", "/kiosk/real-name"]
    grant = merchant.grants[0]
    assert grant.authinfo and grant.expires_in > 0 and grant.from_cache is False
    assert grant.authinfo not in repr(grant)
    assert [s for s, _, _ in out.steps] == [
        "reading_rawdata", "fetching_authinfo", "recognising", "checking_verified", "asking_consent",
        "fetching_real_name",
    ]
    assert all(status == "ok" for _, status, _ in out.steps)
    face_sid, openid = out.who.face_sid, out.who.openid
    assert openid in (None, person.openid)
    assert face_sid not in repr(out.who) and face_sid not in repr(out)
    # The kiosk got the masked identity only; the merchant can read it all.
    assert out.identity == person.real_name.masked()
    user = client.query_user(face_sid)
    assert user.openid == person.openid
    assert user.real_name is not None
    who = client.fetch_real_name(face_sid)
    assert who == person.real_name
    assert repr(who) == repr(person.real_name)
    assert who.expose_name() not in repr(who) and who.expose_credential_id() not in str(who)
    # The flow keeps the authinfo for the next patient.
    assert kiosk.verify(merchant).kind == "verified"
    assert merchant.paths().count("/kiosk/authinfo") == 1
    kiosk.release()
    assert kiosk.state == "released"
    with pytest.raises(wxface.StateError):
        kiosk.release()
    assert kiosk.verify(merchant).kind == "failed"


@pytest.mark.parametrize("index", range(5))
def test_every_test_person(wxface_sandbox, wxface_client, index):
    person = wxface_sandbox.identities[index]
    face_sid = wxface_sandbox.kiosk(person=person.key).consented_face_sid(wxface_client)
    who = wxface_client.fetch_real_name(face_sid)
    assert (who.expose_name(), who.credential_type, who.expose_credential_id()) == (
        person.real_name.expose_name(),
        person.credential_type,
        person.real_name.expose_credential_id(),
    )
    if who.credential_type == 1:
        assert wxface.is_resident_id(who.expose_credential_id())
    assert person.key in repr(person) and person.real_name.expose_name() not in repr(person)


def test_union_id(wxface_sandbox, wxface_client):
    person = wxface_sandbox.identities[1]
    face_sid = wxface_sandbox.kiosk(person=person.key).consented_face_sid(wxface_client)
    user = wxface_client.query_user(face_sid, "ASK_UNIONID")
    assert user.union_id == person.union_id and user.real_name is None


@pytest.mark.parametrize("openid_with_face_sid", [False, True], ids=["spec-table", "openid-with-face-sid"])
def test_already_verified_branch_quits(wxface_sandbox, wxface_client, openid_with_face_sid):
    # By default recognition answers no openid with the face_sid (the spec's
    # table) and the merchant resolves it from the face_sid; the sandbox's
    # older behaviour reports it too, and the merchant checks it.
    person = wxface_sandbox.identities[0]
    kiosk = wxface_sandbox.kiosk(openid_with_face_sid=openid_with_face_sid)
    merchant = Recording(wxface_client, verified_openids=[person.openid])
    out = kiosk.verify(merchant)
    assert out.kind == "already_verified"
    assert out.who.openid == (person.openid if openid_with_face_sid else None)
    assert [s for s, _, _ in out.steps][-2:] == ["checking_verified", "quitting"]
    assert "/kiosk/real-name" not in merchant.paths()
    assert merchant.calls[1] == ("/kiosk/verified", {
        "face_sid": out.who.face_sid, "openid": out.who.openid, "sub_openid": None,
    })
    # Quitting does not consent: the identity cannot be read.
    with pytest.raises(wxface.BackendError) as e:
        wxface_client.fetch_real_name(out.who.face_sid)
    assert e.value.status == 403 and e.value.wechat_code == "NO_AUTH"
    # The session is closed, so the next recognition works (SDK >= 1.20 rule).
    assert kiosk.verify(wxface_client).kind == "verified"


def test_a_reported_openid_must_be_wechat_pays(wxface_sandbox, wxface_client):
    other = wxface_sandbox.identities[1]
    kiosk = wxface_sandbox.kiosk(openid_with_face_sid=True)

    def lying_kiosk(path, request):
        # A kiosk that claims the verified patient-b for whoever it saw.
        if path == "/kiosk/verified":
            request = dict(request, openid=other.openid)
        return wxface.ClientBackend(wxface_client, verified_openids=[other.openid])(path, request)

    out = kiosk.verify(lying_kiosk)
    assert out.kind == "failed" and out.step == "checking_verified"
    assert isinstance(out.error, wxface.InvalidInputError) and out.error.field == "openid"
    assert other.openid not in str(out.error)


def test_refusal_is_an_sdk_error_and_leaves_nothing_to_read(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk(outcome="refuse")
    out = kiosk.verify(wxface_client)
    assert out.kind == "consent_refused" and out.error is None
    (e,) = step_errors(out, "asking_consent")
    assert isinstance(e, wxface.SdkError) and e.code == "sdk"
    assert e.return_code == "ACTION_ON_USER_QUERY_CANCEL"
    assert e.cmd == "getWxpayAuth"
    with pytest.raises(wxface.BackendError):
        wxface_client.fetch_real_name(out.who.face_sid)
    # consented_face_sid raises what ended the consent.
    with pytest.raises(wxface.SdkError) as raised:
        kiosk.consented_face_sid(wxface_client)
    assert raised.value.return_code == "ACTION_ON_USER_QUERY_CANCEL"
    # A per-session outcome overrides the kiosk's.
    out = kiosk.verify(wxface_client, outcome="consent")
    assert out.kind == "verified"
    assert wxface_client.fetch_real_name(out.who.face_sid)


def test_user_cancel_at_recognition(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk(outcome="user_cancel")
    out = kiosk.verify(wxface_client)
    assert out.kind in ("cancelled", "failed") and out.who is None
    (e,) = step_errors(out, "recognising")
    assert isinstance(e, wxface.SdkError) and e.return_code == "USER_CANCEL"
    with pytest.raises(wxface.InvalidInputError):
        wxface_sandbox.kiosk(outcome="dance")
    with pytest.raises(wxface.InvalidInputError):
        kiosk.verify(wxface_client, outcome="dance")


def test_authinfo_cache_and_expiry(wxface_sandbox, wxface_client):
    client, kiosk = wxface_client, wxface_sandbox.kiosk()
    a = client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    b = client.get_authinfo(kiosk.rawdata(), device_id="KIOSK-01")
    assert not a.from_cache and b.from_cache and a.authinfo == b.authinfo
    assert client.stats()["cache_hits"] == 1
    other = client.get_authinfo(kiosk.rawdata(), "SBX-STORE-01", "沙箱医院门诊大厅", "KIOSK-02")
    assert not other.from_cache
    # The kiosk's flow takes the merchant's cached authinfo and keeps it.
    merchant = Recording(client)
    assert kiosk.verify(merchant).kind == "verified"
    assert merchant.grants[0].from_cache and merchant.grants[0].authinfo == a.authinfo
    # The sandbox expires every authinfo: the SDK says so (271382020); the
    # flow asks the merchant for a fresh one (`refresh`), and the merchant
    # forgets its cached one before asking WeChat Pay.
    assert wxface_sandbox.expire_authinfos() >= 1
    out = kiosk.verify(merchant)
    assert out.kind == "verified"
    (e,) = step_errors(out, "recognising")
    assert isinstance(e, wxface.SdkError) and e.err_code == "271382020"
    assert merchant.calls[-3][1].get("refresh") is True and merchant.refreshed is True
    fresh = merchant.grants[-1]
    assert not fresh.from_cache and fresh.authinfo != a.authinfo
    assert client.invalidate_authinfo("KIOSK-01") is True
    assert client.invalidate_authinfo("KIOSK-01") is False


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
    with Sandbox(padding="oaep-sha1") as sb:
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
    face_sid = wxface_sandbox.kiosk(provider_mode=True).consented_face_sid(client)
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
    wxface_sandbox.faults.inject("users", "system_error", count=2)
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
    assert err.wechat_message and err.wechat_message in err.message
    assert "SYSTEM_ERROR" in str(err)


def test_503_and_429(wxface_sandbox):
    client = wxface_sandbox.client(max_retries=0)
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    wxface_sandbox.faults.inject("users", "service_unavailable")
    with pytest.raises(wxface.BackendError) as e:
        client.query_user(face_sid)
    assert e.value.status == 503
    wxface_sandbox.faults.inject("users", "rate_limited")
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
    wxface_sandbox.faults.inject("users", "malformed_body")
    with pytest.raises(wxface.MalformedError) as e:
        wxface_client.query_user(face_sid)
    assert e.value.code == "malformed"


def test_dropped_connection_is_a_transport_error(wxface_sandbox):
    client = wxface_sandbox.client(max_retries=0)
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    wxface_sandbox.faults.inject("users", "drop_connection")
    with pytest.raises(wxface.TransportError) as e:
        client.query_user(face_sid)
    assert e.value.code == "transport" and e.value.transport_kind == "interrupted"
    assert face_sid not in str(e.value)


def test_timeout_is_a_transport_error(wxface_sandbox):
    client = wxface_sandbox.client(max_retries=0, timeout=0.3)
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    wxface_sandbox.faults.inject("users", "latency", latency=2.0)
    with pytest.raises(wxface.TransportError) as e:
        client.query_user(face_sid)
    assert e.value.transport_kind == "timeout" and e.value.retryable is True


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
    f.inject("users", "rate_limited", probability=0.5, seed=7)
    assert f.rules() == [("any", "latency"), ("users", "rate_limited")]
    assert "rate_limited" in repr(f)
    f.clear()
    assert f.rules() == []
    with pytest.raises(wxface.InvalidInputError):
        f.inject("nowhere", "system_error")
    with pytest.raises(wxface.InvalidInputError):
        f.inject("users", "teapot")
    with pytest.raises(wxface.InvalidInputError):
        f.inject("users", "latency")


def test_stopped_sandbox():
    sb = Sandbox()
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
    assert e.value.transport_kind in ("connect", "interrupted")


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
        assert p.real_name.expose_name() not in repr(p) and p.real_name.expose_credential_id() not in repr(p)


def test_bad_sandbox_options():
    with pytest.raises(wxface.ConfigError):
        Sandbox(no_such_option=1)
    with pytest.raises(wxface.ConfigError):
        Sandbox(padding="rot13")


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

    def merchant(path, request):
        # Any callable of the kiosk API is a merchant server.
        seen.append(path)
        return wxface.ClientBackend(wxface_client)(path, request)

    face_sid = kiosk.consented_face_sid(merchant)
    assert seen and wxface_client.fetch_real_name(face_sid) == wxface_sandbox.identities[2].real_name
    assert repr(wxface.ClientBackend(wxface_client)).startswith("ClientBackend(MerchantClient(")
    d = wxface_sandbox.sub_merchant_decryptor()
    assert isinstance(d, wxface.Decryptor) and d.padding == wxface_sandbox.credentials.padding
    assert "fired=" in repr(wxface_sandbox.faults)


def test_provider_mode_kiosk(wxface_sandbox):
    client = wxface_sandbox.client(provider_mode=True)
    kiosk = wxface_sandbox.kiosk(person="patient-b", provider_mode=True)
    out = kiosk.verify(client)
    # The spec's table: no sub_openid with the face_sid.
    assert out.kind == "verified" and out.who.sub_openid is None
    seen = client.query_user(out.who.face_sid, "ASK_UNIONID")
    assert seen.sub_openid == wxface_sandbox.identities[1].sub_openid
    who = client.fetch_real_name(out.who.face_sid, wxface_sandbox.sub_merchant_decryptor())
    assert who == wxface_sandbox.identities[1].real_name
    assert out.identity == who.masked()
    # A kiosk that leaves the sub-merchant out does not match the authinfo.
    plain = wxface_sandbox.kiosk()
    out = plain.verify(client)
    assert out.kind == "failed" and out.step == "recognising"
    assert isinstance(out.error, wxface.SdkError)
    with pytest.raises(wxface.SdkError):
        plain.consented_face_sid(client)


class Scripted:
    """A merchant server with fixed answers (or failures)."""

    def __init__(self, client, **answers):
        self.real = wxface.ClientBackend(client)
        self.answers = answers

    def __call__(self, path, request):
        answer = self.answers.get(path)
        if isinstance(answer, BaseException):
            raise answer
        return self.real(path, request) if answer is None else answer


def test_merchant_answers_are_checked(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk()
    person = wxface_sandbox.identities[0]
    # A real-name answer with full values is refused: a kiosk shows masked data only.
    full = {"identity": {"name": person.real_name.expose_name(), "credential_type": 1,
                         "credential_id": person.real_name.expose_credential_id()}}
    out = kiosk.verify(Scripted(wxface_client, **{"/kiosk/real-name": full}))
    assert out.kind == "failed" and out.step == "fetching_real_name"
    assert isinstance(out.error, wxface.MalformedError)
    assert person.real_name.expose_name() not in str(out.error)
    # A wxface error raised by the merchant server comes back as itself.
    busy = wxface.from_info({"code": "backend", "message": "m", "status": 503, "wechat_code": "SYSTEM_ERROR",
                             "wechat_message": "busy", "retryable": True})
    out = kiosk.verify(Scripted(wxface_client, **{"/kiosk/verified": busy}))
    assert out.kind == "failed" and out.step == "checking_verified"
    assert type(out.error) is wxface.BackendError
    assert (out.error.wechat_code, out.error.status, out.error.retryable) == ("SYSTEM_ERROR", 503, True)
    # Anything else is an internal error naming the path and the type, not the text.
    out = kiosk.verify(Scripted(wxface_client, **{"/kiosk/verified": KeyError("secret text")}))
    assert type(out.error) is wxface.InternalError
    assert "/kiosk/verified" in str(out.error) and "KeyError" in str(out.error)
    assert "secret text" not in str(out.error)
    # An answer of the wrong shape is malformed.
    out = kiosk.verify(Scripted(wxface_client, **{"/kiosk/verified": {"yes": True}}))
    assert type(out.error) is wxface.MalformedError
