"""Device credentials of the kiosk API (``wxface.DeviceCredential``,
``wxface.authenticate_device``): the format of docs/merchant-api.md checked
independently (regular expression, ``hashlib``), and the secret kept out of
every ``repr()``, ``str()`` and error."""

import base64
import hashlib
import pickle
import re

import pytest

import wxface

FORM = re.compile(r"wxfd1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})")
LABEL = b"wxface device credential v1\0"


def expected_verifier(key_id: str, secret: str) -> str:
    """SHA-256 over the label, the key id, a NUL and the secret, computed
    here with hashlib: the verifier a server stores."""
    return hashlib.sha256(LABEL + key_id.encode() + b"\0" + secret.encode()).hexdigest()


def made_here(key: bytes, secret: bytes) -> str:
    """A credential's text built in Python from its bytes."""
    return "wxfd1." + key.hex() + "." + base64.urlsafe_b64encode(secret).rstrip(b"=").decode()


def secret_of(credential: wxface.DeviceCredential) -> str:
    return credential.expose().rsplit(".", 1)[1]


def table(*rows):
    """A lookup over ``(credential, device_id, revoked)`` rows, recording
    the key ids it is asked for."""
    asked = []
    by_key = {c.key_id: (device, c.verifier(), revoked) for c, device, revoked in rows}

    def lookup(key_id):
        asked.append(key_id)
        return by_key.get(key_id)

    lookup.asked = asked
    return lookup


def test_a_generated_credential_has_the_documented_form():
    c = wxface.DeviceCredential.generate()
    m = FORM.fullmatch(c.expose())
    assert m, "not wxfd1.<16 hex>.<43 base64url>"
    key_id, secret = m.groups()
    assert c.key_id == key_id
    # 43 base64url characters without padding are exactly 32 bytes.
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32
    assert c.verifier() == expected_verifier(key_id, secret)
    assert re.fullmatch(r"[0-9a-f]{64}", c.verifier())
    assert c.authorization() == "Bearer " + c.expose()
    assert c.matches(c.verifier())
    other = wxface.DeviceCredential.generate()
    assert other.key_id != c.key_id and secret_of(other) != secret
    assert other != c and not other.matches(c.verifier())


def test_a_credential_made_in_python_parses_with_the_same_key_id_and_verifier():
    key, secret = bytes(range(8)), bytes(range(100, 132))
    text = made_here(key, secret)
    c = wxface.DeviceCredential.parse(text)
    assert c.key_id == "0001020304050607"
    assert c.expose() == text
    assert c.verifier() == expected_verifier(c.key_id, text.rsplit(".", 1)[1])
    # The same credential however it arrives.
    assert wxface.DeviceCredential.parse(f"  {text}\n") == c
    assert wxface.DeviceCredential.from_authorization(f"Bearer {text}") == c
    assert wxface.DeviceCredential.from_authorization(f"bearer {text}") == c
    assert wxface.DeviceCredential.parse(c.expose()) == c
    assert c != text


def test_malformed_credentials_are_refused_without_quoting_them():
    good = made_here(bytes(range(8)), bytes(range(200, 232)))
    bad = [
        "",
        "secret-token",
        good.replace("wxfd1", "wxfd2", 1),
        good.replace(".", ":", 1),
        good.upper(),
        good + "x",
        good[:-1],
        good[:-1] + "+",
        good.replace(".", ".a", 1)[:-1],
    ]
    for text in bad:
        with pytest.raises(wxface.UnauthenticatedError) as e:
            wxface.DeviceCredential.parse(text)
        assert e.value.code == "unauthenticated" and e.value.retryable is False
        shown = str(e.value) + repr(e.value) + str(e.value.info())
        if len(text) > 8:
            assert text[6:] not in shown, shown
    for header in [None, good, "Basic " + good, "Bearer", "Bearer " + good[:-1]]:
        with pytest.raises(wxface.UnauthenticatedError) as e:
            wxface.DeviceCredential.from_authorization(header)
        assert good[6:] not in str(e.value) + repr(e.value)


