"""The kiosk API of ``docs/merchant-api.md`` for a HIS's web layer, ready
made: :func:`flask_blueprint` (Flask) and :func:`asgi_app` (a plain ASGI
application, for Starlette, FastAPI, Quart, Django's ASGI or any ASGI
server; no framework needed), both over :class:`KioskApi`.

Every message check is the Rust core's (``wxface_core::kiosk_api``, as the
reference server ``wxface merchant serve`` runs it): the device credential
(:func:`wxface.authenticate_device`, before the body is read), the request
body (at most 16 KiB, the JSON of its path, ``face_sid`` not empty, …), the
answer (a kiosk never receives an identity that is not masked), the error
record (``error.info()``) and its HTTP status (the API's table). Python only
moves bytes and calls the client::

    from flask import Flask
    import wxface, wxface.web

    client = wxface.MerchantClient()
    app = Flask(__name__)
    app.register_blueprint(wxface.web.flask_blueprint(
        client,
        devices=device_table.lookup,          # key_id -> (device_id, verifier, revoked) | None
        registry=patients,                    # is_verified(openid, sub_openid), record(who, openid, device_id)
        decryptor=wxface.Decryptor(pathlib.Path("/etc/his/apiclient_key.pem")),
    ))

    # or, under any ASGI server:
    app = wxface.web.asgi_app(client, devices=device_table.lookup, registry=patients, decryptor=...)

What is left to the HIS: its device table (issue credentials with
:class:`wxface.DeviceCredential`, store the key id and ``verifier()``), its
patient records (a :class:`PatientRegistry`), and, if it wants them, the
limits of the API's "Limits" section (rate limits per device, the
``face_sid`` lookup window): they are not applied here (the reference server
``wxface merchant serve`` applies them).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    MutableMapping,
    Optional,
    Protocol,
    Tuple,
)

from . import _native
from ._native import Decryptor, MerchantClient, RealName, authenticate_device
from .errors import Error, from_info

if TYPE_CHECKING:
    import flask

__all__ = [
    "KioskApi",
    "PatientRegistry",
    "MemoryRegistry",
    "Response",
    "flask_blueprint",
    "asgi_app",
    "PATHS",
    "MAX_REQUEST_BYTES",
]

log = logging.getLogger("wxface.web")

#: The API's paths (``/kiosk/authinfo``, ``/kiosk/verified``, ``/kiosk/real-name``).
PATHS: Tuple[str, ...] = tuple(_native.kiosk_paths())
#: The largest request body taken, in bytes (16 KiB).
MAX_REQUEST_BYTES: int = _native.KIOSK_MAX_REQUEST_BYTES
#: The ``WWW-Authenticate`` header of a 401.
WWW_AUTHENTICATE = 'Bearer realm="wxface kiosk API"'

#: ``lookup(key_id)`` → ``(device_id, verifier, revoked)`` or ``None``: the
#: HIS's device table, as :func:`wxface.authenticate_device` takes it.
DeviceLookup = Callable[[str], Optional[Tuple[str, str, object]]]
#: ``(status, headers, body)``.
Response = Tuple[int, List[Tuple[str, str]], bytes]


class PatientRegistry(Protocol):
    """The HIS's patient records, as the kiosk API needs them."""

    def is_verified(self, openid: Optional[str], sub_openid: Optional[str]) -> bool:
        """Whether the user WeChat Pay answered for a ``face_sid`` (its
        openid, and sub_openid in provider mode) is already a verified
        patient (``POST /kiosk/verified``)."""
        ...

    def record(self, who: RealName, openid: Optional[str], device_id: str) -> Optional[str]:
        """Store the verified identity (``who.expose_name()``, … under the
        hospital's controls) of the user with ``openid``, verified at
        ``device_id``; the patient number to give the kiosk, or ``None``
        (``POST /kiosk/real-name``)."""
        ...


