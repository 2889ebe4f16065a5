"""The kiosk endpoints of docs/merchant-api.md, driven by the emulated kiosk."""

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.serving import make_server

import wxface


def kiosk_visit(http, sandbox, person, device_id="KIOSK-01"):
    """One patient at the kiosk, the way the kiosk app drives SDK and HIS."""
    kiosk = sandbox.kiosk(person=person.key, device_id=device_id)
    r = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": device_id})
    assert r.status_code == 200, r.get_json()
    grant = r.get_json()
    assert set(grant) == {"authinfo", "expires_in", "expires_at"}
    rec = kiosk.recognise(grant["authinfo"])
    r = http.post("/kiosk/verified", json={"openid": rec.openid, "sub_openid": None, "face_sid": rec.face_sid})
    assert r.status_code == 200
    if r.get_json()["already_verified"]:
        kiosk.quit(grant["authinfo"], rec.face_sid)
        return None
    kiosk.consent(grant["authinfo"], rec.face_sid)
    r = http.post("/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": device_id})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_first_visit_registers_second_visit_is_recognised(his, http, sandbox):
    person = sandbox.identities[0]
    answer = kiosk_visit(http, sandbox, person)
    expected = person.real_name.masked()
    assert answer["identity"] == expected
    assert answer["patient_id"].startswith("P")
    # The kiosk only ever sees masked values.
    text = json.dumps(answer, ensure_ascii=False)
    assert person.real_name.name not in text and person.real_name.credential_id not in text
    # The HIS stored the full identity.
    row = his.extensions["patients"].get(answer["patient_id"])
    assert (row["name"], row["credential_type"], row["credential_id"]) == (
        person.real_name.name,
        person.real_name.credential_type,
        person.real_name.credential_id,
    )
    assert row["openid"] == person.openid
    # Next visit: already verified by openid, the kiosk quits the SDK.
    assert kiosk_visit(http, sandbox, person) is None


def test_every_test_person_gets_a_record(his, http, sandbox):
    numbers = set()
    for i, person in enumerate(sandbox.identities):
        answer = kiosk_visit(http, sandbox, person, device_id=f"KIOSK-{i:02d}")
        assert answer["identity"]["credential_type"] == person.credential_type
        numbers.add(answer["patient_id"])
    assert len(numbers) == len(sandbox.identities)


def test_reverification_updates_the_same_patient(his, http, sandbox):
    person = sandbox.identities[1]
    first = kiosk_visit(http, sandbox, person)
    # Same person, no openid known to the kiosk check: verified again, same record.
    kiosk = sandbox.kiosk(person=person.key)
    grant = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01"}).get_json()
    rec = kiosk.recognise(grant["authinfo"])
    kiosk.consent(grant["authinfo"], rec.face_sid)
    again = http.post("/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": "KIOSK-01"}).get_json()
    assert again["patient_id"] == first["patient_id"]


def test_authinfo_is_cached_per_device(http, sandbox):
    kiosk = sandbox.kiosk()
    a = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01"}).get_json()
    b = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01"}).get_json()
    assert a["authinfo"] == b["authinfo"]


def test_refresh_after_the_sdk_reports_an_expired_authinfo(http, sandbox):
    kiosk = sandbox.kiosk()
    a = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01"}).get_json()
    sandbox.expire_authinfos()
    with pytest.raises(wxface.SdkError) as e:
        kiosk.recognise(a["authinfo"])
    assert e.value.err_code == "271382020"
    # Without "refresh" the HIS would hand out the dead authinfo from its cache.
    body = {"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01", "refresh": True}
    b = http.post("/kiosk/authinfo", json=body).get_json()
    assert b["authinfo"] != a["authinfo"]
    assert kiosk.recognise(b["authinfo"]).face_sid


@pytest.mark.parametrize(
    "path,body",
    [
        ("/kiosk/authinfo", {"device_id": "KIOSK-01"}),
        ("/kiosk/authinfo", "not an object"),
        ("/kiosk/verified", {}),
        ("/kiosk/real-name", {"face_sid": "x"}),
    ],
)
def test_bad_requests(http, path, body):
    r = http.post(path, json=body)
    assert r.status_code == 400
    assert r.get_json()["code"] == "invalid_input"


