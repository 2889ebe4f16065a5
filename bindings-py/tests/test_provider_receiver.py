"""Provider mode (服务商) and the decryption path: the provider forwards the
signed answer (``query_user_signed`` → ``SignedAnswer``), the hospital's
``RealNameReceiver`` verifies it with the platform key and only then decrypts
it. Every bad ciphertext gives one and the same error; tampered answers are
refused by the signature check; the raw decryption entry points are gone."""

import asyncio
import json

import pytest

import wxface

from _vectors import KEYS, VECTORS, key_text, sign_answer

ORACLE = json.loads((VECTORS / "v3" / "signed_answers.json").read_text(encoding="utf-8"))
assert ORACLE.get("source")
CASES = ORACLE["tests"]
assert len(CASES) == ORACLE["numberOfTests"]
VALID_BODY = {c["group"]: c["body"] for c in CASES if c["result"] == "valid"}


def receiver(sb, private_key=KEYS / "merchant_pkcs8.pem", padding="pkcs1v15"):
    """A hospital receiver trusting the sandbox's platform public key."""
    c = sb.credentials
    return wxface.RealNameReceiver(
        private_key,
        platform_public_key_pem=c.platform_public_key_pem,
        pub_key_id=c.platform_public_key_id,
        padding=padding,
    )


def fresh_answer(sb, tc):
    """The case's answer, signed afresh by the sandbox, with the case's
    tampering reproduced on it."""
    c = sb.credentials
    comment = tc["comment"]
    if tc["answer"]["status"] != 200:
        return sign_answer(sb, tc["body"], status=tc["answer"]["status"], serial=c.platform_public_key_id)
    if comment.startswith("tampered: body changed"):
        # Signed over the valid body, forwarded with another one.
        a = sign_answer(sb, VALID_BODY[tc["group"]], serial=c.platform_public_key_id)
        assert tc["body"] != a["body"]
        a["body"] = tc["body"]
        return a
    a = sign_answer(sb, tc["body"], serial=c.platform_public_key_id)
    if comment.startswith("tampered: signature of a stale answer"):
        a["headers"]["Wechatpay-Timestamp"] = str(int(a["headers"]["Wechatpay-Timestamp"]) - 600)
    elif comment.startswith("tampered: signed by an unknown key"):
        # Signed by a real platform key of the sandbox the receiver does not trust.
        a = sign_answer(sb, tc["body"], serial=c.platform_serial_no)
    elif comment.startswith("tampered: signature header removed"):
        del a["headers"]["Wechatpay-Signature"]
    else:
        assert not comment.startswith("tampered"), comment
    return a


def _run_case(sb, tc):
    r = receiver(sb, padding=tc["group"])
    answer = fresh_answer(sb, tc)
    try:
        return r.receive(json.dumps(answer, ensure_ascii=False)), None
    except wxface.Error as e:
        return None, e


@pytest.mark.parametrize("tc", CASES, ids=[f"tc{c['tcId']}" for c in CASES])
def test_signed_answer_vectors_through_the_receiver(wxface_sandbox, tc):
    who, err = _run_case(wxface_sandbox, tc)
    if tc["result"] == "valid":
        assert err is None, f"{tc['comment']}: {err!r}"
        exp = tc["expected"]
        assert (who.expose_name(), who.credential_type, who.expose_credential_id()) == (
            exp["name"],
            exp["credential_type"],
            exp["credential_id"],
        )
        assert exp["name"] not in repr(who) and exp["credential_id"] not in str(who)
        return
    assert who is None, tc["comment"]
    assert err.code == tc["code"], f"{tc['comment']}: {err}"
    assert type(err) is wxface.error_class_for_code(tc["code"])
    if tc.get("oracle"):
        assert type(err) is wxface.DecryptionError
    else:
        # Refused before anything was decrypted: never a decryption error.
        assert not isinstance(err, wxface.DecryptionError)
    assert "测试" not in str(err)


