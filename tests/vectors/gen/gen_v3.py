#!/usr/bin/env python3
"""Generate the APIv3 vectors (request signing, answer verification,
real-name decryption, the facemch/users query) with Python's `cryptography`
package and the standard library: an implementation that shares no code with
wxface. When the `openssl` command is available, a few facts (certificate
serials, public keys) are cross-checked with it too. Run from anywhere:

    python3 tests/vectors/gen/gen_v3.py

Keys and certificates in tests/vectors/keys/ are created on the first run and
reused afterwards (delete them to start over). The JSON files in
tests/vectors/v3/ are rewritten on every run; PKCS#1 v1.5 signatures are
deterministic, RSA encryption is not, so ciphertexts change between runs. The
Rust tests only read these files.

Every key here is a test fixture generated for this purpose: never use it for
anything else.
"""
import base64
import datetime
import json
import os
import shutil
import subprocess
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
KEYS = os.path.join(ROOT, "keys")
OUT = os.path.join(ROOT, "v3")

MCHID = "1900000001"
SUB_MCHID = "1900000109"
MERCHANT_SERIAL = 0x5A1B2C3D4E5F60718293A4B5C6D7E8F901234567
PLATFORM_SERIAL = 0x6B2C3D4E5F60718293A4B5C6D7E8F9012345678A
OLD_PLATFORM_SERIAL = 0x7C3D4E5F60718293A4B5C6D7E8F9012345678AB1
SUB_MERCHANT_SERIAL = 0x4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F70
PUB_KEY_ID = "PUB_KEY_ID_0119000000012026010100000000000001"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
WINDOW = 300


# --- keys and certificates ---------------------------------------------------

def path(name):
    return os.path.join(KEYS, name)


