"""Type stubs of ``wxface_sandbox._native``, the Rust part of the test kit
(checked against the module by ``mypy.stubtest`` in ``bindings-py/test.sh``).

The kit is its own extension module: what it hands to ``wxface`` code is made
with ``wxface``'s classes (:class:`wxface.ClientConfig`,
:class:`wxface.MerchantClient`, :class:`wxface.Decryptor`)."""

from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union, final

from typing_extensions import Unpack

from wxface import ClientConfig, Decryptor, MerchantClient, RealName
from wxface.kiosk import Outcome
from wxface.options import ClientOptions, KioskOutcome, PlatformKey

__version__: str

# ---------------------------------------------------------------- logs

def _install_log_bridge(level: str, emit: Callable[[str, str, str, List[Tuple[str, str]]], None]) -> bool:
    """Install or reconfigure the bridge of the kit's ``tracing`` events at
    ``level`` to ``emit(level, target, message, fields)``; driven by
    :func:`wxface.enable_logging`."""
def _uninstall_log_bridge() -> None:
    """Stop the bridge; driven by :func:`wxface.disable_logging`."""
def flush_logs(timeout: float = 2.0) -> bool:
    """Wait (at most ``timeout`` seconds, GIL released) until the kit's
    records logged so far reached :mod:`logging`; whether they all did
    (:func:`wxface.flush_logs` waits for these too)."""
def _dropped_log_records() -> int:
    """Records dropped because the bridge's queue was full."""

# ---------------------------------------------------------------- sandbox

