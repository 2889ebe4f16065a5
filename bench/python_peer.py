#!/usr/bin/env python3
"""The same operations as `cargo bench -p wxface-core --bench core`, written
with Python's standard library and `cryptography` (OpenSSL), on the same
inputs. Prints one JSON object: operation -> seconds per operation (the best of
several timed runs, as criterion's estimate is a robust centre).

    python3 bench/python_peer.py target/bench/inputs.json
"""
import base64
import hashlib
import hmac
import json
import sys
import timeit
import xml.etree.ElementTree as ET

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643_ok(s):
    if len(s) != 18 or not s[:17].isdigit():
        return False
    return "10X98765432"[sum(int(d) * w for d, w in zip(s[:17], W)) % 11] == s[17].upper()


def peer_ops(inp):
    """The operations, as argument-less callables over the inputs `inp`."""
    key = inp["v2_key"]
    fields = inp["v2_request_fields"]
    merchant = serialization.load_pem_private_key(inp["merchant_key_pem"].encode(), None)
    platform_pub = x509.load_pem_x509_certificate(inp["platform_cert_pem"].encode()).public_key()
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    ans = inp["answer"]
    body = ans["body"].encode()
    hdr = ans["headers"]
    req = inp["v3_request"]

    def v2_sign_md5():
        msg = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if v != "" and k != "sign") + "&key=" + key
        return hashlib.md5(msg.encode()).hexdigest().upper()

    def v2_sign_hmac():
        msg = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if v != "" and k != "sign") + "&key=" + key
        return hmac.new(key.encode(), msg.encode(), hashlib.sha256).hexdigest().upper()

    def v2_parse_verify():
        root = ET.fromstring(inp["v2_answer_xml"])
        f = {c.tag: (c.text or "") for c in root}
        msg = "&".join(f"{k}={v}" for k, v in sorted(f.items()) if v != "" and k != "sign") + "&key=" + key
        want = hmac.new(key.encode(), msg.encode(), hashlib.sha256).hexdigest().upper()
        assert hmac.compare_digest(want, f["sign"].upper())
        return f["authinfo"], int(f["expires_in"])

    def v3_sign():
        msg = f"{req['method']}\n{req['path']}\n{req['timestamp']}\n{req['nonce']}\n\n".encode()
        sig = base64.b64encode(merchant.sign(msg, padding.PKCS1v15(), hashes.SHA256())).decode()
        return (f'WECHATPAY2-SHA256-RSA2048 mchid="{req["mchid"]}",nonce_str="{req["nonce"]}",signature="{sig}",'
                f'timestamp="{req["timestamp"]}",serial_no="{req["serial"]}"')

    def v3_verify():
        ts = hdr["Wechatpay-Timestamp"]
        assert abs(inp["now"] - int(ts)) < 300
        msg = ts.encode() + b"\n" + hdr["Wechatpay-Nonce"].encode() + b"\n" + body + b"\n"
        platform_pub.verify(base64.b64decode(hdr["Wechatpay-Signature"]), msg, padding.PKCS1v15(), hashes.SHA256())

    ct1 = base64.b64decode(inp["ciphertexts"]["pkcs1v15"]["name"])
    cto = base64.b64decode(inp["ciphertexts"]["oaep-sha1"]["name"])

    def decrypt_pkcs1():
        return merchant.decrypt(ct1, padding.PKCS1v15()).decode()

    def decrypt_oaep():
        return merchant.decrypt(cto, oaep).decode()

    def server_step():
        v3_verify()
        doc = json.loads(body)
        info = doc["real_name_info"]
        name = merchant.decrypt(base64.b64decode(info["encrypted_real_name"]), padding.PKCS1v15()).decode()
        cred = merchant.decrypt(base64.b64decode(info["encrypted_credential_id"]), padding.PKCS1v15()).decode()
        assert name and not any(c < " " for c in name)
        assert info["credential_type"] != 1 or gb11643_ok(cred)
        return name, cred

    assert server_step() == (inp["expected"]["name"], inp["expected"]["credential_id"])
    assert decrypt_oaep() == inp["expected"]["name"]
    return {
        "v2_sign_md5": v2_sign_md5,
        "v2_sign_hmac": v2_sign_hmac,
        "v2_parse_verify": v2_parse_verify,
        "v3_sign": v3_sign,
        "v3_verify": v3_verify,
        "decrypt_pkcs1v15": decrypt_pkcs1,
        "decrypt_oaep": decrypt_oaep,
        "server_step": server_step,
    }


def main(path):
    ops = peer_ops(json.load(open(path, encoding="utf-8")))
    out = {}
    for name, fn in ops.items():
        t = timeit.Timer(fn)
        n, _ = t.autorange()
        out[name] = min(t.repeat(repeat=5, number=n)) / n
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