def test_refused_consent_leaves_no_record(his, http, sandbox):
    kiosk = sandbox.kiosk(outcome="refuse")
    grant = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01"}).get_json()
    rec = kiosk.recognise(grant["authinfo"])
    with pytest.raises(wxface.SdkError):
        kiosk.consent(grant["authinfo"], rec.face_sid)
    r = http.post("/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": "KIOSK-01"})
    assert r.status_code == 403
    assert r.get_json()["code"] == "NO_AUTH"


def test_unknown_face_sid_answers_wechats_code(http):
    r = http.post("/kiosk/real-name", json={"face_sid": "NO_SUCH_SID", "device_id": "KIOSK-01"})
    assert r.status_code == 404 and r.get_json()["code"] == "NOT_FOUND"


def test_wechat_outage_is_retried_then_reported(http, sandbox):
    person = sandbox.identities[2]
    sandbox.faults.inject("users", "500", count=2)
    assert kiosk_visit(http, sandbox, person)["identity"] == person.real_name.masked()
    kiosk = sandbox.kiosk(person=person.key)
    grant = http.post("/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "KIOSK-01"}).get_json()
    rec = kiosk.recognise(grant["authinfo"])
    kiosk.consent(grant["authinfo"], rec.face_sid)
    sandbox.faults.inject("users", "500", count=10)
    r = http.post("/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": "KIOSK-01"})
    assert r.status_code == 502 and r.get_json()["code"] == "SYSTEM_ERROR"
    sandbox.faults.clear()
    sandbox.faults.inject("users", "bad_signature")
    r = http.post("/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": "KIOSK-01"})
    assert r.status_code == 502 and r.get_json()["code"] == "signature_mismatch"


def test_logs_contain_nothing_personal(his, http, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = []
    for i, person in enumerate(sandbox.identities):
        kiosk = sandbox.kiosk(person=person.key, device_id=f"LOG-{i}")
        rawdata = kiosk.rawdata()
        grant = http.post("/kiosk/authinfo", json={"rawdata": rawdata, "device_id": f"LOG-{i}"}).get_json()
        rec = kiosk.recognise(grant["authinfo"])
        http.post("/kiosk/verified", json={"openid": rec.openid, "face_sid": rec.face_sid})
        kiosk.consent(grant["authinfo"], rec.face_sid)
        r = http.post("/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": f"LOG-{i}"})
        assert r.status_code == 200
        if person.credential_type == 1:
            secrets.append(person.real_name.credential_id[6:14])  # the birth date
        secrets += [
            person.real_name.name,
            person.real_name.credential_id,
            person.openid,
            rec.face_sid,
            grant["authinfo"],
            rawdata,
        ]
    # An error path logs too.
    sandbox.faults.inject("users", "500", count=10)
    http.post("/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": "LOG-X"})
    text = caplog.text
    assert "registered" in text and "patient P" in text
    assert sandbox.identities[0].real_name.masked_name in text
    for s in secrets:
        assert s not in text, "personal or secret value in the log"


def test_concurrent_kiosks(his, http, sandbox):
    people = sandbox.identities

    def visit(i):
        return kiosk_visit(his.test_client(), sandbox, people[i % len(people)], device_id=f"C-{i:02d}")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(visit, range(10)))
    done = [a for a in answers if a is not None]
    assert len({a["patient_id"] for a in done}) == len(people)


def test_over_real_http(his, sandbox):
    server = make_server("127.0.0.1", 0, his, threaded=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        person = sandbox.identities[4]
        kiosk = sandbox.kiosk(person=person.key, device_id="HTTP-01")
        grant = requests.post(
            f"{base}/kiosk/authinfo", json={"rawdata": kiosk.rawdata(), "device_id": "HTTP-01"}, timeout=10
        ).json()
        rec = kiosk.recognise(grant["authinfo"])
        kiosk.consent(grant["authinfo"], rec.face_sid)
        r = requests.post(f"{base}/kiosk/real-name", json={"face_sid": rec.face_sid, "device_id": "HTTP-01"}, timeout=10)
        assert r.status_code == 200
        assert r.json()["identity"] == {
            "name": person.real_name.masked_name,
            "credential_type": 2,
            "credential_id": person.real_name.masked_credential_id,
        }
    finally:
        server.shutdown()