def test_repr_and_str_show_the_key_id_only():
    c = wxface.DeviceCredential.generate()
    for shown in (repr(c), str(c), f"{c}", f"{c!r}", repr([c]), str({"c": c})):
        assert c.key_id in shown
        assert secret_of(c) not in shown and c.expose() not in shown, shown
    with pytest.raises(TypeError):
        pickle.dumps(c)
    with pytest.raises(TypeError):
        hash(c)


def test_matches_wants_a_stored_verifier():
    c = wxface.DeviceCredential.generate()
    for bad in ["", "zz" * 32, c.verifier()[:-1], c.verifier() + "0"]:
        with pytest.raises(wxface.ConfigError) as e:
            c.matches(bad)
        assert secret_of(c) not in str(e.value)
    flipped = c.verifier()[:-1] + ("0" if c.verifier()[-1] != "0" else "1")
    assert not c.matches(flipped)


def test_authenticate_device_answers_the_stored_device():
    a, b, old = (wxface.DeviceCredential.generate() for _ in range(3))
    lookup = table((a, "KIOSK-01", False), (b, "KIOSK-02", 0), (old, "KIOSK-01", 1))
    assert wxface.authenticate_device(a.authorization(), lookup) == "KIOSK-01"
    assert wxface.authenticate_device(b.authorization(), lookup) == "KIOSK-02"
    assert wxface.authenticate_device("bearer " + b.expose(), lookup) == "KIOSK-02"
    # The lookup is asked for key ids, never handed the secret.
    assert lookup.asked == [a.key_id, b.key_id, b.key_id]

    # Revoked: refused, and named as such (the secret matched).
    with pytest.raises(wxface.UnauthenticatedError) as e:
        wxface.authenticate_device(old.authorization(), lookup)
    assert "revoked" in str(e.value)

    # A credential never issued and a wrong secret under a real key id: the
    # same answer, so the answer does not tell which key ids exist.
    stranger = wxface.DeviceCredential.generate()
    forged = a.expose()[:-1] + ("B" if a.expose().endswith("A") else "A")
    answers = []
    for header in (stranger.authorization(), "Bearer " + forged):
        with pytest.raises(wxface.UnauthenticatedError) as e:
            wxface.authenticate_device(header, lookup)
        answers.append(e.value.info())
        shown = str(e.value) + repr(e.value) + str(e.value.info())
        assert secret_of(a) not in shown and forged.rsplit(".", 1)[1] not in shown
        assert secret_of(stranger) not in shown
    assert answers[0] == answers[1]
    assert answers[0]["code"] == "unauthenticated"

    for header in (None, "", a.expose(), "Basic " + a.expose(), "Bearer nonsense"):
        with pytest.raises(wxface.UnauthenticatedError) as e:
            wxface.authenticate_device(header, lookup)
        assert secret_of(a) not in str(e.value)


def test_authenticate_device_passes_store_failures_through():
    c = wxface.DeviceCredential.generate()

    class StoreDown(Exception):
        pass

    def down(key_id):
        raise StoreDown("database is locked")

    with pytest.raises(StoreDown):
        wxface.authenticate_device(c.authorization(), down)
    # A malformed header is refused before the store is asked.
    with pytest.raises(wxface.UnauthenticatedError):
        wxface.authenticate_device("Bearer nonsense", down)

    with pytest.raises(wxface.ConfigError):
        wxface.authenticate_device(c.authorization(), lambda k: ("KIOSK-01", "not hex", False))
    with pytest.raises(wxface.InvalidInputError) as e:
        wxface.authenticate_device(c.authorization(), lambda k: ("KIOSK-01", c.verifier()))
    assert e.value.field == "lookup"


def test_device_ids_are_checked():
    assert wxface.check_device_id("KIOSK-01") is None
    assert wxface.check_device_id("诊室-3") is None
    for bad in ["", "K\nforged", "D" * 33]:
        with pytest.raises(wxface.InvalidInputError) as e:
            wxface.check_device_id(bad)
        assert e.value.field == "device_id"


def test_the_names_are_exported():
    for name in ("DeviceCredential", "authenticate_device", "check_device_id", "UnauthenticatedError"):
        assert name in wxface.__all__
    assert wxface.UnauthenticatedError is wxface.errors.UnauthenticatedError