class MemoryRegistry:
    """A :class:`PatientRegistry` in memory, for tests and demonstrations: it
    keeps openid → patient number and the masked identity only."""

    def __init__(self) -> None:
        self.patients: Dict[str, Tuple[str, Dict[str, Any]]] = {}

    def is_verified(self, openid: Optional[str], sub_openid: Optional[str]) -> bool:
        """Whether ``openid`` or ``sub_openid`` was recorded."""
        return any(i in self.patients for i in (openid, sub_openid) if i)

    def record(self, who: RealName, openid: Optional[str], device_id: str) -> Optional[str]:
        """Record ``openid`` with a new patient number (``P000001``, …)."""
        if not openid:
            return None
        if openid not in self.patients:
            self.patients[openid] = (f"P{len(self.patients) + 1:06d}", who.to_dict())
        return self.patients[openid][0]


def _invalid(field: str, rule: str) -> Error:
    return from_info(
        {
            "code": "invalid_input",
            "kind": "invalid_input",
            "message": f"invalid input: `{field}` {rule}",
            "retryable": False,
            "field": field,
        }
    )


class KioskApi:
    """The kiosk API over ``client``, without a web framework: what
    :func:`flask_blueprint` and :func:`asgi_app` call.

    ``devices`` looks a credential's key id up in the HIS's device table;
    ``registry`` answers "already verified?" and records verified patients
    (none: nobody is verified before, nothing is recorded); ``decryptor`` is
    the hospital's key for the identity (none: the client's configured one,
    and the registry gets no openid)."""

    def __init__(
        self,
        client: MerchantClient,
        *,
        devices: DeviceLookup,
        registry: Optional[PatientRegistry] = None,
        decryptor: Optional[Decryptor] = None,
    ) -> None:
        self.client = client
        self.devices = devices
        self.registry = registry
        self.decryptor = decryptor

    def authenticate(self, authorization: Optional[str]) -> str:
        """The device id of a request's ``Authorization`` header value;
        raises :class:`wxface.UnauthenticatedError` (answered 401)."""
        return authenticate_device(authorization, self.devices)

    def answer(self, path: str, device_id: str, body: bytes) -> Dict[str, Any]:
        """The answer (a dict) to an authenticated request; raises the
        :class:`wxface.Error` to answer instead."""
        request = _native.kiosk_request(path, body)
        claimed = request.get("device_id")
        if claimed and claimed != device_id:
            raise _invalid("device_id", "is not the device of the request's credential")
        if path == "/kiosk/authinfo":
            if request.get("refresh"):
                self.client.invalidate_authinfo(device_id, request.get("store_id"))
            grant = self.client.get_authinfo(
                request["rawdata"],
                store_id=request.get("store_id"),
                store_name=request.get("store_name"),
                device_id=device_id,
                attach=request.get("attach"),
            )
            return grant.kiosk_answer()
        if path == "/kiosk/verified":
            user = self.client.query_user(request["face_sid"], "ASK_UNIONID")
            for field, answered in (("openid", user.openid), ("sub_openid", user.sub_openid)):
                reported = request.get(field)
                # A sub_openid is checked only when WeChat Pay answered one.
                if reported and (field == "openid" or answered) and reported != answered:
                    raise _invalid(field, f"is not the {field} WeChat Pay answers for this face_sid")
            already = self.registry is not None and self.registry.is_verified(user.openid, user.sub_openid)
            return {"already_verified": bool(already)}
        # /kiosk/real-name (kiosk_request refused any other path)
        openid: Optional[str] = None
        if self.decryptor is not None:
            user = self.client.query_user(request["face_sid"])
            who = self.decryptor.decrypt_real_name(user)
            openid = user.openid
        else:
            who = self.client.fetch_real_name(request["face_sid"])
        answer: Dict[str, Any] = {"identity": who.masked()}
        if self.registry is not None:
            patient_id = self.registry.record(who, openid, device_id)
            if patient_id is not None:
                answer["patient_id"] = patient_id
        return answer

    def error(self, e: BaseException) -> Response:
        """The answer to a failure: the status of the API's table and the
        error's record (a non-wxface exception: ``internal``, naming its
        type only)."""
        status, body = _native.kiosk_error(e)
        record = json.loads(body)
        log.warning(
            "kiosk request failed: %s %s %s", status, record.get("code"), record.get("wechat_code") or ""
        )
        headers = [("content-type", "application/json")]
        if status == 401:
            headers.append(("www-authenticate", WWW_AUTHENTICATE))
        return status, headers, body

    def handle(self, path: str, authorization: Optional[str], read_body: Callable[[], bytes]) -> Response:
        """One request, blocking: authenticate, then ``read_body()``, then
        answer. ``read_body`` need not return more than
        ``MAX_REQUEST_BYTES + 1`` bytes."""
        try:
            device_id = self.authenticate(authorization)
            answer = self.answer(path, device_id, read_body())
            return 200, [("content-type", "application/json")], _native.kiosk_answer(path, answer)
        except Exception as e:  # noqa: BLE001 - every failure is an error answer
            return self.error(e)


