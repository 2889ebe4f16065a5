#!/usr/bin/env python3
"""Seed inputs for the fuzz targets, made from the shared vectors
(tests/vectors/**) and the examples of docs/merchant-api.md.

    python3 fuzz/seeds.py [OUT]      # default OUT: fuzz/corpus-raw

writes OUT/<target>/<name> files in each target's input format (see
fuzz/src/*_harness.rs). They are minimised into fuzz/corpus/<target>/ with
`cargo fuzz cmin` (fuzz/refresh-corpus.sh). Standard library only.
"""
import base64
import hashlib
import json
import pathlib
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VEC = ROOT / "tests" / "vectors"
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "corpus-raw"


def load(rel):
    return json.loads((VEC / rel).read_text(encoding="utf-8"))


def tests(rel):
    for g in load(rel)["testGroups"]:
        for t in g["tests"]:
            yield g, t


def put(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def answer(flags, status, headers, body):
    """users_answer / v3_headers framing: [flags][status u16 BE], lines, blank line, body."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    head = "".join(f"{k}: {v}\n" for k, v in headers).encode("utf-8")
    return struct.pack(">BH", flags, status) + head + b"\n" + body


# v2_xml: the XML documents of the authinfo vectors, and signed field sets.
for _, t in tests("v2/authinfo_response.json"):
    i = t["inputs"]
    put("v2_xml", i["xml"] if "xml" in i else bytes.fromhex(i["xml_hex"]))
for _, t in tests("v2/sign.json"):
    fields = t["inputs"]["fields"]
    put("v2_xml", "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>")

# sdk_json: requests as the kiosk sends them, and the SDK's answers.
for _, t in tests("sdk/requests.json"):
    if isinstance(t.get("expected"), str):
        put("sdk_json", t["expected"])
    put("sdk_json", json.dumps(t["inputs"]["request"], ensure_ascii=False))
for _, t in tests("sdk/responses.json"):
    put("sdk_json", t["inputs"]["response"])

# users_answer: the signed answers of response_verify (now = 1767225600 in
# the harness, as in the vectors), the users bodies re-signed by the harness
# (flag bit 0), and error answers.
for g, t in tests("v3/response_verify.json"):
    i = t["inputs"]
    if i["now"] != 1767225600:
        continue
    put("users_answer", answer(0, i["status"], i["headers"], i["body"]))
for g, t in tests("v3/users_query.json"):
    i = t["inputs"]
    if g["type"] == "users_response_parse":
        put("users_answer", answer(1, 200, [], i["body"]))
    elif g["type"] == "error_body_parse":
        put("users_answer", answer(0, i["status"], [], i["body"]))

# v3_headers: 0 Authorization, 1 request verification, 2 query target, 3 answer headers.
for g, t in tests("v3/request_sign.json"):
    i = t["inputs"]
    if g["type"] == "authorization_sign" and isinstance(t.get("expected"), dict):
        auth = t["expected"].get("authorization")
        if auth:
            put("v3_headers", b"\x00" + auth.encode())
    if g["type"] == "authorization_verify" and i["authorization"] is not None:
        put("v3_headers", b"\x00" + i["authorization"].encode())
        put("v3_headers", b"\x01" + i["authorization"].encode())
for g, t in tests("v3/users_query.json"):
    if g["type"] == "users_query_parse":
        put("v3_headers", b"\x02" + t["inputs"]["path_and_query"].encode())
for g, t in tests("v3/response_verify.json"):
    i = t["inputs"]
    if i["now"] == 1767225600:
        put("v3_headers", b"\x03" + answer(0, i["status"], i["headers"], i["body"]))

# keys: every fixture PEM, and the DER inside it.
for p in sorted((VEC / "keys").glob("*.pem")):
    text = p.read_text()
    put("keys", text)
    body = "".join(l for l in text.splitlines() if l and not l.startswith("-----"))
    put("keys", base64.b64decode(body))

# kiosk_api: [path][status] body; path 0 authinfo, 1 verified, 2 real-name;
# status index 0 = 200, 3 = 400, 6 = 502.
KIOSK = [
    (0, 0, {"rawdata": "RAWDATA-FROM-SDK", "device_id": "KIOSK-01"}),
    (0, 0, {"rawdata": "RAWDATA-FROM-SDK", "device_id": "KIOSK-01", "store_id": "OUTPATIENT-1F",
            "attach": "{\"ward\":\"3\"}", "refresh": True}),
    (0, 0, {"authinfo": "AUTHINFO-FROM-WECHAT", "expires_in": 7200, "expires_at": 1700007200}),
    (1, 0, {"openid": "o1", "sub_openid": None, "face_sid": "FACE_SID_0001"}),
    (1, 0, {"already_verified": True}),
    (2, 0, {"face_sid": "FACE_SID_0001", "device_id": "KIOSK-01"}),
    (2, 0, {"identity": {"name": "张*三", "credential_type": 1,
                         "credential_id": "110***********002X"}, "patient_id": "P000123"}),
    (2, 6, {"code": "SYSTEM_ERROR", "message": "系统错误"}),
    (0, 3, {"code": "invalid_input", "message": "the request body is not the expected JSON object"}),
]
for path, status, body in KIOSK:
    put("kiosk_api", bytes([path, status]) + json.dumps(body, ensure_ascii=False).encode())

# sdk_emu_abi: whole sessions, requests separated by 0xFF.
reqs = [t["expected"] for _, t in tests("sdk/requests.json") if isinstance(t.get("expected"), str)]
init = [r for r in reqs if '"initWxpayface"' in r]
release = [r for r in reqs if '"releaseWxpayface"' in r]
for r in reqs:
    put("sdk_emu_abi", r)
    if init and release:
        put("sdk_emu_abi", b"\xff".join(x.encode() for x in (init[0], r, release[0])))
put("sdk_emu_abi", b"{\"cmd\":\"\xff\"}")
