"""Fixtures of the binding's tests. The sandbox fixtures come from the
package's own pytest plugin (``wxface_sandbox.pytest_plugin``, registered by the
installed wheel)."""

import pytest

from _vectors import key_text


@pytest.fixture(scope="session")
def merchant_key_pem() -> str:
    """The merchant's PKCS#8 private key (fixture of tests/vectors/keys)."""
    return key_text("merchant_pkcs8.pem")
