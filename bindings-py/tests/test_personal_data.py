"""A name and a resident ID number fed as the value of every field of every
entry point of the binding that parses input: no error — its ``str()``,
``repr()``, ``args`` or attributes — contains either, and no ``repr()`` of a
class that carries ``face_sid``, ``openid``, ``sub_openid`` or ``union_id``
shows them.

The one text an error carries verbatim is a peer's own message (``message``
and ``detail`` of a WeChat Pay error answer, ``return_msg`` of a v2 answer,
an excerpt of an error answer that is not JSON at all): those fields are
left out of the sweep, and the excerpt is discounted only where a whole body
that is not JSON was fed; everything else is fed and checked.
"""

import json
import re

import pytest

import wxface
from wxface_sandbox import Sandbox

from _vectors import sign_answer

NAME = "张三丰"
# The GB 11643 specimen number.
ID = "11010519491231002X"
VALUES = [NAME, ID, f"{NAME} {ID}", f"{NAME}\n{ID}"]
# Where a field takes a number, the number too (it fits without its check letter).
NUMBER = 110105194912310021
KEY = "192006250b4c09247ec02edce69f6a2d"
PEER_TEXT = {"message", "detail", "return_msg"}


def leaks(text: str) -> bool:
    return NAME in text or ID in text or "19491231" in text or "张" in text or str(NUMBER) in text


def error_text(e: BaseException, peer_text: bool = False) -> str:
    """Everything an error shows. With ``peer_text``, less the message of a
    ``BackendError``: the excerpt of an error body that is not JSON."""
    parts = [str(e), repr(e), repr(e.args)]
    for k, v in vars(e).items():
        parts.append(f"{k}={v!r}")
    if peer_text and isinstance(e, wxface.BackendError) and e.wechat_code.startswith("HTTP_"):
        parts = [p.replace(e.wechat_message or "\0", "") for p in parts]
    return "\n".join(parts)


class Sweep:
    """Calls entry points, checks every error, counts them."""

    def __init__(self):
        self.errors = 0
        self.calls = 0

    def __call__(self, what, fn, *args, peer_text=False, **kwargs):
        self.calls += 1
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - every exception is checked
            text = error_text(e, peer_text)
            assert not leaks(text), f"{what}: {text}"
            self.errors += 1
            return None


def values_for(typed: bool):
    """The values fed to a field: strings, and the number where it may fit."""
    return VALUES + ([NUMBER, [NAME, ID], {NAME: ID}] if typed else [])


def test_the_values_reach_the_parsers():
    # Control: fields that take any text carry the values unchanged, so the
    # sweeps below feed them to the parsers for real.
    r = wxface.RealName(NAME, 1, ID)
    assert (r.expose_name(), r.expose_credential_id()) == (NAME, ID)
    for shown in (repr(r), str(r)):
        assert NAME not in shown and ID not in shown, shown
    wxface.check_resident_id(ID)
    assert wxface.is_resident_id(ID)
    _, body = wxface.build_authinfo_request(
        rawdata="r", store_id="s", store_name=NAME, device_id="d", appid="wx1", mch_id="1", key=KEY, now=1700000000
    )
    assert NAME in body.decode()
    assert ID in wxface.build_users_query(ID, "wx1")
    # And a check digit that fails is refused without the number.
    bad = ID[:-1] + "1"
    with pytest.raises(wxface.InvalidInputError) as e:
        wxface.check_resident_id(bad)
    assert bad not in error_text(e.value) and "19491231" not in error_text(e.value)
    # The detector sees what it looks for.
    assert leaks(f"x{ID}y") and leaks(NAME) and not leaks("110***********002X")


