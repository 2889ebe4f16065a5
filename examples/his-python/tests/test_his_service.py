"""The kiosk endpoints of docs/merchant-api.md, driven by the emulated kiosk:
wxface's kiosk flow (``EmulatedKiosk``) over the face SDK emulator, asking
this HIS as its merchant server."""

import json
import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.serving import make_server

import wxface

import his_service


def his_merchant(post, log=None, already_verified=None):
    """The HIS as a kiosk's merchant server: each request of the kiosk API
    POSTed with ``post(path, body) -> (status, answer)``, an error answer
    raised as the wxface error it records. ``log`` collects
    ``(path, request, status, answer)``; ``already_verified`` answers
    ``/kiosk/verified`` here instead of asking the HIS."""

    def merchant(path, request):
        if path == "/kiosk/verified" and already_verified is not None:
            return {"already_verified": already_verified}
        status, answer = post(path, request)
        if log is not None:
            log.append((path, request, status, answer))
        if status != 200:
            raise wxface.from_info(answer)
        return answer

    return merchant


def client_post(http, headers):
    """``post`` over a Flask test client, with a kiosk's ``Authorization``
    header (``headers``)."""

    def post(path, body):
        r = http.post(path, json=body, headers=headers)
        return r.status_code, r.get_json()

    return post


def forge(authorization):
    """The same key id with another secret (its last character changed)."""
    return authorization[:-1] + ("B" if authorization.endswith("A") else "A")


def step_error(outcome, step):
    """The error that ended ``step`` of a verification."""
    (e,) = [e for s, _, e in outcome.steps if s == step and e is not None]
    return e


def kiosk_visit(http, auth, sandbox, person, device_id="KIOSK-01", openid_with_face_sid=None):
    """One patient at the kiosk: the kiosk flow drives the SDK and asks the
    HIS with the device credential of ``device_id``. ``openid_with_face_sid``: whether the emulated SDK reports the
    openid with the face_sid (default: the sandbox's, none as the spec's
    table says)."""
    kiosk = sandbox.kiosk(person=person.key, device_id=device_id, openid_with_face_sid=openid_with_face_sid)
    log = []
    out = kiosk.verify(his_merchant(client_post(http, auth(device_id)), log))
    path, _, status, grant = log[0]
    assert (path, status) == ("/kiosk/authinfo", 200), grant
    assert set(grant) == {"authinfo", "expires_in", "expires_at"}
    assert log[1][0] == "/kiosk/verified" and log[1][2] == 200
    if out.kind == "already_verified":
        # The kiosk quit the SDK's face session.
        assert [s for s, _, _ in out.steps][-1] == "quitting" and len(log) == 2
        return None
    assert out.kind == "verified", out.error
    path, _, status, answer = log[-1]
    assert (path, status) == ("/kiosk/real-name", 200), answer
    assert out.identity == answer["identity"]
    return answer


@pytest.mark.parametrize("openid_with_face_sid", [False, True], ids=["spec-table", "openid-with-face-sid"])
def test_first_visit_registers_second_visit_is_recognised(his, http, auth, sandbox, openid_with_face_sid):
    person = sandbox.identities[0]
    answer = kiosk_visit(http, auth, sandbox, person, openid_with_face_sid=openid_with_face_sid)
    expected = person.real_name.masked()
    assert answer["identity"] == expected
    assert answer["patient_id"].startswith("P")
    # The kiosk only ever sees masked values.
    text = json.dumps(answer, ensure_ascii=False)
    assert person.real_name.expose_name() not in text and person.real_name.expose_credential_id() not in text
    # The HIS stored the full identity.
    row = his.extensions["patients"].get(answer["patient_id"])
    assert (row["name"], row["credential_type"], row["credential_id"]) == (
        person.real_name.expose_name(),
        person.real_name.credential_type,
        person.real_name.expose_credential_id(),
    )
    assert row["openid"] == person.openid
    # Next visit: already verified (the HIS asked WeChat Pay who the
    # face_sid is), the kiosk quits the SDK.
    assert kiosk_visit(http, auth, sandbox, person, openid_with_face_sid=openid_with_face_sid) is None


