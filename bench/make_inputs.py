#!/usr/bin/env python3
"""Make the benchmark inputs once, with Python `cryptography`, so that the Rust
benchmarks and the Python/OpenSSL peer measure exactly the same work.

    python3 bench/make_inputs.py target/bench/inputs.json
"""
import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
KEYS = os.path.join(ROOT, "tests", "vectors", "keys")
V2_KEY = "192006250b4c09247ec02edce69f6a2d"


def read(name):
    with open(os.path.join(KEYS, name), "rb") as fh:
        return fh.read()


def v2_sign(fields, sign_type):
    msg = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "sign" and v != "") + "&key=" + V2_KEY
    if sign_type == "MD5":
        return hashlib.md5(msg.encode()).hexdigest().upper()
    return hmac.new(V2_KEY.encode(), msg.encode(), hashlib.sha256).hexdigest().upper()


def build():
    """The inputs, as a JSON-ready dict."""
    merchant = serialization.load_pem_private_key(read("merchant_pkcs8.pem"), None)
    platform = serialization.load_pem_private_key(read("platform_pkcs8.pem"), None)
    merchant_pub = merchant.public_key()
    rawdata = base64.b64encode(os.urandom(1530)).decode()[:2040]
    request_fields = {
        "store_id": "IMG001", "store_name": "测试医院门诊楼", "device_id": "KIOSK-01", "rawdata": rawdata,
        "appid": "wx97debaxyzabcca2", "mch_id": "1281087510", "now": "1700000000", "version": "1",
        "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "sign_type": "HMAC-SHA256",
    }
    answer = {"return_code": "SUCCESS", "return_msg": "请求成功", "nonce_str": "Tivppi4UXAbgLxk8e1Sij76YdowOFFii",
              "appid": "wx97debaxyzabcca2", "mch_id": "1281087510", "authinfo": base64.b64encode(os.urandom(300)).decode(),
              "expires_in": "7200"}
    answer["sign"] = v2_sign(answer, "HMAC-SHA256")
    answer_xml = "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in answer.items()) + "</xml>"

    name, cred = "测试患者", "11010519491231002X"
    enc = {}
    for label, pad in (("pkcs1v15", padding.PKCS1v15()),
                       ("oaep-sha1", padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))):
        enc[label] = {
            "name": base64.b64encode(merchant_pub.encrypt(name.encode(), pad)).decode(),
            "credential_id": base64.b64encode(merchant_pub.encrypt(cred.encode(), pad)).decode(),
        }
    body = json.dumps({
        "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "real_name_info": {"encrypted_real_name": enc["pkcs1v15"]["name"], "credential_type": 1,
                           "encrypted_credential_id": enc["pkcs1v15"]["credential_id"]},
    }, separators=(",", ":"))
    ts, nonce = "1700000000", "593BEC0C930BF1AFEB40B4A08C8FB242"
    sig = platform.sign(f"{ts}\n{nonce}\n{body}\n".encode(), padding.PKCS1v15(), hashes.SHA256())
    with open(os.path.join(KEYS, "platform_cert.pem")) as fh:
        cert = fh.read()
    from cryptography import x509
    serial = format(x509.load_pem_x509_certificate(cert.encode()).serial_number, "X")
    # The two kinds of bad PKCS#1 v1.5 ciphertext a Bleichenbacher attacker
    # tells apart when the decryptor lets them: a conforming block with junk
    # inside, and a non-conforming block (textbook RSA of a type-01 block).
    n, e = merchant_pub.public_numbers().n, merchant_pub.public_numbers().e
    k = (n.bit_length() + 7) // 8
    junk = base64.b64encode(merchant_pub.encrypt(b"\xff\xfe\xfd" * 5, padding.PKCS1v15())).decode()
    block = b"\x00\x01" + bytes(b % 255 + 1 for b in os.urandom(k - 3 - 16)) + b"\x00" + b"x" * 16
    non_conforming = base64.b64encode(pow(int.from_bytes(block, "big"), e, n).to_bytes(k, "big")).decode()
    inputs = {
        "oracle": {"conforming_junk": junk, "non_conforming": non_conforming},
        "v2_key": V2_KEY,
        "v2_request_fields": request_fields,
        "v2_answer_xml": answer_xml,
        "v3_request": {"method": "GET", "path": "/v3/facemch/users/sid-0123456789abcdef?info_type=ASK_REAL_NAME&appid=wx97debaxyzabcca2",
                       "timestamp": "1700000000", "nonce": "C4B0A2D4D2B14F3B8C2E8E8E7C8B0A11", "mchid": "1281087510", "serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"},
        "merchant_key_pem": read("merchant_pkcs8.pem").decode(),
        "platform_cert_pem": cert,
        "platform_serial": serial,
        "answer": {"status": 200, "body": body, "headers": {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce,
                   "Wechatpay-Signature": base64.b64encode(sig).decode(), "Wechatpay-Serial": serial}},
        "ciphertexts": enc,
        "now": 1700000100,
        "expected": {"name": name, "credential_id": cred},
    }
    return inputs


def main(out):
    inputs = build()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(inputs, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "bench", "inputs.json"))