def flask_blueprint(
    client: MerchantClient,
    *,
    devices: DeviceLookup,
    registry: Optional[PatientRegistry] = None,
    decryptor: Optional[Decryptor] = None,
    name: str = "wxface_kiosk",
    url_prefix: Optional[str] = None,
) -> "flask.Blueprint":
    """A Flask blueprint serving ``POST /kiosk/authinfo``, ``/kiosk/verified``
    and ``/kiosk/real-name`` (under ``url_prefix``) with :class:`KioskApi`.
    The credential is checked before the body is read; at most 16 KiB + 1
    of the body is read. The blueprint's ``kiosk_api`` attribute is the
    :class:`KioskApi`."""
    from flask import Blueprint, Response as FlaskResponse, request

    api = KioskApi(client, devices=devices, registry=registry, decryptor=decryptor)
    bp = Blueprint(name, __name__, url_prefix=url_prefix)

    def view_for(path: str) -> Callable[[], FlaskResponse]:
        def view() -> FlaskResponse:
            status, headers, body = api.handle(
                path,
                request.headers.get("Authorization"),
                lambda: request.stream.read(MAX_REQUEST_BYTES + 1),
            )
            return FlaskResponse(body, status=status, headers=headers)

        return view

    for path in PATHS:
        bp.add_url_rule(path, endpoint=path.rsplit("/", 1)[-1].replace("-", "_"), view_func=view_for(path), methods=["POST"])
    setattr(bp, "kiosk_api", api)
    return bp


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _read_body(receive: Receive) -> bytes:
    """The request body, stopping past ``MAX_REQUEST_BYTES`` (the core then
    refuses it)."""
    chunks: List[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REQUEST_BYTES or not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, headers: List[Tuple[str, str]], body: bytes) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def asgi_app(
    client: MerchantClient,
    *,
    devices: DeviceLookup,
    registry: Optional[PatientRegistry] = None,
    decryptor: Optional[Decryptor] = None,
    fallback: Optional[ASGIApp] = None,
) -> ASGIApp:
    """A plain ASGI application serving the kiosk API with
    :class:`KioskApi`: ``POST`` on the three paths (relative to the scope's
    ``root_path``); another method on them is 405; any other request (and
    ``lifespan``) goes to ``fallback`` when given, else 404 (``lifespan``
    is acknowledged). The credential is checked before the body is read;
    the client's blocking calls run in worker threads
    (``asyncio.to_thread``), so the event loop never waits for WeChat Pay."""
    api = KioskApi(client, devices=devices, registry=registry, decryptor=decryptor)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if kind == "http" and path in PATHS:
            if scope.get("method") != "POST":
                await _respond(send, 405, [("allow", "POST"), ("content-type", "text/plain")], b"method not allowed")
                return
            authorization: Optional[str] = None
            for k, v in scope.get("headers", []):
                if k.lower() == b"authorization":
                    authorization = v.decode("latin-1")
            try:
                # The device table may be a database: not on the event loop.
                device_id = await asyncio.to_thread(api.authenticate, authorization)
            except Exception as e:  # noqa: BLE001
                await _respond(send, *api.error(e))
                return
            body = await _read_body(receive)
            try:
                answer = await asyncio.to_thread(api.answer, path, device_id, body)
                out = _native.kiosk_answer(path, answer)
            except Exception as e:  # noqa: BLE001
                await _respond(send, *api.error(e))
                return
            await _respond(send, 200, [("content-type", "application/json")], out)
            return
        if fallback is not None:
            await fallback(scope, receive, send)
            return
        if kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if kind == "http":
            await _respond(send, 404, [("content-type", "text/plain")], b"not found")

    setattr(app, "kiosk_api", api)
    return app
