"""asyncio layer: :class:`AsyncMerchantClient`.

Each call runs the blocking Rust client in a worker thread (the Rust side
releases the GIL for the whole network and crypto work), so awaiting it never
blocks the event loop: other tasks keep running while WeChat Pay answers.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, TypeVar, Union

from ._native import (
    AuthinfoResponse,
    ClientConfig,
    Decryptor,
    FaceUser,
    MerchantClient,
    RealName,
    SignedAnswer,
)
from .options import InfoType

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import ClientOptions

T = TypeVar("T")

__all__ = ["AsyncMerchantClient"]


class AsyncMerchantClient:
    """The merchant server's client for WeChat Pay, for asyncio applications.

    Built like :class:`wxface.MerchantClient` (a :class:`wxface.ClientConfig`,
    keyword options, or both; ``WXFACE_*`` environment variables fill what is
    not given), or around an existing client with :meth:`from_client`.

    ``max_workers`` bounds how many calls run at once (each waits for WeChat
    Pay in its own worker thread). Use it as ``async with`` or call
    :meth:`aclose` to stop the workers.
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
        self._executor = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="wxface-async"
        )
        self._owns_executor = True

    @classmethod
    def from_client(
        cls, client: MerchantClient, *, max_workers: int = 16
    ) -> "AsyncMerchantClient":
        """An async facade over an existing blocking client (same cache and keys)."""
        self = cls.__new__(cls)
        self._client = client
        self._executor = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="wxface-async"
        )
        self._owns_executor = True
        return self

    @property
    def blocking(self) -> MerchantClient:
        """The blocking client underneath."""
        return self._client

    @property
    def config(self) -> ClientConfig:
        """The configuration."""
        return self._client.config

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(fn, *args, **kwargs)
        )

    async def get_authinfo(
        self,
        rawdata: str,
        store_id: Optional[str] = None,
        store_name: Optional[str] = None,
        device_id: Optional[str] = None,
        attach: Union[str, Dict[str, Any], None] = None,
    ) -> AuthinfoResponse:
        """Awaitable :meth:`wxface.MerchantClient.get_authinfo`."""
        return await self._run(
            self._client.get_authinfo, rawdata, store_id, store_name, device_id, attach
        )

    async def query_user(
        self, face_sid: str, info_type: InfoType = "ASK_REAL_NAME"
    ) -> FaceUser:
        """Awaitable :meth:`wxface.MerchantClient.query_user`."""
        return await self._run(self._client.query_user, face_sid, info_type)

    async def query_user_signed(
        self, face_sid: str, info_type: InfoType = "ASK_REAL_NAME"
    ) -> SignedAnswer:
        """Awaitable :meth:`wxface.MerchantClient.query_user_signed` (provider
        mode: the verified answer as sent, to forward to the hospital)."""
        return await self._run(self._client.query_user_signed, face_sid, info_type)

    async def fetch_real_name(
        self, face_sid: str, decryptor: Optional[Decryptor] = None
    ) -> RealName:
        """Awaitable :meth:`wxface.MerchantClient.fetch_real_name`."""
        return await self._run(self._client.fetch_real_name, face_sid, decryptor)

    async def refresh_platform_certificates(self) -> int:
        """Awaitable :meth:`wxface.MerchantClient.refresh_platform_certificates`."""
        return await self._run(self._client.refresh_platform_certificates)

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
        """Stop the worker threads (calls in flight finish first)."""
        if self._owns_executor:
            await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(self._executor.shutdown, wait=True)
            )

    async def __aenter__(self) -> "AsyncMerchantClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncMerchantClient({self._client!r})"
