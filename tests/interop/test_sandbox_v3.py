"""APIv3 against the sandbox, with `cryptography` for every RSA and AES step."""

import time

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from sandbox_client import aes_gcm_open, authorization, gb11643_ok, rsa_decrypt, verify_answer

DEVICE = "PY-KIOSK-3"
STORE = "PY-STORE-3"


def real_name(body: dict) -> dict:
    return body.get("real_name_info", body)


def check_identity(sb, body: dict, ident: dict, key) -> None:
    info = real_name(body)
    name = rsa_decrypt(key, info["encrypted_real_name"], sb.padding)
    number = rsa_decrypt(key, info["encrypted_credential_id"], sb.padding)
    assert info["credential_type"] == ident["credential_type"]
    assert name == ident["name"]
    assert number == ident["credential_id"]
    if ident["credential_type"] == 1:
        assert gb11643_ok(number)


@pytest.mark.parametrize("fixture", ["sandbox", "sandbox_oaep"])
def test_real_name_every_identity(request, fixture):
    sb = request.getfixturevalue(fixture)
    for ident in sb.identities:
        _, face_sid = sb.session(DEVICE, STORE, person=ident["key"])
        r = sb.get_v3(sb.users_path(face_sid))
        assert r.status_code == 200, r.text
        sb.verify(r)
        body = r.json()
        assert body["openid"] == ident["openid"]
        assert ("real_name_info" in body) == (fixture == "sandbox")
        check_identity(sb, body, ident, sb.merchant_key)


def test_the_other_padding_fails(sandbox):
    _, face_sid = sandbox.session(DEVICE, STORE)
    body = sandbox.get_v3(sandbox.users_path(face_sid)).json()
    info = real_name(body)
    with pytest.raises(ValueError):
        rsa_decrypt(sandbox.merchant_key, info["encrypted_real_name"], "oaep-sha1")


@pytest.mark.parametrize("fixture", ["sandbox", "sandbox_oaep"])
def test_provider_mode_uses_the_sub_merchant_key(request, fixture):
    sb = request.getfixturevalue(fixture)
    ident = sb.identities[2]
    _, face_sid = sb.session(DEVICE, STORE, provider=True, person=ident["key"])
    r = sb.get_v3(sb.users_path(face_sid, provider=True))
    assert r.status_code == 200, r.text
    sb.verify(r)
    body = r.json()
    assert body["sub_openid"] == ident["sub_openid"]
    check_identity(sb, body, ident, sb.sub_key)


def test_signature_by_certificate_and_by_public_key(sandbox):
    _, face_sid = sandbox.session(DEVICE, STORE)
    path = sandbox.users_path(face_sid, "ASK_UNIONID")
    cert_serial = format(sandbox.platform_cert.serial_number, "X")
    assert cert_serial == sandbox.manifest["platform_serial"]
    r = sandbox.get_v3(path)
    assert r.headers["Wechatpay-Serial"] == cert_serial
    verify_answer(r, sandbox.platform_cert.public_key())
    r = sandbox.get_v3(path, wechatpay_serial=sandbox.manifest["pub_key_id"])
    assert r.headers["Wechatpay-Serial"] == sandbox.manifest["pub_key_id"]
    verify_answer(r, sandbox.pub_key)
    # The two platform keys differ: the certificate's does not verify the other.
    with pytest.raises(InvalidSignature):
        verify_answer(r, sandbox.platform_cert.public_key())
    assert r.json()["union_id"] == sandbox.identities[0]["union_id"]


def test_bad_request_signature(sandbox):
    _, face_sid = sandbox.session(DEVICE, STORE)
    path = sandbox.users_path(face_sid)
    auth = authorization(sandbox.sub_key, sandbox.mch_id, sandbox.manifest["merchant_serial"],
                         "GET", path)
    r = sandbox.get_v3(path, auth=auth)
    assert r.status_code == 401
    body = r.json()
    assert body["code"] == "SIGN_ERROR"
    assert body["detail"]["truncated_sign_message"].startswith(f"GET\n{path}\n")
    sandbox.verify(r)


def test_no_authorization(sandbox):
    r = sandbox.get_v3(sandbox.users_path("whatever"), auth=None)
    assert r.status_code == 401
    assert r.json()["code"] == "SIGN_ERROR"


@pytest.mark.parametrize("skew", [-400, 400])
def test_stale_request_timestamp(sandbox, skew):
    _, face_sid = sandbox.session(DEVICE, STORE)
    r = sandbox.get_v3(sandbox.users_path(face_sid), ts=int(time.time()) + skew)
    assert r.status_code == 401
    assert r.json()["code"] == "SIGN_ERROR"


