#!/usr/bin/env python3
"""Generate tests/vectors/v3/signed_answers.json: complete, signed identity
answers in the JSON form a provider forwards to the hospital
(`{"status", "headers", "body"}`), whose real-name ciphertexts are good or
bad in every way that matters for a decryption oracle.

Made with Python's `cryptography` package and the standard library only, for
the fixture keys of tests/vectors/keys/ (created by gen_v3.py): no wxface
code. Run from anywhere:

    python3 tests/vectors/gen/gen_oracle.py

Each bad case must give one and the same error (code `decryption`, one fixed
message) in every implementation and binding: non-conforming PKCS#1 v1.5
blocks, conforming blocks with junk inside (not UTF-8, control characters,
an implausible name, a wrong check digit), a ciphertext for another key, for
the other padding mode, bad base64 and a wrong length. Tampered answers must
be refused by the signature check before anything is decrypted.

Answers are signed at NOW with the platform public key (`PUB_KEY_ID_…`);
each case also carries the bare body, so that a test can have a running
sandbox sign it afresh. Ciphertexts are randomised and change whenever the
script runs.
"""
import base64
import json
import os
import secrets

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
KEYS = os.path.join(ROOT, "keys")
OUT = os.path.join(ROOT, "v3", "signed_answers.json")

PUB_KEY_ID = "PUB_KEY_ID_0119000000012026010100000000000001"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z, as gen_v3.py

NAME = "测试患者甲"
ID_SPECIMEN17 = "11010519491231002"  # GB 11643-1999's own specimen number