def test_every_bad_ciphertext_gives_one_error_byte_for_byte(wxface_sandbox):
    texts, reprs, codes, classes, infos = set(), set(), set(), set(), set()
    oracle = [tc for tc in CASES if tc.get("oracle")]
    assert len(oracle) >= 15
    for tc in oracle:
        _, err = _run_case(wxface_sandbox, tc)
        assert err is not None, tc["comment"]
        texts.add(str(err).encode("utf-8"))
        reprs.add(repr(err))
        codes.add(err.code)
        classes.add(type(err))
        # Only the shared record's common fields, the same for every case.
        assert set(vars(err)) <= {"code", "message", "retryable"}, vars(err)
        infos.add(repr(sorted(err.info().items())))
    assert len(infos) == 1, infos
    assert len(texts) == 1, texts
    assert len(reprs) == 1, reprs
    assert codes == {"decryption"} and classes == {wxface.DecryptionError}
    (text,) = texts
    assert text.startswith(b"real-name decryption failed")


# ------------------------------------------------------------ provider mode


def _hospital(sb, **kw):
    c = sb.credentials
    kw.setdefault("platform_public_key_pem", c.platform_public_key_pem)
    kw.setdefault("pub_key_id", c.platform_public_key_id)
    return wxface.RealNameReceiver(c.sub_merchant_key_pem, padding=c.padding, **kw)


def _consented(sb, provider, person):
    return sb.kiosk(person=person.key, provider_mode=True).consented_face_sid(provider)


def test_provider_forwards_and_the_hospital_decrypts(wxface_sandbox):
    sb = wxface_sandbox
    person = sb.identities[0]
    provider = sb.client(provider_mode=True)
    assert not provider.config.has_decryptor
    answer = provider.query_user_signed(_consented(sb, provider, person))
    assert isinstance(answer, wxface.SignedAnswer)
    assert answer.status == 200
    assert {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"} <= set(
        answer.headers
    )
    assert json.loads(answer.body)["sub_openid"] == person.sub_openid

    forwarded = answer.to_json()
    hospital = _hospital(sb)
    assert hospital.receive(forwarded) == person.real_name
    # The same answer in each accepted form.
    for form in (answer, forwarded.encode("utf-8"), answer.to_dict(), wxface.SignedAnswer.from_json(forwarded)):
        assert hospital.receive(form) == person.real_name
    again = wxface.SignedAnswer.from_json(forwarded.encode("utf-8"))
    assert again.to_dict() == answer.to_dict() and again.to_json() == forwarded
    assert json.loads(forwarded) == {"status": 200, "headers": answer.headers, "body": answer.body}

    # repr: status, header names, body length; no body, no signature.
    shown = repr(answer)
    assert "status=200" in shown and "Wechatpay-Signature" in shown and f"<{len(answer.body)} bytes>" in shown
    assert answer.headers["Wechatpay-Signature"] not in shown and "encrypted" not in shown
    assert "PRIVATE" not in repr(hospital) and sb.credentials.platform_public_key_id in repr(hospital)

    # The provider's own key does not open it: the fields are for the hospital.
    c = sb.credentials
    with pytest.raises(wxface.DecryptionError):
        wxface.RealNameReceiver(
            c.merchant_key_pem,
            platform_public_key_pem=c.platform_public_key_pem,
            pub_key_id=c.platform_public_key_id,
            padding=c.padding,
        ).receive(forwarded)


def test_the_hospital_trusts_a_platform_certificate_too(wxface_sandbox):
    sb = wxface_sandbox
    person = sb.identities[1]
    provider = sb.client(provider_mode=True, platform_key="certificate")
    answer = provider.query_user_signed(_consented(sb, provider, person))
    assert answer.headers["Wechatpay-Serial"] == sb.credentials.platform_serial_no
    by_cert = wxface.RealNameReceiver(
        sb.credentials.sub_merchant_key_pem,
        platform_certificate_pem=sb.credentials.platform_cert_pem,
        padding=sb.credentials.padding,
    )
    assert by_cert.platform_key_ids == [sb.credentials.platform_serial_no]
    assert by_cert.receive(answer.to_json()) == person.real_name
    # A receiver that trusts only the public key does not know that serial.
    with pytest.raises(wxface.SignatureError) as e:
        _hospital(sb).receive(answer.to_json())
    assert e.value.code == "signature_unknown_serial"


