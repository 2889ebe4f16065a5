"""wxface's logs in Python's :mod:`logging`.

The Rust library logs with ``tracing``; the bridge (``wxface-log``, the same
in every wxface binding) turns each event into a record of the logger
``wxface`` (child loggers by crate and module: ``wxface.client.client``,
``wxface.sandbox``, …):

* the level: ``error`` → ``ERROR``, ``warn`` → ``WARNING``, ``info`` →
  ``INFO``, ``debug`` → ``DEBUG``, ``trace`` → :data:`TRACE` (5);
* the message: the event's message followed by its fields,
  ``identity query failed code=backend wechat_code=NOT_FOUND``;
* ``record.wxface_fields``: the fields as a dict (span fields prefixed with
  the span's name, ``wxface.http.attempt``), ``record.wxface_target``: the
  Rust module path.

wxface logs ids, codes, counts and durations only: never a key, a
credential, a name or an ID number (the binding's tests check it through
this bridge).

**When it is installed.** Automatically, once, when the first
:class:`wxface.MerchantClient` (or a ``wxface_sandbox.Sandbox``) is built, at the
effective level of ``logging.getLogger("wxface")`` at that moment (so
configure :mod:`logging` first, as applications do at start-up). Events
less severe than that level are dropped in Rust and cost nothing. To change
the level later, or to install it before, call :func:`enable_logging`; to
stop it, :func:`disable_logging` (after which nothing is installed
automatically). Installing is safe: records are queued by the thread that
logged and handed to :mod:`logging` by one delivery thread holding the GIL,
and each client call waits (at most 2 s) until its records have been
delivered, so they appear in order with the application's own.
"""

from __future__ import annotations

import atexit
import json
import logging
from typing import Dict, List, Optional, Tuple, Union

from . import _native

__all__ = ["TRACE", "enable_logging", "disable_logging", "flush_logs", "LOGGER"]

#: The level of ``trace`` events (below ``DEBUG``).
TRACE = 5
logging.addLevelName(TRACE, "TRACE")

#: The name of wxface's logger.
LOGGER = "wxface"

_TO_PY: Dict[str, int] = {
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}

_state: Dict[str, object] = {"explicit": False, "level": None}

# The bridges of other native modules of the process (the test kit
# ``wxface_sandbox``'s): each has its own Rust ``tracing`` and follows this one.
_others: List[object] = []


def _add_bridge(native: object) -> None:
    """Let the bridge of another native module (one with this module's
    ``_install_log_bridge``, ``_uninstall_log_bridge`` and ``flush_logs``)
    follow :func:`enable_logging`, :func:`disable_logging` and
    :func:`flush_logs`; installed now at the current level if the bridge is."""
    _others.append(native)
    level = _state["level"]
    if isinstance(level, str):
        try:
            getattr(native, "_install_log_bridge")(level, _emit)
        except Exception:  # noqa: BLE001 - logging must never break a client
            pass
    atexit.register(getattr(native, "_uninstall_log_bridge"))


def _logger_name(target: str) -> str:
    """``wxface_client::client::transport`` → ``wxface.client.client.transport``."""
    parts = target.split("::")
    head = parts[0]
    if head.startswith("wxface_"):
        head = head[len("wxface_") :]
    elif head == "wxface":
        head = ""
    name = ".".join(p for p in [head, *parts[1:]] if p)
    return f"{LOGGER}.{name}" if name else LOGGER


def _text(value: str) -> str:
    if value and not any(c.isspace() or c in "\"'=" for c in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _emit(level: str, target: str, message: str, fields: List[Tuple[str, str]]) -> None:
    """Called by the delivery thread for each record."""
    py_level = _TO_PY.get(level, logging.INFO)
    logger = logging.getLogger(_logger_name(target))
    if not logger.isEnabledFor(py_level):
        return
    text = " ".join([p for p in [message] if p] + [f"{k}={_text(v)}" for k, v in fields])
    logger.log(
        py_level,
        text,
        extra={"wxface_fields": dict(fields), "wxface_target": target, "wxface_level": level},
    )


def _level_name(level: Union[int, str, None]) -> str:
    if level is None:
        level = logging.getLogger(LOGGER).getEffectiveLevel()
    if isinstance(level, str):
        name = level.strip().lower()
        if name in ("warning", "critical", "fatal"):
            name = "warn" if name == "warning" else "error"
        if name not in _TO_PY:
            raise ValueError(f"`{level[:16]}` is not a log level (error, warn, info, debug, trace)")
        return name
    if level >= logging.ERROR:
        return "error"
    if level >= logging.WARNING:
        return "warn"
    if level >= logging.INFO:
        return "info"
    if level >= logging.DEBUG:
        return "debug"
    return "trace"


def enable_logging(level: Union[int, str, None] = None) -> bool:
    """Send wxface's events at ``level`` or more severe to :mod:`logging`
    (logger ``wxface``). ``level`` is a :mod:`logging` level (``logging.DEBUG``,
    :data:`TRACE`) or a name (``"debug"``, ``"WARNING"``, ``"trace"``); by
    default the effective level of ``logging.getLogger("wxface")`` now.
    Call it again to change the level. Returns ``False`` when another
    library of the process installed a global Rust ``tracing`` subscriber
    first (then nothing is bridged).

    Raises :class:`ValueError` for an unknown level name."""
    name = _level_name(level)
    _state["explicit"] = True
    _state["level"] = name
    for other in _others:
        getattr(other, "_install_log_bridge")(name, _emit)
    return bool(_native._install_log_bridge(name, _emit))


def disable_logging() -> None:
    """Stop sending wxface's events to :mod:`logging` (and do not install the
    bridge automatically any more)."""
    _state["explicit"] = True
    _state["level"] = None
    _native._uninstall_log_bridge()
    for other in _others:
        getattr(other, "_uninstall_log_bridge")()


def flush_logs(timeout: float = 2.0) -> bool:
    """Wait (at most ``timeout`` seconds, the GIL released) until every
    wxface event logged so far is in :mod:`logging`; whether they all are.
    Client calls do this themselves; a test that reads records of other
    work (a sandbox's) calls it first."""
    done = bool(_native.flush_logs(timeout))
    for other in _others:
        done = bool(getattr(other, "flush_logs")(timeout)) and done
    return done


def _auto_install() -> None:
    """The first client or sandbox installs the bridge, unless the
    application chose with :func:`enable_logging`/:func:`disable_logging`."""
    if _state["explicit"]:
        return
    try:
        name = _level_name(None)
        _state["level"] = name
        _native._install_log_bridge(name, _emit)
        for other in _others:
            getattr(other, "_install_log_bridge")(name, _emit)
    except Exception:  # noqa: BLE001 - logging must never break a client
        pass


def current_level() -> Optional[str]:
    """The level the bridge passes on (``"warn"``, …), or ``None`` when it is
    not installed."""
    level = _state["level"]
    return level if isinstance(level, str) else None


# No record is handed to an interpreter that is shutting down.
atexit.register(_native._uninstall_log_bridge)
