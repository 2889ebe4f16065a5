"""Type stubs of ``wxface._native``, the Rust part of wxface (checked against
the module by ``mypy.stubtest`` in ``bindings-py/test.sh``)."""

import os

from wxface.kiosk import MaskedIdentity, Outcome
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union, final

from typing_extensions import Unpack

from wxface.options import ClientOptions, InfoType, KioskOutcome, Padding, PlatformKey, SignType

_Pem = Union[str, bytes, "os.PathLike[str]"]
_Bytes = Union[bytes, bytearray, memoryview, str]
_Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]]]

__version__: str

# ---------------------------------------------------------------- errors

def error_codes() -> List[str]:
    """Every error code of the compiled core (``wxface.errors`` has the classes)."""

# ---------------------------------------------------------------- logs

def _install_log_bridge(level: str, emit: Callable[[str, str, str, List[Tuple[str, str]]], None]) -> bool:
    """Install or reconfigure the bridge of wxface's ``tracing`` events at
    ``level`` (``error`` … ``trace``) to ``emit(level, target, message,
    fields)``; use :func:`wxface.enable_logging`."""
def _uninstall_log_bridge() -> None:
    """Stop the bridge; use :func:`wxface.disable_logging`."""
def flush_logs(timeout: float = 2.0) -> bool:
    """Wait (at most ``timeout`` seconds, GIL released) until the records
    logged so far reached :mod:`logging`; whether they all did."""
def _dropped_log_records() -> int:
    """Records dropped because the bridge's queue was full."""

# ---------------------------------------------------------------- kiosk API (wxface.web)

KIOSK_MAX_REQUEST_BYTES: int

def kiosk_request(path: str, body: _Bytes) -> Dict[str, Any]:
    """The request body of ``path`` decoded and checked as the reference
    server does; ``InvalidInputError`` naming the field and the rule."""
def kiosk_answer(path: str, answer: Mapping[str, Any]) -> bytes:
    """The 200 body of ``answer`` to ``path``, checked as a kiosk checks it
    (a masked identity, …); ``InternalError`` when it breaks the API."""
def kiosk_error(error: BaseException) -> Tuple[int, bytes]:
    """The HTTP status and error-record body answering ``error``
    (docs/merchant-api.md's table)."""
def kiosk_paths() -> List[str]:
    """``/kiosk/authinfo``, ``/kiosk/verified``, ``/kiosk/real-name``."""

# ---------------------------------------------------------------- identity

@final
class RealName:
    """A verified identity; ``repr()``/``str()`` are masked."""

    def __new__(cls, name: str, credential_type: int, credential_id: str) -> "RealName": ...
    def expose_name(self) -> str:
        """The full name (personal data)."""
    def expose_credential_id(self) -> str:
        """The full credential number (personal data)."""
    @property
    def credential_type(self) -> int:
        """The credential type code (1 = resident ID card, 2 = passport, … 11 = other)."""
    @property
    def credential_type_label(self) -> str:
        """The credential type as WeChat's documentation names it (``身份证``, ``护照``, …)."""
    @property
    def masked_name(self) -> str:
        """The masked name (``张*三``)."""
    @property
    def masked_credential_id(self) -> str:
        """The masked credential number (``110***********1234``)."""
    def masked(self) -> MaskedIdentity:
        """The masked identity as a dict, safe to send to a kiosk:
        ``{"name": "张*三", "credential_type": 1, "credential_id": "110***********1234"}``."""
    def to_dict(self, *, expose: bool = False) -> Dict[str, Any]:
        """A JSON-ready dict ``{name, credential_type, credential_type_label,
        credential_id, masked}``: masked values unless ``expose=True``."""
    def __eq__(self, value: object, /) -> bool: ...

def mask_name(name: str) -> str:
    """Mask a name: ``张三`` → ``张*``, ``张小三`` → ``张*三``, ``欧阳小明`` → ``欧**明``, one
    character → ``*``."""
def mask_credential_id(credential_id: str) -> str:
    """Mask a credential number: 15 characters or more keep the first 3 and last
    4 (``110***********1234``), 6-14 the first and last 2 (``E******78``), 4-5 the
    last one, fewer nothing; never more than half."""
def check_resident_id(credential_id: str) -> None:
    """None when valid; raises InvalidInputError with ``.reason``."""

def is_resident_id(credential_id: str) -> bool:
    """Whether ``credential_id`` is a valid 18-character resident ID number
    (the boolean form of ``check_resident_id``)."""
def credential_type_label(credential_type: int) -> str:
    """The label of a credential type code (``1`` → ``身份证``; unknown → ``未知证件``)."""