def test_a_reported_openid_must_be_wechat_pays(his, http, auth, sandbox):
    verified, other = sandbox.identities[0], sandbox.identities[1]
    kiosk_visit(http, auth, sandbox, verified)
    kiosk = sandbox.kiosk(person=other.key)
    log = []

    def lying(path, request):
        if path == "/kiosk/verified":
            request = dict(request, openid=verified.openid)
        return his_merchant(client_post(http, auth()), log)(path, request)

    out = kiosk.verify(lying)
    assert out.kind == "failed" and out.step == "checking_verified"
    assert isinstance(out.error, wxface.InvalidInputError) and out.error.field == "openid"
    path, _, status, answer = log[-1]
    assert (path, status) == ("/kiosk/verified", 400)
    assert verified.openid not in json.dumps(answer) and other.openid not in json.dumps(answer)


def test_every_test_person_gets_a_record(his, http, auth, sandbox):
    numbers = set()
    for i, person in enumerate(sandbox.identities):
        answer = kiosk_visit(http, auth, sandbox, person, device_id=f"KIOSK-{i:02d}")
        assert answer["identity"]["credential_type"] == person.credential_type
        numbers.add(answer["patient_id"])
    assert len(numbers) == len(sandbox.identities)


def test_reverification_updates_the_same_patient(his, http, auth, sandbox):
    person = sandbox.identities[1]
    first = kiosk_visit(http, auth, sandbox, person)
    # Same person, no openid known to the kiosk check: verified again, same record.
    kiosk = sandbox.kiosk(person=person.key)
    log = []
    out = kiosk.verify(his_merchant(client_post(http, auth()), log, already_verified=False))
    assert out.kind == "verified"
    again = log[-1][3]
    assert again["patient_id"] == first["patient_id"]


def test_authinfo_is_cached_per_device(http, auth, sandbox, wechat):
    kiosk = sandbox.kiosk()
    a = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01"}, headers=auth())
    # The device_id in the body is optional: the credential's device is the one.
    b = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata()}, headers=auth())
    assert a.status_code == b.status_code == 200
    assert a.get_json()["authinfo"] == b.get_json()["authinfo"]
    assert wechat.stats()["cache_hits"] == 1
    # Another kiosk: its own authinfo.
    c = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata()}, headers=auth("KIOSK-02"))
    assert c.status_code == 200 and c.get_json()["authinfo"] != a.get_json()["authinfo"]


def test_refresh_after_the_sdk_reports_an_expired_authinfo(http, auth, sandbox):
    kiosk = sandbox.kiosk()
    a = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01"}, headers=auth()).get_json()
    sandbox.expire_authinfos()
    # The HIS hands out its cached (now dead) authinfo; the SDK says so, and
    # the kiosk asks again with "refresh": without it the HIS would hand out
    # the dead authinfo from its cache again.
    log = []
    out = kiosk.verify(his_merchant(client_post(http, auth()), log))
    assert out.kind == "verified"
    assert step_error(out, "recognising").err_code == "271382020"
    grants = [(req, answer) for path, req, _, answer in log if path == "/kiosk/authinfo"]
    assert grants[0][1]["authinfo"] == a["authinfo"] and not grants[0][0].get("refresh")
    assert grants[1][0]["refresh"] is True and grants[1][1]["authinfo"] != a["authinfo"]


@pytest.mark.parametrize(
    "path,body",
    [
        ("/kiosk/authinfo", {"device_id": "KIOSK-01"}),
        ("/kiosk/authinfo", "not an object"),
        ("/kiosk/verified", {}),
        ("/kiosk/real-name", {"device_id": "KIOSK-01"}),
        ("/kiosk/real-name", {"face_sid": 7}),
    ],
)
def test_bad_requests(http, auth, path, body):
    r = http.post(path, json=body, headers=auth())
    assert r.status_code == 400
    e = r.get_json()
    assert e["code"] == "invalid_input"
    assert (e["kind"], e["retryable"]) == ("invalid_input", False)
    assert e["field"] and e["field"] in e["message"]


def test_refused_consent_leaves_no_record(his, http, auth, sandbox):
    kiosk = sandbox.kiosk(outcome="refuse")
    log = []
    out = kiosk.verify(his_merchant(client_post(http, auth()), log))
    assert out.kind == "consent_refused"
    assert isinstance(step_error(out, "asking_consent"), wxface.SdkError)
    assert "/kiosk/real-name" not in [path for path, *_ in log]
    rec = out.who
    r = http.post("/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": "KIOSK-01"}, headers=auth())
    assert r.status_code == 403
    e = r.get_json()
    assert (e["code"], e["wechat_code"]) == ("backend", "NO_AUTH")
    assert e["status"] == 403 and e["retryable"] is False


