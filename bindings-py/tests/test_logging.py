"""wxface's Rust logs in Python's ``logging`` (logger ``wxface``), through
the shared bridge ``wxface-log``: levels, fields in ``extra`` and in the
message, the level filter, records from the client's worker threads, and the
no-personal-data guarantee checked on every record of a whole session of
flows, failures and misconfigurations."""

import json
import logging
import threading

import pytest

import wxface
from wxface_sandbox import Sandbox

NAME = "张三丰"
ID = "11010519491231002X"


@pytest.fixture
def wxlogs(caplog):
    """Every record of the ``wxface`` loggers at ``TRACE`` and more severe;
    the bridge set back to the logger's level afterwards."""
    caplog.set_level(wxface.TRACE, logger="wxface")
    assert wxface.enable_logging() is True
    yield caplog
    wxface.flush_logs()
    logging.getLogger("wxface").setLevel(logging.NOTSET)
    wxface.enable_logging("warn")


def wx_records(caplog):
    wxface.flush_logs()
    return [r for r in caplog.records if r.name == "wxface" or r.name.startswith("wxface.")]


def test_a_failing_call_is_a_warning_with_its_code(wxface_sandbox, wxlogs):
    client = wxface_sandbox.client(max_retries=0)
    with pytest.raises(wxface.BackendError) as e:
        client.query_user("NO_SUCH_FACE_SID")
    # No flush here: the call returns once its records are in `logging`.
    warnings = [r for r in wxlogs.records if r.levelno == logging.WARNING and r.name.startswith("wxface")]
    assert warnings, [r.getMessage() for r in wxlogs.records]
    r = warnings[-1]
    assert r.levelname == "WARNING" and r.wxface_level == "warn"
    assert r.name.startswith("wxface.client") and r.wxface_target.startswith("wxface_client")
    fields = r.wxface_fields
    assert isinstance(fields, dict)
    assert fields["code"] == e.value.code
    assert f"code={e.value.code}" in r.getMessage()
    assert r.getMessage().startswith(r.msg.split(" ")[0])
    # JSON-ready as it is.
    json.dumps(fields)


def test_the_test_kits_events_follow_the_same_bridge(wxface_sandbox, wxlogs):
    # The kit is another native module with its own Rust `tracing`: its
    # sandbox and kiosk events reach the same `wxface` loggers, and
    # enable/disable/flush_logs drive its bridge too.
    from wxface.kiosk import ClientBackend

    outcome = wxface_sandbox.kiosk().verify(ClientBackend(wxface_sandbox.client()))
    assert outcome.kind == "verified"
    names = {r.name for r in wx_records(wxlogs)}
    assert any(n.startswith("wxface.capture.") for n in names), names
    assert any(n.startswith("wxface.sandbox") for n in names), names
    wxface.disable_logging()
    wxlogs.clear()
    wxface_sandbox.kiosk().verify(ClientBackend(wxface_sandbox.client()))
    assert not [r for r in wx_records(wxlogs) if r.name.startswith(("wxface.capture", "wxface.sandbox"))]


def test_levels_are_filtered_in_rust_and_can_change(wxface_sandbox, caplog):
    caplog.set_level(wxface.TRACE, logger="wxface")
    client = wxface_sandbox.client(max_retries=0)
    try:
        wxface.enable_logging("error")
        with pytest.raises(wxface.BackendError):
            client.query_user("NO_SUCH_FACE_SID")
        assert not [r for r in wx_records(caplog) if r.levelno < logging.ERROR]
        wxface.enable_logging(logging.DEBUG)
        caplog.clear()
        face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
        client.fetch_real_name(face_sid)
        levels = {r.levelname for r in wx_records(caplog)}
        assert "DEBUG" in levels or "INFO" in levels, levels
        assert "TRACE" not in levels
        with pytest.raises(ValueError):
            wxface.enable_logging("verbose")
    finally:
        wxface.enable_logging("warn")


def test_disable_stops_the_records(wxface_sandbox, caplog):
    caplog.set_level(logging.DEBUG, logger="wxface")
    client = wxface_sandbox.client(max_retries=0)
    wxface.disable_logging()
    try:
        with pytest.raises(wxface.BackendError):
            client.query_user("NO_SUCH_FACE_SID")
        assert wx_records(caplog) == []
    finally:
        wxface.enable_logging("warn")
    with pytest.raises(wxface.BackendError):
        client.query_user("NO_SUCH_FACE_SID")
    assert [r for r in wx_records(caplog) if r.levelno == logging.WARNING]


