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
import base64
import json
import pathlib
import platform
import statistics
import time

from cryptography import x509
from cryptography.hazmat.backends.openssl import backend as openssl_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import wxface

KEYS = pathlib.Path(__file__).resolve().parents[1] / "tests" / "vectors" / "keys"
PLATFORM_SERIAL = "6B2C3D4E5F60718293A4B5C6D7E8F9012345678A"
NAME = "测试患者"
ID = "110105199003071239"
WINDOW = 300


def make_inputs(now: int):
    """One signed answer: headers, body, the keys both sides use."""
    merchant_pub = x509.load_pem_x509_certificate((KEYS / "merchant_cert.pem").read_bytes()).public_key()

    def enc(text: str) -> str:
        return base64.b64encode(merchant_pub.encrypt(text.encode(), padding.PKCS1v15())).decode()

    body = json.dumps(
        {
            "openid": "o-bench-0001",
            "real_name_info": {
                "encrypted_real_name": enc(NAME),
                "credential_type": 1,
                "encrypted_credential_id": enc(ID),
            },
        }
    ).encode()
    platform_key = serialization.load_pem_private_key((KEYS / "platform_pkcs8.pem").read_bytes(), None)
    nonce = "c2c3f9a8b0e14d6f9a7b3c1d2e4f5a6b"
    sig = platform_key.sign(f"{now}\n{nonce}\n".encode() + body + b"\n", padding.PKCS1v15(), hashes.SHA256())
    headers = {
        "Wechatpay-Timestamp": str(now),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": base64.b64encode(sig).decode(),
        "Wechatpay-Serial": PLATFORM_SERIAL,
        "Content-Type": "application/json",
    }
    return headers, body


# ------------------------------------------------------------ with the binding


def binding_setup():
    verifier = wxface.ResponseVerifier()
    verifier.add_platform_certificate(KEYS / "platform_cert.pem")
    decryptor = wxface.Decryptor(KEYS / "merchant_pkcs8.pem", "pkcs1v15")

    def step(headers, body, now):
        user = wxface.parse_users_response(verifier, 200, headers, body, now=now)
        who = decryptor.decrypt_real_name(user)
        return who.name, who.credential_id

    return step


# ------------------------------------------------------ with Python cryptography

_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _resident_id_ok(n: str) -> bool:
    if len(n) != 18 or not n[:17].isdigit() or not (n[17].isdigit() or n[17] in "Xx"):
        return False
    y, m, d = int(n[6:10]), int(n[10:12]), int(n[12:14])
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1800 <= y <= 2200 and 1 <= m <= 12 and 1 <= d <= days[m - 1]):
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(n[:17], _W)) % 11] == n[17].upper()


def cryptography_setup():
    cert = x509.load_pem_x509_certificate((KEYS / "platform_cert.pem").read_bytes())
    platform_keys = {format(cert.serial_number, "X"): cert.public_key()}
    merchant_key = serialization.load_pem_private_key((KEYS / "merchant_pkcs8.pem").read_bytes(), None)

    def decrypt(b64: str) -> str:
        plain = merchant_key.decrypt(base64.b64decode(b64, validate=True), padding.PKCS1v15()).decode("utf-8")
        if not plain or any(ord(c) < 32 for c in plain):
            raise ValueError("implausible plaintext")
        return plain

    def step(headers, body, now):
        h = {k.lower(): v for k, v in headers.items()}
        ts, nonce = h["wechatpay-timestamp"], h["wechatpay-nonce"]
        if abs(now - int(ts)) >= WINDOW:
            raise ValueError("stale")
        key = platform_keys[h["wechatpay-serial"].upper()]
        key.verify(
            base64.b64decode(h["wechatpay-signature"], validate=True),
            f"{ts}\n{nonce}\n".encode() + body + b"\n",
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        info = json.loads(body)["real_name_info"]
        name = decrypt(info["encrypted_real_name"])
        number = decrypt(info["encrypted_credential_id"])
        if info["credential_type"] == 1 and not _resident_id_ok(number):
            raise ValueError("bad ID")
        return name, number

    return step


def time_it(step, headers, body, now, seconds: float) -> float:
    """Mean seconds per step over about ``seconds`` of work."""
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(20):
            step(headers, body, now)
        n += 20
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="per implementation and round")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds; the median is reported")
    args = ap.parse_args()

    now = int(time.time())
    headers, body = make_inputs(now)
    impls = {"wxface binding": binding_setup(), "python cryptography": cryptography_setup()}
    for name, step in impls.items():
        assert step(headers, body, now) == (NAME, ID), name
    results = {name: [] for name in impls}
    for _ in range(args.rounds):
        for name, step in impls.items():
            results[name].append(time_it(step, headers, body, now, args.seconds))
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
