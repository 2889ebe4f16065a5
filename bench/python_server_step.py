#!/usr/bin/env python3
"""The merchant server's step, timed through the wxface Python binding and
written directly with Python ``cryptography``, on the same inputs in the same
run.

The step: a signed answer of ``GET /v3/facemch/users/{face_sid}`` arrives;
verify its platform signature (``Wechatpay-*`` headers, timestamp window),
parse the JSON, decrypt the name and the ID number (RSA-2048, PKCS#1 v1.5)
and validate them (UTF-8, GB 11643 check digit).

    target/venv/bin/python bench/python_server_step.py [--seconds 3] [--rounds 5]

Needs ``wxface`` installed (``bash bindings-py/test.sh`` builds and installs
the release wheel into target/venv) and ``cryptography``. Prints one line per
implementation and the ratio; not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

from cryptography.hazmat.backends.openssl import backend as openssl_backend

import wxface

# The inputs and the hand-written `cryptography` step are those of the core
# benchmark (bench/make_inputs.py, bench/python_peer.py), so the figures compare.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_inputs import build  # noqa: E402
from python_peer import peer_ops  # noqa: E402


def binding_setup(inp):
    """The same step through the binding: verify, parse, decrypt, validate."""
    verifier = wxface.ResponseVerifier()
    verifier.add_platform_certificate(inp["platform_cert_pem"])
    decryptor = wxface.Decryptor(inp["merchant_key_pem"], "pkcs1v15")
    answer = inp["answer"]
    headers, body, now = answer["headers"], answer["body"].encode(), inp["now"]

    def step():
        user = wxface.parse_users_response(verifier, 200, headers, body, now=now)
        who = decryptor.decrypt_real_name(user)
        return who.expose_name(), who.expose_credential_id()

    return step


def time_it(step, seconds: float) -> float:
    """Mean seconds per step over about ``seconds`` of work."""
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(20):
            step()
        n += 20
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="per implementation and round")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds; the median is reported")
    args = ap.parse_args()

    inp = build()
    impls = {"wxface binding": binding_setup(inp), "python cryptography": peer_ops(inp)["server_step"]}
    expected = (inp["expected"]["name"], inp["expected"]["credential_id"])
    for name, step in impls.items():
        assert step() == expected, name
    results = {name: [] for name in impls}
    for _ in range(args.rounds):
        for name, step in impls.items():
            results[name].append(time_it(step, args.seconds))
    med = {name: statistics.median(v) for name, v in results.items()}
    for name, t in med.items():
        print(f"{name:22s} {t * 1e6:9.1f} µs/step  ({1 / t:7.0f} steps/s, median of {args.rounds} rounds)")
    ratio = med["python cryptography"] / med["wxface binding"]
    print(f"ratio (cryptography time / binding time): {ratio:.2f}x")
    print(
        f"python {platform.python_version()}, wxface {wxface.__version__}, cryptography "
        f"{__import__('cryptography').__version__} on {openssl_backend.openssl_version_text()}"
    )


if __name__ == "__main__":
    main()