def test_unknown_face_sid_answers_wechats_code(http, auth):
    r = http.post("/kiosk/real-name", json={"face_sid": "NO_SUCH_SID", "device_id": "KIOSK-01"}, headers=auth())
    assert r.status_code == 404 and r.get_json()["wechat_code"] == "NOT_FOUND"
    assert r.get_json()["code"] == "backend"


def test_wechat_outage_is_retried_then_reported(http, auth, sandbox):
    person = sandbox.identities[2]
    sandbox.faults.inject("users", "system_error", count=2)
    assert kiosk_visit(http, auth, sandbox, person)["identity"] == person.real_name.masked()
    # Again, WeChat Pay down for good: the HIS answers 502 with WeChat's
    # code, and the kiosk's flow fails with that BackendError.
    kiosk = sandbox.kiosk(person=person.key)
    sandbox.faults.inject("users", "system_error", count=10)
    log = []
    out = kiosk.verify(his_merchant(client_post(http, auth()), log, already_verified=False))
    assert out.kind == "failed" and out.step == "fetching_real_name"
    assert isinstance(out.error, wxface.BackendError) and out.error.wechat_code == "SYSTEM_ERROR"
    path, request, status, answer = log[-1]
    assert path == "/kiosk/real-name"
    face_sid = request["face_sid"]
    r = http.post("/kiosk/real-name", json={"face_sid": face_sid, "device_id": "KIOSK-01"}, headers=auth())
    assert r.status_code == 502 and r.get_json()["wechat_code"] == "SYSTEM_ERROR"
    assert r.get_json()["code"] == "backend" and r.get_json()["retryable"] is True
    sandbox.faults.clear()
    sandbox.faults.inject("users", "bad_signature")
    r = http.post("/kiosk/real-name", json={"face_sid": face_sid}, headers=auth())
    assert r.status_code == 502 and r.get_json()["code"] == "signature_mismatch"


def test_error_answers_are_the_wxface_error_record(http, auth):
    r = http.post("/kiosk/real-name", json={"face_sid": "NO_SUCH_SID", "device_id": "KIOSK-01"}, headers=auth())
    e = r.get_json()
    assert {"code", "kind", "message", "retryable"} <= set(e)
    assert e["kind"] == "backend" and e["status"] == 404
    # What the kiosk turns back into an error: the same record as the binding's.
    assert e["wechat_message"]


def test_logs_contain_nothing_personal(his, http, auth, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = []
    for i, person in enumerate(sandbox.identities):
        kiosk = sandbox.kiosk(person=person.key, device_id=f"LOG-{i}")
        log = []
        out = kiosk.verify(his_merchant(client_post(http, auth(f"LOG-{i}")), log))
        assert out.kind == "verified" and [status for *_, status, _ in log] == [200, 200, 200]
        rawdata = log[0][1]["rawdata"]
        grant = log[0][3]
        rec = out.who
        if person.credential_type == 1:
            secrets.append(person.real_name.expose_credential_id()[6:14])  # the birth date
        secrets += [
            person.real_name.expose_name(),
            person.real_name.expose_credential_id(),
            person.openid,
            rec.face_sid,
            grant["authinfo"],
            rawdata,
            auth(f"LOG-{i}")["Authorization"].split(" ", 1)[1],
        ]
    # An error path logs too, and so does a refused kiosk.
    sandbox.faults.inject("users", "system_error", count=10)
    http.post("/kiosk/real-name", json={"face_sid": rec.face_sid}, headers=auth("LOG-X"))
    secrets.append(auth("LOG-X")["Authorization"].split(" ", 1)[1])
    forged = forge(auth("LOG-X")["Authorization"])
    assert http.post("/kiosk/real-name", json={"face_sid": rec.face_sid}, headers={"Authorization": forged}).status_code == 401
    secrets.append(forged.split(" ", 1)[1])
    text = caplog.text
    assert "registered" in text and "patient P" in text
    assert sandbox.identities[0].real_name.masked_name in text
    for s in secrets:
        assert s not in text, "personal or secret value in the log"


def test_concurrent_kiosks(his, http, auth, sandbox):
    people = sandbox.identities

    def visit(i):
        return kiosk_visit(his.test_client(), auth, sandbox, people[i % len(people)], device_id=f"C-{i:02d}")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(visit, range(10)))
    done = [a for a in answers if a is not None]
    assert len({a["patient_id"] for a in done}) == len(people)


