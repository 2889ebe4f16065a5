"""The kiosk API of ``docs/merchant-api.md`` as Python records: how a kiosk
visit ended (:class:`Outcome`), who was recognised (:class:`Recognised`), the
masked identity a kiosk receives (:class:`MaskedIdentity`), and
:class:`ClientBackend`, a merchant server in this process. The test kit's
``wxface_sandbox.EmulatedKiosk`` (from ``wxface_sandbox.Sandbox.kiosk``) runs
the real kiosk flow over the face SDK emulator against such a server.

A merchant server is any callable ``merchant(path, request) -> answer``:
``path`` is ``/kiosk/authinfo``, ``/kiosk/verified`` or ``/kiosk/real-name``,
``request`` and ``answer`` are the JSON bodies as dicts, and a failure is a
raised :class:`wxface.Error`. :class:`ClientBackend` answers with a
:class:`wxface.MerchantClient` in this process (what an ``EmulatedKiosk``
uses when given a client); a test of an HIS service posts the request to it
instead.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, TypedDict

from ._native import Decryptor, MerchantClient
from .errors import Error, from_info

__all__ = ["ClientBackend", "MaskedIdentity", "Outcome", "Recognised"]


class MaskedIdentity(TypedDict):
    """A masked identity (``张*三``, ``110***********1234``): what
    :meth:`wxface.RealName.masked` returns and what a kiosk receives."""

    name: str
    credential_type: int
    credential_id: str


def _redacted(value: Optional[str]) -> str:
    return "None" if value is None else f"<redacted, {len(value)} chars>"


class Recognised:
    """Who the face SDK recognised. ``repr()`` shows the lengths of
    ``face_sid``, ``openid`` and ``sub_openid``; the attributes hold the
    values."""

    face_sid: str
    openid: Optional[str]
    sub_openid: Optional[str]

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.face_sid = record["face_sid"]
        self.openid = record.get("openid")
        self.sub_openid = record.get("sub_openid")

    def to_dict(self, *, expose: bool = False) -> Dict[str, Optional[str]]:
        """A JSON-ready dict ``{face_sid, openid, sub_openid}``: the values
        redacted (``"[redacted, 40 chars]"``) unless ``expose=True``."""
        def shown(v: Optional[str]) -> Optional[str]:
            if v is None or expose:
                return v
            return f"[redacted, {len(v)} chars]"

        return {"face_sid": shown(self.face_sid), "openid": shown(self.openid), "sub_openid": shown(self.sub_openid)}

    def __repr__(self) -> str:
        return (
            f"Recognised(face_sid={_redacted(self.face_sid)}, openid={_redacted(self.openid)}, "
            f"sub_openid={_redacted(self.sub_openid)})"
        )


class Outcome:
    """How one kiosk visit (``wxface_sandbox.EmulatedKiosk.verify``) ended (the shared outcome record
    of every wxface binding): ``kind`` (``verified``, ``already_verified``,
    ``consent_refused``, ``cancelled``, ``failed``), ``who`` (a
    :class:`Recognised`, once recognised), ``identity`` (the masked dict,
    ``verified``), ``step`` and ``error`` (``failed``), and ``steps``: every
    step that ended, as ``(step, status, error)``: the ``Step`` name
    (``recognising``, ``asking_consent``, …), the ``StepStatus`` name
    (``ok``, ``error`` or ``cancelled``) and the :class:`wxface.Error` that
    ended it (a refused consent, an expired authinfo, …)."""

    kind: str
    who: Optional[Recognised]
    identity: Optional[MaskedIdentity]
    step: Optional[str]
    error: Optional[Error]
    steps: List[Tuple[str, str, Optional[Error]]]

    def __init__(self, record: Mapping[str, Any]) -> None:
        outcome = record["outcome"]
        self.kind = outcome["outcome"]
        self.who = Recognised(outcome["who"]) if "who" in outcome else None
        self.identity = outcome.get("identity")
        self.step = outcome.get("step")
        self.error = from_info(outcome["error"]) if "error" in outcome else None
        self.steps = [
            (s["step"], s["status"], from_info(s["error"]) if "error" in s else None) for s in record["steps"]
        ]

    def to_dict(self, *, expose: bool = False) -> Dict[str, Any]:
        """A JSON-ready dict: ``kind``, ``who`` (:meth:`Recognised.to_dict`,
        redacted unless ``expose=True``), ``identity`` (masked, as the kiosk
        received it), ``step``, ``error`` (the error's ``info()`` record) and
        ``steps`` (``{step, status, error}`` each). ``json.dumps`` takes it as
        it is."""
        return {
            "kind": self.kind,
            "who": self.who.to_dict(expose=expose) if self.who is not None else None,
            "identity": dict(self.identity) if self.identity is not None else None,
            "step": self.step,
            "error": self.error.info() if self.error is not None else None,
            "steps": [
                {"step": step, "status": status, "error": e.info() if e is not None else None}
                for step, status, e in self.steps
            ],
        }

    def __repr__(self) -> str:
        return f"Outcome(kind={self.kind!r}, step={self.step!r})"


def _outcome(text: str) -> Outcome:
    return Outcome(json.loads(text))


class ClientBackend:
    """The kiosk API answered by a :class:`wxface.MerchantClient`: an
    authinfo from ``get_authinfo`` (``refresh`` drops the cached one first),
    "already verified" decided as the reference server decides it, and the
    masked identity of ``fetch_real_name`` (with ``decryptor`` when given,
    else the client's own).

    "Already verified" asks WeChat Pay who the ``face_sid`` is
    (``query_user(face_sid, "ASK_UNIONID")``, which needs no real-name
    consent) and answers whether that openid (or sub_openid) is in
    ``verified_openids``. The face SDK returns no openid with a ``face_sid``
    (the spec's table); an openid the kiosk does report must be WeChat Pay's,
    else the request is refused with :class:`wxface.InvalidInputError` on
    ``openid``."""

    def __init__(
        self,
        client: MerchantClient,
        *,
        decryptor: Optional[Decryptor] = None,
        verified_openids: Iterable[str] = (),
    ) -> None:
        self.client = client
        self.decryptor = decryptor
        self.verified_openids = set(verified_openids)

    def __call__(self, path: str, request: Mapping[str, Any]) -> Dict[str, Any]:
        """Answer one request of the kiosk API."""
        if path == "/kiosk/authinfo":
            if request.get("refresh"):
                self.client.invalidate_authinfo(request["device_id"])
            grant = self.client.get_authinfo(request["rawdata"], device_id=request["device_id"])
            return {"authinfo": grant.authinfo, "expires_in": grant.expires_in}
        if path == "/kiosk/verified":
            return {"already_verified": self._already_verified(request)}
        if path == "/kiosk/real-name":
            who = self.client.fetch_real_name(request["face_sid"], self.decryptor)
            return {"identity": who.masked()}
        raise ValueError(f"not a path of the kiosk API: {path}")

    def _already_verified(self, request: Mapping[str, Any]) -> bool:
        user = self.client.query_user(request["face_sid"], "ASK_UNIONID")
        for field, answered in (("openid", user.openid), ("sub_openid", user.sub_openid)):
            reported = request.get(field)
            # A sub_openid is checked only when WeChat Pay answered one.
            if reported and (field == "openid" or answered) and reported != answered:
                raise from_info({
                    "code": "invalid_input",
                    "kind": "invalid_input",
                    "message": f"invalid input: `{field}` is not the {field} WeChat Pay answers for this face_sid",
                    "retryable": False,
                    "field": field,
                })
        return any(i in self.verified_openids for i in (user.openid, user.sub_openid) if i)

    def __repr__(self) -> str:
        return f"ClientBackend({self.client!r})"
