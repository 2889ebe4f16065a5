"""The exception hierarchy (generated from the core's catalogue) and the
drift check against the compiled Rust code list."""

import json

import pytest

import wxface
import wxface._native
import wxface.errors

CLASSES = [
    wxface.InvalidInputError,
    wxface.SdkVersionError,
    wxface.SignatureError,
    wxface.DecryptionError,
    wxface.ExpiredError,
    wxface.BackendError,
    wxface.TransportError,
    wxface.SdkError,
    wxface.StateError,
    wxface.ConfigError,
    wxface.MalformedError,
    wxface.InternalError,
    wxface.UnauthenticatedError,
]


def test_hierarchy():
    assert issubclass(wxface.Error, Exception)
    for c in CLASSES:
        assert issubclass(c, wxface.Error), c
        assert c.__module__ == "wxface.errors"
        assert c.__doc__
        assert getattr(wxface.errors, c.__name__) is c


def test_generated_codes_are_the_compiled_cores():
    # errors.py is generated from the catalogue the wheel was compiled with.
    assert wxface.errors.error_codes() == wxface._native.error_codes()


def test_every_rust_code_maps_to_a_class():
    codes = wxface.error_codes()
    assert "transport" in codes and "signature_mismatch" in codes and "decryption" in codes
    assert len(codes) == len(set(codes))
    seen = set()
    for code in codes:
        cls = wxface.error_class_for_code(code)
        assert cls is not None, f"code {code!r} has no exception class"
        assert issubclass(cls, wxface.Error)
        seen.add(cls)
    # Every class is reachable from some code.
    assert seen == set(CLASSES)
    assert wxface.error_class_for_code("no_such_code") is None


EXPECTED = {
    "invalid_input": wxface.InvalidInputError,
    "sdk_version": wxface.SdkVersionError,
    "sdk": wxface.SdkError,
    "backend": wxface.BackendError,
    "malformed": wxface.MalformedError,
    "signature_missing": wxface.SignatureError,
    "signature_unknown_serial": wxface.SignatureError,
    "signature_stale_timestamp": wxface.SignatureError,
    "signature_mismatch": wxface.SignatureError,
    "signature_malformed": wxface.SignatureError,
    "decryption": wxface.DecryptionError,
    "expired": wxface.ExpiredError,
    "state": wxface.StateError,
    "config": wxface.ConfigError,
    "transport": wxface.TransportError,
    "internal": wxface.InternalError,
    "unauthenticated": wxface.UnauthenticatedError,
}


def test_code_table_is_complete():
    assert set(EXPECTED) == set(wxface.error_codes())
    for code, cls in EXPECTED.items():
        assert wxface.error_class_for_code(code) is cls


def _raise(fn, *a, **kw):
    with pytest.raises(wxface.Error) as e:
        fn(*a, **kw)
    return e.value


def test_each_class_raised_by_a_real_call(merchant_key_pem, wxface_sandbox, wxface_client):
    e = _raise(wxface.build_users_query, "", "wx1")
    assert type(e) is wxface.InvalidInputError and e.code == "invalid_input" and e.field == "face_sid"

    e = _raise(wxface.ResponseVerifier().verify, 200, {}, b"{}")
    assert type(e) is wxface.SignatureError and e.code == "signature_missing"

    # A verified answer opened with a key it was not encrypted for.
    user = wxface_client.query_user(wxface_sandbox.kiosk().consented_face_sid(wxface_client))
    e = _raise(wxface.Decryptor(wxface_sandbox.credentials.sub_merchant_key_pem).decrypt_real_name, user)
    assert type(e) is wxface.DecryptionError and e.code == "decryption"

    e = _raise(wxface.parse_users_response, wxface.ResponseVerifier(), 503, {}, b"<html>busy</html>")
    assert type(e) is wxface.BackendError and e.code == "backend"
    assert e.status == 503 and e.wechat_code == "HTTP_503" and e.retryable is True
    assert e.detail is None

    e = _raise(wxface.parse_authinfo_response, b"<xml><a>1</a>", "k" * 32)
    assert type(e) is wxface.MalformedError and e.code == "malformed"

    e = _raise(wxface.Decryptor, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    assert type(e) is wxface.ConfigError and e.code == "config"

    e = _raise(wxface.MerchantClient, env=False, appid="wx1")
    assert type(e) is wxface.ConfigError

    e = _raise(wxface.authenticate_device, None, lambda key_id: None)
    assert type(e) is wxface.UnauthenticatedError and e.code == "unauthenticated"
    assert e.retryable is False


def test_backend_error_attributes_from_a_signed_v2_fail():
    # A FAIL answer signed with the key: BackendError with WeChat's code and message.
    key = "192006250b4c09247ec02edce69f6a2d"
    fields = {"return_code": "SYSTEMERROR", "return_msg": "系统繁忙", "nonce_str": "n1"}
    fields["sign"] = wxface.sign_v2(fields, key)
    xml = "<xml>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</xml>"
    e = _raise(wxface.parse_authinfo_response, xml.encode(), key)
    assert isinstance(e, wxface.BackendError)
    assert (e.code, e.wechat_code, e.wechat_message, e.status) == ("backend", "SYSTEMERROR", "系统繁忙", None)
    assert e.message == str(e) and "系统繁忙" in e.message and "SYSTEMERROR" in e.message
    assert e.retryable is True
    assert key not in str(e)


def test_every_error_carries_the_shared_record():
    # The same flat record as every other binding: code, kind, message,
    # retryable and the code's detail fields.
    try:
        wxface.build_users_query("", "wx1")
    except wxface.Error as e:
        info = e.info()
        assert info == {
            "code": "invalid_input",
            "kind": "invalid_input",
            "message": str(e),
            "retryable": False,
            "field": "face_sid",
        }
        again = wxface.from_info(json.loads(json.dumps(info)))
        assert type(again) is wxface.InvalidInputError and again.info() == info
    assert type(wxface.from_info({"code": "no_such_code", "message": "m"})) is wxface.InternalError


def test_errors_can_be_caught_by_base_and_carry_code():
    try:
        wxface.check_resident_id("123")
    except wxface.Error as e:
        assert e.code == "invalid_input"
        assert isinstance(e, Exception)
    else:  # pragma: no cover
        pytest.fail("no exception")