def test_over_real_http(his, auth, sandbox):
    server = make_server("127.0.0.1", 0, his, threaded=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        person = sandbox.identities[4]
        kiosk = sandbox.kiosk(person=person.key, device_id="HTTP-01")

        def post(path, body):
            r = requests.post(f"{base}{path}", json=body, headers=auth("HTTP-01"), timeout=10)
            return r.status_code, r.json()

        log = []
        out = kiosk.verify(his_merchant(post, log))
        assert out.kind == "verified"
        assert [(path, status) for path, _, status, _ in log] == [
            ("/kiosk/authinfo", 200), ("/kiosk/verified", 200), ("/kiosk/real-name", 200),
        ]
        assert log[-1][3]["identity"] == out.identity == {
            "name": person.real_name.masked_name,
            "credential_type": 2,
            "credential_id": person.real_name.masked_credential_id,
        }
    finally:
        server.shutdown()


# ---------------------------------------------------------------- device credentials

ROUTES = ("/kiosk/authinfo", "/kiosk/verified", "/kiosk/real-name")


def wechat_calls(wechat):
    s = wechat.stats()
    return s["calls"], s["http_requests"]


def assert_unauthenticated(r, secret=None):
    """A 401 with the core's error record and a Bearer challenge; the answer
    never quotes the credential."""
    assert r.status_code == 401, r.get_json()
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    e = r.get_json()
    assert (e["code"], e["kind"], e["retryable"]) == ("unauthenticated", "unauthenticated", False)
    assert isinstance(wxface.from_info(e), wxface.UnauthenticatedError)
    if secret is not None:
        assert secret.split(".")[-1] not in r.get_data(as_text=True)
    return e


def valid_bodies(sandbox, http, auth):
    """A body each route would answer 200 with KIOSK-01's credential: the
    face_sid of a patient who consented."""
    kiosk = sandbox.kiosk(person=sandbox.identities[3].key)
    face_sid = kiosk.consented_face_sid(his_merchant(client_post(http, auth())))
    return {
        "/kiosk/authinfo": {"rawdata": kiosk.rawdata()},
        "/kiosk/verified": {"face_sid": face_sid},
        "/kiosk/real-name": {"face_sid": face_sid},
    }


def test_kiosks_without_a_live_credential_are_refused_before_wechat_pay(his, http, auth, sandbox, wechat):
    bodies = valid_bodies(sandbox, http, auth)
    good = auth()
    credential = good["Authorization"].split(" ", 1)[1]
    revoked = auth("KIOSK-OLD")
    assert his.extensions["devices"].revoke("KIOSK-OLD") == 1
    stranger = wxface.DeviceCredential.generate()  # well formed, never issued
    refused = {
        "no header": {},
        "empty": {"Authorization": ""},
        "another scheme": {"Authorization": "Basic " + credential},
        "no scheme": {"Authorization": credential},
        "not a credential": {"Authorization": "Bearer secret-token"},
        "wrong secret": {"Authorization": forge(good["Authorization"])},
        "unknown key id": {"Authorization": stranger.authorization()},
        "revoked": revoked,
    }
    before = wechat_calls(wechat)
    messages = {}
    for route in ROUTES:
        for what, headers in refused.items():
            r = http.post(route, json=bodies[route], headers=headers)
            e = assert_unauthenticated(r, secret=credential)
            messages[what] = e["message"]
    assert wechat_calls(wechat) == before, "a refused request reached WeChat Pay"
    # An unknown key id and a wrong secret get the same answer.
    assert messages["wrong secret"] == messages["unknown key id"]
    assert "revoked" in messages["revoked"]
    # The same bodies with the live credential: answered.
    for route in ROUTES:
        r = http.post(route, json=bodies[route], headers=good)
        assert r.status_code == 200, r.get_json()
    assert wechat_calls(wechat) != before


def test_the_device_is_the_credentials(his, http, auth, sandbox, wechat, caplog):
    caplog.set_level(logging.INFO)
    bodies = valid_bodies(sandbox, http, auth)
    before = wechat_calls(wechat)
    for route in ROUTES:
        r = http.post(route, json=dict(bodies[route], device_id="KIOSK-02"), headers=auth("KIOSK-01"))
        assert r.status_code == 400
        e = r.get_json()
        assert (e["code"], e["field"]) == ("invalid_input", "device_id")
    assert wechat_calls(wechat) == before
    # Its own id, or none: the credential's device is the one logged.
    r = http.post("/kiosk/real-name", json=dict(bodies["/kiosk/real-name"], device_id="KIOSK-01"), headers=auth())
    assert r.status_code == 200
    assert "at device KIOSK-01" in caplog.text


def test_a_kiosk_without_a_credential_fails_its_flow(http, auth, sandbox, wechat):
    kiosk = sandbox.kiosk(person=sandbox.identities[0].key)
    before = wechat_calls(wechat)
    out = kiosk.verify(his_merchant(client_post(http, {})))
    assert out.kind == "failed" and out.step == "fetching_authinfo", out
    assert isinstance(out.error, wxface.UnauthenticatedError) and not out.error.retryable
    assert wechat_calls(wechat) == before


def test_revoking_a_device_locks_it_out(his, http, auth, sandbox):
    person = sandbox.identities[0]
    assert kiosk_visit(http, auth, sandbox, person, device_id="KIOSK-09") is not None
    devices = his.extensions["devices"]
    assert [d["device_id"] for d in devices.list()] == ["KIOSK-09"]
    assert devices.revoke("KIOSK-09") == 1
    kiosk = sandbox.kiosk(person=person.key, device_id="KIOSK-09")
    out = kiosk.verify(his_merchant(client_post(http, auth("KIOSK-09"))))
    assert isinstance(out.error, wxface.UnauthenticatedError)
    assert devices.revoke("KIOSK-09") == 0
    # A new credential for the same device: let in again.
    fresh = devices.issue("KIOSK-09")
    r = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata()}, headers={"Authorization": fresh.authorization()})
    assert r.status_code == 200