# ---------------------------------------------------------------- v2

def sign_v2(fields: Mapping[str, str], key: str, sign_type: SignType = "MD5") -> str:
    """The v2 ``sign`` of ``fields`` (``sign`` itself and empty values left out)."""
def build_authinfo_request(
    *,
    rawdata: str,
    store_id: str,
    store_name: str,
    device_id: str,
    appid: str,
    mch_id: str,
    key: str,
    attach: Optional[str] = None,
    sub_appid: Optional[str] = None,
    sub_mch_id: Optional[str] = None,
    sign_type: SignType = "MD5",
    now: Optional[int] = None,
    nonce_str: Optional[str] = None,
) -> Tuple[str, bytes]:
    """A signed ``get_wxpayface_authinfo`` request: ``(url_path, xml_body)``."""
def parse_authinfo_response(
    body: _Bytes, key: str, sign_type: SignType = "MD5", now: Optional[int] = None
) -> "AuthinfoResponse":
    """Parse and verify an answer of ``get_wxpayface_authinfo``."""
@final
class AuthinfoResponse:
    """A verified authinfo."""

    @property
    def authinfo(self) -> str:
        """The credential for the face SDK's ``getWxpayfaceCode`` / ``getWxpayAuth``."""
    @property
    def expires_in(self) -> int:
        """Lifetime in seconds, as WeChat Pay sent it."""
    @property
    def expires_at(self) -> int:
        """Absolute expiry: ``now`` + ``expires_in`` (Unix seconds)."""
    @property
    def appid(self) -> Optional[str]:
        """Echoed by WeChat Pay, if it was."""
    @property
    def mch_id(self) -> Optional[str]:
        """Echoed by WeChat Pay, if it was."""
    @property
    def sub_appid(self) -> Optional[str]:
        """Echoed by WeChat Pay, if it was."""
    @property
    def sub_mch_id(self) -> Optional[str]:
        """Echoed by WeChat Pay, if it was."""
    @property
    def from_cache(self) -> bool:
        """Whether ``MerchantClient`` answered from its cache (or shared a
        concurrent caller's request) instead of calling WeChat Pay."""
    def to_dict(self, *, expose: bool = False) -> Dict[str, Any]:
        """A JSON-ready dict; ``authinfo`` redacted unless ``expose=True``."""
    def kiosk_answer(self) -> Dict[str, Any]:
        """The ``POST /kiosk/authinfo`` answer: ``{authinfo, expires_in, expires_at}``."""

# ---------------------------------------------------------------- APIv3

@final
class Signer:
    """Signs APIv3 requests; the key stays in Rust."""

    def __new__(
        cls, mchid: str, serial_no: str, private_key_pem: _Pem, *, platform_serial: Optional[str] = None
    ) -> "Signer": ...
    @property
    def mchid(self) -> str:
        """The merchant id."""
    @property
    def serial_no(self) -> str:
        """The merchant certificate serial."""
    @property
    def platform_serial(self) -> Optional[str]:
        """The ``Wechatpay-Serial`` to send with requests, if configured."""
    def authorization(
        self,
        method: str,
        path: str,
        body: Optional[_Bytes] = None,
        timestamp: Optional[int] = None,
        nonce: Optional[str] = None,
    ) -> str:
        """The ``Authorization`` header value for a request.

        ``path`` includes the query string, percent-encoded as sent. ``body`` is
        empty for a GET. ``timestamp`` (Unix seconds) and ``nonce`` default to the
        clock and a fresh 32-character random nonce. The GIL is released
        while signing."""
    def headers(
        self, method: str, path: str, body: Optional[_Bytes] = None, timestamp: Optional[int] = None
    ) -> Dict[str, str]:
        """All headers to send with a request: ``Authorization``, ``Accept``,
        ``User-Agent``, ``Content-Type`` when there is a body, and
        ``Wechatpay-Serial`` when configured."""

@final
class ResponseVerifier:
    """Verifies APIv3 answers against trusted platform keys."""

    def __new__(cls, *, window_secs: int = 300) -> "ResponseVerifier": ...
    def add_platform_certificate(self, pem: _Pem) -> str:
        """Trust a platform certificate (PEM text or path); returns its serial."""
    def add_platform_public_key(self, key_id: str, pem: _Pem) -> None:
        """Trust a platform public key (PEM text or path) under its id ``PUB_KEY_ID_…``."""
    @property
    def ids(self) -> List[str]:
        """Ids (certificate serials, ``PUB_KEY_ID_…``) of the trusted keys."""
    @property
    def window_secs(self) -> int:
        """The accepted timestamp distance in seconds."""
    def preferred_serial(self, now: Optional[int] = None) -> Optional[str]:
        """The id to send as the request's ``Wechatpay-Serial`` (the public key if
        there is one, else the valid certificate expiring last)."""
    def verify(self, status: int, headers: _Headers, body: _Bytes, now: Optional[int] = None) -> None:
        """Verify an answer: signature headers present, timestamp fresh, key
        trusted, signature valid over the raw ``body`` bytes. ``headers`` is a
        mapping or a list of pairs (names case-insensitive). Returns ``None``."""

