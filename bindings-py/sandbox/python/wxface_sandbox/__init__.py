"""wxface-sandbox: the test kit of wxface (import name ``wxface_sandbox``).

Kept apart from the production package ``wxface`` so that a hospital's
production environment carries none of it:

* :class:`Sandbox` — an embedded emulator of WeChat Pay's face real-name
  endpoints and of the face SDK, on loopback, with a fresh key set; its
  :meth:`~Sandbox.client_config`, :meth:`~Sandbox.client` and
  :meth:`~Sandbox.sub_merchant_decryptor` give ``wxface``'s own
  :class:`wxface.ClientConfig`, :class:`wxface.MerchantClient` and
  :class:`wxface.Decryptor` configured for it.
* :class:`EmulatedKiosk` (from :meth:`Sandbox.kiosk`) — the real kiosk flow of
  wxface's Rust core over the emulated face SDK, asking a merchant server: a
  ``wxface.MerchantClient``, or any callable ``merchant(path, request)`` such as
  a test client of your HIS's kiosk API.
* :mod:`wxface_sandbox.pytest_plugin` — fixtures ``wxface_sandbox``,
  ``wxface_client``, ``wxface_kiosk``, loaded automatically by pytest
  (entry point ``pytest11``).

Errors are ``wxface``'s (:mod:`wxface.errors`), and so is logging: the kit's
events go to the logger ``wxface`` through the bridge that
:func:`wxface.enable_logging`, :func:`wxface.disable_logging` and
:func:`wxface.flush_logs` control.
"""

import wxface._logs as _wxface_logs

from . import _native

from ._native import (
    EmulatedKiosk,
    Sandbox,
    SandboxCredentials,
    SandboxFaults,
    SandboxIdentity,
    __version__,
)

_wxface_logs._add_bridge(_native)

__all__ = [
    "__version__",
    "Sandbox",
    "SandboxCredentials",
    "SandboxFaults",
    "SandboxIdentity",
    "EmulatedKiosk",
]