def test_the_store_keeps_verifiers_not_credentials(his):
    devices = his.extensions["devices"]
    credential = devices.issue("KIOSK-07", label="门诊大厅 2")
    with sqlite3.connect(devices.path) as db:
        dump = "\n".join(db.iterdump())
    secret = credential.expose().split(".")[-1]
    assert secret not in dump and credential.expose() not in dump
    assert credential.key_id in dump and credential.verifier() in dump
    assert devices.lookup(credential.key_id) == ("KIOSK-07", credential.verifier(), False)
    assert devices.lookup("0000000000000000") is None
    with pytest.raises(wxface.InvalidInputError) as e:
        devices.issue("")
    assert e.value.field == "device_id"
    with pytest.raises(wxface.InvalidInputError) as e:
        devices.issue("K\nforged")
    assert e.value.field == "device_id"
    with pytest.raises(wxface.InvalidInputError) as e:
        devices.issue("KIOSK-08", label="a\nb")
    assert e.value.field == "label"


def test_the_command_line_issues_lists_and_revokes(tmp_path, capsys):
    db = str(tmp_path / "his.sqlite3")
    assert his_service.main(["--db", db, "add-device", "KIOSK-01", "--label", "hall"]) == 0
    out, err = capsys.readouterr()
    credential = wxface.DeviceCredential.parse(out)
    assert out == credential.expose() + "\n"
    assert credential.key_id in err and credential.expose().split(".")[-1] not in err
    devices = his_service.DeviceStore(db)
    assert wxface.authenticate_device(credential.authorization(), devices.lookup) == "KIOSK-01"
    assert his_service.main(["--db", db, "list-devices"]) == 0
    out, _ = capsys.readouterr()
    assert out.split() == [credential.key_id, "KIOSK-01", "live", "hall"]
    assert his_service.main(["--db", db, "revoke-device", credential.key_id]) == 0
    assert his_service.main(["--db", db, "revoke-device", "KIOSK-01"]) == 1
    with pytest.raises(wxface.UnauthenticatedError):
        wxface.authenticate_device(credential.authorization(), devices.lookup)
    assert his_service.main(["--db", db, "add-device", "K" * 33]) == 2
    out, err = capsys.readouterr()
    assert "device_id" in err and "wxfd1." not in out