def load_or_make_key(stem):
    p = path(f"{stem}_pkcs8.pem")
    if os.path.exists(p):
        with open(p, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write(f"{stem}_pkcs8.pem", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    write(f"{stem}_pkcs1.pem", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    write(f"{stem}_pub.pem", key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    write(f"{stem}_pub_pkcs1.pem", key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1))
    return key


def write(name, data):
    os.makedirs(KEYS, exist_ok=True)
    with open(path(name), "wb") as fh:
        fh.write(data)


def load_or_make_cert(name, key, serial, cn, not_before, not_after):
    p = path(name)
    if os.path.exists(p):
        with open(p, "rb") as fh:
            cert = x509.load_pem_x509_certificate(fh.read())
        if cert.serial_number == serial and cert.public_key().public_numbers() == key.public_key().public_numbers():
            return cert
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wxface test fixtures"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    write(name, cert.public_bytes(serialization.Encoding.PEM))
    return cert


def serial_hex(n):
    return n.to_bytes((n.bit_length() + 7) // 8 or 1, "big").hex().upper()


def openssl_check(cert_file, expected_serial, key_file):
    """Cross-check serial and public key with the openssl CLI, when present."""
    if shutil.which("openssl") is None:
        return
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", path(cert_file)], check=True, capture_output=True, text=True).stdout.strip()
    assert out == f"serial={expected_serial}", (out, expected_serial)
    a = subprocess.run(["openssl", "x509", "-noout", "-pubkey", "-in", path(cert_file)], check=True, capture_output=True, text=True).stdout
    b = subprocess.run(["openssl", "pkey", "-pubout", "-in", path(key_file)], check=True, capture_output=True, text=True).stdout
    assert a.strip() == b.strip(), cert_file


# --- primitives (independent of wxface) --------------------------------------

def b64(b):
    return base64.b64encode(b).decode()


def sign(key, msg):
    return key.sign(msg, padding.PKCS1v15(), hashes.SHA256())


def request_message(method, path_and_query, ts, nonce, body):
    return f"{method}\n{path_and_query}\n{ts}\n{nonce}\n".encode() + body.encode() + b"\n"


def response_message(ts, nonce, body):
    return f"{ts}\n{nonce}\n".encode() + body + b"\n"


def authorization(mchid, nonce, sig, ts, serial):
    return f'WECHATPAY2-SHA256-RSA2048 mchid="{mchid}",nonce_str="{nonce}",signature="{sig}",timestamp="{ts}",serial_no="{serial}"'


def enc_pkcs1(pub, data):
    return b64(pub.encrypt(data, padding.PKCS1v15()))


def enc_oaep(pub, data):
    return b64(pub.encrypt(data, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)))


def gb11643(first17):
    """Resident ID check character (GB 11643-1999), computed from the standard's definition."""
    weights = [pow(2, 17 - i, 11) for i in range(17)]  # 2^(i-1) mod 11, position 18..2
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return "10X98765432"[total % 11]


def resident_id(region, birth, seq):
    first = f"{region}{birth}{seq:03d}"
    return first + gb11643(first)


# --- files -------------------------------------------------------------------

def dump(name, source, groups):
    os.makedirs(OUT, exist_ok=True)
    n = 1
    for g in groups:
        for t in g["tests"]:
            t["tcId"] = n
            n += 1
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as fh:
        json.dump({"source": source, "numberOfTests": n - 1, "testGroups": groups}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


def case(comment, inputs, result, code=None, expected=None, flags=()):
    return {"tcId": 0, "comment": comment, "flags": list(flags), "inputs": inputs, "result": result, "code": code, "expected": expected}


def main():
    merchant = load_or_make_key("merchant")
    sub_merchant = load_or_make_key("sub_merchant")
    platform = load_or_make_key("platform")
    platform_pub = load_or_make_key("platform_pubkey")
    utc = datetime.timezone.utc
    valid_from = datetime.datetime(2025, 1, 1, tzinfo=utc)
    valid_to = datetime.datetime(2035, 1, 1, tzinfo=utc)
    load_or_make_cert("merchant_cert.pem", merchant, MERCHANT_SERIAL, f"{MCHID} merchant API certificate", valid_from, valid_to)
    load_or_make_cert("sub_merchant_cert.pem", sub_merchant, SUB_MERCHANT_SERIAL, f"{SUB_MCHID} sub-merchant API certificate", valid_from, valid_to)
    pcert = load_or_make_cert("platform_cert.pem", platform, PLATFORM_SERIAL, "platform certificate", valid_from, valid_to)
    load_or_make_cert("platform_cert_expired.pem", platform, OLD_PLATFORM_SERIAL, "expired platform certificate",
                      datetime.datetime(2015, 1, 1, tzinfo=utc), datetime.datetime(2020, 1, 1, tzinfo=utc))
    mserial, pserial, oldserial = serial_hex(MERCHANT_SERIAL), serial_hex(PLATFORM_SERIAL), serial_hex(OLD_PLATFORM_SERIAL)
    openssl_check("merchant_cert.pem", mserial, "merchant_pkcs8.pem")
    openssl_check("platform_cert.pem", pserial, "platform_pkcs8.pem")
    openssl_check("platform_cert_expired.pem", oldserial, "platform_pkcs8.pem")
    assert int(pcert.not_valid_after_utc.timestamp()) == int(valid_to.timestamp())

    request_sign(merchant, sub_merchant, mserial)
    response_verify(platform, platform_pub, pserial, oldserial)
    decrypt(merchant, sub_merchant)
    users_query()


# --- request_sign.json ---------------------------------------------------------

def request_sign(merchant, sub_merchant, mserial):
    sign_tests = []
    reqs = [
        ("GET with query, empty body", "GET", "/v3/facemch/users/FACE_SID_0001?info_type=ASK_REAL_NAME&appid=wx0000000000000001", "", 1767225600, "593BEC0C930BF1AFEB40B4A08C8FB242"),
        ("GET of the provider-mode query", "GET", "/v3/facemch/users/FACE%2FSID%2B1?info_type=ASK_REAL_NAME&appid=wx0000000000000001&sub_mchid=1900000109&sub_serial_no=4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F70", "", 1767225601, "n0nce"),
        ("GET without query", "GET", "/v3/certificates", "", 1554208460, "C2F8F5EF2E0B4A5B9C1D3E5F7A9B1C3D"),
        ("POST with a JSON body in UTF-8", "POST", "/v3/marketing/favor/users/o-x/coupons", '{"stock_id":"9856000","备注":"测试"}', 1767225602, "N2"),
        ("POST with a body that ends in a newline", "POST", "/v3/x", "{}\n", 1767225603, "N3"),
        ("PUT with an empty body", "PUT", "/v3/y?z=1", "", 1767225604, "N4"),
    ]
    for comment, method, pq, body, ts, nonce in reqs:
        msg = request_message(method, pq, ts, nonce, body)
        sig = b64(sign(merchant, msg))
        sign_tests.append(case(comment, {"mchid": MCHID, "serial_no": mserial, "method": method, "path_and_query": pq, "body": body, "timestamp": ts, "nonce_str": nonce},
                               "valid", expected={"message": msg.decode(), "signature": sig, "authorization": authorization(MCHID, nonce, sig, ts, mserial)}))
    base = {"mchid": MCHID, "serial_no": mserial, "method": "GET", "path_and_query": "/v3/x", "body": "", "timestamp": NOW, "nonce_str": "N"}
    for comment, change in [
        ("mchid with a quote", {"mchid": '190"0'}),
        ("empty mchid", {"mchid": ""}),
        ("serial_no with a comma", {"serial_no": "AB,CD"}),
        ("nonce with a space", {"nonce_str": "a b"}),
        ("empty nonce", {"nonce_str": ""}),
        ("lowercase method", {"method": "get"}),
        ("path without leading slash", {"path_and_query": "v3/x"}),
        ("path with a raw space", {"path_and_query": "/v3/a b"}),
    ]:
        sign_tests.append(case(f"refused input: {comment}", dict(base, **change), "invalid", "invalid_input"))

    # Server side: verify Authorization headers.
    verify_tests = []
    pq = "/v3/facemch/users/FACE_SID_0001?info_type=ASK_REAL_NAME&appid=wx0000000000000001"
    ts, nonce = NOW - 10, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
    good_sig = b64(sign(merchant, request_message("GET", pq, ts, nonce, "")))
    good = authorization(MCHID, nonce, good_sig, ts, mserial)
    req = {"method": "GET", "path_and_query": pq, "body": "", "now": NOW}

    def v(comment, header, result, code=None, **over):
        verify_tests.append(case(comment, dict(req, authorization=header, **over), result, code,
                                 expected={"mchid": MCHID, "serial_no": mserial, "timestamp": ts, "nonce_str": nonce} if result == "valid" else None))

    v("valid header", good, "valid")
    items = [f'mchid="{MCHID}"', f'nonce_str="{nonce}"', f'signature="{good_sig}"', f'timestamp="{ts}"', f'serial_no="{mserial}"']
    v("items in reverse order", "WECHATPAY2-SHA256-RSA2048 " + ",".join(reversed(items)), "valid")
    v("serial_no in lowercase", good.replace(mserial, mserial.lower()), "valid")
    v("timestamp 299 s old", good, "valid", now=ts + 299)
    v("timestamp 299 s ahead", good, "valid", now=ts - 299)
    post_body = '{"a":"中文"}'
    post_sig = b64(sign(merchant, request_message("POST", "/v3/p", ts, nonce, post_body)))
    verify_tests.append(case("valid POST with body", {"method": "POST", "path_and_query": "/v3/p", "body": post_body, "now": NOW,
                                                        "authorization": authorization(MCHID, nonce, post_sig, ts, mserial)}, "valid",
                             expected={"mchid": MCHID, "serial_no": mserial, "timestamp": ts, "nonce_str": nonce}))
    v("method tampered", good, "invalid", "signature_mismatch", method="POST")
    v("path tampered", good, "invalid", "signature_mismatch", path_and_query=pq.replace("0001", "0002"))
    v("query order changed", good, "invalid", "signature_mismatch", path_and_query="/v3/facemch/users/FACE_SID_0001?appid=wx0000000000000001&info_type=ASK_REAL_NAME")
    v("body added", good, "invalid", "signature_mismatch", body="{}")
    v("timestamp item tampered", good.replace(f'timestamp="{ts}"', f'timestamp="{ts + 1}"'), "invalid", "signature_mismatch")
    v("nonce item tampered", good.replace(nonce, nonce[:-1] + "X"), "invalid", "signature_mismatch")
    flipped = bytearray(base64.b64decode(good_sig))
    flipped[100] ^= 0x01
    v("signature bit flipped", good.replace(good_sig, b64(bytes(flipped))), "invalid", "signature_mismatch")
    other = b64(sign(sub_merchant, request_message("GET", pq, ts, nonce, "")))
    v("signed with another merchant's key", good.replace(good_sig, other), "invalid", "signature_mismatch")
    v("signature truncated (valid base64, 253 bytes)", good.replace(good_sig, good_sig[:-4]), "invalid", "signature_malformed")
    v("signature garbled (not base64)", good.replace(good_sig, "*" + good_sig[1:]), "invalid", "signature_malformed")
    v("signature without base64 padding", good.replace(good_sig, good_sig.rstrip("=")), "invalid", "signature_malformed")
    v("no Authorization header", None, "invalid", "signature_missing")
    v("empty Authorization header", "", "invalid", "signature_missing")
    v("other scheme", good.replace("WECHATPAY2-SHA256-RSA2048", "WECHATPAY2-SHA256-RSA4096"), "invalid", "signature_malformed")
    v("scheme in lowercase", good.replace("WECHATPAY2-SHA256-RSA2048", "wechatpay2-sha256-rsa2048"), "invalid", "signature_malformed")
    v("space after a comma", good.replace('",', '", '), "invalid", "signature_malformed")
    v("serial_no item missing", good.replace(f',serial_no="{mserial}"', ""), "invalid", "signature_malformed")
    v("mchid item repeated", good + f',mchid="{MCHID}"', "invalid", "signature_malformed")
    v("unknown extra item", good + ',schema="x"', "invalid", "signature_malformed")
    v("unquoted value", good.replace(f'mchid="{MCHID}"', f"mchid={MCHID}"), "invalid", "signature_malformed")
    v("timestamp not a number", good.replace(f'timestamp="{ts}"', 'timestamp="17e8"'), "invalid", "signature_malformed")
    v("unknown merchant", good.replace(f'mchid="{MCHID}"', 'mchid="1900000002"'), "invalid", "signature_unknown_serial")
    v("unknown certificate serial", good.replace(mserial, "0" + mserial[1:]), "invalid", "signature_unknown_serial")
    v("timestamp 300 s old", good, "invalid", "signature_stale_timestamp", now=ts + 300)
    v("timestamp 300 s in the future", good, "invalid", "signature_stale_timestamp", now=ts - 300)
    v("timestamp a day old", good, "invalid", "signature_stale_timestamp", now=ts + 86400)

    groups = [
        {"type": "authorization_sign", "privateKeyPem": "keys/merchant_pkcs8.pem", "tests": sign_tests},
        {"type": "authorization_sign", "privateKeyPem": "keys/merchant_pkcs1.pem", "tests": json.loads(json.dumps(sign_tests))},
        {"type": "authorization_verify", "merchants": [{"mchid": MCHID, "serial_no": mserial, "publicKeyPem": "keys/merchant_cert.pem"}], "windowSecs": WINDOW, "tests": verify_tests},
        {"type": "authorization_verify", "merchants": [{"mchid": MCHID, "serial_no": mserial, "publicKeyPem": "keys/merchant_pub_pkcs1.pem"}], "windowSecs": WINDOW,
         "tests": json.loads(json.dumps(verify_tests[:3]))},
    ]
    dump("request_sign.json", "Signatures computed by tests/vectors/gen/gen_v3.py with Python `cryptography` (PKCS#1 v1.5, SHA-256) over messages it lays out itself; no wxface code. "
         "The second sign group repeats the first with the PKCS#1 PEM of the same key; the second verify group loads the key from a PKCS#1 public PEM instead of the certificate.", groups)


# --- response_verify.json -------------------------------------------------------

def response_verify(platform, platform_pub, pserial, oldserial):
    tests = []
    body = json.dumps({"openid": "o-test-openid-0001", "real_name_info": {"encrypted_real_name": "QUJD", "credential_type": 1, "encrypted_credential_id": "REVG"}}, ensure_ascii=False).encode()
    ts, nonce = NOW - 5, "d3bb8f2b1c6a4e0fa6a4b2f0c9e1d7a5"

    def headers(key, serial, t=ts, n=nonce, b=body, names=("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial")):
        sig = b64(sign(key, response_message(t, n, b)))
        return [[names[0], str(t)], [names[1], n], [names[2], sig], [names[3], serial]]

    def add(comment, hdrs, result, code=None, b=body, now=NOW, status=200):
        tests.append(case(comment, {"status": status, "headers": hdrs, "body": b.decode("utf-8", "surrogateescape") if isinstance(b, bytes) else b, "now": now}, result, code))

    def with_header(hdrs, name, value):
        return [[k, value if k == name else v] for k, v in hdrs]

    def without(hdrs, name):
        return [[k, v] for k, v in hdrs if k != name]

    good = headers(platform, pserial)
    sig = good[2][1]
    add("valid, platform certificate", good, "valid")
    add("valid, platform public key (PUB_KEY_ID)", headers(platform_pub, PUB_KEY_ID), "valid")
    add("valid, header names in lowercase", headers(platform, pserial, names=("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")), "valid")
    add("valid, header names in uppercase", headers(platform, pserial, names=("WECHATPAY-TIMESTAMP", "WECHATPAY-NONCE", "WECHATPAY-SIGNATURE", "WECHATPAY-SERIAL")), "valid")
    add("valid, serial in lowercase", with_header(good, "Wechatpay-Serial", pserial.lower()), "valid")
    add("valid, empty body (message ends in two newlines)", headers(platform, pserial, b=b""), "valid", b=b"")
    add("valid, HTTP 204 with empty body", headers(platform, pserial, b=b""), "valid", b=b"", status=204)
    add("valid, Wechatpay-Signature-Type present", good + [["Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"]], "valid")
    add("valid, 299 s old", good, "valid", now=ts + 299)
    add("valid, 299 s ahead", good, "valid", now=ts - 299)
    add("timestamp tampered", with_header(good, "Wechatpay-Timestamp", str(ts + 1)), "invalid", "signature_mismatch")
    add("nonce tampered", with_header(good, "Wechatpay-Nonce", nonce.upper()), "invalid", "signature_mismatch")
    add("body tampered", good, "invalid", "signature_mismatch", b=body.replace(b"0001", b"0002"))
    add("body with a trailing newline added", good, "invalid", "signature_mismatch", b=body + b"\n")
    add("body re-serialised with spaces", good, "invalid", "signature_mismatch", b=json.dumps(json.loads(body), ensure_ascii=False, indent=1).encode())
    flipped = bytearray(base64.b64decode(sig))
    flipped[0] ^= 0x80
    add("signature bit flipped", with_header(good, "Wechatpay-Signature", b64(bytes(flipped))), "invalid", "signature_mismatch")
    add("signed with the public-key-mode key but naming the certificate", with_header(headers(platform_pub, PUB_KEY_ID), "Wechatpay-Serial", pserial), "invalid", "signature_mismatch")
    add("signed with the certificate key but naming the PUB_KEY_ID", with_header(good, "Wechatpay-Serial", PUB_KEY_ID), "invalid", "signature_mismatch")
    for h in ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"):
        add(f"{h} missing", without(good, h), "invalid", "signature_missing")
    add("no signature headers at all on a 2xx", [], "invalid", "signature_missing")
    add("Wechatpay-Nonce empty", with_header(good, "Wechatpay-Nonce", ""), "invalid", "signature_missing")
    add("300 s old", good, "invalid", "signature_stale_timestamp", now=ts + 300)
    add("300 s in the future", good, "invalid", "signature_stale_timestamp", now=ts - 300)
    add("signed at the epoch", headers(platform, pserial, t=0), "invalid", "signature_stale_timestamp")
    add("unknown certificate serial", with_header(good, "Wechatpay-Serial", "1" + pserial[1:]), "invalid", "signature_unknown_serial")
    add("unknown PUB_KEY_ID", headers(platform_pub, PUB_KEY_ID[:-1] + "2"), "invalid", "signature_unknown_serial")
    add("PUB_KEY_ID in lowercase is another id", headers(platform_pub, PUB_KEY_ID.lower()), "invalid", "signature_unknown_serial")
    add("expired platform certificate", headers(platform, oldserial), "invalid", "signature_unknown_serial")
    add("signature truncated (valid base64, 253 bytes)", with_header(good, "Wechatpay-Signature", sig[:-4]), "invalid", "signature_malformed")
    add("signature garbled (not base64)", with_header(good, "Wechatpay-Signature", sig[:10] + "$" + sig[11:]), "invalid", "signature_malformed")
    add("signature without base64 padding", with_header(good, "Wechatpay-Signature", sig.rstrip("=")), "invalid", "signature_malformed")
    add("signature in URL-safe base64", with_header(good, "Wechatpay-Signature", sig.replace("+", "-").replace("/", "_") if ("+" in sig or "/" in sig) else "-" + sig[1:]), "invalid", "signature_malformed")
    add("timestamp not a number", with_header(good, "Wechatpay-Timestamp", "17672256OO"), "invalid", "signature_malformed")
    add("negative timestamp", with_header(good, "Wechatpay-Timestamp", "-" + str(ts)), "invalid", "signature_malformed")
    add("Wechatpay-Signature-Type of another scheme", good + [["Wechatpay-Signature-Type", "WECHATPAY2-SM2-WITH-SM3"]], "invalid", "signature_malformed")

    # handle_users_response: status first, then signature, then body.
    users = []

    def u(comment, status, hdrs, b, result, code=None, expected=None):
        users.append(case(comment, {"status": status, "headers": hdrs, "body": b.decode(), "now": NOW}, result, code, expected))

    enc_expected = {"openid": "o-test-openid-0001", "sub_openid": None, "union_id": None,
                    "real_name": {"encrypted_real_name": "QUJD", "credential_type": 1, "encrypted_credential_id": "REVG"}}
    u("signed 200 with real-name info", 200, good, body, "valid", expected=enc_expected)
    u("200 signed in public-key mode", 200, headers(platform_pub, PUB_KEY_ID), body, "valid", expected=enc_expected)
    u("unsigned 200 is forged", 200, [], body, "invalid", "signature_missing")
    u("200 with a bad signature", 200, with_header(good, "Wechatpay-Nonce", "x"), body, "invalid", "signature_mismatch")
    notjson = b"<html>ok</html>"
    u("signed 200 that is not JSON", 200, headers(platform, pserial, b=notjson), notjson, "invalid", "malformed")
    err = json.dumps({"code": "PARAM_ERROR", "message": "face_sid 已过期", "detail": {"field": "face_sid", "location": "path"}}, ensure_ascii=False).encode()
    u("unsigned 400 is a backend error", 400, [], err, "invalid", "backend",
      expected={"status": 400, "code": "PARAM_ERROR", "message": "face_sid 已过期", "detail": {"field": "face_sid", "location": "path"}})
    u("signed 400 is a backend error too", 400, headers(platform, pserial, b=err), err, "invalid", "backend",
      expected={"status": 400, "code": "PARAM_ERROR", "message": "face_sid 已过期", "detail": {"field": "face_sid", "location": "path"}})
    sign_err = json.dumps({"code": "SIGN_ERROR", "message": "签名错误", "detail": {"detail": {"issue": "sign not match"}, "field": "signature", "location": "authorization", "sign_information": {"truncated_sign_message": "GET\n/v3/facemch/users/x?\n"}}}, ensure_ascii=False).encode()
    u("401 SIGN_ERROR keeps its detail", 401, [], sign_err, "invalid", "backend",
      expected={"status": 401, "code": "SIGN_ERROR", "message": "签名错误", "detail": json.loads(sign_err)["detail"]})
    u("502 from a proxy, HTML", 502, [], b"<html><body>Bad Gateway</body></html>", "invalid", "backend",
      expected={"status": 502, "code": "HTTP_502", "message": None, "detail": None})
    u("500 with empty body", 500, [], b"", "invalid", "backend", expected={"status": 500, "code": "HTTP_500", "message": "", "detail": None})

    groups = [
        {"type": "response_verify", "platformCertificates": ["keys/platform_cert.pem", "keys/platform_cert_expired.pem"],
         "platformPublicKeys": [{"id": PUB_KEY_ID, "publicKeyPem": "keys/platform_pubkey_pub.pem"}], "windowSecs": WINDOW, "tests": tests},
        {"type": "handle_users_response", "platformCertificates": ["keys/platform_cert.pem", "keys/platform_cert_expired.pem"],
         "platformPublicKeys": [{"id": PUB_KEY_ID, "publicKeyPem": "keys/platform_pubkey_pub.pem"}], "windowSecs": WINDOW, "tests": users},
    ]
    dump("response_verify.json", "Answer signatures computed by tests/vectors/gen/gen_v3.py with Python `cryptography` (PKCS#1 v1.5, SHA-256) over `ts\\nnonce\\nbody\\n` laid out by the script; "
         f"certificate serials cross-checked with `openssl x509 -serial`; no wxface code. Platform certificate serial {pserial} (valid 2025-2035), expired certificate {oldserial} (2015-2020), public key id {PUB_KEY_ID}. "
         "`message: null` in an expected backend error means: any text.", groups)


# --- decrypt.json -----------------------------------------------------------------

def decrypt(merchant, sub_merchant):
    mpub, spub = merchant.public_key(), sub_merchant.public_key()
    name = "测试患者"
    idn = resident_id("110105", "19900307", 123)
    idn_x = next(resident_id("440305", "20000229", s) for s in range(1, 999) if resident_id("440305", "20000229", s).endswith("X"))
    bad_check = idn[:17] + ("0" if idn[17] != "0" else "1")
    assert gb11643("11010519491231002") == "X"  # the standard's own specimen

    def rn(comment, enc_name, ty, enc_id, result, code=None, expected=None):
        return case(comment, {"kind": "real_name", "encrypted_real_name": enc_name, "credential_type": ty, "encrypted_credential_id": enc_id}, result, code, expected)

    def fld(comment, ct, result, code=None, expected=None):
        return case(comment, {"kind": "field", "ciphertext": ct}, result, code, {"plaintext": expected} if expected is not None else None)

    def suite(enc, wrong_enc, pub, other_pub, pad_name):
        t = []
        t.append(rn(f"{pad_name}: resident ID card", enc(pub, name.encode()), 1, enc(pub, idn.encode()), "valid", expected={"name": name, "credential_type": 1, "credential_id": idn}))
        t.append(rn(f"{pad_name}: ID ending in X", enc(pub, "测试·患者".encode()), 1, enc(pub, idn_x.encode()), "valid", expected={"name": "测试·患者", "credential_type": 1, "credential_id": idn_x}))
        t.append(rn(f"{pad_name}: passport", enc(pub, "TEST PATIENT".encode()), 2, enc(pub, b"E12345678"), "valid", expected={"name": "TEST PATIENT", "credential_type": 2, "credential_id": "E12345678"}))
        t.append(fld(f"{pad_name}: single field", enc(pub, name.encode()), "valid", expected=name))
        t.append(fld(f"{pad_name}: single field, base64 broken over lines", "\n".join(textwrap(enc(pub, name.encode()), 76)), "valid", expected=name))
        t.append(rn(f"{pad_name}: ID with a wrong check digit", enc(pub, name.encode()), 1, enc(pub, bad_check.encode()), "invalid", "decryption"))
        t.append(rn(f"{pad_name}: ID with an impossible birth date", enc(pub, name.encode()), 1, enc(pub, b"110105199002300018"), "invalid", "decryption"))
        t.append(rn(f"{pad_name}: 15-digit old-style ID number", enc(pub, name.encode()), 1, enc(pub, b"110105900307123"), "invalid", "decryption"))
        t.append(rn(f"{pad_name}: name with a control character", enc(pub, "测试\x07患者".encode()), 1, enc(pub, idn.encode()), "invalid", "decryption"))
        t.append(rn(f"{pad_name}: name is not UTF-8", enc(pub, name.encode("gb18030")), 1, enc(pub, idn.encode()), "invalid", "decryption"))
        t.append(fld(f"{pad_name}: plaintext is not UTF-8", enc(pub, b"\xc3\x28\xa0\xa1\xff"), "invalid", "decryption"))
        t.append(fld(f"{pad_name}: plaintext is empty", enc(pub, b""), "invalid", "decryption"))
        t.append(rn(f"{pad_name}: wrong padding (encrypted with the other one)", wrong_enc(pub, name.encode()), 1, wrong_enc(pub, idn.encode()), "invalid", "decryption"))
        t.append(rn(f"{pad_name}: wrong key (encrypted for another merchant)", enc(other_pub, name.encode()), 1, enc(other_pub, idn.encode()), "invalid", "decryption"))
        t.append(rn(f"{pad_name}: name right, ID for another key", enc(pub, name.encode()), 1, enc(other_pub, idn.encode()), "invalid", "decryption"))
        good = enc(pub, name.encode())
        t.append(fld(f"{pad_name}: base64 truncated by 4 characters (253 bytes)", good[:-4], "invalid", "decryption"))
        t.append(fld(f"{pad_name}: base64 truncated by 1 character", good[:-1], "invalid", "decryption"))
        t.append(fld(f"{pad_name}: base64 garbled", good[:20] + "!" + good[21:], "invalid", "decryption"))
        t.append(fld(f"{pad_name}: empty ciphertext", "", "invalid", "decryption"))
        t.append(fld(f"{pad_name}: 255-byte ciphertext", b64(base64.b64decode(good)[1:]), "invalid", "decryption"))
        t.append(fld(f"{pad_name}: 257-byte ciphertext", b64(b"\x00" + base64.b64decode(good)), "invalid", "decryption"))
        t.append(fld(f"{pad_name}: ciphertext larger than the modulus", b64(b"\xff" * 256), "invalid", "decryption"))
        return t

    groups = [
        {"type": "decrypt", "privateKeyPem": "keys/merchant_pkcs8.pem", "padding": "pkcs1v15", "tests": suite(enc_pkcs1, enc_oaep, mpub, spub, "PKCS#1 v1.5")},
        {"type": "decrypt", "privateKeyPem": "keys/merchant_pkcs8.pem", "padding": "oaep-sha1", "tests": suite(enc_oaep, enc_pkcs1, mpub, spub, "OAEP-SHA1")},
        {"type": "decrypt", "privateKeyPem": "keys/merchant_pkcs1.pem", "padding": "pkcs1v15", "tests": [
            rn("PKCS#1 PEM of the merchant key", enc_pkcs1(mpub, name.encode()), 1, enc_pkcs1(mpub, idn.encode()), "valid", expected={"name": name, "credential_type": 1, "credential_id": idn})]},
        {"type": "decrypt", "privateKeyPem": "keys/sub_merchant_pkcs1.pem", "padding": "pkcs1v15", "tests": [
            rn("provider mode: the sub-merchant decrypts its own answer", enc_pkcs1(spub, name.encode()), 1, enc_pkcs1(spub, idn.encode()), "valid", expected={"name": name, "credential_type": 1, "credential_id": idn}),
            rn("provider mode: a ciphertext for the provider's key fails", enc_pkcs1(mpub, name.encode()), 1, enc_pkcs1(mpub, idn.encode()), "invalid", "decryption")]},
    ]
    dump("decrypt.json", "Ciphertexts made by tests/vectors/gen/gen_v3.py with Python `cryptography` (RSA PKCS#1 v1.5 and OAEP with SHA-1/MGF1-SHA-1) for the fixture keys; "
         "names are fictitious and ID numbers are built by the script with GB 11643 check characters it computes itself; no wxface code. "
         "Ciphertexts are randomised and change whenever the script runs.", groups)


def textwrap(s, n):
    return [s[i:i + n] for i in range(0, len(s), n)]


# --- users_query.json ---------------------------------------------------------------

def users_query():
    appid, sub_appid, sub_serial = "wx0000000000000001", "wx0000000000000002", serial_hex(SUB_MERCHANT_SERIAL)

    def build(q):
        s = f"/v3/facemch/users/{urllib.parse.quote(q['face_sid'], safe='')}?info_type={'ASK_UNIONID' if q['info_type'] in ('ASK_UNIONID', 'ASK_UNION_ID') else q['info_type']}&appid={urllib.parse.quote(q['appid'], safe='')}"
        for k in ("sub_mchid", "sub_appid", "sub_serial_no"):
            if q.get(k) is not None:
                s += f"&{k}={urllib.parse.quote(q[k], safe='')}"
        return s

    def q(face_sid="FACE_SID_0001", info_type="ASK_REAL_NAME", appid=appid, sub_mchid=None, sub_appid=None, sub_serial_no=None):
        return {"face_sid": face_sid, "info_type": info_type, "appid": appid, "sub_mchid": sub_mchid, "sub_appid": sub_appid, "sub_serial_no": sub_serial_no}

    valid = [
        ("direct merchant, ASK_REAL_NAME", q()),
        ("direct merchant, ASK_UNIONID", q(info_type="ASK_UNIONID")),
        ("ASK_UNION_ID (the source document's spelling) is sent as ASK_UNIONID", q(info_type="ASK_UNION_ID")),
        ("face_sid needing percent-encoding", q(face_sid="ab/cd+ef gh=?&%#中")),
        ("face_sid with unreserved punctuation kept", q(face_sid="a-b.c_d~e")),
        ("face_sid that looks like base64", q(face_sid="0CSmor/Pp4vC7WE5CsJxet4Sg+D24C8e==")),
        ("direct merchant with sub_appid", q(sub_appid=sub_appid)),
        ("provider mode, ASK_REAL_NAME with sub_serial_no", q(sub_mchid=SUB_MCHID, sub_serial_no=sub_serial)),
        ("provider mode, every parameter", q(sub_mchid=SUB_MCHID, sub_appid=sub_appid, sub_serial_no=sub_serial)),
        ("provider mode, ASK_UNIONID needs no sub_serial_no", q(info_type="ASK_UNIONID", sub_mchid=SUB_MCHID)),
        ("face_sid of 256 bytes", q(face_sid="F" * 256)),
        ("appid of 32 characters", q(appid="wx" + "0" * 30)),
    ]
    invalid = [
        ("provider mode, ASK_REAL_NAME without sub_serial_no is refused", q(sub_mchid=SUB_MCHID), "sub_serial_no"),
        ("provider mode with sub_appid, ASK_REAL_NAME without sub_serial_no", q(sub_mchid=SUB_MCHID, sub_appid=sub_appid), "sub_serial_no"),
        ("sub_serial_no without sub_mchid", q(sub_serial_no=sub_serial), "sub_serial_no"),
        ("empty face_sid", q(face_sid=""), "face_sid"),
        ("face_sid of 257 bytes", q(face_sid="F" * 257), "face_sid"),
        ("face_sid with a control character", q(face_sid="ab\ncd"), "face_sid"),
        ("empty appid", q(appid=""), "appid"),
        ("appid of 33 characters", q(appid="wx" + "0" * 31), "appid"),
        ("appid with a space", q(appid="wx 1"), "appid"),
        ("empty sub_mchid", q(sub_mchid="", sub_serial_no=sub_serial), "sub_mchid"),
        ("sub_mchid with a slash", q(sub_mchid="1900/0109", sub_serial_no=sub_serial), "sub_mchid"),
        ("unknown info_type", q(info_type="ASK_PHONE"), "info_type"),
    ]
    build_tests = [case(c, x, "valid", expected={"path_and_query": build(x)}) for c, x in valid]
    build_tests += [case(c, x, "invalid", "invalid_input", expected={"field": f}) for c, x, f in invalid]

    def parsed(x):
        y = dict(x)
        y["info_type"] = "ASK_UNIONID" if y["info_type"] == "ASK_UNION_ID" else y["info_type"]
        return y

    parse_tests = [case(f"round trip: {c}", {"path_and_query": build(x)}, "valid", expected=parsed(x)) for c, x in valid]
    for c, pq, exp in [
        ("ASK_UNION_ID accepted on input", f"/v3/facemch/users/S1?info_type=ASK_UNION_ID&appid={appid}", parsed(q(face_sid="S1", info_type="ASK_UNIONID"))),
        ("parameters in another order", f"/v3/facemch/users/S1?appid={appid}&info_type=ASK_REAL_NAME", parsed(q(face_sid="S1"))),
        ("unknown parameter ignored", f"/v3/facemch/users/S1?info_type=ASK_REAL_NAME&appid={appid}&x=1", parsed(q(face_sid="S1"))),
        ("lowercase percent-escapes", "/v3/facemch/users/a%2fb?info_type=ASK_REAL_NAME&appid=" + appid, parsed(q(face_sid="a/b"))),
    ]:
        parse_tests.append(case(c, {"path_and_query": pq}, "valid", expected=exp))
    for c, pq in [
        ("wrong path", f"/v3/facemch/user/S1?info_type=ASK_REAL_NAME&appid={appid}"),
        ("extra path segment", f"/v3/facemch/users/S1/x?info_type=ASK_REAL_NAME&appid={appid}"),
        ("empty face_sid", f"/v3/facemch/users/?info_type=ASK_REAL_NAME&appid={appid}"),
        ("info_type missing", f"/v3/facemch/users/S1?appid={appid}"),
        ("appid missing", "/v3/facemch/users/S1?info_type=ASK_REAL_NAME"),
        ("no query at all", "/v3/facemch/users/S1"),
        ("appid repeated", f"/v3/facemch/users/S1?info_type=ASK_REAL_NAME&appid={appid}&appid=wx2"),
        ("broken percent-escape", f"/v3/facemch/users/S%zz1?info_type=ASK_REAL_NAME&appid={appid}"),
        ("truncated percent-escape", f"/v3/facemch/users/S1%2?info_type=ASK_REAL_NAME&appid={appid}"),
        ("percent-escape that is not UTF-8", f"/v3/facemch/users/S%FF?info_type=ASK_REAL_NAME&appid={appid}"),
        ("provider mode without sub_serial_no", f"/v3/facemch/users/S1?info_type=ASK_REAL_NAME&appid={appid}&sub_mchid={SUB_MCHID}"),
    ]:
        parse_tests.append(case(c, {"path_and_query": pq}, "invalid", "invalid_input"))

    resp = []

    def r(comment, body, result, code=None, expected=None):
        resp.append(case(comment, {"body": body}, result, code, expected))

    def fu(openid=None, sub_openid=None, union_id=None, real_name=None):
        return {"openid": openid, "sub_openid": sub_openid, "union_id": union_id, "real_name": real_name}

    rn = {"encrypted_real_name": "QUJD", "credential_type": 1, "encrypted_credential_id": "REVG"}
    r("nested real_name_info", json.dumps({"openid": "o1", "real_name_info": rn}), "valid", expected=fu("o1", real_name=rn))
    r("flat real-name fields", json.dumps(dict({"openid": "o1", "sub_openid": "so1"}, **rn)), "valid", expected=fu("o1", "so1", real_name=rn))
    r("union id only", json.dumps({"openid": "o1", "union_id": "u1"}), "valid", expected=fu("o1", union_id="u1"))
    r("unknown fields are tolerated", json.dumps({"openid": "o1", "real_name_info": dict(rn, future=1), "x": [1, {"y": None}]}), "valid", expected=fu("o1", real_name=rn))
    r("credential_type as a numeric string", json.dumps({"real_name_info": dict(rn, credential_type="2")}), "valid", expected=fu(real_name=dict(rn, credential_type=2)))
    r("unknown credential_type kept", json.dumps({"real_name_info": dict(rn, credential_type=99)}), "valid", expected=fu(real_name=dict(rn, credential_type=99)))
    r("real_name_info null", json.dumps({"openid": "o1", "real_name_info": None}), "valid", expected=fu("o1"))
    r("empty object", "{}", "valid", expected=fu())
    r("empty openid treated as absent", json.dumps({"openid": ""}), "valid", expected=fu())
    r("real_name_info without encrypted_credential_id", json.dumps({"real_name_info": {k: v for k, v in rn.items() if k != "encrypted_credential_id"}}), "invalid", "malformed")
    r("flat fields without credential_type", json.dumps({k: v for k, v in rn.items() if k != "credential_type"}), "invalid", "malformed")
    r("both nested and flat", json.dumps(dict({"real_name_info": rn}, **rn)), "invalid", "malformed")
    r("real_name_info is a string", json.dumps({"real_name_info": "x"}), "invalid", "malformed")
    r("credential_type is a float", json.dumps({"real_name_info": dict(rn, credential_type=1.5)}), "invalid", "malformed")
    r("credential_type is a word", json.dumps({"real_name_info": dict(rn, credential_type="one")}), "invalid", "malformed")
    r("openid is a number", json.dumps({"openid": 1}), "invalid", "malformed")
    r("not JSON", "<xml/>", "invalid", "malformed")
    r("JSON array", "[]", "invalid", "malformed")
    r("truncated JSON", '{"openid":"o1"', "invalid", "malformed")
    r("empty body", "", "invalid", "malformed")
    r("oversize body (> 64 KiB)", json.dumps({"openid": "o1", "pad": "A" * 70000}), "invalid", "malformed")

    errs = []
    for c, status, body, exp in [
        ("PARAM_ERROR with detail", 400, json.dumps({"code": "PARAM_ERROR", "message": "参数错误", "detail": {"field": "appid"}}, ensure_ascii=False), {"status": 400, "code": "PARAM_ERROR", "message": "参数错误", "detail": {"field": "appid"}}),
        ("NO_AUTH without detail", 403, json.dumps({"code": "NO_AUTH", "message": "商户无权限"}, ensure_ascii=False), {"status": 403, "code": "NO_AUTH", "message": "商户无权限", "detail": None}),
        ("RATELIMIT_EXCEEDED is retryable", 429, json.dumps({"code": "RATELIMIT_EXCEEDED", "message": "too many"}), {"status": 429, "code": "RATELIMIT_EXCEEDED", "message": "too many", "detail": None, "retryable": True}),
        ("SYSTEM_ERROR is retryable", 500, json.dumps({"code": "SYSTEM_ERROR", "message": "系统错误"}, ensure_ascii=False), {"status": 500, "code": "SYSTEM_ERROR", "message": "系统错误", "detail": None, "retryable": True}),
        ("JSON without code", 404, json.dumps({"message": "not found"}), {"status": 404, "code": "HTTP_404", "message": None, "detail": None}),
        ("HTML from a gateway", 502, "<html><body>502 Bad Gateway</body></html>", {"status": 502, "code": "HTTP_502", "message": None, "detail": None, "retryable": True}),
        ("empty body", 503, "", {"status": 503, "code": "HTTP_503", "message": "", "detail": None, "retryable": True}),
    ]:
        errs.append(case(c, {"status": status, "body": body}, "invalid", "backend", exp))

    groups = [
        {"type": "users_query_build", "tests": build_tests},
        {"type": "users_query_parse", "tests": parse_tests},
        {"type": "users_response_parse", "tests": resp},
        {"type": "error_body_parse", "tests": errs},
    ]
    dump("users_query.json", "Paths built by tests/vectors/gen/gen_v3.py with urllib.parse.quote(safe='') (RFC 3986 unreserved characters kept); field rules and the provider-mode refusal are "
         "wxface's documented protocol decisions; no wxface code. `message: null` in an expected backend error means: any text.", groups)


if __name__ == "__main__":
    main()