def gb11643(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return "10X98765432"[total % 11]


ID_OK = ID_SPECIMEN17 + gb11643(ID_SPECIMEN17)
ID_BAD_CHECK = ID_SPECIMEN17 + ("0" if gb11643(ID_SPECIMEN17) != "0" else "1")


def load_private(name):
    with open(os.path.join(KEYS, name), "rb") as fh:
        return serialization.load_pem_private_key(fh.read(), password=None)


def load_public(name):
    with open(os.path.join(KEYS, name), "rb") as fh:
        return serialization.load_pem_public_key(fh.read())


MERCHANT = load_public("merchant_pub.pem")
SUB_MERCHANT = load_public("sub_merchant_pub.pem")
PLATFORM = load_private("platform_pubkey_pkcs8.pem")

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
PKCS1 = padding.PKCS1v15()


def b64(b):
    return base64.b64encode(b).decode()


def enc(text_or_bytes, key=MERCHANT, pad=PKCS1):
    data = text_or_bytes if isinstance(text_or_bytes, bytes) else text_or_bytes.encode()
    return b64(key.encrypt(data, pad))


def raw(block, key=MERCHANT):
    """Textbook RSA of a k-byte block: how a non-conforming ciphertext is made."""
    n = key.public_numbers().n
    e = key.public_numbers().e
    k = (n.bit_length() + 7) // 8
    assert len(block) == k
    m = int.from_bytes(block, "big")
    assert m < n
    return b64(pow(m, e, n).to_bytes(k, "big"))


def nonzero(n):
    return bytes(secrets.randbelow(255) + 1 for _ in range(n))


def k_of(key):
    return (key.public_numbers().n.bit_length() + 7) // 8


K = k_of(MERCHANT)


def body_of(name_ct, id_ct, ctype=1):
    return json.dumps(
        {
            "openid": "o_test_openid_0001",
            "real_name_info": {
                "encrypted_real_name": name_ct,
                "credential_type": ctype,
                "encrypted_credential_id": id_ct,
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def sign(body, ts=NOW, serial=PUB_KEY_ID, status=200):
    nonce = secrets.token_hex(16)
    message = f"{ts}\n{nonce}\n{body}\n".encode()
    sig = PLATFORM.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {
        "status": status,
        "headers": {
            "Wechatpay-Timestamp": str(ts),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": b64(sig),
            "Wechatpay-Serial": serial,
        },
        "body": body,
    }


tests = []


def case(group, comment, name_ct, id_ct, result, ctype=1, answer=None, code=None):
    body = body_of(name_ct, id_ct, ctype)
    t = {
        "tcId": len(tests) + 1,
        "group": group,
        "comment": comment,
        "body": body,
        "answer": answer if answer is not None else sign(body),
        "result": result,
    }
    if result == "valid":
        t["expected"] = {"name": NAME, "credential_type": ctype, "credential_id": ID_OK}
    else:
        t["code"] = code or "decryption"
        # The oracle cases: the error must be the same as every other one's.
        t["oracle"] = t["code"] == "decryption"
    tests.append(t)


GOOD_ID = enc(ID_OK)

# --- a PKCS#1 v1.5 decryptor (the default) -------------------------------------
g = "pkcs1v15"
case(g, "valid answer", enc(NAME), GOOD_ID, "valid")
case(g, "non-conforming block: type 01 instead of 02",
     raw(b"\x00\x01" + nonzero(K - 3 - 12) + b"\x00" + NAME.encode()[:12].ljust(12, b"x")), GOOD_ID, "invalid")
case(g, "non-conforming block: no zero separator",
     raw(b"\x00\x02" + nonzero(K - 2)), GOOD_ID, "invalid")
case(g, "non-conforming block: padding string shorter than 8 octets",
     raw(b"\x00\x02" + nonzero(5) + b"\x00" + nonzero(K - 8)), GOOD_ID, "invalid")
case(g, "non-conforming block in the credential number", enc(NAME),
     raw(b"\x00\x02" + nonzero(K - 2)), "invalid")
case(g, "conforming block, payload not UTF-8", enc(b"\xff\xfe\xfd\xfc\xc3\x28"), GOOD_ID, "invalid")
case(g, "conforming block, payload with control characters", enc("测试\n患者甲"), GOOD_ID, "invalid")
case(g, "conforming block, empty payload", enc(b""), GOOD_ID, "invalid")
case(g, "conforming block, implausible name (leading space)", enc(" 测试患者甲"), GOOD_ID, "invalid")
case(g, "conforming block, ID number with a wrong check digit", enc(NAME), enc(ID_BAD_CHECK), "invalid")
case(g, "ciphertext for another key (the sub-merchant's)", enc(NAME, key=SUB_MERCHANT), GOOD_ID, "invalid")
case(g, "ciphertext in the other padding mode (OAEP-SHA1)", enc(NAME, pad=OAEP), GOOD_ID, "invalid")
case(g, "ciphertext that is not base64", "!!not*base64!!", GOOD_ID, "invalid")
case(g, "ciphertext one byte short", b64(secrets.token_bytes(K - 1)), GOOD_ID, "invalid")

# --- an OAEP-SHA1 decryptor ----------------------------------------------------
g = "oaep-sha1"
case(g, "valid answer", enc(NAME, pad=OAEP), enc(ID_OK, pad=OAEP), "valid")
case(g, "random block (not OAEP)", raw(b"\x00" + secrets.token_bytes(K - 1)), enc(ID_OK, pad=OAEP), "invalid")
case(g, "valid OAEP, payload not UTF-8", enc(b"\xff\xfe\xc3\x28", pad=OAEP), enc(ID_OK, pad=OAEP), "invalid")
case(g, "ciphertext for another key", enc(NAME, key=SUB_MERCHANT, pad=OAEP), enc(ID_OK, pad=OAEP), "invalid")
case(g, "ciphertext in the other padding mode (PKCS#1 v1.5)", enc(NAME), enc(ID_OK, pad=OAEP), "invalid")

# --- tampered or unusable answers: refused before any decryption ---------------
g = "pkcs1v15"
good = body_of(enc(NAME), GOOD_ID)
signed = sign(good)
swapped = dict(signed)
# Same signature, body with a different (valid) ciphertext: a forwarder's edit.
swapped["body"] = body_of(enc(NAME), GOOD_ID)
case(g, "tampered: body changed after signing", enc(NAME), GOOD_ID, "invalid",
     answer=swapped, code="signature_mismatch")
tests[-1]["body"] = swapped["body"]
case(g, "tampered: signature of a stale answer (600 s old)", enc(NAME), GOOD_ID, "invalid",
     answer=sign(good, ts=NOW - 600), code="signature_stale_timestamp")
tests[-1]["body"] = good
case(g, "tampered: signed by an unknown key id", enc(NAME), GOOD_ID, "invalid",
     answer=sign(good, serial="PUB_KEY_ID_0119000000012026010100000000009999"),
     code="signature_unknown_serial")
tests[-1]["body"] = good
unsigned = dict(signed)
unsigned["headers"] = {k: v for k, v in signed["headers"].items() if k != "Wechatpay-Signature"}
case(g, "tampered: signature header removed", enc(NAME), GOOD_ID, "invalid",
     answer=unsigned, code="signature_missing")
tests[-1]["body"] = good
err_body = json.dumps({"code": "NO_AUTH", "message": "用户未授权"}, ensure_ascii=False,
                      separators=(",", ":"))
case(g, "a forwarded error answer", enc(NAME), GOOD_ID, "invalid",
     answer=sign(err_body, status=403), code="backend")
tests[-1]["body"] = err_body

doc = {
    "source": (
        "Made by tests/vectors/gen/gen_oracle.py with Python `cryptography` (RSA PKCS#1 v1.5 "
        "and OAEP-SHA1 encryption, textbook RSA for non-conforming blocks, SHA256withRSA "
        "signatures) for the fixture keys of tests/vectors/keys; the name is fictitious and "
        "the ID number is GB 11643-1999's specimen with its check character computed by the "
        "script. No wxface code."
    ),
    "now": NOW,
    "platformPublicKeyId": PUB_KEY_ID,
    "platformPublicKeyPem": "keys/platform_pubkey_pub.pem",
    "privateKeyPem": "keys/merchant_pkcs8.pem",
    "numberOfTests": len(tests),
    "tests": tests,
}
with open(OUT, "w", encoding="utf-8") as fh:
    json.dump(doc, fh, ensure_ascii=False, indent=1)
    fh.write("\n")
print(f"{OUT}: {len(tests)} cases")
