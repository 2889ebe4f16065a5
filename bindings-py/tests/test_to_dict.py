"""Answers as JSON-ready dicts, masked by default: ``json.dumps(x.to_dict())``
works for every answer a HIS handles, shows no name, ID number, identifier
or authinfo unless asked with ``expose=True``, and ``expose=True`` gives the
values themselves."""

import json

import pytest

import wxface

NAME = "张三丰"
ID = "11010519491231002X"


def dumps(d):
    return json.dumps(d, ensure_ascii=False)


def test_real_name_is_masked_unless_exposed():
    r = wxface.RealName(NAME, 1, ID)
    d = r.to_dict()
    text = dumps(d)
    assert NAME not in text and ID not in text and "19491231" not in text
    assert d == {
        "name": r.masked_name,
        "credential_type": 1,
        "credential_type_label": r.credential_type_label,
        "credential_id": r.masked_credential_id,
        "masked": True,
    }
    # The masked part is what a kiosk receives.
    assert {k: d[k] for k in ("name", "credential_type", "credential_id")} == r.masked()
    full = r.to_dict(expose=True)
    assert (full["name"], full["credential_id"], full["masked"]) == (NAME, ID, False)
    json.dumps(full)
    with pytest.raises(TypeError):
        r.to_dict(True)  # keyword only: exposing is never positional


def test_authinfo_response(wxface_sandbox, wxface_client):
    grant = wxface_client.get_authinfo(wxface_sandbox.kiosk().rawdata(), device_id="KIOSK-D")
    d = grant.to_dict()
    text = dumps(d)
    assert grant.authinfo not in text
    assert d["authinfo"] == f"[redacted, {len(grant.authinfo)} chars]"
    assert (d["expires_in"], d["expires_at"], d["from_cache"]) == (grant.expires_in, grant.expires_at, False)
    assert grant.to_dict(expose=True)["authinfo"] == grant.authinfo
    answer = grant.kiosk_answer()
    assert answer == {"authinfo": grant.authinfo, "expires_in": grant.expires_in, "expires_at": grant.expires_at}
    json.dumps(answer)
    # The second one comes from the client's cache.
    again = wxface_client.get_authinfo(wxface_sandbox.kiosk().rawdata(), device_id="KIOSK-D")
    assert again.to_dict()["from_cache"] is True


def test_face_user_and_outcome(wxface_sandbox, wxface_client):
    sb, client = wxface_sandbox, wxface_client
    person = sb.identities[0]
    out = sb.kiosk(person=person.key).verify(client)
    assert out.kind == "verified"
    d = out.to_dict()
    text = dumps(d)
    assert out.who.face_sid not in text
    assert person.real_name.expose_name() not in text and person.real_name.expose_credential_id() not in text
    assert d["kind"] == "verified" and d["error"] is None and d["step"] is None
    assert d["identity"] == person.real_name.masked()
    assert d["who"]["face_sid"] == f"[redacted, {len(out.who.face_sid)} chars]"
    assert [s["step"] for s in d["steps"]] == [s for s, _, _ in out.steps]
    assert out.to_dict(expose=True)["who"]["face_sid"] == out.who.face_sid

    user = client.query_user(out.who.face_sid)
    d = user.to_dict()
    text = dumps(d)
    assert user.openid and user.openid not in text
    assert d["openid"] == f"[redacted, {len(user.openid)} chars]"
    assert d["real_name"] == {"credential_type": person.credential_type, "encrypted": True}
    exposed = user.to_dict(expose=True)
    assert exposed["openid"] == user.openid and exposed["real_name"]["encrypted"] is True
    json.dumps(exposed)
    assert client.query_user(out.who.face_sid, "ASK_UNIONID").to_dict()["real_name"] is None

    who = client.fetch_real_name(out.who.face_sid)
    assert who.to_dict()["name"] == person.real_name.masked_name


def test_failed_and_refused_outcomes_carry_error_records(wxface_sandbox, wxface_client):
    refused = wxface_sandbox.kiosk().verify(wxface_client, outcome="refuse")
    d = refused.to_dict()
    json.dumps(d)
    assert d["kind"] == "consent_refused"
    errors = [s["error"] for s in d["steps"] if s["error"] is not None]
    assert errors and errors[0] == [e for _, _, e in refused.steps if e is not None][0].info()
    assert wxface.from_info(errors[0]).code == errors[0]["code"]

    def down(path, request):
        raise wxface.from_info({"code": "transport", "kind": "transport", "message": "down",
                                "retryable": True, "transport_kind": "connect"})

    failed = wxface_sandbox.kiosk().verify(down)
    d = failed.to_dict()
    json.dumps(d)
    assert d["kind"] == "failed" and d["error"]["code"] == "transport" and d["step"] == failed.step
    assert d["who"] is None
