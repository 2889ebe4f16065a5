"""Helpers of the binding's tests: the shared vector corpus and fixture keys."""

import json
import pathlib
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
KEYS = VECTORS / "keys"


def key_text(name: str) -> str:
    """A fixture key or certificate of tests/vectors/keys as text."""
    return (KEYS / name).read_text()


def load_groups(rel: str):
    """The test groups of one vector file (Wycheproof-shaped)."""
    data = json.loads((VECTORS / rel).read_text(encoding="utf-8"))
    assert data.get("source"), f"{rel} says where its values came from"
    return data["testGroups"]


def cases(rel: str, group_type: str):
    """``(group, test)`` pairs of the groups of ``group_type`` in ``rel``."""
    out = []
    for g in load_groups(rel):
        if g["type"] == group_type:
            out.extend((g, t) for t in g["tests"])
    assert out, f"{rel} has no {group_type} group"
    return out


def ids(pairs):
    """pytest ids for ``cases`` output."""
    return [f"tc{t['tcId']}" for _, t in pairs]


def sign_answer(sandbox, body, *, status=None, serial=None):
    """The running sandbox signs ``body`` now (``POST /_sandbox/sign-answer``)
    and returns the JSON form a provider forwards (``{status, headers, body}``)
    as a dict: how the tests turn a vector's body into an answer that a
    ``RealNameReceiver`` verifies before decrypting."""
    req = {"body": body}
    if status is not None:
        req["status"] = status
    if serial is not None:
        req["serial"] = serial
    r = urllib.request.Request(
        sandbox.url.rstrip("/") + "/_sandbox/sign-answer",
        data=json.dumps(req, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(r, timeout=10) as resp:
        return json.loads(resp.read())
