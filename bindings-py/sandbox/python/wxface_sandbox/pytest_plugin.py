"""pytest plugin: a wxface sandbox for HIS test suites.

Installed with the ``wxface-sandbox`` package (entry point ``pytest11``), so
the fixtures are available in any suite without a ``conftest.py`` line. To
load it explicitly instead, add
``pytest_plugins = ["wxface_sandbox.pytest_plugin"]``.

Fixtures:

``wxface_sandbox``
    A running :class:`wxface_sandbox.Sandbox` shared by the whole session (keys are
    generated once); faults and sessions are reset before each test.
``wxface_client``
    A fresh :class:`wxface.MerchantClient` configured for that sandbox (its
    own authinfo cache), direct-merchant mode.
``wxface_kiosk``
    An :class:`wxface_sandbox.EmulatedKiosk` (``device_id="KIOSK-01"``): the kiosk
    flow over the face SDK emulator, recognising the sandbox's default test
    person, who consents.

Example::

    def test_registration(wxface_sandbox, wxface_client):
        kiosk = wxface_sandbox.kiosk(person="patient-b")
        face_sid = kiosk.consented_face_sid(wxface_client)
        who = wxface_client.fetch_real_name(face_sid)
        assert who.expose_credential_id().endswith("X")

Sandbox options (``Sandbox(**options)``) can be set per suite by overriding
the ``wxface_sandbox_options`` fixture (session scope), e.g.
``{"padding": "oaep-sha1"}``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from wxface import MerchantClient

from . import EmulatedKiosk, Sandbox


@pytest.fixture(scope="session")
def wxface_sandbox_options() -> Dict[str, Any]:
    """Options of the session's sandbox (override in a conftest.py)."""
    return {}


@pytest.fixture(scope="session")
def _wxface_sandbox_session(wxface_sandbox_options: Dict[str, Any]) -> Iterator[Sandbox]:
    sb = Sandbox(**wxface_sandbox_options)
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def wxface_sandbox(_wxface_sandbox_session: Sandbox) -> Iterator[Sandbox]:
    """The session's sandbox, reset (no faults, no sessions) for this test."""
    _wxface_sandbox_session.reset()
    yield _wxface_sandbox_session
    _wxface_sandbox_session.faults.clear()


@pytest.fixture
def wxface_client(wxface_sandbox: Sandbox) -> MerchantClient:
    """A MerchantClient for the sandbox, with a cache of its own."""
    return wxface_sandbox.client()


@pytest.fixture
def wxface_kiosk(wxface_sandbox: Sandbox) -> EmulatedKiosk:
    """An emulated kiosk whose user (the default test person) consents."""
    return wxface_sandbox.kiosk()
