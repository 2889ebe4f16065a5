#!/usr/bin/env python3
"""Generate the v2 (get_wxpayface_authinfo) vectors with Python's standard
library only (hashlib, hmac, xml escaping by hand): an implementation that
shares no code with wxface. Run from the repository root:

    python3 tests/vectors/gen/gen_v2.py

It rewrites tests/vectors/v2/*.json. The Rust tests only read them.
"""
import hashlib
import hmac
import json
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "v2")
KEY = "192006250b4c09247ec02edce69f6a2d"  # WeChat Pay's public example key
OTHER_KEY = "0123456789abcdef0123456789abcdef"


def canonical(fields):
    return "&".join(f"{k}={v}" for k, v in sorted(fields.items(), key=lambda kv: kv[0].encode()) if k != "sign" and v != "")


def sign(fields, key, sign_type):
    msg = (canonical(fields) + "&key=" + key).encode("utf-8")
    if sign_type == "MD5":
        return hashlib.md5(msg).hexdigest().upper()
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest().upper()


def xml(fields, cdata=True, root=True):
    parts = []
    for k, v in fields.items():
        parts.append(f"<{k}><![CDATA[{v}]]></{k}>" if cdata else f"<{k}>{v}</{k}>")
    body = "".join(parts)
    return f"<xml>{body}</xml>" if root else body