def test_missing_params(sandbox):
    _, face_sid = sandbox.session(DEVICE, STORE)
    for path in [
        f"/v3/facemch/users/{face_sid}?appid={sandbox.appid}",
        f"/v3/facemch/users/{face_sid}?info_type=ASK_REAL_NAME",
        f"/v3/facemch/users/{face_sid}?info_type=ASK_REAL_NAME&appid={sandbox.appid}"
        f"&sub_mchid={sandbox.sub_mch_id}",
    ]:
        r = sandbox.get_v3(path)
        assert r.status_code == 400, path
        assert r.json()["code"] == "PARAM_ERROR"
        sandbox.verify(r)


def test_unconsented_unknown_and_expired(sandbox):
    authinfo, face_sid = sandbox.session(DEVICE, STORE, consent=False)
    r = sandbox.get_v3(sandbox.users_path(face_sid))
    assert (r.status_code, r.json()["code"]) == (403, "NO_AUTH")
    r = sandbox.get_v3(sandbox.users_path("no-such-face-sid"))
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")
    # Refusal.
    assert sandbox.auth(DEVICE, authinfo, face_sid, "refuse").status_code == 200
    r = sandbox.get_v3(sandbox.users_path(face_sid))
    assert (r.status_code, r.json()["code"]) == (403, "NO_AUTH")
    # Expiry through the control endpoint.
    _, face_sid = sandbox.session(DEVICE, STORE)
    sandbox.http.post(sandbox.url + "/_sandbox/expire", json={"what": "face_sid"}, timeout=10)
    r = sandbox.get_v3(sandbox.users_path(face_sid))
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_REQUEST")


def test_expired_authinfo_blocks_recognition(sandbox):
    raw = sandbox.rawdata(DEVICE)
    from sandbox_client import parse_xml

    answer = parse_xml(sandbox.post_v2(sandbox.authinfo_fields(raw, DEVICE, STORE)).content)
    sandbox.http.post(sandbox.url + "/_sandbox/expire", json={"what": "authinfo"}, timeout=10)
    r = sandbox.recognise(DEVICE, answer["authinfo"], STORE)
    assert r.status_code == 409
    assert r.json()["err_code"] == "271382020"


def test_certificates_decrypt_with_aes_gcm(sandbox):
    r = sandbox.get_v3("/v3/certificates")
    assert r.status_code == 200, r.text
    sandbox.verify(r)
    item = r.json()["data"][0]
    enc = item["encrypt_certificate"]
    assert enc["algorithm"] == "AEAD_AES_256_GCM"
    pem = aes_gcm_open(sandbox.v3_key, enc["nonce"], enc["associated_data"], enc["ciphertext"])
    assert pem == sandbox.platform_cert_pem
    cert = x509.load_pem_x509_certificate(pem)
    assert format(cert.serial_number, "X") == item["serial_no"]
    assert item["expire_time"].endswith("+08:00")


def test_public_key_only_mode(sandbox_pubkey):
    sb = sandbox_pubkey
    r = sb.get_v3("/v3/certificates")
    assert r.status_code == 404
    assert r.json()["code"] == "NOT_FOUND"
    verify_answer(r, sb.pub_key)
    _, face_sid = sb.session(DEVICE, STORE)
    r = sb.get_v3(sb.users_path(face_sid))
    assert r.headers["Wechatpay-Serial"] == sb.manifest["pub_key_id"]
    verify_answer(r, sb.pub_key)
    check_identity(sb, r.json(), sb.identities[0], sb.merchant_key)


@pytest.mark.parametrize(
    "kind,status",
    [("system_error", 500), ("rate_limited", 429), ("service_unavailable", 503)],
)
def test_injected_status_faults(sandbox, kind, status):
    _, face_sid = sandbox.session(DEVICE, STORE)
    sandbox.http.post(sandbox.url + "/_sandbox/faults",
                      json={"endpoint": "users", "kind": kind, "next": 1}, timeout=10)
    r = sandbox.get_v3(sandbox.users_path(face_sid))
    assert r.status_code == status
    assert sandbox.get_v3(sandbox.users_path(face_sid)).status_code == 200


def test_injected_bad_signature_and_stale_timestamp(sandbox):
    _, face_sid = sandbox.session(DEVICE, STORE)
    sandbox.http.post(sandbox.url + "/_sandbox/faults",
                      json={"endpoint": "users", "kind": "bad_signature", "next": 1}, timeout=10)
    r = sandbox.get_v3(sandbox.users_path(face_sid))
    assert r.status_code == 200
    with pytest.raises(InvalidSignature):
        sandbox.verify(r)
    sandbox.http.post(sandbox.url + "/_sandbox/faults",
                      json={"endpoint": "users", "kind": "stale_timestamp", "next": 1}, timeout=10)
    r = sandbox.get_v3(sandbox.users_path(face_sid))
    with pytest.raises(ValueError, match="stale"):
        sandbox.verify(r)
