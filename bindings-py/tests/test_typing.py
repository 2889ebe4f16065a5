"""Typed configuration and stubs: the options are a ``TypedDict`` with
``Literal`` modes, checked by mypy (``--strict``) on small programs: a
correct one passes, a misspelt option or a mode that does not exist is an
error. The ``TypedDict`` names exactly the options Rust knows, its modes are
the ones Rust accepts, and every public name of the stubs has a docstring."""

import ast
import pathlib
import textwrap
import typing

import pytest

import wxface
import wxface_sandbox
from wxface import options

mypy_api = pytest.importorskip("mypy.api")

STUB = pathlib.Path(wxface.__file__).parent / "_native.pyi"
KIT_STUB = pathlib.Path(wxface_sandbox.__file__).parent / "_native.pyi"


def test_the_typed_options_are_the_options_rust_knows():
    typed = set(options.ClientOptions.__annotations__)
    known = {name for name, _ in wxface.ClientConfig.environment_variables()} | {"decryptor"}
    assert typed == known


def test_every_literal_mode_is_accepted_at_run_time(wxface_sandbox):
    sb = wxface_sandbox
    for sign_type in typing.get_args(options.SignType):
        assert sb.client_config(sign_type=sign_type).appid == sb.credentials.appid
    for padding in typing.get_args(options.Padding):
        assert wxface.Decryptor(sb.credentials.merchant_key_pem, padding).padding == padding
    for platform_key in typing.get_args(options.PlatformKey):
        assert sb.client(platform_key=platform_key).platform_key_ids
    client = sb.client()
    face_sid = sb.kiosk().consented_face_sid(client)
    for info_type in typing.get_args(options.InfoType):
        client.query_user(face_sid, info_type)
    for outcome in typing.get_args(options.KioskOutcome):
        assert sb.kiosk().verify(client, outcome=outcome).kind
    # And a mode that is not one: refused at run time too.
    with pytest.raises(wxface.Error):
        sb.client_config(sign_type="SHA1")


@pytest.mark.parametrize("stub", [STUB, KIT_STUB], ids=["wxface", "wxface_sandbox"])
def test_every_public_name_of_the_stubs_has_a_docstring(stub):
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    missing = []

    def check(nodes, prefix=""):
        for n in nodes:
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_"):
                if not ast.get_docstring(n):
                    missing.append(prefix + n.name)
                if isinstance(n, ast.ClassDef):
                    check(n.body, n.name + ".")

    check(tree.body)
    assert missing == []
    # No Rust-isms in them.
    text = STUB.read_text(encoding="utf-8")
    assert "# Errors" not in text and "[`" not in text


GOOD = """
    import json
    from typing import Any, Dict

    import wxface
    import wxface_sandbox
    from wxface.options import ClientOptions

    def config() -> wxface.ClientConfig:
        return wxface.ClientConfig(
            env=False,
            appid="wx0000000000000000",
            mch_id="1900000001",
            sign_type="HMAC-SHA256",
            padding="oaep-sha1",
            proxy="socks5h://user:pw@127.0.0.1:1080",
            no_proxy="localhost,10.0.0.0/8",
            timeout=3.0,
            max_retries=1,
            platform_certificate_pem=["-----BEGIN CERTIFICATE-----"],
            decryptor=None,
        )

    def client(opts: ClientOptions) -> wxface.MerchantClient:
        return wxface.MerchantClient(config().replace(store_id="S1"), **opts)

    async def who(c: wxface.AsyncMerchantClient, face_sid: str) -> str:
        user = await c.query_user(face_sid, "ASK_UNIONID")
        return user.openid or ""

    def sandbox(sb: wxface_sandbox.Sandbox) -> wxface.MerchantClient:
        return sb.client(platform_key="certificate", max_retries=0)

    opts: ClientOptions = {"sign_type": "MD5", "store_name": "门诊大厅"}
    print(json.dumps({"x": 1}), client(opts))
"""

BAD = {
    "misspelt_option": ('wxface.ClientConfig(sign_typ="MD5")', 'Unexpected keyword argument "sign_typ"'),
    "sign_type": ('wxface.MerchantClient(sign_type="SHA1")', '"sign_type"'),
    "padding": ('wxface.ClientConfig(padding="oaep")', '"padding"'),
    "timeout": ('wxface.ClientConfig(timeout="3")', '"timeout"'),
    "info_type": ('wxface.MerchantClient().query_user("x", "ASK_NAME")', '"query_user"'),
    "typed_dict": ('o: wxface.options.ClientOptions = {"proxi": "none"}', '"proxi"'),
    "replace": ('wxface.ClientConfig().replace(mchid="1")', 'Unexpected keyword argument "mchid"'),
}


def test_mypy_strict_accepts_a_sample_and_refuses_misspelt_options(tmp_path):
    files = {"good": textwrap.dedent(GOOD)}
    for name, (line, _) in BAD.items():
        files[name] = f"import wxface\nimport wxface.options\n{line}\n"
    paths = []
    for name, text in files.items():
        p = tmp_path / f"sample_{name}.py"
        p.write_text(text, encoding="utf-8")
        paths.append(str(p))
    out, err, _ = mypy_api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(tmp_path / ".mypy_cache"), *paths]
    )
    lines = [l for l in out.splitlines() if ": error:" in l]
    by_file = {name: [l for l in lines if f"sample_{name}.py:" in l] for name in files}
    assert by_file["good"] == [], out + err
    for name, (_, expected) in BAD.items():
        errors = by_file[name]
        assert errors, f"{name}: mypy found nothing wrong\n{out}{err}"
        assert any(expected in l for l in errors), f"{name}: {errors}"
        # The error is on the line of the call (line 3).
        assert any(f"sample_{name}.py:3:" in l for l in errors), errors
