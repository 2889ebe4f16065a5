"""ClientConfig: keyword arguments, PEM text, files and environment variables."""

import os

import pytest

import wxface

ENV_NAMES = [v for _, v in wxface.ClientConfig.environment_variables()]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _kwargs(sb):
    c = sb.credentials
    return dict(
        appid=c.appid,
        mch_id=c.mch_id,
        v2_key=c.v2_key,
        merchant_serial_no=c.merchant_serial_no,
        merchant_key_pem=c.merchant_key_pem,
        platform_public_key_id=c.platform_public_key_id,
        platform_public_key_pem=c.platform_public_key_pem,
        base_url=sb.url,
        store_id="SBX-STORE-01",
        store_name="门诊",
    )


def test_environment_variables_are_documented():
    names = dict(wxface.ClientConfig.environment_variables())
    for opt, var in [
        ("v2_key", "WXFACE_V2_KEY"),
        ("merchant_key_pem", "WXFACE_MERCHANT_KEY_PEM"),
        ("merchant_key_file", "WXFACE_MERCHANT_KEY_FILE"),
        ("apiv3_key", "WXFACE_APIV3_KEY"),
    ]:
        assert names[opt] == var
    doc = wxface.__doc__ + (wxface.ClientConfig.__doc__ or "")
    readme = (pathlib_root() / "bindings-py" / "README.md").read_text(encoding="utf-8")
    for var in ENV_NAMES:
        assert var in readme, f"{var} is not documented in bindings-py/README.md"
    assert doc


def pathlib_root():
    import pathlib

    return pathlib.Path(__file__).resolve().parents[2]


def test_from_keywords(clean_env, wxface_sandbox):
    client = wxface.MerchantClient(**_kwargs(wxface_sandbox))
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    assert client.fetch_real_name(face_sid) == wxface_sandbox.identities[0].real_name
    assert client.config.has_decryptor and not client.config.is_provider_mode


def test_from_environment_with_key_file(clean_env, wxface_sandbox, tmp_path):
    kw = _kwargs(wxface_sandbox)
    key_file = tmp_path / "apiclient_key.pem"
    key_file.write_text(kw.pop("merchant_key_pem"))
    env = {
        "WXFACE_APPID": kw["appid"],
        "WXFACE_MCH_ID": kw["mch_id"],
        "WXFACE_V2_KEY": kw["v2_key"],
        "WXFACE_MERCHANT_SERIAL_NO": kw["merchant_serial_no"],
        "WXFACE_MERCHANT_KEY_FILE": str(key_file),
        "WXFACE_PLATFORM_PUBLIC_KEY_ID": kw["platform_public_key_id"],
        "WXFACE_PLATFORM_PUBLIC_KEY_PEM": kw["platform_public_key_pem"],
        "WXFACE_BASE_URL": kw["base_url"],
        "WXFACE_STORE_ID": "SBX-STORE-01",
        "WXFACE_STORE_NAME": "门诊",
        "WXFACE_MAX_RETRIES": "0",
        "WXFACE_TIMEOUT": "5",
    }
    for k, v in env.items():
        clean_env.setenv(k, v)
    client = wxface.MerchantClient()
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    assert client.fetch_real_name(face_sid) == wxface_sandbox.identities[0].real_name
    # Keywords beat the environment...
    assert wxface.ClientConfig(store_id="S2", store_name="急诊").appid == kw["appid"]
    with pytest.raises(wxface.ConfigError):
        wxface.ClientConfig(merchant_key_file=str(tmp_path / "missing.pem"))
    # ...and env=False ignores it.
    with pytest.raises(wxface.ConfigError):
        wxface.ClientConfig(env=False)


def test_key_as_path_and_replace(clean_env, wxface_sandbox, tmp_path):
    kw = _kwargs(wxface_sandbox)
    p = tmp_path / "k.pem"
    p.write_text(kw["merchant_key_pem"])
    kw["merchant_key_pem"] = p
    cfg = wxface.ClientConfig(**kw)
    assert cfg.appid == kw["appid"] and cfg.mch_id == kw["mch_id"] and cfg.sub_mch_id is None
    other = cfg.replace(store_id="S9", store_name="急诊", max_retries=0)
    assert "S9" in repr(other) and "SBX-STORE-01" in repr(cfg)
    client = wxface.MerchantClient(cfg, store_id="S3", store_name="体检")
    assert "S3" in repr(client)
    with pytest.raises(TypeError):
        cfg.replace(colour="blue")


@pytest.mark.parametrize(
    "change",
    [
        {"appid": None},
        {"v2_key": None},
        {"merchant_serial_no": None},
        {"merchant_key_pem": "not a key"},
        {"platform_public_key_id": None},
        {"platform_public_key_id": None, "platform_public_key_pem": None},
        {"base_url": "http://10.1.2.3:80"},
        {"sign_type": "SHA1"},
        {"padding": "none"},
        {"timeout": -1},
        {"max_retries": "many"},
        {"store_name": None},
        {"sub_mch_id": "1900000109"},
    ],
)
def test_config_errors_name_the_problem_not_the_secret(clean_env, wxface_sandbox, change):
    kw = _kwargs(wxface_sandbox)
    kw.update(change)
    kw = {k: v for k, v in kw.items() if v is not None}
    with pytest.raises((wxface.ConfigError, wxface.InvalidInputError)) as e:
        wxface.ClientConfig(env=False, **kw)
    msg = str(e.value)
    assert wxface_sandbox.credentials.v2_key not in msg
    assert "BEGIN" not in msg and "not a key" not in msg


def test_hmac_sign_type_and_decryptor_option(clean_env, wxface_sandbox):
    kw = _kwargs(wxface_sandbox)
    client = wxface.MerchantClient(
        sign_type="HMAC-SHA256",
        decryptor=wxface.Decryptor(kw["merchant_key_pem"]),
        **kw,
    )
    face_sid = wxface_sandbox.kiosk().consented_face_sid(client)
    assert client.fetch_real_name(face_sid)
    with pytest.raises(wxface.InvalidInputError):
        wxface.MerchantClient(decryptor="not a decryptor", **kw)
