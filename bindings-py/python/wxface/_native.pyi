"""Type stubs of ``wxface._native``, the Rust part of wxface (checked against
the module by ``mypy.stubtest`` in ``bindings-py/test.sh``)."""

import os

from wxface.kiosk import MaskedIdentity, Outcome
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union, final

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
    def credential_type(self) -> int: ...
    @property
    def credential_type_label(self) -> str: ...
    @property
    def masked_name(self) -> str: ...
    @property
    def masked_credential_id(self) -> str: ...
    def masked(self) -> MaskedIdentity: ...
    def __eq__(self, value: object, /) -> bool: ...

def mask_name(name: str) -> str: ...
def mask_credential_id(credential_id: str) -> str: ...
def check_resident_id(credential_id: str) -> None:
    """None when valid; raises InvalidInputError with ``.reason``."""

def is_resident_id(credential_id: str) -> bool: ...
def credential_type_label(credential_type: int) -> str: ...

# ---------------------------------------------------------------- v2

def sign_v2(fields: Mapping[str, str], key: str, sign_type: str = "MD5") -> str: ...
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
    sign_type: str = "MD5",
    now: Optional[int] = None,
    nonce_str: Optional[str] = None,
) -> Tuple[str, bytes]: ...
def parse_authinfo_response(
    body: _Bytes, key: str, sign_type: str = "MD5", now: Optional[int] = None
) -> "AuthinfoResponse": ...
@final
class AuthinfoResponse:
    """A verified authinfo."""

    @property
    def authinfo(self) -> str: ...
    @property
    def expires_in(self) -> int: ...
    @property
    def expires_at(self) -> int: ...
    @property
    def appid(self) -> Optional[str]: ...
    @property
    def mch_id(self) -> Optional[str]: ...
    @property
    def sub_appid(self) -> Optional[str]: ...
    @property
    def sub_mch_id(self) -> Optional[str]: ...
    @property
    def from_cache(self) -> bool: ...

# ---------------------------------------------------------------- APIv3

@final
class Signer:
    """Signs APIv3 requests; the key stays in Rust."""

    def __new__(
        cls, mchid: str, serial_no: str, private_key_pem: _Pem, *, platform_serial: Optional[str] = None
    ) -> "Signer": ...
    @property
    def mchid(self) -> str: ...
    @property
    def serial_no(self) -> str: ...
    @property
    def platform_serial(self) -> Optional[str]: ...
    def authorization(
        self,
        method: str,
        path: str,
        body: Optional[_Bytes] = None,
        timestamp: Optional[int] = None,
        nonce: Optional[str] = None,
    ) -> str: ...
    def headers(
        self, method: str, path: str, body: Optional[_Bytes] = None, timestamp: Optional[int] = None
    ) -> Dict[str, str]: ...

@final
class ResponseVerifier:
    """Verifies APIv3 answers against trusted platform keys."""

    def __new__(cls, *, window_secs: int = 300) -> "ResponseVerifier": ...
    def add_platform_certificate(self, pem: _Pem) -> str: ...
    def add_platform_public_key(self, key_id: str, pem: _Pem) -> None: ...
    @property
    def ids(self) -> List[str]: ...
    @property
    def window_secs(self) -> int: ...
    def preferred_serial(self, now: Optional[int] = None) -> Optional[str]: ...
    def verify(self, status: int, headers: _Headers, body: _Bytes, now: Optional[int] = None) -> None: ...

def build_users_query(
    face_sid: str,
    appid: str,
    info_type: str = "ASK_REAL_NAME",
    *,
    sub_mchid: Optional[str] = None,
    sub_appid: Optional[str] = None,
    sub_serial_no: Optional[str] = None,
) -> str: ...
def parse_users_response(
    verifier: ResponseVerifier, status: int, headers: _Headers, body: _Bytes, now: Optional[int] = None
) -> "FaceUser": ...
def new_nonce() -> str: ...
@final
class EncryptedRealName:
    """The encrypted identity of a verified answer (opaque, not constructible)."""

    @property
    def credential_type(self) -> int: ...

@final
class FaceUser:
    """A verified identity answer (real-name fields still encrypted)."""

    @property
    def openid(self) -> Optional[str]: ...
    @property
    def sub_openid(self) -> Optional[str]: ...
    @property
    def union_id(self) -> Optional[str]: ...
    @property
    def real_name(self) -> Optional[EncryptedRealName]: ...

@final
class SignedAnswer:
    """An identity answer as WeChat Pay sent it (provider mode)."""

    @staticmethod
    def from_json(text: _Bytes) -> "SignedAnswer": ...
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Dict[str, str]: ...
    @property
    def body(self) -> str: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class Decryptor:
    """Decrypts the identity of a verified answer with the (sub-)merchant key."""

    def __new__(cls, private_key_pem: _Pem, padding: str = "pkcs1v15") -> "Decryptor": ...
    @property
    def padding(self) -> str: ...
    def decrypt_real_name(self, encrypted: Union[FaceUser, EncryptedRealName]) -> RealName: ...

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
        padding: str = "pkcs1v15",
    ) -> "RealNameReceiver": ...
    def receive(self, answer: Union[SignedAnswer, str, bytes, Mapping[str, Any]]) -> RealName: ...
    @property
    def platform_key_ids(self) -> List[str]: ...
    @property
    def padding(self) -> str: ...

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

    def __new__(cls, *, env: bool = True, **options: Any) -> "ClientConfig": ...
    def replace(self, **options: Any) -> "ClientConfig": ...
    @property
    def appid(self) -> str: ...
    @property
    def mch_id(self) -> str: ...
    @property
    def sub_mch_id(self) -> Optional[str]: ...
    @property
    def is_provider_mode(self) -> bool: ...
    @property
    def has_decryptor(self) -> bool: ...
    @staticmethod
    def environment_variables() -> List[Tuple[str, str]]: ...

