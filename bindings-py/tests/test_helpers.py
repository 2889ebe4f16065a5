"""The bring-your-own-HTTP helpers, cross-checked with Python's own
``hashlib``/``hmac`` and the ``cryptography`` package."""

import base64
import hashlib
import hmac
import json
import pathlib
import time
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import wxface

from _vectors import KEYS, key_text

KEY = "192006250b4c09247ec02edce69f6a2d"
MCHID = "1900000001"
SERIAL = "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567"
PLATFORM_SERIAL = "6B2C3D4E5F60718293A4B5C6D7E8F9012345678A"
PUB_KEY_ID = "PUB_KEY_ID_0119000000012026010100000000000001"


def _private(name):
    return serialization.load_pem_private_key(key_text(name).encode(), password=None)


def _v2_expected(fields, key, sign_type):
    msg = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if v and k != "sign")
    msg += f"&key={key}"
    if sign_type == "MD5":
        return hashlib.md5(msg.encode()).hexdigest().upper()
    return hmac.new(key.encode(), msg.encode(), hashlib.sha256).hexdigest().upper()


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
def test_sign_v2_matches_hashlib(sign_type):
    fields = {"b": "二", "a": "1", "empty": "", "sign": "ignored", "z": "x+y/z"}
    assert wxface.sign_v2(fields, KEY, sign_type) == _v2_expected(fields, KEY, sign_type)


def test_sign_v2_refuses_unknown_sign_type():
    with pytest.raises(wxface.InvalidInputError):
        wxface.sign_v2({"a": "1"}, KEY, "SHA1")


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
def test_build_authinfo_request_is_signed_xml(sign_type):
    path, body = wxface.build_authinfo_request(
        rawdata="raw+data/==",
        store_id="HOSP-01",
        store_name="门诊大厅",
        device_id="KIOSK-01",
        appid="wx0000000000000001",
        mch_id=MCHID,
        key=KEY,
        attach='{"dept":"内科"}',
        sign_type=sign_type,
        now=1700000000,
        nonce_str="abc123",
    )
    assert path == "/face/get_wxpayface_authinfo"
    assert isinstance(body, bytes)
    fields = {e.tag: (e.text or "") for e in ET.fromstring(body.decode("utf-8"))}
    assert fields["rawdata"] == "raw+data/=="
    assert fields["store_name"] == "门诊大厅"
    assert fields["now"] == "1700000000" and fields["version"] == "1"
    assert fields["nonce_str"] == "abc123" and fields["sign_type"] == sign_type
    assert fields["sign"] == _v2_expected(fields, KEY, sign_type)
    assert KEY not in body.decode("utf-8")


def test_build_authinfo_request_defaults_and_field_rules():
    _, body = wxface.build_authinfo_request(
        rawdata="r", store_id="s", store_name="n", device_id="d", appid="wx1", mch_id="1", key=KEY
    )
    fields = {e.tag: (e.text or "") for e in ET.fromstring(body)}
    assert len(fields["nonce_str"]) == 32
    assert abs(int(fields["now"]) - time.time()) < 60
    with pytest.raises(wxface.InvalidInputError) as e:
        wxface.build_authinfo_request(
            rawdata="r", store_id="s" * 33, store_name="n", device_id="d", appid="wx1", mch_id="1", key=KEY
        )
    assert e.value.field == "store_id"
    with pytest.raises(wxface.InvalidInputError) as e:
        wxface.build_authinfo_request(
            rawdata="r", store_id="s", store_name="😀", device_id="d", appid="wx1", mch_id="1", key=KEY
        )
    assert e.value.field == "store_name"
    with pytest.raises(wxface.InvalidInputError):
        wxface.build_authinfo_request(
            rawdata="r", store_id="s", store_name="n", device_id="d", appid="wx1", mch_id="1", key=KEY, attach="{not json"
        )
    with pytest.raises(wxface.ConfigError):
        wxface.build_authinfo_request(
            rawdata="r", store_id="s", store_name="n", device_id="d", appid="wx1", mch_id="1", key=""
        )


