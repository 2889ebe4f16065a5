#!/usr/bin/env python3
"""The merchant server's part of the C-ABI test: get_wxpayface_authinfo.

Reads WXFACE_RAWDATA (from the emulated SDK; when it is not set, a rawdata
for the device is asked from the sandbox as the emulated SDK would, which the
Windows run uses: a program under Wine cannot start this script), WXFACE_EMU_SANDBOX_URL,
WXFACE_EMU_DEVICE_ID and WXFACE_SANDBOX_KEYS_DIR (sandbox.json and
apiv2_key.txt), sends a signed v2 request to the sandbox, checks the signed
answer, and prints four lines: authinfo, appid, mch_id, store_id.
Standard library only.
"""

import hashlib
import hmac
import json
import os
import secrets
import string
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

STORE_ID = "CABI-STORE-01"


def sign(fields, key):
    text = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if v != "" and k != "sign")
    return hashlib.md5(f"{text}&key={key}".encode("utf-8")).hexdigest().upper()


def rawdata():
    if os.environ.get("WXFACE_RAWDATA"):
        return os.environ["WXFACE_RAWDATA"]
    url = os.environ["WXFACE_EMU_SANDBOX_URL"].rstrip("/") + "/_emu/rawdata"
    body = json.dumps({"device_id": os.environ.get("WXFACE_EMU_DEVICE_ID", "EMU-DEVICE-01")})
    req = urllib.request.Request(url, data=body.encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["rawdata"]


def main():
    keys_dir = os.environ["WXFACE_SANDBOX_KEYS_DIR"]
    with open(os.path.join(keys_dir, "sandbox.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(keys_dir, "apiv2_key.txt"), encoding="utf-8") as f:
        key = f.read().strip()
    fields = {
        "store_id": STORE_ID,
        "store_name": "C ABI test",
        "device_id": os.environ.get("WXFACE_EMU_DEVICE_ID", "EMU-DEVICE-01"),
        "rawdata": rawdata(),
        "appid": manifest["appid"],
        "mch_id": manifest["mch_id"],
        "now": str(int(time.time())),
        "version": "1",
        "sign_type": "MD5",
        "nonce_str": "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)),
    }
    fields["sign"] = sign(fields, key)
    body = "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>"
    url = os.environ["WXFACE_EMU_SANDBOX_URL"].rstrip("/") + "/face/get_wxpayface_authinfo"
    req = urllib.request.Request(url, data=body.encode("utf-8"), method="POST",
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        answer = {e.tag: (e.text or "") for e in ET.fromstring(resp.read())}
    if not hmac.compare_digest(answer.get("sign", ""), sign(answer, key)):
        sys.exit("authinfo answer: signature does not verify")
    if answer.get("return_code") != "SUCCESS" or not answer.get("authinfo"):
        sys.exit(f"authinfo answer: {answer.get('return_code')} {answer.get('return_msg')}")
    print(answer["authinfo"])
    print(manifest["appid"])
    print(manifest["mch_id"])
    print(STORE_ID)


if __name__ == "__main__":
    main()
