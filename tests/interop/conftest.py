"""Start `wxface-sandbox` binaries for the conformance tests.

The binary is built with cargo (or taken from `WXFACE_SANDBOX_BIN`), started
with `--port 0 --keys-dir <tmp> --config <tmp>/sandbox.toml`, and its first
two output lines (`url: …`, `keys_dir: …`) tell where it listens and where
its keys are. Test identities are written into the config file here, with
ID numbers whose check characters Python computes itself.
"""

from __future__ import annotations

import os
import pathlib
import queue
import subprocess
import threading

import pytest

from sandbox_client import Sandbox, gb11643

ROOT = pathlib.Path(__file__).resolve().parents[2]

IDENTITIES = [
    {
        "key": "py-a", "name": "测试患者子", "credential_type": 1,
        "credential_id": gb11643("11010519491231002"),
        "openid": "o_py_a", "sub_openid": "o_py_sub_a", "union_id": "u_py_a",
    },
    {
        "key": "py-b", "name": "测丑", "credential_type": 1,
        "credential_id": gb11643("32010619870401123"),
        "openid": "o_py_b", "sub_openid": "o_py_sub_b", "union_id": "u_py_b",
    },
    {
        "key": "py-c", "name": "测试·长名患者·寅卯辰巳", "credential_type": 1,
        "credential_id": gb11643("51010419921130084"),
        "openid": "o_py_c", "sub_openid": "o_py_sub_c", "union_id": "u_py_c",
    },
    {
        "key": "py-d", "name": "测试患者午", "credential_type": 2,
        "credential_id": "E99990042",
        "openid": "o_py_d", "sub_openid": "o_py_sub_d", "union_id": "u_py_d",
    },
]


def toml_config(**settings) -> str:
    lines = []
    for k, v in settings.items():
        lines.append(f"{k} = {v!r}".replace("'", '"'))
    for ident in IDENTITIES:
        lines.append("[[identities]]")
        for k, v in ident.items():
            lines.append(f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def sandbox_bin() -> pathlib.Path:
    given = os.environ.get("WXFACE_SANDBOX_BIN")
    if given:
        return pathlib.Path(given)
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "wxface-sandbox", "--bin", "wxface-sandbox"],
        cwd=ROOT, check=True,
    )
    return ROOT / "target" / "debug" / "wxface-sandbox"


def _start(sandbox_bin, tmp: pathlib.Path, **settings):
    cfg = tmp / "sandbox.toml"
    cfg.write_text(toml_config(**settings), encoding="utf-8")
    log = open(tmp / "sandbox.log", "wb")
    proc = subprocess.Popen(
        [str(sandbox_bin), "--port", "0", "--keys-dir", str(tmp / "keys"), "--config", str(cfg)],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    seen = {}
    try:
        while "url" not in seen or "keys_dir" not in seen:
            line = lines.get(timeout=120)
            key, _, value = line.partition(": ")
            seen[key] = value
    except queue.Empty:
        proc.kill()
        raise RuntimeError("wxface-sandbox did not print its url and keys_dir")
    sandbox = Sandbox(
        url=seen["url"], keys_dir=pathlib.Path(seen["keys_dir"]),
        padding=settings.get("padding", "pkcs1v15"), identities=IDENTITIES,
    )
    return proc, log, sandbox


def _stop(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def sandbox(sandbox_bin, tmp_path_factory):
    proc, log, sb = _start(sandbox_bin, tmp_path_factory.mktemp("sandbox-pkcs1"))
    yield sb
    _stop(proc, log)


@pytest.fixture(scope="session")
def sandbox_oaep(sandbox_bin, tmp_path_factory):
    proc, log, sb = _start(
        sandbox_bin, tmp_path_factory.mktemp("sandbox-oaep"),
        padding="oaep-sha1", real_name_shape="flat",
    )
    yield sb
    _stop(proc, log)


@pytest.fixture(scope="session")
def sandbox_pubkey(sandbox_bin, tmp_path_factory):
    proc, log, sb = _start(
        sandbox_bin, tmp_path_factory.mktemp("sandbox-pubkey"), platform_keys="public_key",
    )
    yield sb
    _stop(proc, log)


@pytest.fixture(autouse=True)
def _clean_faults(request):
    yield
    for name in ("sandbox", "sandbox_oaep", "sandbox_pubkey"):
        if name in request.fixturenames:
            sb = request.getfixturevalue(name)
            sb.http.delete(sb.url + "/_sandbox/faults", timeout=10)
