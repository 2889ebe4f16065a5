"""The HIS service against the embedded wxface sandbox."""

import pathlib
import sys

import pytest

import wxface

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import his_service  # noqa: E402


@pytest.fixture(scope="session")
def sandbox():
    with wxface.Sandbox() as sb:
        yield sb


@pytest.fixture
def his(sandbox, tmp_path):
    """The Flask app over a fresh database, talking to the sandbox."""
    sandbox.reset()
    client = sandbox.client()
    decryptor = wxface.Decryptor(sandbox.credentials.merchant_key_pem, sandbox.credentials.padding)
    app = his_service.create_app(client, decryptor, str(tmp_path / "patients.sqlite3"))
    app.config["TESTING"] = True
    yield app
    sandbox.faults.clear()


@pytest.fixture
def http(his):
    return his.test_client()
