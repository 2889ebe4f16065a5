"""wxface: WeChat Pay face real-name authentication (刷脸实名认证) for
hospital information systems.

The protocol runs in Rust (``wxface._native``); this package is a thin layer
over it:

* :class:`MerchantClient` / :class:`AsyncMerchantClient` — the merchant-server
  side: ``get_authinfo``, ``query_user``, ``fetch_real_name``, and in provider
  mode ``query_user_signed``, the verified answer as sent (:class:`SignedAnswer`).
* :class:`Decryptor` — decrypts the identity of a verified :class:`FaceUser`
  with the merchant's private key.
* :class:`RealNameReceiver` — provider mode, on the hospital's system: verifies
  the answer the provider forwards with the platform key, then decrypts it with
  the hospital's own key.
* Bring-your-own-HTTP helpers: :func:`sign_v2`, :func:`build_authinfo_request`,
  :func:`parse_authinfo_response`, :class:`Signer`, :class:`ResponseVerifier`,
  :func:`build_users_query`, :func:`parse_users_response`.
* :class:`RealName` — a verified identity whose ``repr()``/``str()`` are masked;
  :func:`mask_name`, :func:`mask_credential_id`, :func:`check_resident_id`.
* :mod:`wxface.kiosk` — the kiosk API's records (:class:`Outcome`,
  :class:`Recognised`, :class:`MaskedIdentity`) and :class:`ClientBackend`,
  a :class:`MerchantClient` as a kiosk's merchant server in this process.
  The sandbox, the emulated kiosk and the pytest plugin are the separate test
  kit ``wxface-sandbox`` (``import wxface_sandbox``).
* :class:`DeviceCredential`, :func:`authenticate_device`,
  :func:`check_device_id` — the kiosk API's device credentials, for a HIS
  that serves ``docs/merchant-api.md`` itself: issue one per kiosk, store its
  key id and verifier, let in a request by its ``Authorization`` header.
* :func:`enable_logging`, :func:`disable_logging`, :func:`flush_logs` —
  wxface's Rust logs in :mod:`logging` (logger ``wxface``), installed
  automatically with the first client at that logger's level
  (:mod:`wxface._logs`).
* :mod:`wxface.web` — the kiosk API of ``docs/merchant-api.md`` for a HIS's
  web layer: a Flask blueprint and a plain ASGI app.
* :mod:`wxface.options` — the typed options (:class:`~wxface.options.ClientOptions`,
  a ``TypedDict``) and their ``Literal`` modes.
* :mod:`wxface.errors` — the exception hierarchy rooted at :class:`Error`,
  one class per kind, the same codes and fields in every wxface binding.
"""

from ._native import (
    AuthinfoResponse,
    ClientConfig,
    Decryptor,
    DeviceCredential,
    EncryptedRealName,
    FaceUser,
    MerchantClient,
    RealName,
    RealNameReceiver,
    ResponseVerifier,
    SignedAnswer,
    Signer,
    __version__,
    authenticate_device,
    build_authinfo_request,
    build_users_query,
    check_device_id,
    check_resident_id,
    credential_type_label,
    is_resident_id,
    mask_credential_id,
    mask_name,
    new_nonce,
    parse_authinfo_response,
    parse_users_response,
    sign_v2,
)
from . import options
from ._logs import TRACE, disable_logging, enable_logging, flush_logs
from .aio import AsyncMerchantClient
from .errors import (
    BackendError,
    ConfigError,
    DecryptionError,
    Error,
    ExpiredError,
    InternalError,
    InvalidInputError,
    MalformedError,
    SdkError,
    SdkVersionError,
    SignatureError,
    StateError,
    TransportError,
    UnauthenticatedError,
    error_class_for_code,
    error_codes,
    from_info,
)
from .kiosk import ClientBackend, MaskedIdentity, Outcome, Recognised

__all__ = [
    "__version__",
    # merchant client
    "ClientConfig",
    "MerchantClient",
    "AsyncMerchantClient",
    # identity
    "RealName",
    "mask_name",
    "mask_credential_id",
    "check_resident_id",
    "is_resident_id",
    "credential_type_label",
    # decryption
    "Decryptor",
    "RealNameReceiver",
    "SignedAnswer",
    # v2 helpers
    "sign_v2",
    "build_authinfo_request",
    "parse_authinfo_response",
    "AuthinfoResponse",
    # APIv3 helpers
    "Signer",
    "ResponseVerifier",
    "build_users_query",
    "parse_users_response",
    "FaceUser",
    "EncryptedRealName",
    "new_nonce",
    # device credentials of the kiosk API (a HIS serving kiosks itself)
    "DeviceCredential",
    "authenticate_device",
    "check_device_id",
    # kiosk API records
    "MaskedIdentity",
    "Outcome",
    "Recognised",
    "ClientBackend",
    # logs
    "enable_logging",
    "disable_logging",
    "flush_logs",
    "TRACE",
    # errors
    "Error",
    "InvalidInputError",
    "SdkVersionError",
    "SdkError",
    "BackendError",
    "MalformedError",
    "SignatureError",
    "DecryptionError",
    "ExpiredError",
    "StateError",
    "ConfigError",
    "TransportError",
    "InternalError",
    "UnauthenticatedError",
    "error_codes",
    "error_class_for_code",
    "from_info",
]