def main():
    tc = iter(range(1, 10_000))
    # --- signatures -------------------------------------------------------
    public = {"appid": "wxd930ea5d5a258f4f", "body": "test", "device_info": "1000", "mch_id": "10000100", "nonce_str": "ibuaiVcKdpRxkhJA"}
    sign_tests = []
    for st, published in (("MD5", "9A0A8659F005D6984697E2CA0A9CF3B7"), ("HMAC-SHA256", "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6")):
        assert sign(public, KEY, st) == published, st
        sign_tests.append({"tcId": next(tc), "comment": f"WeChat Pay's published {st} example", "flags": ["public"], "inputs": {"fields": public, "key": KEY, "sign_type": st}, "canonical": canonical(public), "expected": published, "result": "valid"})
    authinfo_req = {
        "store_id": "IMG001", "store_name": "测试医院门诊楼", "device_id": "KIOSK-01", "attach": '{"floor":"1"}',
        "rawdata": "0CSmor/Pp4vC7WE5Cs+Jxet4Sg==", "appid": "wx97debaxyzabcca2", "mch_id": "1281087510", "now": "1540901425",
        "version": "1", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    }
    for st in ("MD5", "HMAC-SHA256"):
        f = dict(authinfo_req, sign_type=st)
        sign_tests.append({"tcId": next(tc), "comment": f"authinfo request, Chinese store name, + and / in rawdata, {st}", "flags": [], "inputs": {"fields": f, "key": KEY, "sign_type": st}, "canonical": canonical(f), "expected": sign(f, KEY, st), "result": "valid"})
        g = dict(f, sub_appid="", sub_mch_id="")
        sign_tests.append({"tcId": next(tc), "comment": f"empty fields take no part, {st}", "flags": [], "inputs": {"fields": g, "key": KEY, "sign_type": st}, "canonical": canonical(g), "expected": sign(f, KEY, st), "result": "valid"})
    # --- verification of answers ------------------------------------------
    verify_tests = []
    now = 1_700_000_000
    ok = {"return_code": "SUCCESS", "return_msg": "请求成功", "nonce_str": "Tivppi4UXAbgLxk8e1Sij76YdowOFFii", "appid": "wx31fdaErqR31", "mch_id": "12345689",
          "authinfo": "q3OPhFtQBf6KZGqmZhejKCRy5K/ch0kwS11YSsEj9XmUGqcsT2QPHt0Oa7xaCMCoSZTWMmShCo4dOiO5tU+OJEs=", "expires_in": "7200"}

    def add(comment, body, st, result, code=None, expected=None, flags=()):
        verify_tests.append({"tcId": next(tc), "comment": comment, "flags": list(flags), "inputs": {"xml": body, "key": KEY, "sign_type": st, "now": now}, "result": result, "code": code, "expected": expected})

    for st in ("MD5", "HMAC-SHA256"):
        signed = dict(ok, sign=sign(ok, KEY, st))
        exp = {"authinfo": ok["authinfo"], "expires_in": 7200, "expires_at": now + 7200}
        add(f"{st}: CDATA inside <xml>", xml(signed), st, "valid", expected=exp)
        add(f"{st}: plain text inside <xml>", xml(signed, cdata=False).replace("+", "+"), st, "valid", expected=exp)
        add(f"{st}: fragment without root, as the spec's example", "\n".join(f"<{k}>{v}</{k}>" for k, v in signed.items()), st, "valid", expected=exp)
        add(f"{st}: XML declaration and whitespace", '<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n' + "\n".join(f"  <{k}><![CDATA[{v}]]></{k}>" for k, v in signed.items()) + "\n</xml>\n", st, "valid", expected=exp)
        extra = dict(ok, sub_mch_id="1900000109", unknown_field="x")
        add(f"{st}: unknown extra field takes part in the signature", xml(dict(extra, sign=sign(extra, KEY, st))), st, "valid", expected=exp)
        ent = dict(ok, return_msg="a<b&c")
        add(f"{st}: predefined entities in plain text", xml(dict(ent, sign=sign(ent, KEY, st)), cdata=False).replace("a<b&c", "a&lt;b&amp;c"), st, "valid", expected=exp)
        for k in ok:
            t = dict(signed)
            t[k] = t[k] + "0" if k != "return_code" else "SUCCESS"
            if k == "return_code":
                continue
            add(f"{st}: `{k}` tampered", xml(t), st, "invalid", "signature_mismatch")
        add(f"{st}: field added after signing", xml(dict(signed, device_id="X")), st, "invalid", "signature_mismatch")
        add(f"{st}: field removed after signing", xml({k: v for k, v in signed.items() if k != "nonce_str"}), st, "invalid", "signature_mismatch")
        add(f"{st}: signed with another key", xml(dict(ok, sign=sign(ok, OTHER_KEY, st))), st, "invalid", "signature_mismatch")
        add(f"{st}: sign missing on SUCCESS", xml(ok), st, "invalid", "signature_missing")
        add(f"{st}: lowercase sign is accepted", xml(dict(ok, sign=sign(ok, KEY, st).lower())), st, "valid", expected=exp)
    other = {"MD5": "HMAC-SHA256", "HMAC-SHA256": "MD5"}
    for st in ("MD5", "HMAC-SHA256"):
        add(f"answer signed with {other[st]} while {st} was sent", xml(dict(ok, sign=sign(ok, KEY, other[st]))), st, "invalid", "signature_malformed")
    add("sign is not hex", xml(dict(ok, sign="Z" * 32)), "MD5", "invalid", "signature_malformed")
    fail = {"return_code": "FAIL", "return_msg": "签名错误", "nonce_str": "abc"}
    add("signed FAIL answer becomes a backend error", xml(dict(fail, sign=sign(fail, KEY, "MD5"))), "MD5", "invalid", "backend", expected={"backend_code": "FAIL", "message": "签名错误"})
    add("unsigned FAIL answer is a backend error", xml(fail), "MD5", "invalid", "backend", expected={"backend_code": "FAIL", "message": "签名错误"})
    add("FAIL answer with a wrong sign is a signature error", xml(dict(fail, sign="0" * 32)), "MD5", "invalid", "signature_mismatch")
    add("DOCTYPE refused", '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "y">]><xml><return_code>SUCCESS</return_code></xml>', "MD5", "invalid", "malformed")
    add("external entity refused", '<!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml><return_code>&x;</return_code></xml>', "MD5", "invalid", "malformed")
    add("undeclared entity refused", "<xml><return_code>&xxe;</return_code></xml>", "MD5", "invalid", "malformed")
    add("nested element refused", "<xml><return_code><a>SUCCESS</a></return_code></xml>", "MD5", "invalid", "malformed")
    add("duplicate field refused", "<xml><return_code>SUCCESS</return_code><return_code>FAIL</return_code></xml>", "MD5", "invalid", "malformed")
    add("unclosed element", "<xml><return_code>SUCCESS</return_code>", "MD5", "invalid", "malformed")
    add("mismatched end tag", "<xml><return_code>SUCCESS</return_msg></xml>", "MD5", "invalid", "malformed")
    add("not XML at all", '{"return_code":"SUCCESS"}', "MD5", "invalid", "malformed")
    add("empty body", "", "MD5", "invalid", "malformed")
    add("no return_code", xml({"authinfo": "x"}), "MD5", "invalid", "malformed")
    add("content after root", xml(fail) + "<x>1</x>", "MD5", "invalid", "malformed")
    add("oversize body (>64 KiB)", "<xml><return_msg>" + "A" * 70000 + "</return_msg></xml>", "MD5", "invalid", "malformed")
    noexp = {k: v for k, v in ok.items() if k != "expires_in"}
    add("signed SUCCESS without expires_in", xml(dict(noexp, sign=sign(noexp, KEY, "MD5"))), "MD5", "invalid", "malformed")
    big = dict(ok, authinfo="A" * 4097)
    add("authinfo longer than 4096", xml(dict(big, sign=sign(big, KEY, "MD5"))), "MD5", "invalid", "malformed")
    verify_tests.append({"tcId": next(tc), "comment": "non-UTF-8 body", "flags": ["hex"], "inputs": {"xml_hex": (b"<xml><return_code>\xff\xfe</return_code></xml>").hex(), "key": KEY, "sign_type": "MD5", "now": now}, "result": "invalid", "code": "malformed", "expected": None})

    source = "Computed by tests/vectors/gen/gen_v2.py with Python's hashlib and hmac (no wxface code); tcId 1-2 are WeChat Pay's published example values, asserted by the script."
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "sign.json"), "w", encoding="utf-8") as fh:
        json.dump({"source": source, "testGroups": [{"type": "v2_sign", "tests": sign_tests}]}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    with open(os.path.join(OUT, "authinfo_response.json"), "w", encoding="utf-8") as fh:
        json.dump({"source": source, "testGroups": [{"type": "v2_authinfo_response", "tests": verify_tests}]}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    print(f"{len(sign_tests)} sign vectors, {len(verify_tests)} answer vectors")


if __name__ == "__main__":
    main()
