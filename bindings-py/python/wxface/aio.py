"""asyncio layer: :class:`AsyncMerchantClient`, native.

Each call is the Rust async client's future, run as a task on the binding's
tokio runtime; the event loop is never blocked and no Python thread waits
for WeChat Pay. Cancelling the awaiting asyncio task (``task.cancel()``,
``asyncio.wait_for`` timing out, a web framework dropping the request)
aborts the Rust task: its future, and the HTTP request in flight with it,
is dropped at once, and no result arrives later.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from ._native import (
    AuthinfoResponse,
    ClientConfig,
    Decryptor,
    FaceUser,
    MerchantClient,
    RealName,
    SignedAnswer,
    _AsyncCall,
)
from .options import InfoType

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import ClientOptions

__all__ = ["AsyncMerchantClient"]


class AsyncMerchantClient:
    """The merchant server's client for WeChat Pay, for asyncio applications.

    Built like :class:`wxface.MerchantClient` (a :class:`wxface.ClientConfig`,
    keyword options, or both; ``WXFACE_*`` environment variables fill what is
    not given), or around an existing client with :meth:`from_client` (same
    cache, keys and counters).

    Every call is native (see the module): cancelling it cancels the request.
    ``max_workers`` bounds how many calls of this client run at once (the
    others wait their turn on the event loop). ``async with`` and
    :meth:`aclose` are kept for symmetry: there are no threads to stop.
    """

    def __init__(
        self,
        config: Optional[ClientConfig] = None,
        *,
        max_workers: int = 16,
        env: bool = True,
        **options: Unpack[ClientOptions],
    ) -> None:
        self._client = MerchantClient(config, env=env, **options)
        self._max = max(1, max_workers)
        self._slots: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def from_client(
        cls, client: MerchantClient, *, max_workers: int = 16
    ) -> "AsyncMerchantClient":
        """An async facade over an existing blocking client (same cache and keys)."""
        self = cls.__new__(cls)
        self._client = client
        self._max = max(1, max_workers)
        self._slots = weakref.WeakKeyDictionary()
        return self

    @property
    def blocking(self) -> MerchantClient:
        """The blocking client underneath."""
        return self._client

    @property
    def config(self) -> ClientConfig:
        """The configuration."""
        return self._client.config

    async def _call(self, start: Callable[..., _AsyncCall], *args: Any) -> Any:
        """Start a native call and await it; cancelled, it aborts the call."""
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:  # one bound per event loop
            slots = self._slots[loop] = asyncio.Semaphore(self._max)
        async with slots:
            fut: "asyncio.Future[Any]" = loop.create_future()

            def settle(ok: bool, value: Any) -> None:
                if fut.done():  # cancelled meanwhile
                    return
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)

            def done(ok: bool, value: Any) -> None:
                # Called on a Rust thread when the call ends.
                try:
                    loop.call_soon_threadsafe(settle, ok, value)
                except RuntimeError:  # the loop is closed: nobody waits
                    pass

            call = start(done, *args)
            try:
                return await fut
            except asyncio.CancelledError:
                call.cancel()
                raise

    async def get_authinfo(
        self,
        rawdata: str,
        store_id: Optional[str] = None,
        store_name: Optional[str] = None,
        device_id: Optional[str] = None,
        attach: Union[str, Dict[str, Any], None] = None,
    ) -> AuthinfoResponse:
        """Awaitable :meth:`wxface.MerchantClient.get_authinfo`."""
        out: AuthinfoResponse = await self._call(
            self._client._start_get_authinfo, rawdata, store_id, store_name, device_id, attach
        )
        return out

    async def query_user(
        self, face_sid: str, info_type: InfoType = "ASK_REAL_NAME"
    ) -> FaceUser:
        """Awaitable :meth:`wxface.MerchantClient.query_user`."""
        out: FaceUser = await self._call(self._client._start_query_user, face_sid, info_type)
        return out

    async def query_user_signed(
        self, face_sid: str, info_type: InfoType = "ASK_REAL_NAME"
    ) -> SignedAnswer:
        """Awaitable :meth:`wxface.MerchantClient.query_user_signed` (provider
        mode: the verified answer as sent, to forward to the hospital)."""
        out: SignedAnswer = await self._call(self._client._start_query_user_signed, face_sid, info_type)
        return out

    async def fetch_real_name(
        self, face_sid: str, decryptor: Optional[Decryptor] = None
    ) -> RealName:
        """Awaitable :meth:`wxface.MerchantClient.fetch_real_name`."""
        out: RealName = await self._call(self._client._start_fetch_real_name, face_sid, decryptor)
        return out

    async def refresh_platform_certificates(self) -> int:
        """Awaitable :meth:`wxface.MerchantClient.refresh_platform_certificates`."""
        out: int = await self._call(self._client._start_refresh_platform_certificates)
        return out

    def invalidate_authinfo(self, device_id: str, store_id: Optional[str] = None) -> bool:
        """Forget a cached authinfo (no I/O, so not a coroutine)."""
        return self._client.invalidate_authinfo(device_id, store_id)

    @property
    def platform_key_ids(self) -> List[str]:
        """Ids of the trusted platform keys."""
        return self._client.platform_key_ids

    def stats(self) -> Dict[str, int]:
        """Counters since the client was built."""
        return self._client.stats()

    async def aclose(self) -> None:
        """Nothing to release (kept for ``async with`` and older callers)."""

    async def __aenter__(self) -> "AsyncMerchantClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncMerchantClient({self._client!r})"