@final
class MerchantClient:
    """The merchant server's client for WeChat Pay (blocking, thread-safe)."""

    def __new__(
        cls, config: Optional[ClientConfig] = None, *, env: bool = True, **options: Any
    ) -> "MerchantClient": ...
    @property
    def config(self) -> ClientConfig: ...
    def get_authinfo(
        self,
        rawdata: str,
        store_id: Optional[str] = None,
        store_name: Optional[str] = None,
        device_id: Optional[str] = None,
        attach: Union[str, Mapping[str, Any], None] = None,
    ) -> AuthinfoResponse: ...
    def invalidate_authinfo(self, device_id: str, store_id: Optional[str] = None) -> bool: ...
    def query_user(self, face_sid: str, info_type: str = "ASK_REAL_NAME") -> FaceUser: ...
    def query_user_signed(self, face_sid: str, info_type: str = "ASK_REAL_NAME") -> SignedAnswer: ...
    def fetch_real_name(self, face_sid: str, decryptor: Optional[Decryptor] = None) -> RealName: ...
    def refresh_platform_certificates(self) -> int: ...
    @property
    def platform_key_ids(self) -> List[str]: ...
    def stats(self) -> Dict[str, int]: ...

# ---------------------------------------------------------------- sandbox

@final
class Sandbox:
    """An embedded WeChat Pay and face SDK sandbox."""

    def __new__(cls, **options: Any) -> "Sandbox": ...
    @property
    def url(self) -> str: ...
    @property
    def running(self) -> bool: ...
    @property
    def credentials(self) -> "SandboxCredentials": ...
    @property
    def faults(self) -> "SandboxFaults": ...
    @property
    def identities(self) -> List["SandboxIdentity"]: ...
    def client_config(
        self, *, provider_mode: bool = False, platform_key: str = "public_key", **overrides: Any
    ) -> ClientConfig: ...
    def client(
        self, *, provider_mode: bool = False, platform_key: str = "public_key", **overrides: Any
    ) -> MerchantClient: ...
    def sub_merchant_decryptor(self) -> Decryptor: ...
    def kiosk(
        self,
        person: Optional[str] = None,
        outcome: str = "consent",
        *,
        device_id: str = "KIOSK-01",
        store_id: Optional[str] = None,
        sdk_version: Optional[str] = None,
        provider_mode: bool = False,
        openid_with_face_sid: Optional[bool] = None,
    ) -> "EmulatedKiosk": ...
    def expire_authinfos(self) -> int: ...
    def expire_face_sids(self) -> int: ...
    def reset(self) -> None: ...
    def stop(self) -> None: ...
    def __enter__(self) -> "Sandbox": ...
    def __exit__(self, *_exc: object) -> bool: ...

@final
class SandboxCredentials:
    """The sandbox's ids and test keys."""

    @property
    def appid(self) -> str: ...
    @property
    def mch_id(self) -> str: ...
    @property
    def sub_appid(self) -> str: ...
    @property
    def sub_mch_id(self) -> str: ...
    @property
    def v2_key(self) -> str: ...
    @property
    def apiv3_key(self) -> str: ...
    @property
    def merchant_key_pem(self) -> str: ...
    @property
    def merchant_cert_pem(self) -> str: ...
    @property
    def merchant_serial_no(self) -> str: ...
    @property
    def sub_merchant_key_pem(self) -> str: ...
    @property
    def sub_merchant_serial_no(self) -> str: ...
    @property
    def platform_cert_pem(self) -> str: ...
    @property
    def platform_serial_no(self) -> str: ...
    @property
    def platform_public_key_pem(self) -> str: ...
    @property
    def platform_public_key_id(self) -> str: ...
    @property
    def padding(self) -> str: ...

@final
class SandboxIdentity:
    """A test person of the sandbox (masked ``repr()``)."""

    @property
    def key(self) -> str: ...
    @property
    def openid(self) -> str: ...
    @property
    def sub_openid(self) -> str: ...
    @property
    def union_id(self) -> str: ...
    @property
    def credential_type(self) -> int: ...
    @property
    def real_name(self) -> RealName: ...

@final
class SandboxFaults:
    """Fault injection controls."""

    def inject(
        self,
        endpoint: str,
        kind: str,
        count: int = 1,
        *,
        probability: Optional[float] = None,
        seed: int = 0,
        latency: Optional[float] = None,
    ) -> None: ...
    def clear(self) -> None: ...
    @property
    def fired(self) -> int: ...
    def rules(self) -> List[Tuple[str, str]]: ...

_Merchant = Union[MerchantClient, Callable[[str, Dict[str, Any]], Mapping[str, Any]]]

@final
class EmulatedKiosk:
    """The kiosk driver over the face SDK emulator."""

    @property
    def device_id(self) -> str: ...
    @property
    def state(self) -> str: ...
    def verify(self, merchant: _Merchant, *, outcome: Optional[str] = None) -> "Outcome": ...
    def consented_face_sid(self, merchant: _Merchant) -> str: ...
    def rawdata(self) -> str: ...
    def invalidate_authinfo(self) -> None: ...
    def release(self) -> None: ...