def test_records_of_many_threads_arrive_without_deadlock(wxface_sandbox, wxlogs):
    client = wxface_sandbox.client(max_retries=0)
    errors = []

    def work():
        for _ in range(5):
            try:
                client.query_user("NO_SUCH_FACE_SID")
            except wxface.BackendError as e:
                errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    assert len(errors) == 40
    failed = [r for r in wx_records(wxlogs) if r.levelno == logging.WARNING and "code" in r.wxface_fields]
    assert len(failed) >= 40


def secrets_of(sb):
    """Names, ID numbers and keys of the sandbox: none may be logged."""
    c = sb.credentials
    out = [NAME, ID, c.v2_key, c.apiv3_key]
    for pem in (c.merchant_key_pem, c.sub_merchant_key_pem):
        out += [line for line in pem.splitlines() if line and not line.startswith("-----")]
    for person in sb.identities:
        out += [person.real_name.expose_name(), person.real_name.expose_credential_id()]
    return out


def test_no_personal_data_or_key_in_any_record(wxface_sandbox, wxlogs, tmp_path):
    sb = wxface_sandbox
    client = sb.client()
    seen = []
    # Every test person through the whole kiosk flow, consent and refusal.
    for person in sb.identities:
        kiosk = sb.kiosk(person=person.key, device_id="KIOSK-LOG")
        out = kiosk.verify(client)
        assert out.kind == "verified"
        face_sid = sb.kiosk(person=person.key).consented_face_sid(client)
        seen.append(face_sid)
        who = client.fetch_real_name(face_sid)
        assert who.expose_name() == person.real_name.expose_name()
        client.query_user(face_sid, "ASK_UNIONID")
        sb.kiosk(person=person.key).verify(client, outcome="refuse")
    # Calls (most of them failing) whose inputs are the personal data themselves.
    for value in (NAME, ID, f"{NAME} {ID}"):
        for call in (
            lambda: client.query_user(value),
            lambda: client.fetch_real_name(value),
            lambda: client.get_authinfo(value, device_id="KIOSK-LOG"),
            # (A device id is an id the hospital chose, logged as such.)
            lambda: client.get_authinfo("rawdata", device_id="KIOSK-LOG", store_name=value, attach={"n": value}),
        ):
            try:
                call()
            except wxface.Error:
                pass
    # Faults and retries.
    face_sid = sb.kiosk().consented_face_sid(client)
    sb.faults.inject("users", "system_error", count=2)
    client.fetch_real_name(face_sid)
    sb.faults.inject("users", "bad_signature")
    with pytest.raises(wxface.SignatureError):
        client.fetch_real_name(face_sid)
    # A misconfigured client: the wrong v2 key.
    wrong = sb.client(v2_key="0" * 32, max_retries=0)
    with pytest.raises(wxface.Error):
        wrong.get_authinfo("rawdata", device_id="KIOSK-LOG")
    # A device credential checked (and refused).
    cred = wxface.DeviceCredential.generate()
    with pytest.raises(wxface.UnauthenticatedError):
        wxface.authenticate_device(cred.authorization(), lambda key_id: None)

    records = wx_records(wxlogs)
    assert len(records) >= 20, len(records)
    assert {"TRACE", "DEBUG", "WARNING"} & {r.levelname for r in records}
    forbidden = secrets_of(sb) + [cred.expose()]
    for r in records:
        shown = "\n".join(
            [r.getMessage(), r.name, json.dumps(r.wxface_fields, ensure_ascii=False), repr(r.args)]
        )
        for s in forbidden:
            assert s not in shown, f"{s[:3]}… in a record: {r.levelname} {r.name}"
        assert "张" not in shown and "19491231" not in shown


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork()")
def test_a_forked_child_gets_its_own_delivery(wxface_sandbox):
    """A server that forks its workers (gunicorn --preload) after the bridge
    was installed: the child's records still reach its `logging`, and its
    calls do not wait for a delivery thread it does not have."""
    import os
    import time

    wxface.enable_logging("warn")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a sandbox and a client of its own
        code = 1
        try:
            got = []

            class Catch(logging.Handler):
                def emit(self, record):
                    got.append(record)

            logging.getLogger("wxface").addHandler(Catch())
            with Sandbox() as sb:
                client = sb.client(max_retries=0)
                started = time.monotonic()
                try:
                    client.query_user("NO_SUCH_FACE_SID")
                except wxface.BackendError:
                    pass
                fast = time.monotonic() - started < 1.5
                ok = any(r.levelno == logging.WARNING and r.wxface_fields.get("code") == "backend" for r in got)
                code = 0 if (ok and fast) else 2
        finally:
            os.write(write_fd, bytes([code]))
            os._exit(0)
    os.close(write_fd)
    result = os.read(read_fd, 1)
    os.waitpid(pid, 0)
    os.close(read_fd)
    assert result == b"\x00", result
