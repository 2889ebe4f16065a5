"""get_wxpayface_authinfo (v2 XML) against the sandbox, signed with hashlib/hmac."""

import time

import pytest

from sandbox_client import AUTHINFO_PATH, parse_xml

DEVICE = "PY-KIOSK-1"
STORE = "PY-STORE"


def test_public_check_values_of_the_signer():
    # WeChat Pay's own published example of the v2 signature.
    from sandbox_client import v2_sign

    fields = {
        "appid": "wxd930ea5d5a258f4f", "body": "test", "device_info": "1000",
        "mch_id": "10000100", "nonce_str": "ibuaiVcKdpRxkhJA",
    }
    key = "192006250b4c09247ec02edce69f6a2d"
    assert v2_sign(fields, key, "MD5") == "9A0A8659F005D6984697E2CA0A9CF3B7"
    assert v2_sign(fields, key, "HMAC-SHA256") == (
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    )


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
@pytest.mark.parametrize("provider", [False, True])
def test_authinfo_is_issued_and_signed(sandbox, sign_type, provider):
    raw = sandbox.rawdata(DEVICE)
    r = sandbox.post_v2(sandbox.authinfo_fields(raw, DEVICE, STORE, provider, sign_type), sign_type)
    assert r.status_code == 200
    answer = parse_xml(r.content)
    assert answer["return_code"] == "SUCCESS", answer
    sandbox.check_v2_sign(answer, sign_type)
    assert len(answer["sign"]) == (64 if sign_type == "HMAC-SHA256" else 32)
    assert answer["expires_in"] == "7200"
    assert 0 < len(answer["authinfo"]) <= 4096
    assert answer["mch_id"] == sandbox.mch_id
    assert answer.get("sub_mch_id") == (sandbox.sub_mch_id if provider else None)


def test_md5_is_the_default_sign_type(sandbox):
    raw = sandbox.rawdata(DEVICE)
    fields = sandbox.authinfo_fields(raw, DEVICE, STORE)
    del fields["sign_type"]
    answer = parse_xml(sandbox.post_v2(fields, "MD5").content)
    assert answer["return_code"] == "SUCCESS", answer
    sandbox.check_v2_sign(answer, "MD5")


def _fail(sandbox, fields, sign_type="MD5", **kw):
    r = sandbox.post_v2(fields, sign_type, **kw)
    assert r.status_code == 200
    answer = parse_xml(r.content)
    assert answer["return_code"] == "FAIL", answer
    assert answer["return_msg"]
    return answer


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
def test_bad_sign_is_refused_with_a_signed_answer(sandbox, sign_type):
    raw = sandbox.rawdata(DEVICE)
    fields = sandbox.authinfo_fields(raw, DEVICE, STORE, sign_type=sign_type)
    answer = _fail(sandbox, fields, sign_type, key="0" * 32)
    assert "签名" in answer["return_msg"]
    sandbox.check_v2_sign(answer, sign_type)


@pytest.mark.parametrize(
    "missing",
    ["store_id", "store_name", "device_id", "rawdata", "appid", "now", "version", "nonce_str"],
)
def test_missing_params(sandbox, missing):
    raw = sandbox.rawdata(DEVICE)
    fields = sandbox.authinfo_fields(raw, DEVICE, STORE)
    del fields[missing]
    answer = _fail(sandbox, fields)
    assert missing in answer["return_msg"]
    sandbox.check_v2_sign(answer, "MD5")


def test_unsigned_request(sandbox):
    raw = sandbox.rawdata(DEVICE)
    answer = _fail(sandbox, sandbox.authinfo_fields(raw, DEVICE, STORE), sign=False)
    assert "sign" in answer["return_msg"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("store_id", "s" * 33),
        ("store_name", "名" * 129),
        ("device_id", "d" * 33),
        ("nonce_str", "n" * 33),
        ("version", "2"),
        ("now", str(int(time.time()) - 3600)),
        ("now", str(int(time.time()) + 3600)),
        ("appid", "wx_not_this_merchant"),
        ("rawdata", "bm90IGlzc3VlZCBieSB0aGUgU0RL"),
        ("sign_type", "SHA256"),
    ],
)
def test_field_rules(sandbox, field, value):
    raw = sandbox.rawdata(DEVICE)
    fields = sandbox.authinfo_fields(raw, DEVICE, STORE)
    fields[field] = value
    answer = _fail(sandbox, fields)
    assert field in answer["return_msg"]


def test_unknown_merchant_gets_an_unsigned_fail(sandbox):
    raw = sandbox.rawdata(DEVICE)
    fields = sandbox.authinfo_fields(raw, DEVICE, STORE)
    fields["mch_id"] = "1999999999"
    answer = _fail(sandbox, fields)
    assert "sign" not in answer


def test_get_is_refused(sandbox):
    raw = sandbox.rawdata(DEVICE)
    r = sandbox.http.get(sandbox.url + AUTHINFO_PATH, params={"rawdata": raw}, timeout=30)
    assert r.status_code == 405
    assert parse_xml(r.content)["return_code"] == "FAIL"


def test_not_xml(sandbox):
    r = sandbox.http.post(sandbox.url + AUTHINFO_PATH, data=b"rawdata=abc", timeout=30)
    answer = parse_xml(r.content)
    assert answer["return_code"] == "FAIL"
    assert "sign" not in answer


def test_injected_system_error_is_signed(sandbox):
    r = sandbox.http.post(
        sandbox.url + "/_sandbox/faults",
        json={"endpoint": "authinfo", "kind": "system_error", "next": 1}, timeout=10,
    )
    assert r.status_code == 200
    raw = sandbox.rawdata(DEVICE)
    r = sandbox.post_v2(sandbox.authinfo_fields(raw, DEVICE, STORE, sign_type="HMAC-SHA256"),
                        "HMAC-SHA256")
    answer = parse_xml(r.content)
    assert answer["return_code"] == "SYSTEMERROR"
    sandbox.check_v2_sign(answer, "HMAC-SHA256")