def _signed_answer(fields, sign_type="MD5"):
    fields = dict(fields)
    fields["sign"] = _v2_expected(fields, KEY, sign_type)
    return ("<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>").encode()


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
def test_parse_authinfo_response_round_trip(sign_type):
    body = _signed_answer(
        {"return_code": "SUCCESS", "return_msg": "ok", "authinfo": "AUTH+/=", "expires_in": "3600",
         "appid": "wx1", "mch_id": "1", "nonce_str": "n", "future_field": "signed too"},
        sign_type,
    )
    r = wxface.parse_authinfo_response(body, KEY, sign_type, now=100)
    assert (r.authinfo, r.expires_in, r.expires_at, r.appid, r.mch_id) == ("AUTH+/=", 3600, 3700, "wx1", "1")
    assert r.sub_appid is None and r.from_cache is False
    assert "AUTH" not in repr(r)
    # str bodies are accepted too, and the clock is the default.
    r = wxface.parse_authinfo_response(body.decode(), KEY, sign_type)
    assert abs(r.expires_at - 3600 - time.time()) < 60
    tampered = body.replace(b"AUTH+/=", b"AUTH+/X")
    with pytest.raises(wxface.SignatureError) as e:
        wxface.parse_authinfo_response(tampered, KEY, sign_type)
    assert e.value.code == "signature_mismatch"


def test_signer_signature_verifies_with_cryptography(merchant_key_pem):
    s = wxface.Signer(MCHID, SERIAL, merchant_key_pem)
    path = "/v3/facemch/users/SID?info_type=ASK_REAL_NAME&appid=wx1"
    auth = s.authorization("GET", path, timestamp=1767225600, nonce="N0NCE")
    assert auth.startswith("WECHATPAY2-SHA256-RSA2048 ")
    items = dict(
        (k, v.strip('"')) for k, v in (p.split("=", 1) for p in auth.split(" ", 1)[1].split(","))
    )
    assert items["mchid"] == MCHID and items["serial_no"] == SERIAL
    assert items["timestamp"] == "1767225600" and items["nonce_str"] == "N0NCE"
    msg = f"GET\n{path}\n1767225600\nN0NCE\n\n".encode()
    cert = x509.load_pem_x509_certificate(key_text("merchant_cert.pem").encode())
    cert.public_key().verify(base64.b64decode(items["signature"]), msg, padding.PKCS1v15(), hashes.SHA256())
    # Deterministic: same inputs, same header; fresh nonce and clock by default.
    assert s.authorization("GET", path, b"", 1767225600, "N0NCE") == auth
    fresh = s.authorization("POST", "/v3/x", '{"a":1}')
    assert 'nonce_str="' in fresh and fresh != auth


def test_signer_headers_and_key_forms(merchant_key_pem):
    s = wxface.Signer(MCHID, SERIAL, KEYS / "merchant_pkcs1.pem", platform_serial=PUB_KEY_ID)
    h = s.headers("GET", "/v3/facemch/users/S?info_type=ASK_REAL_NAME&appid=wx1", timestamp=1)
    assert set(h) >= {"Authorization", "Accept", "User-Agent", "Wechatpay-Serial"}
    assert h["Wechatpay-Serial"] == PUB_KEY_ID
    h = s.headers("POST", "/v3/x", b"{}")
    assert h["Content-Type"] == "application/json"
    assert (s.mchid, s.serial_no, s.platform_serial) == (MCHID, SERIAL, PUB_KEY_ID)
    assert "PRIVATE" not in repr(s) and "redacted" in repr(s)
    assert wxface.Signer(MCHID, SERIAL, merchant_key_pem.encode()).authorization(
        "GET", "/v3/x", timestamp=5, nonce="n"
    ) == wxface.Signer(MCHID, SERIAL, pathlib.Path(KEYS / "merchant_pkcs8.pem")).authorization(
        "GET", "/v3/x", timestamp=5, nonce="n"
    )
    with pytest.raises(wxface.InvalidInputError):
        s.headers("DELETE", "/v3/x")
    with pytest.raises(wxface.InvalidInputError):
        wxface.Signer('19"0', SERIAL, merchant_key_pem)
    with pytest.raises(wxface.ConfigError):
        wxface.Signer(MCHID, SERIAL, "not a pem")
    with pytest.raises(wxface.ConfigError):
        wxface.Signer(MCHID, SERIAL, pathlib.Path("/nonexistent/key.pem"))
    with pytest.raises(wxface.InvalidInputError):
        wxface.Signer(MCHID, SERIAL, 42)