def build_users_query(
    face_sid: str,
    appid: str,
    info_type: InfoType = "ASK_REAL_NAME",
    *,
    sub_mchid: Optional[str] = None,
    sub_appid: Optional[str] = None,
    sub_serial_no: Optional[str] = None,
) -> str:
    """The path with query of ``GET /v3/facemch/users/{face_sid}``, percent-encoded
    (send it to ``https://api.mch.weixin.qq.com``, signed with ``Signer``).

    Provider mode: set ``sub_mchid``; with ``ASK_REAL_NAME`` also ``sub_serial_no``
    (the sub-merchant's certificate serial, whose key encrypts the answer)."""
def parse_users_response(
    verifier: ResponseVerifier, status: int, headers: _Headers, body: _Bytes, now: Optional[int] = None
) -> "FaceUser":
    """Handle the HTTP answer of the identity query: a non-2xx status raises
    ``BackendError``; a 2xx answer is verified with ``verifier`` first (missing
    signature headers are an error), then parsed. Nothing is decrypted here."""
def new_nonce() -> str:
    """A fresh random 32-character nonce (``[0-9A-Za-z]``)."""
@final
class EncryptedRealName:
    """The encrypted identity of a verified answer (opaque, not constructible)."""

    @property
    def credential_type(self) -> int:
        """The credential type code the answer announced (not secret)."""

@final
class FaceUser:
    """A verified identity answer (real-name fields still encrypted)."""

    @property
    def openid(self) -> Optional[str]:
        """The user's openid under the merchant's appid, if answered."""
    @property
    def sub_openid(self) -> Optional[str]:
        """The user's openid under ``sub_appid``, if that was sent."""
    @property
    def union_id(self) -> Optional[str]:
        """The union id (``ASK_UNIONID``)."""
    @property
    def real_name(self) -> Optional[EncryptedRealName]:
        """The encrypted identity (``ASK_REAL_NAME``), or ``None``."""
    def to_dict(self, *, expose: bool = False) -> Dict[str, Any]:
        """A JSON-ready dict; identifiers redacted unless ``expose=True``,
        the encrypted identity never included."""

@final
class SignedAnswer:
    """An identity answer as WeChat Pay sent it (provider mode)."""

    @staticmethod
    def from_json(text: _Bytes) -> "SignedAnswer":
        """staticmethod(function) -> method

        Convert a function to be a static method.

        A static method does not receive an implicit first argument.
        To declare a static method, use this idiom:

             class C:
                 @staticmethod
                 def f(arg1, arg2, argN):
                     ...

        It can be called either on the class (e.g. C.f()) or on an instance
        (e.g. C().f()). Both the class and the instance are ignored, and
        neither is passed implicitly as the first argument to the method.

        Static methods in Python are similar to those found in Java or C++.
        For a more advanced concept, see the classmethod builtin."""
    @property
    def status(self) -> int:
        """The HTTP status of the answer."""
    @property
    def headers(self) -> Dict[str, str]:
        """The ``Wechatpay-*`` signature headers it carried, by canonical name."""
    @property
    def body(self) -> str:
        """The body, exactly as received (the signature covers it)."""
    def to_json(self) -> str:
        """The JSON form, to forward to the hospital."""
    def to_dict(self) -> Dict[str, Any]:
        """The JSON form as a dict: ``status``, ``headers``, ``body``."""

@final
class Decryptor:
    """Decrypts the identity of a verified answer with the (sub-)merchant key."""

    def __new__(cls, private_key_pem: _Pem, padding: Padding = "pkcs1v15") -> "Decryptor": ...
    @property
    def padding(self) -> str:
        """The configured padding (``"pkcs1v15"`` or ``"oaep-sha1"``)."""
    def decrypt_real_name(self, encrypted: Union[FaceUser, EncryptedRealName]) -> RealName:
        """Decrypt and validate the identity of a verified answer: a ``FaceUser``
        returned by ``MerchantClient.query_user`` or ``parse_users_response``, or
        its ``real_name``."""

