"""The native asyncio client: each call is the Rust future on the binding's
tokio runtime, and cancelling the awaiting task aborts it, dropping the
request in flight (its result never arrives, even after the server
answers)."""

import asyncio
import threading
import time

import pytest

import wxface

SLOW = 1.0  # seconds the sandbox holds an identity answer


def test_results_and_errors_arrive_natively(wxface_sandbox):
    sb = wxface_sandbox
    blocking = sb.client(max_retries=0)
    face_sid = sb.kiosk().consented_face_sid(blocking)
    main = threading.get_ident()

    async def main_():
        client = wxface.AsyncMerchantClient.from_client(blocking)
        who = await client.fetch_real_name(face_sid)
        assert who == sb.identities[0].real_name
        user = await client.query_user(face_sid, "ASK_UNIONID")
        assert user.openid == sb.identities[0].openid
        grant = await client.get_authinfo(sb.kiosk().rawdata(), device_id="KIOSK-A")
        assert grant.authinfo and grant.from_cache is False
        with pytest.raises(wxface.BackendError) as e:
            await client.query_user("NO_SUCH_FACE_SID")
        assert e.value.wechat_code == "NOT_FOUND"
        with pytest.raises(wxface.InvalidInputError):
            await client.query_user(face_sid, "ASK_NAME")  # type: ignore[arg-type]
        # No Python thread waited: the calls ran on the Rust runtime.
        assert threading.get_ident() == main
        return client.stats()

    stats = asyncio.run(main_())
    assert stats["calls"] >= 4
    # A second event loop works too (the bound is per loop).
    assert asyncio.run(wxface.AsyncMerchantClient.from_client(blocking).query_user(face_sid, "ASK_UNIONID"))

    async def provider():
        client = wxface.AsyncMerchantClient(sb.client_config(provider_mode=True), env=False)
        fs = sb.kiosk(provider_mode=True).consented_face_sid(client.blocking)
        answer = await client.query_user_signed(fs)
        assert answer.status == 200
        cert = wxface.AsyncMerchantClient.from_client(
            sb.client(platform_key="certificate", apiv3_key=sb.credentials.apiv3_key)
        )
        assert await cert.refresh_platform_certificates() >= 1

    asyncio.run(provider())


def test_cancelling_the_task_aborts_the_rust_call(wxface_sandbox):
    sb = wxface_sandbox
    blocking = sb.client(max_retries=0)
    face_sid = sb.kiosk().consented_face_sid(blocking)

    # The native call itself: cancelled, its `done` is never called, even
    # after the sandbox answered; not cancelled, it is.
    results = []
    sb.faults.inject("users", "latency", count=2, latency=SLOW)
    cancelled = blocking._start_query_user(lambda ok, v: results.append(("cancelled", ok)), face_sid)
    kept = blocking._start_query_user(lambda ok, v: results.append(("kept", ok)), face_sid)
    time.sleep(0.1)
    assert not cancelled.finished
    cancelled.cancel()
    deadline = time.monotonic() + SLOW * 4
    while not kept.finished and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert cancelled.finished
    assert results == [("kept", True)]

    # Through asyncio: task.cancel() returns at once, not after the answer.
    async def cancel_one():
        client = wxface.AsyncMerchantClient.from_client(blocking)
        sb.faults.inject("users", "latency", count=1, latency=SLOW)
        task = asyncio.ensure_future(client.query_user(face_sid))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert asyncio.run(cancel_one()) < SLOW / 2

    # wait_for's timeout cancels the same way.
    async def time_out():
        client = wxface.AsyncMerchantClient.from_client(blocking)
        sb.faults.inject("users", "latency", count=1, latency=SLOW)
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.fetch_real_name(face_sid), 0.1)
        return time.monotonic() - started

    assert asyncio.run(time_out()) < SLOW / 2


def test_the_loop_runs_while_calls_wait(wxface_sandbox):
    sb = wxface_sandbox
    blocking = sb.client(max_retries=0)
    face_sid = sb.kiosk().consented_face_sid(blocking)

    async def main():
        client = wxface.AsyncMerchantClient.from_client(blocking, max_workers=4)
        sb.faults.inject("users", "latency", count=4, latency=0.3)
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        t = asyncio.ensure_future(ticker())
        started = time.monotonic()
        users = await asyncio.gather(*[client.query_user(face_sid, "ASK_UNIONID") for _ in range(4)])
        elapsed = time.monotonic() - started
        t.cancel()
        return ticks, users, elapsed

    ticks, users, elapsed = asyncio.run(main())
    assert len(users) == 4 and all(u.openid for u in users)
    assert ticks >= 5
    assert elapsed < 1.2 - 0.05  # concurrent, not 4 × 0.3 s