def _platform_answer(body: bytes, ts: int, nonce="nonce1", serial=PLATFORM_SERIAL, key="platform_pkcs8.pem"):
    sig = _private(key).sign(f"{ts}\n{nonce}\n".encode() + body + b"\n", padding.PKCS1v15(), hashes.SHA256())
    return {
        "Wechatpay-Timestamp": str(ts),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": base64.b64encode(sig).decode(),
        "Wechatpay-Serial": serial,
    }


def _verifier():
    v = wxface.ResponseVerifier()
    assert v.add_platform_certificate(key_text("platform_cert.pem")) == PLATFORM_SERIAL
    v.add_platform_public_key(PUB_KEY_ID, KEYS / "platform_pubkey_pub.pem")
    return v


def test_response_verifier_with_cryptography_signed_answers():
    v = _verifier()
    assert v.ids == [PLATFORM_SERIAL, PUB_KEY_ID]
    assert v.window_secs == 300
    assert v.preferred_serial() == PUB_KEY_ID
    assert PLATFORM_SERIAL in repr(v)
    now = int(time.time())
    body = json.dumps({"openid": "o1"}).encode()
    h = _platform_answer(body, now)
    assert v.verify(200, h, body) is None
    # Header names are case-insensitive; pairs work as well as a dict.
    assert v.verify(200, [(k.lower(), x) for k, x in h.items()], body) is None
    with pytest.raises(wxface.SignatureError) as e:
        v.verify(200, h, body + b" ")
    assert e.value.code == "signature_mismatch"
    with pytest.raises(wxface.SignatureError) as e:
        v.verify(200, h, body, now=now + 300)
    assert e.value.code == "signature_stale_timestamp"
    h2 = _platform_answer(body, now, serial=PUB_KEY_ID, key="platform_pubkey_pkcs8.pem")
    assert v.verify(200, h2, body) is None
    with pytest.raises(wxface.SignatureError) as e:
        wxface.ResponseVerifier().verify(200, h, body)
    assert e.value.code == "signature_unknown_serial"
    with pytest.raises(wxface.InvalidInputError):
        v.add_platform_public_key("NOT_A_KEY_ID", KEYS / "platform_pubkey_pub.pem")
    with pytest.raises(wxface.ConfigError):
        v.add_platform_certificate("garbage")
    narrow = wxface.ResponseVerifier(window_secs=10)
    narrow.add_platform_certificate(KEYS / "platform_cert.pem")
    with pytest.raises(wxface.SignatureError):
        narrow.verify(200, h, body, now=now + 11)


def _encrypt(plain: str, pad="pkcs1v15", cert="merchant_cert.pem"):
    pub = x509.load_pem_x509_certificate(key_text(cert).encode()).public_key()
    p = padding.PKCS1v15() if pad == "pkcs1v15" else padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None
    )
    return base64.b64encode(pub.encrypt(plain.encode(), p)).decode()


ID = "11010519491231002X"


def _identity_body(pad, name="张小三", cert="merchant_cert.pem"):
    return json.dumps(
        {
            "openid": "o-1",
            "real_name_info": {
                "encrypted_real_name": _encrypt(name, pad, cert),
                "credential_type": 1,
                "encrypted_credential_id": _encrypt(ID, pad, cert),
            },
        }
    ).encode()


@pytest.mark.parametrize("pad", ["pkcs1v15", "oaep-sha1"])
def test_users_response_then_decryptor(pad, merchant_key_pem):
    v = _verifier()
    now = int(time.time())
    body = _identity_body(pad)
    u = wxface.parse_users_response(v, 200, _platform_answer(body, now), body)
    assert u.openid == "o-1" and u.sub_openid is None and u.union_id is None
    assert "<encrypted>" in repr(u)
    enc = u.real_name
    assert enc.credential_type == 1
    ciphertext = json.loads(body)["real_name_info"]["encrypted_real_name"]
    assert "<encrypted>" in repr(enc) and ciphertext[:16] not in repr(enc)
    d = wxface.Decryptor(merchant_key_pem, padding=pad)
    assert "PRIVATE" not in repr(d) and pad in repr(d)
    for form in (u, enc):
        r = d.decrypt_real_name(form)
        assert (r.expose_name(), r.expose_credential_id(), r.credential_type) == ("张小三", ID, 1)
    other = "oaep-sha1" if pad == "pkcs1v15" else "pkcs1v15"
    with pytest.raises(wxface.DecryptionError):
        wxface.Decryptor(merchant_key_pem, padding=other).decrypt_real_name(u)
    with pytest.raises(wxface.DecryptionError) as e:
        wxface.Decryptor(KEYS / "sub_merchant_pkcs8.pem", pad).decrypt_real_name(u)
    assert "张" not in str(e.value) and ID not in str(e.value)


