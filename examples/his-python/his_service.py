"""A small hospital information system (HIS) service for wxface kiosks.

It implements the kiosk endpoints of docs/merchant-api.md with the wxface
Python binding, and keeps patients and kiosks in SQLite. Every request must
carry a kiosk's device credential (``Authorization: Bearer wxfd1.…``); the
device a request counts as is the credential's:

* ``POST /kiosk/authinfo``  — an authinfo for the kiosk's face SDK;
* ``POST /kiosk/verified``  — "is this user already a verified patient?":
  WeChat Pay says who the ``face_sid`` is (``ASK_UNIONID``, no consent
  needed), and that openid is looked up (an openid the kiosk reports must be
  WeChat Pay's; the face SDK usually reports none);
* ``POST /kiosk/real-name`` — after the patient consented: query WeChat Pay,
  verify, decrypt, validate, create or update the patient record, and answer
  the kiosk with masked data only.

Full names and ID numbers exist only in the database; the kiosk receives
masked values and the log receives nothing personal (no name, ID number,
openid, face_sid, authinfo or rawdata — patient numbers and masked values
only).

Run it (configuration from the ``WXFACE_*`` environment variables, see
bindings-py/README.md)::

    HIS_DB=patients.sqlite3 python his_service.py add-device KIOSK-01   # prints the credential once
    HIS_DB=patients.sqlite3 flask --app his_service:create_app_from_env run

``python his_service.py list-devices`` and ``revoke-device ID`` (a device id
or a key id) manage the kiosks.
"""

from __future__ import annotations

import argparse
import logging
import os
import pathlib
import sqlite3
import sys
import threading
import time
import unicodedata
from typing import Any, Dict, List, Optional, Sequence, Tuple

from flask import Flask, g, jsonify, request

import wxface

log = logging.getLogger("his.kiosk")

SCHEMA = """
CREATE TABLE IF NOT EXISTS patients (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_no      TEXT UNIQUE,
    name            TEXT NOT NULL,
    credential_type INTEGER NOT NULL,
    credential_id   TEXT NOT NULL,
    openid          TEXT UNIQUE,
    verified_at     INTEGER NOT NULL,
    UNIQUE (credential_type, credential_id)
);
CREATE TABLE IF NOT EXISTS devices (
    key_id     TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    label      TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
"""

#: The kiosk API's routes; each one requires a device credential.
KIOSK_PATHS = ("/kiosk/authinfo", "/kiosk/verified", "/kiosk/real-name")


class PatientStore:
    """The patient table. One connection per call keeps it thread-safe."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def is_verified(self, openid: Optional[str]) -> bool:
        """Whether a patient with this openid was verified before."""
        if not openid:
            return False
        with self._connect() as db:
            row = db.execute("SELECT 1 FROM patients WHERE openid = ?", (openid,)).fetchone()
        return row is not None

    def upsert(self, who: wxface.RealName, openid: Optional[str]) -> Tuple[str, bool]:
        """Create or update the patient verified as ``who``; returns
        ``(patient_no, created)``."""
        now = int(time.time())
        with self._lock, self._connect() as db:
            row = db.execute(
                "SELECT id, patient_no FROM patients WHERE credential_type = ? AND credential_id = ?",
                # EXPOSE: the full values are stored, under the hospital's controls.
                (who.credential_type, who.expose_credential_id()),
            ).fetchone()
            if row is not None:
                db.execute(
                    "UPDATE patients SET name = ?, openid = COALESCE(?, openid), verified_at = ? WHERE id = ?",
                    (who.expose_name(), openid, now, row[0]),
                )
                return row[1], False
            cur = db.execute(
                "INSERT INTO patients (name, credential_type, credential_id, openid, verified_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (who.expose_name(), who.credential_type, who.expose_credential_id(), openid, now),
            )
            patient_no = f"P{cur.lastrowid:06d}"
            db.execute("UPDATE patients SET patient_no = ? WHERE id = ?", (patient_no, cur.lastrowid))
            return patient_no, True

    def get(self, patient_no: str) -> Optional[Dict[str, Any]]:
        """A patient record (full values; for the hospital's own use)."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM patients WHERE patient_no = ?", (patient_no,)).fetchone()
        return dict(row) if row else None


class DeviceStore:
    """The kiosks the hospital lets in: one row per device credential, with
    the credential's key id and verifier (a hash, from
    ``wxface.DeviceCredential.verifier()``), never the credential itself.
    A device may hold several live credentials (to rotate one: issue, deploy,
    revoke the old key id)."""

    def __init__(self, path: str) -> None:
        self.path = path
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def issue(self, device_id: str, label: Optional[str] = None) -> wxface.DeviceCredential:
        """A new credential for ``device_id``, stored as its key id and
        verifier. Hand its ``expose()`` text to the kiosk once: it is kept
        nowhere here. ``InvalidInputError`` on ``device_id`` or ``label``."""
        wxface.check_device_id(device_id)
        if label is not None and (len(label) > 64 or any(unicodedata.category(c) == "Cc" for c in label)):
            rule = "must be at most 64 characters without control characters"
            raise wxface.InvalidInputError(f"invalid input: `label` {rule}", {"field": "label"})
        credential = wxface.DeviceCredential.generate()
        with self._connect() as db:
            db.execute(
                "INSERT INTO devices (key_id, device_id, verifier, label, created_at) VALUES (?, ?, ?, ?, ?)",
                (credential.key_id, device_id, credential.verifier(), label, int(time.time())),
            )
        return credential

    def lookup(self, key_id: str) -> Optional[Tuple[str, str, bool]]:
        """``(device_id, verifier, revoked)`` of a key id, or ``None``: the
        ``lookup`` of ``wxface.authenticate_device``."""
        with self._connect() as db:
            row = db.execute(
                "SELECT device_id, verifier, revoked_at IS NOT NULL FROM devices WHERE key_id = ?", (key_id,)
            ).fetchone()
        return None if row is None else (row[0], row[1], bool(row[2]))

    def revoke(self, device_or_key_id: str) -> int:
        """Revoke the live credentials of a device (its device id) or one
        credential (its key id); how many were revoked."""
        with self._connect() as db:
            cur = db.execute(
                "UPDATE devices SET revoked_at = ? WHERE revoked_at IS NULL AND (device_id = ? OR key_id = ?)",
                (int(time.time()), device_or_key_id, device_or_key_id),
            )
            return cur.rowcount

    def list(self) -> List[Dict[str, Any]]:
        """Every credential's record (no verifier), in the order issued."""
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT device_id, key_id, label, created_at, revoked_at FROM devices ORDER BY created_at, rowid"
            ).fetchall()
        return [dict(r) for r in rows]