@final
class RealNameReceiver:
    """The hospital's end of provider mode: verifies, then decrypts."""

    def __new__(
        cls,
        private_key_pem: _Pem,
        *,
        platform_public_key_pem: Optional[_Pem] = None,
        pub_key_id: Optional[str] = None,
        platform_certificate_pem: Optional[_Pem] = None,
        padding: Padding = "pkcs1v15",
    ) -> "RealNameReceiver": ...
    def receive(self, answer: Union[SignedAnswer, str, bytes, Mapping[str, Any]]) -> RealName:
        """Verify the forwarded answer — a ``SignedAnswer``, its JSON text (``str``
        or ``bytes``) or its dict — and decrypt its identity."""
    @property
    def platform_key_ids(self) -> List[str]:
        """Ids of the trusted platform keys (``PUB_KEY_ID_…``, certificate serials)."""
    @property
    def padding(self) -> str:
        """The configured padding (``"pkcs1v15"`` or ``"oaep-sha1"``)."""

# ---------------------------------------------------------------- device credentials

@final
class DeviceCredential:
    """A device credential of the kiosk API (``wxfd1.<key id>.<secret>``), the
    kiosk's only secret, sent as ``Authorization: Bearer <credential>``.

    ``repr()``/``str()`` show the key id only; the text is reachable only
    through :meth:`expose` and :meth:`authorization`. Not picklable, not
    hashable. A HIS stores ``key_id`` and :meth:`verifier`, never the text."""

    @staticmethod
    def generate() -> "DeviceCredential":
        """A new credential from the operating system's random source."""
    @staticmethod
    def parse(text: str) -> "DeviceCredential":
        """Parse a credential's text (surrounding whitespace ignored); raises
        ``UnauthenticatedError`` (which never quotes the text) otherwise."""
    @staticmethod
    def from_authorization(authorization: Optional[str]) -> "DeviceCredential":
        """The credential of an ``Authorization`` header value
        (``Bearer <credential>``); raises ``UnauthenticatedError`` for no
        header, another scheme or a malformed credential."""
    @property
    def key_id(self) -> str:
        """The key id (16 hex digits): finds the stored record; not secret."""
    def expose(self) -> str:
        """The whole text, to hand to the kiosk once (or to send)."""
    def authorization(self) -> str:
        """The ``Authorization`` header value: ``Bearer <credential>``."""
    def verifier(self) -> str:
        """What a server stores instead of the secret: 64 lowercase hex digits
        (SHA-256 over a fixed label, the key id and the secret)."""
    def matches(self, verifier: str) -> bool:
        """Whether this credential is the one ``verifier`` was made from
        (constant time); ``ConfigError`` if it is not 64 hex digits."""
    def __eq__(self, value: object, /) -> bool: ...

_DeviceRow = Tuple[str, str, object]
_Done = Callable[[bool, Any], None]

def authenticate_device(
    authorization: Optional[str], lookup: Callable[[str], Optional[_DeviceRow]]
) -> str:
    """The device id of a kiosk request, from its ``Authorization`` header
    value: the reference server's own check over the HIS's device table.

    ``lookup(key_id)`` returns ``None`` for an unknown key id, else the tuple
    ``(device_id, verifier_hex, revoked)`` stored at issue time (``revoked``
    is tested for truth). Raises ``UnauthenticatedError`` for no header, a
    malformed, unknown, wrong (the same answer as unknown) or revoked
    credential; ``ConfigError`` for a stored verifier that is not 64 hex
    digits; an exception ``lookup`` raises is raised as it is."""

def check_device_id(device_id: str) -> None:
    """None when ``device_id`` may name a device (1 to 32 characters without
    control characters); ``InvalidInputError`` on ``device_id`` otherwise."""

# ---------------------------------------------------------------- client

@final
class ClientConfig:
    """A checked merchant-client configuration (opaque)."""

    def __new__(cls, *, env: bool = True, **options: Unpack[ClientOptions]) -> "ClientConfig":
        """Check a configuration: the options of docs/configuration.md
        (:class:`wxface.options.ClientOptions`), each not given read from its
        ``WXFACE_*`` environment variable unless ``env=False``. Raises
        ``ConfigError`` or ``InvalidInputError`` naming what is missing or
        wrong (never a secret), ``TypeError`` for an unknown option."""
    def replace(self, **options: Unpack[ClientOptions]) -> "ClientConfig":
        """A copy with some options changed (the environment is not read again)."""
    @property
    def appid(self) -> str:
        """The (provider's) appid."""
    @property
    def mch_id(self) -> str:
        """The (provider's) merchant id."""
    @property
    def sub_mch_id(self) -> Optional[str]:
        """The sub-merchant id in provider mode, else ``None``."""
    @property
    def is_provider_mode(self) -> bool:
        """Whether this is a provider (服务商) configuration."""
    @property
    def has_decryptor(self) -> bool:
        """Whether ``fetch_real_name`` can decrypt without a decryptor argument."""
    @staticmethod
    def environment_variables() -> List[Tuple[str, str]]:
        """staticmethod(function) -> method

        Convert a function to be a static method.

        A static method does not receive an implicit first argument.
        To declare a static method, use this idiom:

             class C:
                 @staticmethod
                 def f(arg1, arg2, argN):
                     ...

        It can be called either on the class (e.g. C.f()) or on an instance
        (e.g. C().f()). Both the class and the instance are ignored, and
        neither is passed implicitly as the first argument to the method.

        Static methods in Python are similar to those found in Java or C++.
        For a more advanced concept, see the classmethod builtin."""