@pytest.mark.parametrize("pad", ["pkcs1v15", "oaep-sha1"])
def test_receiver_with_cryptography_signed_answers(pad):
    """The hospital's receiver on answers encrypted and signed by Python's
    ``cryptography`` (provider mode: encrypted for the sub-merchant)."""
    now = int(time.time())
    body = _identity_body(pad, cert="sub_merchant_cert.pem")
    r = wxface.RealNameReceiver(
        KEYS / "sub_merchant_pkcs8.pem",
        platform_public_key_pem=KEYS / "platform_pubkey_pub.pem",
        pub_key_id=PUB_KEY_ID,
        platform_certificate_pem=key_text("platform_cert.pem"),
        padding=pad,
    )
    assert r.platform_key_ids == [PUB_KEY_ID, PLATFORM_SERIAL]
    for serial, key in ((PLATFORM_SERIAL, "platform_pkcs8.pem"), (PUB_KEY_ID, "platform_pubkey_pkcs8.pem")):
        answer = {"status": 200, "headers": _platform_answer(body, now, serial=serial, key=key), "body": body.decode()}
        who = r.receive(answer)
        assert (who.expose_name(), who.expose_credential_id(), who.credential_type) == ("张小三", ID, 1)
        assert r.receive(json.dumps(answer)) == who
        # Signed with a key other than the one its serial names.
        wrong = dict(answer, headers=_platform_answer(body, now, serial=serial, key="merchant_pkcs8.pem"))
        with pytest.raises(wxface.SignatureError) as e:
            r.receive(wrong)
        assert e.value.code == "signature_mismatch"
        stale = dict(answer, headers=_platform_answer(body, now - 301, serial=serial, key=key))
        with pytest.raises(wxface.SignatureError) as e:
            r.receive(stale)
        assert e.value.code == "signature_stale_timestamp"
    # The merchant's key does not open what was encrypted for the hospital.
    mine = wxface.RealNameReceiver(
        KEYS / "merchant_pkcs8.pem", platform_public_key_pem=KEYS / "platform_pubkey_pub.pem",
        pub_key_id=PUB_KEY_ID, padding=pad,
    )
    answer = {"status": 200, "headers": _platform_answer(body, now, serial=PUB_KEY_ID, key="platform_pubkey_pkcs8.pem"),
              "body": body.decode()}
    with pytest.raises(wxface.DecryptionError) as e:
        mine.receive(answer)
    assert "张" not in str(e.value) and ID not in str(e.value)


def test_decryptor_argument_errors(merchant_key_pem):
    d = wxface.Decryptor(KEYS / "merchant_pkcs1.pem")
    assert d.padding == "pkcs1v15"
    assert not hasattr(d, "decrypt_field")
    with pytest.raises(wxface.InvalidInputError):
        wxface.Decryptor(merchant_key_pem, padding="none")
    # Only a verified answer is decrypted: no dicts, no loose fields.
    body = _identity_body("pkcs1v15")
    for form in (json.loads(body), json.loads(body)["real_name_info"], body, ["not", "a", "mapping"]):
        with pytest.raises(TypeError):
            d.decrypt_real_name(form)
    v = _verifier()
    body = b'{"openid": "o"}'
    u = wxface.parse_users_response(v, 200, _platform_answer(body, int(time.time())), body)
    assert u.real_name is None
    with pytest.raises(wxface.MalformedError):
        d.decrypt_real_name(u)


def test_build_users_query_and_nonce():
    assert wxface.build_users_query("FACE/SID+1", "wx1") == (
        "/v3/facemch/users/FACE%2FSID%2B1?info_type=ASK_REAL_NAME&appid=wx1"
    )
    assert wxface.build_users_query("S", "wx1", "ASK_UNION_ID").endswith("info_type=ASK_UNIONID&appid=wx1")
    assert "sub_serial_no=ABC" in wxface.build_users_query("S", "wx1", sub_mchid="1900000109", sub_serial_no="ABC")
    with pytest.raises(wxface.InvalidInputError):
        wxface.build_users_query("S", "wx1", "ASK_EVERYTHING")
    n = wxface.new_nonce()
    assert len(n) == 32 and n.isalnum() and n != wxface.new_nonce()