class ApiError(Exception):
    """An error answer: the HTTP status and the body, wxface's error record
    ``{code, kind, message, retryable, …}`` (docs/merchant-api.md)."""

    def __init__(self, status: int, record: Dict[str, Any]) -> None:
        super().__init__(record.get("message", ""))
        self.status, self.record = status, record


def _invalid(field: str, rule: str) -> ApiError:
    """A refused request, as wxface reports a refused field: the field and
    the rule, never the value."""
    return ApiError(
        400,
        {
            "code": "invalid_input",
            "kind": "invalid_input",
            "message": f"invalid input: `{field}` {rule}",
            "retryable": False,
            "field": field,
        },
    )


def _status(e: wxface.Error) -> int:
    """The HTTP status of a wxface error, as docs/merchant-api.md maps them;
    WeChat's own 400, 403 and 404 are passed through."""
    if isinstance(e, wxface.InvalidInputError):
        return 400
    if isinstance(e, wxface.BackendError):
        if e.status == 429 or e.wechat_code in ("FREQUENCY_LIMITED", "RATELIMIT_EXCEEDED"):
            return 429
        if e.status in (400, 403, 404):
            return e.status
        if e.wechat_code in ("NOT_FOUND", "RESOURCE_NOT_EXISTS"):
            return 404
        return 502
    if isinstance(e, wxface.TransportError):
        return 504 if e.transport_kind == "timeout" else 502
    if isinstance(e, (wxface.ConfigError, wxface.InternalError)):
        return 500
    return 502


def _from_wxface(e: wxface.Error) -> ApiError:
    """Map a wxface error to an answer: its own record (wxface messages carry
    no personal data; a WeChat failure keeps WeChat's code in
    ``wechat_code``). The HIS's own configuration stays out of the answer."""
    status = _status(e)
    record = e.info()
    if status == 500:
        record["message"] = "internal error"
    return ApiError(status, record)


def _body(*required: str) -> Dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _invalid("body", "must be a JSON object")
    for field in required:
        value = data.get(field)
        if not isinstance(value, str) or not value:
            raise _invalid(field, "is required")
    # The device is the credential's; a body may name it, but only as itself.
    claimed = data.get("device_id")
    if claimed not in (None, "") and claimed != g.device_id:
        raise _invalid("device_id", "is not the device of the request's credential")
    return data