@final
class MerchantClient:
    """The merchant server's client for WeChat Pay (blocking, thread-safe)."""

    def __new__(
        cls, config: Optional[ClientConfig] = None, *, env: bool = True, **options: Unpack[ClientOptions]
    ) -> "MerchantClient":
        """A client from a :class:`ClientConfig`, from options (as
        :class:`ClientConfig` takes them), or both (the options win)."""
    @property
    def config(self) -> ClientConfig:
        """The configuration."""
    def get_authinfo(
        self,
        rawdata: str,
        store_id: Optional[str] = None,
        store_name: Optional[str] = None,
        device_id: Optional[str] = None,
        attach: Union[str, Mapping[str, Any], None] = None,
    ) -> AuthinfoResponse:
        """An authinfo for the face SDK on kiosk ``device_id``: from the cache
        while one for the same device and store is still good, else from
        ``get_wxpayface_authinfo``. ``store_id``/``store_name`` default to the
        configured store; ``attach`` is a JSON string or a dict."""
    def invalidate_authinfo(self, device_id: str, store_id: Optional[str] = None) -> bool:
        """Forget the cached authinfo of ``device_id`` (after the face SDK reported
        it expired, error 271382020). Returns whether one was cached."""
    def query_user(self, face_sid: str, info_type: InfoType = "ASK_REAL_NAME") -> FaceUser:
        """``GET /v3/facemch/users/{face_sid}``: the verified answer, the
        real-name fields still encrypted."""
    def query_user_signed(self, face_sid: str, info_type: InfoType = "ASK_REAL_NAME") -> SignedAnswer:
        """Provider mode: the verified answer as WeChat Pay sent it, to
        forward to the hospital (:class:`RealNameReceiver`)."""
    def fetch_real_name(self, face_sid: str, decryptor: Optional[Decryptor] = None) -> RealName:
        """Query ``ASK_REAL_NAME`` and decrypt: the verified identity as a
        ``RealName``. Uses ``decryptor`` when given, else the configured one (in
        direct mode the merchant key)."""
    def refresh_platform_certificates(self) -> int:
        """Download the platform certificates now (needs the APIv3 key); returns
        how many were installed."""
    def _start_get_authinfo(
        self,
        done: _Done,
        rawdata: str,
        store_id: Optional[str] = None,
        store_name: Optional[str] = None,
        device_id: Optional[str] = None,
        attach: Union[str, Mapping[str, Any], None] = None,
    ) -> "_AsyncCall": ...
    def _start_query_user(self, done: _Done, face_sid: str, info_type: InfoType = "ASK_REAL_NAME") -> "_AsyncCall": ...
    def _start_query_user_signed(
        self, done: _Done, face_sid: str, info_type: InfoType = "ASK_REAL_NAME"
    ) -> "_AsyncCall": ...
    def _start_fetch_real_name(self, done: _Done, face_sid: str, decryptor: Optional[Decryptor] = None) -> "_AsyncCall": ...
    def _start_refresh_platform_certificates(self, done: _Done) -> "_AsyncCall": ...
    @property
    def platform_key_ids(self) -> List[str]:
        """Ids of the trusted platform keys (certificate serials, ``PUB_KEY_ID_…``)."""
    def stats(self) -> Dict[str, int]:
        """Counters since the client was built: ``calls``, ``http_requests``,
        ``retries``, ``cache_hits``, ``coalesced``, ``certificate_downloads``,
        ``failovers``."""

@final
class _AsyncCall:
    """A native call of :class:`wxface.AsyncMerchantClient` in flight."""

    def cancel(self) -> None:
        """Abort it: its future and its request are dropped; ``done`` is not called."""
    @property
    def finished(self) -> bool:
        """Whether it ended (answered, failed or aborted)."""