@final
class Sandbox:
    """An embedded WeChat Pay and face SDK sandbox."""

    def __new__(cls, **options: Any) -> "Sandbox": ...
    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (both WeChat Pay hosts)."""
    @property
    def running(self) -> bool:
        """Whether the sandbox is still serving."""
    @property
    def credentials(self) -> "SandboxCredentials":
        """The sandbox's merchant ids and keys (test keys, generated for this
        sandbox; ``repr()`` shows ids only)."""
    @property
    def faults(self) -> "SandboxFaults":
        """Fault injection controls (changes apply at once)."""
    @property
    def identities(self) -> List["SandboxIdentity"]:
        """The test persons the emulated face SDK can recognise."""
    def client_config(
        self, *, provider_mode: bool = False, platform_key: PlatformKey = "public_key", **overrides: Unpack[ClientOptions]
    ) -> ClientConfig:
        """A configuration for this sandbox (``overrides`` win)."""
    def client(
        self, *, provider_mode: bool = False, platform_key: PlatformKey = "public_key", **overrides: Unpack[ClientOptions]
    ) -> MerchantClient:
        """A :class:`MerchantClient` for this sandbox (``overrides`` win)."""
    def sub_merchant_decryptor(self) -> Decryptor:
        """A ``Decryptor`` with the sandbox's sub-merchant (hospital) key, for
        provider-mode tests."""
    def kiosk(
        self,
        person: Optional[str] = None,
        outcome: KioskOutcome = "consent",
        *,
        device_id: str = "KIOSK-01",
        store_id: Optional[str] = None,
        sdk_version: Optional[str] = None,
        provider_mode: bool = False,
        openid_with_face_sid: Optional[bool] = None,
    ) -> "EmulatedKiosk":
        """An ``EmulatedKiosk`` on ``device_id``, started: the kiosk driver over a
        face SDK emulator that recognises ``person`` (a key of ``identities``;
        default: the sandbox's default person) and whose user does ``outcome``
        (``"consent"``, ``"refuse"``, ``"user_cancel"``, ``"camera_error"``,
        ``"timeout"``). ``provider_mode=True`` makes it a kiosk of a
        provider-mode hospital (it sends the sub-merchant's ``sub_mch_id`` and
        ``sub_appid``; a provider-mode ``MerchantClient`` given to it decrypts
        with the sub-merchant's key). ``openid_with_face_sid`` overrides the
        sandbox's setting for this kiosk's emulator: ``True``, recognition
        answers ``openid`` along with ``face_sid`` (the older behaviour); ``False``,
        it answers none, as the spec's table says; ``None``, the sandbox's."""
    def expire_authinfos(self) -> int:
        """Test hook: every authinfo issued so far expires now; returns how many."""
    def expire_face_sids(self) -> int:
        """Test hook: every face_sid issued so far expires now; returns how many."""
    def reset(self) -> None:
        """Clear all fault rules and all sessions."""
    def stop(self) -> None:
        """Stop serving (idempotent)."""
    def __enter__(self) -> "Sandbox": ...
    def __exit__(self, *_exc: object) -> bool: ...

@final
class SandboxCredentials:
    """The sandbox's ids and test keys."""

    @property
    def appid(self) -> str:
        """The merchant's (provider's) appid."""
    @property
    def mch_id(self) -> str:
        """The merchant's (provider's) mch_id."""
    @property
    def sub_appid(self) -> str:
        """The sub-merchant's appid (provider mode)."""
    @property
    def sub_mch_id(self) -> str:
        """The sub-merchant's mch_id (provider mode)."""
    @property
    def v2_key(self) -> str:
        """The v2 API key."""
    @property
    def apiv3_key(self) -> str:
        """The APIv3 key."""
    @property
    def merchant_key_pem(self) -> str:
        """The merchant's API private key (PKCS#8 PEM)."""
    @property
    def merchant_cert_pem(self) -> str:
        """The merchant's API certificate (PEM)."""
    @property
    def merchant_serial_no(self) -> str:
        """The merchant certificate serial."""
    @property
    def sub_merchant_key_pem(self) -> str:
        """The sub-merchant's (hospital's) API private key (PKCS#8 PEM)."""
    @property
    def sub_merchant_serial_no(self) -> str:
        """The sub-merchant certificate serial."""
    @property
    def platform_cert_pem(self) -> str:
        """The platform certificate (PEM)."""
    @property
    def platform_serial_no(self) -> str:
        """The platform certificate serial."""
    @property
    def platform_public_key_pem(self) -> str:
        """The platform public key (SPKI PEM)."""
    @property
    def platform_public_key_id(self) -> str:
        """The platform public key id (``PUB_KEY_ID_…``)."""
    @property
    def padding(self) -> str:
        """The padding the sandbox encrypts real-name fields with."""

@final
class SandboxIdentity:
    """A test person of the sandbox (masked ``repr()``)."""

    @property
    def key(self) -> str:
        """The key that picks this person (``sb.kiosk(person=key)``)."""
    @property
    def openid(self) -> str:
        """The person's openid under the merchant's appid."""
    @property
    def sub_openid(self) -> str:
        """The person's openid under the sub-merchant's appid."""
    @property
    def union_id(self) -> str:
        """The person's union id."""
    @property
    def credential_type(self) -> int:
        """The credential type code."""
    @property
    def real_name(self) -> RealName:
        """The person's identity as a ``RealName`` (masked ``repr()``)."""

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
    ) -> None:
        """Add a rule: ``kind`` on ``endpoint`` (``"authinfo"``, ``"users"``,
        ``"certificates"``, ``"any"``) for the next ``count`` calls, or on each call
        with ``probability`` (seeded by ``seed``, reproducible). Kinds, by the
        sandbox's own names (docs/sandbox.md): ``"system_error"`` (500),
        ``"service_unavailable"`` (503, unsigned), ``"rate_limited"`` (429),
        ``"malformed_body"``, ``"bad_signature"``, ``"stale_timestamp"``,
        ``"drop_connection"``, ``"latency"`` (answer normally after ``latency``
        seconds)."""
    def clear(self) -> None:
        """Remove every rule."""
    @property
    def fired(self) -> int:
        """How many times a rule has fired so far."""
    def rules(self) -> List[Tuple[str, str]]:
        """The active rules as ``(endpoint, kind)`` pairs, by their full names
        (``system_error``, ``malformed_body``, ``drop_connection``, …)."""

_Merchant = Union[MerchantClient, Callable[[str, Dict[str, Any]], Mapping[str, Any]]]

@final
class EmulatedKiosk:
    """The kiosk driver over the face SDK emulator."""

    @property
    def device_id(self) -> str:
        """The kiosk's device id."""
    @property
    def state(self) -> str:
        """The flow's state: ``ready``, ``released``, or the request a verification
        waits for."""
    def verify(self, merchant: _Merchant, *, outcome: Optional[KioskOutcome] = None) -> "Outcome":
        """Verify one patient: every way the flow ends is an :class:`Outcome`."""
    def consented_face_sid(self, merchant: _Merchant) -> str:
        """``verify(merchant)``, for tests of the merchant side: the ``face_sid`` of
        the verified patient."""
    def rawdata(self) -> str:
        """A fresh ``rawdata`` straight from the emulated SDK (outside the flow),
        for tests that call ``MerchantClient.get_authinfo`` themselves."""
    def invalidate_authinfo(self) -> None:
        """Forget the authinfo the flow cached."""
    def release(self) -> None:
        """``releaseWxpayface``: the kiosk accepts nothing afterwards."""
