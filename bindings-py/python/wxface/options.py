"""The typed options of :class:`wxface.ClientConfig` and
:class:`wxface.MerchantClient` (docs/configuration.md, the one list shared
with Rust's ``ClientSettings``, Node and ``wxface merchant serve``).

:class:`ClientOptions` is the ``TypedDict`` of the keyword arguments, so a
type checker refuses a misspelt option or a mode that does not exist::

    wxface.MerchantClient(sign_type="HMAC-SHA256", padding="oaep-sha1")   # ok
    wxface.MerchantClient(sign_typ="MD5")        # mypy: unexpected keyword argument
    wxface.MerchantClient(padding="oaep")        # mypy: incompatible type

Each option may also be given as ``None``: given, but not set (its
environment variable is not read). At run time the options are checked
again by Rust, which also takes the aliases of the modes (``"oaep"``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal, Optional, Sequence, TypedDict, Union

if TYPE_CHECKING:
    from ._native import Decryptor

__all__ = [
    "ClientOptions",
    "SignType",
    "Padding",
    "InfoType",
    "PlatformKey",
    "KioskOutcome",
    "StrPath",
    "Pem",
]

#: How the v2 API is signed.
SignType = Literal["MD5", "HMAC-SHA256"]
#: The padding of the real-name fields.
Padding = Literal["pkcs1v15", "oaep-sha1"]
#: What the identity query asks for.
InfoType = Literal["ASK_REAL_NAME", "ASK_UNIONID"]
#: How a sandbox client trusts WeChat Pay's platform key.
PlatformKey = Literal["public_key", "certificate", "both"]
#: What the emulated patient does in a face session.
KioskOutcome = Literal["consent", "refuse", "user_cancel", "camera_error", "timeout"]
#: A path: text or an ``os.PathLike``.
StrPath = Union[str, "os.PathLike[str]"]
#: PEM text (``str`` or ``bytes``) or a path to read it from.
Pem = Union[str, bytes, "os.PathLike[str]"]


class ClientOptions(TypedDict, total=False):
    """The keyword options of :class:`wxface.ClientConfig` (every one
    optional; each falls back to its ``WXFACE_*`` environment variable unless
    ``env=False``)."""

    appid: Optional[str]
    """The (provider's) appid."""
    mch_id: Optional[str]
    """The (provider's) merchant id."""
    v2_key: Optional[str]
    """The v2 API key (signs ``get_wxpayface_authinfo``). Secret."""
    v2_key_file: Optional[StrPath]
    """A file holding the v2 API key."""
    sign_type: Optional[SignType]
    """``"MD5"`` (default) or ``"HMAC-SHA256"``."""
    merchant_serial_no: Optional[str]
    """Serial of the merchant API certificate."""
    merchant_key_pem: Optional[Pem]
    """The merchant API private key (PEM). Secret."""
    merchant_key_file: Optional[StrPath]
    """A file holding the merchant API private key."""
    apiv3_key: Optional[str]
    """The APIv3 key (downloads platform certificates). Secret."""
    apiv3_key_file: Optional[StrPath]
    """A file holding the APIv3 key."""
    platform_public_key_id: Optional[str]
    """``PUB_KEY_ID_…`` of WeChat Pay's platform public key."""
    platform_public_key_pem: Optional[Pem]
    """The platform public key (PEM)."""
    platform_public_key_file: Optional[StrPath]
    """A file holding the platform public key."""
    platform_certificate_pem: Optional[Union[Pem, Sequence[Pem]]]
    """Platform certificates (one PEM or a list)."""
    platform_certificate_file: Optional[Union[StrPath, Sequence[str]]]
    """Files holding platform certificates."""
    pinned_platform_serials: Optional[Union[str, Sequence[str]]]
    """Serials trusted for the first certificate download."""
    sub_mch_id: Optional[str]
    """Provider mode: the hospital's merchant id."""
    sub_appid: Optional[str]
    """Provider mode: the hospital's appid."""
    sub_serial_no: Optional[str]
    """Provider mode: serial of the certificate whose key encrypts the real-name fields."""
    decrypt_key_pem: Optional[Pem]
    """The key that decrypts real-name fields (direct mode: the merchant key by default). Secret."""
    decrypt_key_file: Optional[StrPath]
    """A file holding that key."""
    padding: Optional[Padding]
    """``"pkcs1v15"`` (default) or ``"oaep-sha1"``."""
    store_id: Optional[str]
    """Default ``store_id`` of authinfo requests."""
    store_name: Optional[str]
    """Default ``store_name`` of authinfo requests."""
    base_url: Optional[str]
    """Base URL of both WeChat Pay hosts (a sandbox)."""
    payapp_base_url: Optional[str]
    """Base URL of ``get_wxpayface_authinfo``."""
    apimch_base_url: Optional[str]
    """Base URL of APIv3."""
    apimch_backup_base_url: Optional[str]
    """Where identity queries go when the APIv3 host cannot be reached, or ``"none"``."""
    proxy: Optional[str]
    """``"env"`` (default), ``"system"``, ``"none"`` or a proxy URL
    (``http://``, ``https://``, ``socks5://``, ``socks5h://``, with
    ``user:password@``). Never printed."""
    no_proxy: Optional[str]
    """With a proxy URL: the hosts reached directly (comma-separated)."""
    timeout: Optional[float]
    """Total timeout of each attempt, seconds (10)."""
    connect_timeout: Optional[float]
    """Connect timeout of each attempt, seconds (5)."""
    max_retries: Optional[int]
    """Retries of retryable failures (2, at most 10)."""
    retry_backoff: Optional[float]
    """Delay before the first retry, seconds (0.2)."""
    authinfo_refresh_margin: Optional[float]
    """How long before its expiry a cached authinfo stops being reused, seconds (300)."""
    response_window: Optional[float]
    """Accepted distance of an answer's timestamp from now, seconds (300)."""
    keys_dir: Optional[StrPath]
    """A key set written by the sandbox (needs ``base_url``)."""
    decryptor: Optional["Decryptor"]
    """A ready :class:`wxface.Decryptor` (wins over ``decrypt_key_*``)."""