def test_identity_helpers():
    s = Sweep()
    for v in values_for(True):
        s("RealName.name", wxface.RealName, v, 1, "110101199003077777")
        s("RealName.credential_id", wxface.RealName, "测试", 1, v)
        s("RealName.credential_type", wxface.RealName, "测试", v, "110101199003077777")
        s("check_resident_id", wxface.check_resident_id, v)
        s("is_resident_id", wxface.is_resident_id, v)
        s("credential_type_label", wxface.credential_type_label, v)
        s("mask_name", wxface.mask_name, v)
        s("mask_credential_id", wxface.mask_credential_id, v)
    for bad in [ID[:-1] + "1", ID[:6] + "19491331" + ID[14:], ID + "0", ID[:-1] + "Y"]:
        s("check_resident_id", wxface.check_resident_id, bad)
        s("RealName", wxface.RealName, NAME, 1, bad)
    s("RealName", wxface.RealName, NAME + "\n", 1, ID)
    assert s.errors >= 20


def _authinfo_kwargs():
    return dict(rawdata="r", store_id="s", store_name="n", device_id="d", appid="wx1", mch_id="1", key=KEY,
                now=1700000000, nonce_str="abc")


def _v2_answer(fields, sign=True):
    body = dict(fields)
    if sign:
        body["sign"] = wxface.sign_v2({k: str(v) for k, v in body.items()}, KEY, "MD5")
    return ("<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in body.items()) + "</xml>").encode()


def test_v2_helpers():
    s = Sweep()
    base = _authinfo_kwargs()
    for field in list(base) + ["attach", "sub_appid", "sub_mch_id", "sign_type"]:
        for v in values_for(field == "now"):
            s(f"build_authinfo_request.{field}", wxface.build_authinfo_request, **{**base, field: v})
    for v in values_for(True):
        s("sign_v2.fields", wxface.sign_v2, {NAME: v}, KEY)
        s("sign_v2.sign_type", wxface.sign_v2, {"a": "1"}, KEY, v)
        s("sign_v2.key", wxface.sign_v2, {"a": "1"}, v)
    ok = {"return_code": "SUCCESS", "return_msg": "OK", "authinfo": "AUTH", "expires_in": "3600",
          "appid": "wx1", "mch_id": "1", "nonce_str": "n"}
    for field in list(ok) + ["result_code", "err_code", "sub_appid", "sub_mch_id", "sign"]:
        if field in PEER_TEXT:
            continue
        for v in VALUES:
            for signed in (True, False):
                body = _v2_answer({**ok, field: v}, sign=signed and field != "sign")
                s(f"parse_authinfo_response.{field}", wxface.parse_authinfo_response, body, KEY, "MD5", now=1)
    for v in VALUES:
        s("parse_authinfo_response.key", wxface.parse_authinfo_response, _v2_answer(ok), v)
        s("parse_authinfo_response.sign_type", wxface.parse_authinfo_response, _v2_answer(ok), KEY, v)
        s("parse_authinfo_response.element", wxface.parse_authinfo_response,
          f"<xml><{NAME}>{ID}</{NAME}></xml>".encode(), KEY)
        s("parse_authinfo_response.text", wxface.parse_authinfo_response, v, KEY)
        s("parse_authinfo_response.cut", wxface.parse_authinfo_response, f"<xml><authinfo>{v}", KEY)
    s("parse_authinfo_response.now", wxface.parse_authinfo_response, _v2_answer(ok), KEY, "MD5", now=NAME)
    assert s.errors >= 40


def test_v3_helpers(merchant_key_pem):
    s = Sweep()
    for v in values_for(True):
        s("Signer.mchid", wxface.Signer, v, "SERIAL01", merchant_key_pem)
        s("Signer.serial_no", wxface.Signer, "1900000001", v, merchant_key_pem)
        s("Signer.private_key_pem", wxface.Signer, "1900000001", "SERIAL01", v)
        s("Signer.platform_serial", wxface.Signer, "1900000001", "SERIAL01", merchant_key_pem, platform_serial=v)
        signer = wxface.Signer("1900000001", "SERIAL01", merchant_key_pem)
        s("Signer.authorization.method", signer.authorization, v, "/v3/x")
        s("Signer.authorization.path", signer.authorization, "GET", v)
        s("Signer.authorization.timestamp", signer.authorization, "GET", "/v3/x", timestamp=v)
        s("Signer.authorization.nonce", signer.authorization, "GET", "/v3/x", nonce=v)
        s("Signer.headers", signer.headers, v, v, v, v)
        rv = wxface.ResponseVerifier()
        s("ResponseVerifier.window_secs", wxface.ResponseVerifier, window_secs=v)
        s("ResponseVerifier.add_platform_certificate", rv.add_platform_certificate, v)
        s("ResponseVerifier.add_platform_public_key", rv.add_platform_public_key, v, v)
        s("ResponseVerifier.verify.headers", rv.verify, 200, {"Wechatpay-Serial": v, "Wechatpay-Timestamp": v,
                                                              "Wechatpay-Nonce": v, "Wechatpay-Signature": v}, b"{}")
        s("ResponseVerifier.verify.header_name", rv.verify, 200, [(v, v)], b"{}")
        s("ResponseVerifier.verify.body", rv.verify, 200, {}, v)
        s("ResponseVerifier.verify.status", rv.verify, v, {}, b"{}")
        s("ResponseVerifier.verify.now", rv.verify, 200, {}, b"{}", now=v)
        s("build_users_query.info_type", wxface.build_users_query, "sid", "wx1", v)
        s("build_users_query.face_sid", wxface.build_users_query, v, "wx1")
        s("build_users_query.appid", wxface.build_users_query, "sid", v)
        s("build_users_query.sub_mchid", wxface.build_users_query, "sid", "wx1", sub_mchid=v)
        s("build_users_query.sub_appid", wxface.build_users_query, "sid", "wx1", sub_appid=v)
        s("build_users_query.sub_serial_no", wxface.build_users_query, "sid", "wx1", sub_serial_no=v)
        for status in (200, 400, 500):
            body = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            s("parse_users_response.body", wxface.parse_users_response, rv, status, {}, body,
              peer_text=status != 200 and isinstance(v, str))
            for field in ("code", "openid", "credential_id", NAME):
                for code in ("PARAM_ERROR", 400, None):
                    body = json.dumps({"code": code, field: v}, ensure_ascii=False)
                    s("parse_users_response.error", wxface.parse_users_response, rv, status, {}, body)
        s("SignedAnswer.from_json", wxface.SignedAnswer.from_json, v)
        s("Decryptor.private_key_pem", wxface.Decryptor, v)
        s("Decryptor.padding", wxface.Decryptor, merchant_key_pem, v)
    assert s.errors >= 100


# Every field of an identity answer and of an error answer, with a value.
USER_FIELDS = {"openid": "o", "sub_openid": "so", "union_id": "u", "encrypted_real_name": "rn",
               "credential_type": 1, "encrypted_credential_id": "ci", "real_name_status": "OK"}
ERROR_FIELDS = {"code": "PARAM_ERROR", "message": "bad", "detail": {"field": "x"}}


def _signed_cases():
    """(what, status, body) of every identity and error answer field with each value."""
    out = []
    for fields, status in ((USER_FIELDS, 200), (ERROR_FIELDS, 400)):
        for field in fields:
            if field in PEER_TEXT:
                continue
            for v in values_for(True):
                out.append((f"{status}.{field}", status, json.dumps({**fields, field: v}, ensure_ascii=False)))
        for v in VALUES:
            out.append((f"{status}.key", status, json.dumps({**fields, v: v}, ensure_ascii=False)))
            if status == 200:
                # At an error status a body that is not JSON is the peer's own
                # text, carried as an excerpt (checked in test_v3_helpers).
                out.append((f"{status}.text", status, v))
                out.append((f"{status}.cut", status, json.dumps(fields, ensure_ascii=False)[:-1] + f', "{v}'))
    return out


def test_signed_answers_and_receiver(wxface_sandbox):
    """Answers the sandbox signed: the signature verifies, so the parsers
    behind it (the identity answer, the error answer, the forwarded JSON
    form, decryption) see every value."""
    sb = wxface_sandbox
    c = sb.credentials
    rv = wxface.ResponseVerifier()
    rv.add_platform_public_key(c.platform_public_key_id, c.platform_public_key_pem)
    receiver = wxface.RealNameReceiver(
        c.sub_merchant_key_pem, platform_public_key_pem=c.platform_public_key_pem,
        pub_key_id=c.platform_public_key_id, padding=c.padding,
    )
    s = Sweep()
    reached = 0
    for what, status, body in _signed_cases():
        answer = sign_answer(sb, body, status=status, serial=c.platform_public_key_id)
        headers = answer["headers"]
        user = s(f"parse_users_response {what}", wxface.parse_users_response, rv, answer["status"], headers, body)
        if user is not None:
            reached += 1
            assert not leaks(repr(user)), repr(user)
        s(f"RealNameReceiver.receive {what}", receiver.receive, answer)
        s(f"RealNameReceiver.receive(json) {what}", receiver.receive, json.dumps(answer, ensure_ascii=False))
        s(f"SignedAnswer.from_json {what}", wxface.SignedAnswer.from_json, json.dumps(answer, ensure_ascii=False))
    # Control: verified answers carrying the values as openids parse, and the
    # attributes hold them.
    assert reached > 0
    body = json.dumps({"openid": ID, "sub_openid": NAME, "union_id": ID}, ensure_ascii=False)
    answer = sign_answer(sb, body, serial=c.platform_public_key_id)
    user = wxface.parse_users_response(rv, 200, answer["headers"], body)
    assert (user.openid, user.sub_openid, user.union_id) == (ID, NAME, ID)
    assert not leaks(repr(user)) and not leaks(str(user)), repr(user)
    # The forwarded JSON form: every field of it, and of its headers.
    good = sign_answer(sb, json.dumps({"openid": "o"}), serial=c.platform_public_key_id)
    for v in values_for(True):
        for field in ("status", "headers", "body"):
            s(f"receive.{field}", receiver.receive, {**good, field: v})
            s(f"SignedAnswer.from_json.{field}", wxface.SignedAnswer.from_json,
              json.dumps({**good, field: v}, ensure_ascii=False))
        for h in list(good["headers"]) + [NAME, ID]:
            s(f"receive.headers.{h}", receiver.receive, {**good, "headers": {**good["headers"], h: v}})
        s("RealNameReceiver.private_key_pem", wxface.RealNameReceiver, v, platform_public_key_pem=c.platform_public_key_pem,
          pub_key_id=c.platform_public_key_id)
        s("RealNameReceiver.platform_public_key_pem", wxface.RealNameReceiver, c.sub_merchant_key_pem,
          platform_public_key_pem=v, pub_key_id=c.platform_public_key_id)
        s("RealNameReceiver.pub_key_id", wxface.RealNameReceiver, c.sub_merchant_key_pem,
          platform_public_key_pem=c.platform_public_key_pem, pub_key_id=v)
        s("RealNameReceiver.platform_certificate_pem", wxface.RealNameReceiver, c.sub_merchant_key_pem,
          platform_certificate_pem=v)
        s("RealNameReceiver.padding", wxface.RealNameReceiver, c.sub_merchant_key_pem,
          platform_public_key_pem=c.platform_public_key_pem, pub_key_id=c.platform_public_key_id, padding=v)
    assert s.errors >= 200


def _client_kwargs(sb):
    c = sb.credentials
    return dict(appid=c.appid, mch_id=c.mch_id, v2_key=c.v2_key, merchant_serial_no=c.merchant_serial_no,
                merchant_key_pem=c.merchant_key_pem, platform_public_key_id=c.platform_public_key_id,
                platform_public_key_pem=c.platform_public_key_pem, base_url=sb.url, store_id="SBX-STORE-01",
                store_name="门诊", max_retries=0)


OPTIONS = ["appid", "mch_id", "v2_key", "apiv3_key", "sign_type", "merchant_serial_no", "merchant_key_pem",
           "merchant_key_file", "platform_public_key_id", "platform_public_key_pem", "platform_public_key_file",
           "platform_certificate_pem", "platform_certificate_file", "platform_certificates",
           "pinned_platform_serials", "sub_mch_id", "sub_appid", "sub_serial_no", "decrypt_key_pem",
           "decrypt_key_file", "decryptor", "padding", "store_id", "store_name", "base_url", "payapp_base_url",
           "apimch_base_url", "timeout", "connect_timeout", "max_retries", "retry_backoff",
           "authinfo_refresh_margin", "response_window"]


def test_client_config_and_merchant_client(wxface_sandbox, monkeypatch):
    for k, _ in wxface.ClientConfig.environment_variables():
        monkeypatch.delenv(k, raising=False)
    s = Sweep()
    kw = _client_kwargs(wxface_sandbox)
    for field in OPTIONS + [NAME, ID]:
        for v in values_for(True):
            s(f"ClientConfig.{field}", wxface.ClientConfig, env=False, **{**kw, field: v})
            s(f"MerchantClient.{field}", wxface.MerchantClient, env=False, **{**kw, field: v})
    # Environment variables go through the same parsers.
    for _, var in wxface.ClientConfig.environment_variables():
        for v in VALUES:
            monkeypatch.setenv(var, v)
            s(f"ClientConfig(env) {var}", wxface.ClientConfig)
            monkeypatch.delenv(var)
    client = wxface.MerchantClient(env=False, **kw)
    for v in values_for(True):
        for field in ("rawdata", "store_id", "store_name", "device_id", "attach"):
            args = {"rawdata": "RAW", "device_id": "KIOSK-01", field: v}
            s(f"get_authinfo.{field}", client.get_authinfo, **args)
        s("get_authinfo.attach(dict)", client.get_authinfo, "RAW", device_id="KIOSK-01", attach={NAME: v})
        s("invalidate_authinfo", client.invalidate_authinfo, v, v)
        s("query_user.info_type", client.query_user, "sid", v)
        s("query_user.face_sid", client.query_user, v)
        s("query_user_signed.face_sid", client.query_user_signed, v)
        s("fetch_real_name.face_sid", client.fetch_real_name, v)
        s("fetch_real_name.decryptor", client.fetch_real_name, "sid", v)
    assert s.errors >= 300


def test_sandbox_surface(wxface_sandbox):
    s = Sweep()
    sb = wxface_sandbox
    for v in values_for(True):
        for opts in ({NAME: v}, {"authinfo_ttl_secs": v}, {"face_sid_ttl_secs": v}, {"default_person": v},
                     {"padding": v}, {"persons": v}):
            started = s(f"Sandbox({list(opts)[0]})", Sandbox, **opts)
            if started is not None:
                started.stop()
        for opt in ("person", "outcome", "device_id", "store_id", "sdk_version"):
            s(f"Sandbox.kiosk.{opt}", sb.kiosk, **{opt: v})
        s("Sandbox.client_config", sb.client_config, platform_key=v)
        s("Sandbox.client_config(override)", sb.client_config, store_id=v, device_id=v)
        for endpoint, kind in ((v, "status_500"), ("authinfo", v)):
            s("SandboxFaults.inject", sb.faults.inject, endpoint, kind)
        s("SandboxFaults.inject.probability", sb.faults.inject, "authinfo", "timeout", probability=v)
    sb.faults.clear()
    # The sandbox's older behaviour, so that the recognition carries an openid.
    kiosk = sb.kiosk(openid_with_face_sid=True)
    client = sb.client()
    out = kiosk.verify(client)
    rec = out.who
    # Control: the recognition's attributes hold the values; its repr does not.
    assert rec.face_sid and rec.openid
    for secret in (rec.face_sid, rec.openid):
        assert secret not in repr(rec) and secret not in str(rec), repr(rec)
        assert secret not in repr(out), repr(out)
    assert re.search(r"face_sid=<redacted, \d+ chars>", repr(rec)), repr(rec)
    real = wxface.ClientBackend(client)

    def merchant(path_answers):
        def answer(path, request):
            a = path_answers.get(path)
            return real(path, request) if a is None else a

        return answer

    # What the merchant server answers reaches the kiosk's checks; every
    # error (the verification's, each step's) is checked.
    for v in values_for(True):
        for path, bad in (
            ("/kiosk/authinfo", {"authinfo": v, "expires_in": 60}),
            ("/kiosk/authinfo", {"authinfo": "A", "expires_in": v}),
            ("/kiosk/authinfo", {str(v): v}),
            ("/kiosk/verified", {"already_verified": v}),
            ("/kiosk/real-name", {"identity": {"name": v, "credential_type": 1, "credential_id": ID}}),
            ("/kiosk/real-name", {"identity": {"name": "张*", "credential_type": v, "credential_id": v}}),
            ("/kiosk/real-name", {"identity": v}),
        ):
            kiosk.invalidate_authinfo()
            s(f"EmulatedKiosk.consented_face_sid {path}", kiosk.consented_face_sid, merchant({path: bad}))
            for _, _, e in kiosk.verify(merchant({path: bad})).steps:
                if e is not None:
                    assert not leaks(error_text(e)), error_text(e)
        s("EmulatedKiosk.verify.outcome", kiosk.verify, client, outcome=v)
        s("EmulatedKiosk.consented_face_sid(not callable)", kiosk.consented_face_sid, v)
    for ident in sb.identities:
        for secret in (ident.openid, ident.sub_openid):
            assert secret not in repr(ident), repr(ident)
    assert s.errors >= 50


def test_device_credentials():
    s = Sweep()
    good = wxface.DeviceCredential.generate()
    for v in values_for(True):
        text = v if isinstance(v, str) else str(v)
        s("DeviceCredential.parse", wxface.DeviceCredential.parse, v)
        s("DeviceCredential.from_authorization", wxface.DeviceCredential.from_authorization, f"Bearer {text}")
        s("DeviceCredential.matches", good.matches, v)
        s("check_device_id", wxface.check_device_id, v)
        s("authenticate_device(header)", wxface.authenticate_device, f"Bearer {text}", lambda k: None)
        s("authenticate_device(header, not a str)", wxface.authenticate_device, v, lambda k: None)
        # What the HIS's device table answers.
        for row in ((text, v, False), (v, good.verifier(), False), (text, text, text), v):
            s("authenticate_device(lookup)", wxface.authenticate_device, good.authorization(), lambda k, r=row: r)
    # Control: a device id that fits is the answer, unchanged.
    assert wxface.authenticate_device(good.authorization(), lambda k: (NAME, good.verifier(), False)) == NAME
    assert s.errors >= 40


def test_face_user_repr_shows_no_identifier(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk()
    face_sid = kiosk.consented_face_sid(wxface_client)
    user = wxface_client.query_user(face_sid)
    assert user.openid
    assert user.openid not in repr(user), repr(user)
    assert re.search(r"openid=<redacted, \d+ chars>", repr(user)), repr(user)
    # An error about a face_sid does not quote it either.
    for v in VALUES + [face_sid + "x"]:
        with pytest.raises(wxface.Error) as e:
            wxface_client.query_user(v)
        assert not leaks(error_text(e.value)) and v not in error_text(e.value), error_text(e.value)