def create_app(
    client: wxface.MerchantClient,
    decryptor: wxface.Decryptor,
    db_path: str,
) -> Flask:
    """The HIS service over ``client`` (talks to WeChat Pay), ``decryptor``
    (the hospital's key) and the SQLite database at ``db_path`` (patients,
    and the kiosks' credentials: ``DeviceStore``, issued with
    ``python his_service.py add-device``)."""
    app = Flask("his_service")
    store = PatientStore(db_path)
    devices = DeviceStore(db_path)
    app.extensions["patients"] = store
    app.extensions["devices"] = devices

    @app.errorhandler(ApiError)
    def _api_error(e: ApiError) -> Any:
        r = e.record
        log.warning("kiosk request failed: %s %s %s", e.status, r.get("code"), r.get("wechat_code") or "")
        headers = {"WWW-Authenticate": 'Bearer realm="wxface kiosk API"'} if e.status == 401 else {}
        return jsonify(r), e.status, headers

    @app.errorhandler(wxface.Error)
    def _wxface_error(e: wxface.Error) -> Any:
        return _api_error(_from_wxface(e))

    @app.before_request
    def _authenticate() -> None:
        # Before the body is read: a request without a live credential of a
        # kiosk of this hospital never reaches WeChat Pay. The check is
        # wxface's (the reference server's); the device id is the one this
        # HIS stored for the credential's key id.
        if request.path not in KIOSK_PATHS:
            return
        try:
            g.device_id = wxface.authenticate_device(request.headers.get("Authorization"), devices.lookup)
        except wxface.UnauthenticatedError as e:
            raise ApiError(401, e.info()) from None

    @app.post("/kiosk/authinfo")
    def authinfo() -> Any:
        data = _body("rawdata")
        device_id = g.device_id
        if data.get("refresh") is True:
            # The kiosk's face SDK said the authinfo is invalid or expired
            # (271382020): ask WeChat Pay again instead of the cache.
            client.invalidate_authinfo(device_id, store_id=data.get("store_id"))
        grant = client.get_authinfo(
            data["rawdata"],
            store_id=data.get("store_id"),
            device_id=device_id,
            attach=data.get("attach"),
        )
        log.info("authinfo for device %s (%s)", device_id, "cached" if grant.from_cache else "new")
        # {"authinfo", "expires_in", "expires_at"}: the API's answer, JSON-ready.
        return jsonify(grant.kiosk_answer())

    @app.post("/kiosk/verified")
    def verified() -> Any:
        data = _body("face_sid")
        # Decided from the face_sid, never from what the kiosk reports: the
        # face SDK returns no openid with a face_sid (the spec's table), and a
        # kiosk could report anyone's.
        user = client.query_user(data["face_sid"], "ASK_UNIONID")
        reported = data.get("openid") or None
        if reported is not None and reported != user.openid:
            raise _invalid("openid", "is not the openid WeChat Pay answers for this face_sid")
        already = store.is_verified(user.openid)
        log.info("already-verified check: %s", "yes" if already else "no")
        return jsonify(already_verified=already)

    @app.post("/kiosk/real-name")
    def real_name() -> Any:
        data = _body("face_sid")
        user = client.query_user(data["face_sid"])
        who = decryptor.decrypt_real_name(user)
        patient_no, created = store.upsert(who, user.openid)
        # `who` formats masked: 张*三 (身份证 110***********1234).
        log.info(
            "patient %s %s at device %s: %s",
            patient_no,
            "registered" if created else "re-verified",
            g.device_id,
            who,
        )
        return jsonify(identity=who.masked(), patient_id=patient_no)

    return app


def create_app_from_env() -> Flask:
    """The service configured from the environment: ``WXFACE_*`` for wxface
    (the decryption key is ``WXFACE_DECRYPT_KEY_FILE``, else the merchant
    key file), ``HIS_DB`` for the database path."""
    client = wxface.MerchantClient()
    key = os.environ.get("WXFACE_DECRYPT_KEY_FILE") or os.environ["WXFACE_MERCHANT_KEY_FILE"]
    decryptor = wxface.Decryptor(pathlib.Path(key), os.environ.get("WXFACE_PADDING", "pkcs1v15"))
    return create_app(client, decryptor, os.environ.get("HIS_DB", "patients.sqlite3"))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The kiosks' credentials: ``add-device DEVICE_ID [--label L]`` prints
    the new credential alone on standard output (shown once: put it on the
    kiosk), ``list-devices``, ``revoke-device ID`` (a device id: all of its
    credentials; or one key id). The database is ``--db``, else ``HIS_DB``."""
    parser = argparse.ArgumentParser(prog="his_service.py", description="The HIS's kiosk credentials.")
    parser.add_argument("--db", default=os.environ.get("HIS_DB", "patients.sqlite3"), help="SQLite database [$HIS_DB]")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-device", help="issue a credential for a kiosk; prints it once")
    add.add_argument("device_id")
    add.add_argument("--label")
    sub.add_parser("list-devices", help="the issued credentials (key ids, never the credentials)")
    rev = sub.add_parser("revoke-device", help="revoke a device's credentials, or one key id")
    rev.add_argument("id")
    args = parser.parse_args(argv)
    devices = DeviceStore(args.db)
    if args.command == "add-device":
        try:
            credential = devices.issue(args.device_id, args.label)
        except wxface.InvalidInputError as e:
            print(f"his_service.py: {e}", file=sys.stderr)
            return 2
        print(credential.expose())
        print(
            f"device {args.device_id}: key id {credential.key_id}; the credential above is not shown again",
            file=sys.stderr,
        )
        return 0
    if args.command == "list-devices":
        for d in devices.list():
            state = "revoked" if d["revoked_at"] is not None else "live"
            print(f"{d['key_id']}  {d['device_id']}  {state}  {d['label'] or ''}".rstrip())
        return 0
    n = devices.revoke(args.id)
    print(f"revoked {n} credential(s)", file=sys.stderr)
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