def _corrupt_ciphertext(body):
    """The body with its name ciphertext replaced by bytes that would fail
    decryption (same length, still base64)."""
    doc = json.loads(body)
    info = doc.get("real_name_info", doc)
    ct = info["encrypted_real_name"]
    info["encrypted_real_name"] = ("A" if ct[0] != "A" else "B") + ct[1:]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def test_tampered_forwarded_answers_are_refused_before_decryption(wxface_sandbox):
    sb = wxface_sandbox
    provider = sb.client(provider_mode=True)
    first = provider.query_user_signed(_consented(sb, provider, sb.identities[0])).to_dict()
    second = provider.query_user_signed(_consented(sb, provider, sb.identities[2])).to_dict()
    assert first["body"] != second["body"]
    hospital = _hospital(sb)

    edited = dict(first, body=_corrupt_ciphertext(first["body"]))
    # A correctly signed answer with that body would be a decryption error;
    # the edit is caught first.
    with pytest.raises(wxface.DecryptionError):
        hospital.receive(sign_answer(sb, edited["body"], serial=sb.credentials.platform_public_key_id))
    borrowed = dict(first, headers=second["headers"])
    swapped = dict(second, body=first["body"])
    unsigned = dict(first, headers={k: v for k, v in first["headers"].items() if k != "Wechatpay-Signature"})
    for tampered, code in (
        (edited, "signature_mismatch"),
        (borrowed, "signature_mismatch"),
        (swapped, "signature_mismatch"),
        (unsigned, "signature_missing"),
    ):
        for form in (tampered, json.dumps(tampered, ensure_ascii=False)):
            with pytest.raises(wxface.Error) as e:
                hospital.receive(form)
            assert isinstance(e.value, wxface.SignatureError), repr(e.value)
            assert not isinstance(e.value, wxface.DecryptionError)
            assert e.value.code == code
    # The untouched answers still go through.
    assert hospital.receive(first) == sb.identities[0].real_name
    assert hospital.receive(second) == sb.identities[2].real_name


def test_async_client_query_user_signed(wxface_sandbox):
    sb = wxface_sandbox
    provider = sb.client(provider_mode=True)
    face_sid = _consented(sb, provider, sb.identities[3])

    async def main():
        async with wxface.AsyncMerchantClient.from_client(provider) as client:
            return await client.query_user_signed(face_sid)

    answer = asyncio.run(main())
    assert isinstance(answer, wxface.SignedAnswer)
    assert _hospital(sb).receive(answer.to_json()) == sb.identities[3].real_name


def test_forwarded_error_answers_and_bad_json_forms(wxface_sandbox):
    sb = wxface_sandbox
    provider = sb.client(provider_mode=True, max_retries=0)
    # A query that WeChat Pay refuses raises on the provider's side already.
    with pytest.raises(wxface.BackendError):
        provider.query_user_signed("NO_SUCH_FACE_SID")
    hospital = _hospital(sb)
    for bad in ("", "{", "[]", '{"status":200}', b"\xff\xfe"):
        with pytest.raises(wxface.MalformedError):
            hospital.receive(bad)
        with pytest.raises(wxface.MalformedError):
            wxface.SignedAnswer.from_json(bad)
    answer = sign_answer(sb, json.dumps({"openid": "o"}), serial=sb.credentials.platform_public_key_id)
    extra = dict(answer, headers=dict(answer["headers"], **{"X-Other": "secret-value"}))
    with pytest.raises(wxface.MalformedError) as e:
        wxface.SignedAnswer.from_json(json.dumps(extra))
    assert "secret-value" not in str(e.value)
    # Verified, but no identity in it.
    with pytest.raises(wxface.MalformedError):
        hospital.receive(answer)
    for wrong in (42, None, ["status", 200], object()):
        with pytest.raises(TypeError):
            hospital.receive(wrong)


# ------------------------------------------------------------ surface


