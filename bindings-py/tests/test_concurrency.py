"""Concurrency: many threads sharing one client, and asyncio awaits that
never block the event loop."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import wxface

N_THREADS = 16
LATENCY = 0.2


def _consented(sb, client, n, prefix):
    """``n`` consented face_sids, each from its own kiosk, with the person it is for."""
    people = sb.identities
    out = []
    for i in range(n):
        person = people[i % len(people)]
        kiosk = sb.kiosk(
            person=person.key, device_id=f"{prefix}-{i:02d}", provider_mode=client.config.is_provider_mode
        )
        out.append((kiosk.consented_face_sid(client), person))
    return out


def test_sixteen_threads_fetch_real_names_in_parallel(wxface_sandbox, wxface_client):
    sb, client = wxface_sandbox, wxface_client
    work = _consented(sb, client, N_THREADS, "T")
    sb.faults.inject("users", "latency", count=N_THREADS, latency=LATENCY)
    ticks = []
    stop = threading.Event()

    def python_ticker():
        # Runs Python bytecode: it only advances while the fetches release the GIL.
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    ticker = threading.Thread(target=python_ticker)
    ticker.start()
    barrier = threading.Barrier(N_THREADS)

    def fetch(item):
        face_sid, person = item
        barrier.wait()
        return client.fetch_real_name(face_sid), person

    started = time.perf_counter()
    with ThreadPoolExecutor(N_THREADS) as pool:
        results = list(pool.map(fetch, work))
    elapsed = time.perf_counter() - started
    stop.set()
    ticker.join()
    for who, person in results:
        assert who == person.real_name
    # Sequentially this would take N * LATENCY = 3.2 s.
    assert elapsed < N_THREADS * LATENCY / 2, elapsed
    assert len(ticks) > 10


def test_threads_share_one_authinfo_per_device(wxface_sandbox, wxface_client):
    kiosk = wxface_sandbox.kiosk(device_id="SHARED-01")
    rawdata = kiosk.rawdata()
    with ThreadPoolExecutor(8) as pool:
        grants = list(pool.map(lambda _: wxface_client.get_authinfo(rawdata, device_id="SHARED-01"), range(8)))
    assert len({g.authinfo for g in grants}) == 1
    assert sum(not g.from_cache for g in grants) == 1
    s = wxface_client.stats()
    assert s["cache_hits"] + s["coalesced"] == 7


def test_decryptor_and_verifier_from_threads(wxface_sandbox, wxface_client):
    work = _consented(wxface_sandbox, wxface_client, 4, "D")
    users = [(wxface_client.query_user(sid), p) for sid, p in work]
    d = wxface.Decryptor(wxface_sandbox.credentials.merchant_key_pem)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda up: (d.decrypt_real_name(up[0]), up[1]), users * 8))
    for who, person in got:
        assert who == person.real_name


def test_receiver_from_threads(wxface_sandbox):
    sb = wxface_sandbox
    provider = sb.client(provider_mode=True)
    work = _consented(sb, provider, 4, "R")
    forwarded = [(provider.query_user_signed(sid).to_json(), p) for sid, p in work]
    c = sb.credentials
    hospital = wxface.RealNameReceiver(
        c.sub_merchant_key_pem,
        platform_public_key_pem=c.platform_public_key_pem,
        pub_key_id=c.platform_public_key_id,
        padding=c.padding,
    )
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda fp: (hospital.receive(fp[0]), fp[1]), forwarded * 8))
    for who, person in got:
        assert who == person.real_name


def test_asyncio_gather_keeps_the_loop_running(wxface_sandbox):
    sb = wxface_sandbox
    n = 24
    blocking = sb.client()
    work = _consented(sb, blocking, n, "A")

    async def main():
        client = wxface.AsyncMerchantClient.from_client(blocking, max_workers=n)
        async with client:
            ticks = []
            done = asyncio.Event()

            async def heartbeat():
                while not done.is_set():
                    ticks.append(time.perf_counter())
                    await asyncio.sleep(0.01)

            hb = asyncio.create_task(heartbeat())
            sb.faults.inject("users", "latency", count=n, latency=LATENCY)
            started = time.perf_counter()
            results = await asyncio.gather(*(client.fetch_real_name(sid) for sid, _ in work))
            elapsed = time.perf_counter() - started
            done.set()
            await hb
            return results, ticks, elapsed

    results, ticks, elapsed = asyncio.run(main())
    for who, (_, person) in zip(results, work):
        assert who == person.real_name
    assert elapsed < n * LATENCY / 3, elapsed
    # The heartbeat kept ticking while the calls were in flight.
    assert len(ticks) >= int(elapsed / 0.01 * 0.5), (len(ticks), elapsed)
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(gaps) < 0.1, max(gaps)


def test_async_client_full_flow_and_errors(wxface_sandbox):
    sb = wxface_sandbox

    async def main():
        async with wxface.AsyncMerchantClient(sb.client_config()) as client:
            assert "AsyncMerchantClient(MerchantClient(" in repr(client)
            assert client.config.appid == sb.credentials.appid
            assert client.platform_key_ids
            kiosk = sb.kiosk(device_id="ASYNC-01")
            rawdata = await asyncio.get_running_loop().run_in_executor(None, kiosk.rawdata)
            grant = await client.get_authinfo(rawdata, device_id="ASYNC-01")
            again = await client.get_authinfo(rawdata, device_id="ASYNC-01")
            assert again.from_cache
            # The kiosk flow gets the cached authinfo from the same client.
            out = await asyncio.get_running_loop().run_in_executor(None, kiosk.verify, client.blocking)
            assert out.kind == "verified"
            rec = out.who
            user = await client.query_user(rec.face_sid)
            who = await client.fetch_real_name(rec.face_sid)
            assert user.openid == sb.identities[0].openid
            assert who == sb.identities[0].real_name
            assert client.invalidate_authinfo("ASYNC-01") is True
            assert client.stats()["calls"] >= 4
            assert client.blocking is not None
            sb.faults.inject("users", "bad_signature")
            try:
                await client.query_user(rec.face_sid)
            except wxface.SignatureError as e:
                return e.code
            return None

    assert asyncio.run(main()) == "signature_mismatch"
