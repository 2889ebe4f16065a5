"""The HIS service against the embedded wxface sandbox."""

import pathlib
import sys

import pytest

import wxface
from wxface_sandbox import Sandbox

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import his_service  # noqa: E402


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def wechat(sandbox):
    """The HIS's client of the sandbox's WeChat Pay: its ``stats()`` count
    every call the HIS makes."""
    sandbox.reset()
    return sandbox.client()


@pytest.fixture
def his(sandbox, wechat, tmp_path):
    """The Flask app over a fresh database, talking to the sandbox."""
    decryptor = wxface.Decryptor(sandbox.credentials.merchant_key_pem, sandbox.credentials.padding)
    app = his_service.create_app(wechat, decryptor, str(tmp_path / "patients.sqlite3"))
    app.config["TESTING"] = True
    yield app
    sandbox.faults.clear()


@pytest.fixture
def http(his):
    return his.test_client()


@pytest.fixture
def auth(his):
    """``auth(device_id="KIOSK-01")``: the ``Authorization`` header of a
    credential the HIS issued for that kiosk (one per device id)."""
    issued = {}

    def headers(device_id="KIOSK-01"):
        if device_id not in issued:
            issued[device_id] = his.extensions["devices"].issue(device_id)
        return {"Authorization": issued[device_id].authorization()}

    return headers