def test_raw_decryption_entry_points_are_gone(merchant_key_pem):
    d = wxface.Decryptor(merchant_key_pem)
    assert not hasattr(wxface.Decryptor, "decrypt_field") and not hasattr(d, "decrypt_field")
    with pytest.raises(TypeError):
        wxface.EncryptedRealName("QUJD", 1, "QUJD")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        wxface.EncryptedRealName()  # type: ignore[call-arg]
    for attr in ("encrypted_real_name", "encrypted_credential_id", "to_dict", "from_json", "from_dict"):
        assert not hasattr(wxface.EncryptedRealName, attr), attr
    for attr in ("from_json", "from_dict", "parse"):
        assert not hasattr(wxface.FaceUser, attr), attr
    with pytest.raises(TypeError):
        wxface.FaceUser()  # type: ignore[call-arg]
    fields = {"encrypted_real_name": "QUJD", "credential_type": 1, "encrypted_credential_id": "QUJD"}
    for form in (fields, {"real_name_info": fields}, json.dumps(fields), json.dumps(fields).encode(), "QUJD"):
        with pytest.raises((TypeError, wxface.InvalidInputError)):
            d.decrypt_real_name(form)  # type: ignore[arg-type]
    # Only the receiver decrypts forwarded answers, after verifying them.
    answer = wxface.SignedAnswer.from_json(json.dumps(CASES[0]["answer"]))
    with pytest.raises(TypeError):
        d.decrypt_real_name(answer)  # type: ignore[arg-type]
    assert not hasattr(wxface.SignedAnswer, "verify") and not hasattr(wxface.SignedAnswer, "real_name")
    # SignedAnswer is built only from its JSON form.
    with pytest.raises(TypeError):
        wxface.SignedAnswer(200, {}, "{}")  # type: ignore[call-arg]
    # No caller-supplied clock: the window is the receiver's own.
    r = wxface.RealNameReceiver(
        merchant_key_pem,
        platform_public_key_pem=KEYS / "platform_pubkey_pub.pem",
        pub_key_id=ORACLE["platformPublicKeyId"],
    )
    with pytest.raises(TypeError):
        r.receive(answer, now=ORACLE["now"])  # type: ignore[call-arg]
    # The vectors were signed at a fixed past time: stale now.
    with pytest.raises(wxface.SignatureError) as e:
        r.receive(answer)
    assert e.value.code == "signature_stale_timestamp"
    for name in ("decrypt_field", "decrypt_fields", "decrypt"):
        assert not hasattr(wxface, name), name


def test_receiver_configuration(merchant_key_pem):
    pub = KEYS / "platform_pubkey_pub.pem"
    kid = ORACLE["platformPublicKeyId"]
    r = wxface.RealNameReceiver(
        merchant_key_pem.encode(),
        platform_public_key_pem=key_text("platform_pubkey_pub.pem"),
        pub_key_id=kid,
        platform_certificate_pem=KEYS / "platform_cert.pem",
        padding="oaep-sha1",
    )
    assert r.padding == "oaep-sha1" and kid in r.platform_key_ids and len(r.platform_key_ids) == 2
    shown = repr(r)
    assert "<redacted>" in shown and "PRIVATE" not in shown and "MII" not in shown
    with pytest.raises(wxface.ConfigError):
        wxface.RealNameReceiver(merchant_key_pem)
    with pytest.raises(wxface.ConfigError):
        wxface.RealNameReceiver(merchant_key_pem, platform_public_key_pem=pub)
    with pytest.raises(wxface.ConfigError):
        wxface.RealNameReceiver(merchant_key_pem, pub_key_id=kid)
    with pytest.raises(wxface.InvalidInputError):
        wxface.RealNameReceiver(merchant_key_pem, platform_public_key_pem=pub, pub_key_id="NOT_A_KEY_ID")
    with pytest.raises(wxface.InvalidInputError):
        wxface.RealNameReceiver(merchant_key_pem, platform_public_key_pem=pub, pub_key_id=kid, padding="none")
    with pytest.raises(wxface.ConfigError):
        wxface.RealNameReceiver("not a key", platform_public_key_pem=pub, pub_key_id=kid)
    with pytest.raises(wxface.ConfigError):
        wxface.RealNameReceiver(merchant_key_pem, platform_certificate_pem="garbage")
    with pytest.raises(TypeError):
        wxface.RealNameReceiver(merchant_key_pem, pub, kid)  # type: ignore[misc]
