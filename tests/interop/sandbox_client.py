"""An independent WeChat Pay merchant client for the sandbox.

Written from the protocol description only: hashlib/hmac for v2 signatures,
`cryptography` for APIv3 RSA and AES-GCM, `requests` for HTTP. It shares no
code with the Rust project, so a bug copied on both sides cannot hide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pathlib
import secrets
import string
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Optional

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
AUTHINFO_PATH = "/face/get_wxpayface_authinfo"

GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
GB11643_CHECK = "10X98765432"


def gb11643(first17: str) -> str:
    """A resident ID number: 17 digits and their GB 11643 check character."""
    total = sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS))
    return first17 + GB11643_CHECK[total % 11]


def gb11643_ok(number: str) -> bool:
    return len(number) == 18 and gb11643(number[:17]) == number.upper()


def nonce(n: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


# --- v2 -------------------------------------------------------------------


def v2_sign(fields: dict, key: str, sign_type: str = "MD5") -> str:
    text = "&".join(
        f"{k}={v}" for k, v in sorted(fields.items()) if k != "sign" and v != ""
    )
    text += "&key=" + key
    if sign_type == "HMAC-SHA256":
        digest = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
    else:
        digest = hashlib.md5(text.encode()).hexdigest()
    return digest.upper()


def to_xml(fields: dict) -> str:
    parts = ["<xml>"]
    for k, v in fields.items():
        parts.append(f"<{k}><![CDATA[{v}]]></{k}>")
    parts.append("</xml>")
    return "".join(parts)


def parse_xml(body: bytes) -> dict:
    root = ET.fromstring(body)
    assert root.tag == "xml", root.tag
    return {child.tag: (child.text or "") for child in root}


# --- APIv3 ----------------------------------------------------------------


def authorization(
    private_key, mchid: str, serial: str, method: str, path: str, body: str = "",
    ts: Optional[int] = None, nonce_str: Optional[str] = None,
) -> str:
    ts = int(time.time()) if ts is None else ts
    nonce_str = nonce_str or nonce()
    message = f"{method}\n{path}\n{ts}\n{nonce_str}\n{body}\n".encode()
    sig = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return (
        f'{AUTH_SCHEME} mchid="{mchid}",nonce_str="{nonce_str}",'
        f'signature="{base64.b64encode(sig).decode()}",timestamp="{ts}",serial_no="{serial}"'
    )


def verify_answer(resp: requests.Response, public_key, window: int = 300) -> None:
    """Raise when the answer's signature does not verify (or is stale)."""
    ts = resp.headers["Wechatpay-Timestamp"]
    nonce_str = resp.headers["Wechatpay-Nonce"]
    sig = base64.b64decode(resp.headers["Wechatpay-Signature"])
    if abs(int(time.time()) - int(ts)) >= window:
        raise ValueError("stale Wechatpay-Timestamp")
    message = ts.encode() + b"\n" + nonce_str.encode() + b"\n" + resp.content + b"\n"
    public_key.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())


def rsa_decrypt(private_key, b64: str, scheme: str) -> str:
    ct = base64.b64decode(b64)
    if scheme == "oaep-sha1":
        pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    else:
        pad = padding.PKCS1v15()
    return private_key.decrypt(ct, pad).decode("utf-8")


def aes_gcm_open(key: str, nonce_str: str, aad: str, ciphertext_b64: str) -> bytes:
    return AESGCM(key.encode()).decrypt(
        nonce_str.encode(), base64.b64decode(ciphertext_b64), aad.encode()
    )


# --- the sandbox ------------------------------------------------------------


@dataclass
class Sandbox:
    url: str
    keys_dir: pathlib.Path
    padding: str
    identities: list
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        d = self.keys_dir
        self.manifest = json.loads((d / "sandbox.json").read_text())
        files = self.manifest["files"]
        self.v2_key = (d / files["api_v2_key"]).read_text().strip()
        self.v3_key = (d / files["api_v3_key"]).read_text().strip()
        load_key = lambda name: serialization.load_pem_private_key(  # noqa: E731
            (d / files[name]).read_bytes(), password=None
        )
        self.merchant_key = load_key("merchant_key")
        self.sub_key = load_key("sub_merchant_key")
        self.platform_cert_pem = (d / files["platform_cert"]).read_bytes()
        self.platform_cert = x509.load_pem_x509_certificate(self.platform_cert_pem)
        self.pub_key = serialization.load_pem_public_key((d / files["pub_key"]).read_bytes())
        self.appid = self.manifest["appid"]
        self.mch_id = self.manifest["mch_id"]
        self.sub_appid = self.manifest["sub_appid"]
        self.sub_mch_id = self.manifest["sub_mch_id"]

    # the emulated SDK's side (internal endpoints)

    def emu(self, path: str, body: dict) -> requests.Response:
        return self.http.post(self.url + path, json=body, timeout=30)

    def rawdata(self, device: str) -> str:
        r = self.emu("/_emu/rawdata", {"device_id": device})
        assert r.status_code == 200, r.text
        return r.json()["rawdata"]

    def recognise(self, device: str, authinfo: str, store: str, provider: bool = False,
                  person: Optional[str] = None) -> requests.Response:
        body = {
            "device_id": device, "authinfo": authinfo, "appid": self.appid,
            "mch_id": self.mch_id, "store_id": store, "face_authtype": "FACE_AUTH",
            "person": person,
        }
        if provider:
            body.update(sub_appid=self.sub_appid, sub_mch_id=self.sub_mch_id)
        return self.emu("/_emu/recognise", body)

    def auth(self, device: str, authinfo: str, face_sid: str, action: str) -> requests.Response:
        return self.emu(
            "/_emu/auth",
            {"device_id": device, "authinfo": authinfo, "face_sid": face_sid, "action": action},
        )

    # v2

    def authinfo_fields(self, rawdata: str, device: str, store: str, provider: bool = False,
                        sign_type: str = "MD5") -> dict:
        f = {
            "store_id": store, "store_name": "测试医院", "device_id": device,
            "rawdata": rawdata, "appid": self.appid, "mch_id": self.mch_id,
            "now": str(int(time.time())), "version": "1", "sign_type": sign_type,
            "nonce_str": nonce(),
        }
        if provider:
            f.update(sub_appid=self.sub_appid, sub_mch_id=self.sub_mch_id)
        return f

    def post_v2(self, fields: dict, sign_type: str = "MD5", key: Optional[str] = None,
                sign: bool = True) -> requests.Response:
        fields = dict(fields)
        if sign:
            fields["sign"] = v2_sign(fields, key or self.v2_key, sign_type)
        return self.http.post(
            self.url + AUTHINFO_PATH, data=to_xml(fields).encode(),
            headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30,
        )

    def check_v2_sign(self, answer: dict, sign_type: str) -> None:
        assert answer.get("sign"), "the answer must be signed"
        assert hmac.compare_digest(answer["sign"], v2_sign(answer, self.v2_key, sign_type))

    def session(self, device: str, store: str, provider: bool = False,
                person: Optional[str] = None, consent: bool = True) -> tuple[str, str]:
        """rawdata → authinfo → recognise → consent: (authinfo, face_sid)."""
        raw = self.rawdata(device)
        r = self.post_v2(self.authinfo_fields(raw, device, store, provider, "HMAC-SHA256"),
                         "HMAC-SHA256")
        answer = parse_xml(r.content)
        assert answer["return_code"] == "SUCCESS", answer
        self.check_v2_sign(answer, "HMAC-SHA256")
        rec = self.recognise(device, answer["authinfo"], store, provider, person)
        assert rec.status_code == 200, rec.text
        face_sid = rec.json()["face_sid"]
        if consent:
            a = self.auth(device, answer["authinfo"], face_sid, "consent")
            assert a.status_code == 200, a.text
        return answer["authinfo"], face_sid

    # APIv3

    def users_path(self, face_sid: str, info_type: str = "ASK_REAL_NAME",
                   provider: bool = False) -> str:
        path = f"/v3/facemch/users/{face_sid}?info_type={info_type}&appid={self.appid}"
        if provider:
            path += f"&sub_mchid={self.sub_mch_id}&sub_appid={self.sub_appid}"
            if info_type == "ASK_REAL_NAME":
                path += f"&sub_serial_no={self.manifest['sub_merchant_serial']}"
        return path

    def get_v3(self, path: str, auth: Optional[str] = "default",
               wechatpay_serial: Optional[str] = None, **sign_args) -> requests.Response:
        headers = {"Accept": "application/json"}
        if auth == "default":
            auth = authorization(self.merchant_key, self.mch_id,
                                 self.manifest["merchant_serial"], "GET", path, **sign_args)
        if auth is not None:
            headers["Authorization"] = auth
        if wechatpay_serial:
            headers["Wechatpay-Serial"] = wechatpay_serial
        return self.http.get(self.url + path, headers=headers, timeout=30)

    def platform_key(self, serial: str):
        if serial == self.manifest["pub_key_id"]:
            return self.pub_key
        if serial.upper() == format(self.platform_cert.serial_number, "X"):
            return self.platform_cert.public_key()
        raise KeyError("unknown Wechatpay-Serial")

    def verify(self, resp: requests.Response) -> None:
        verify_answer(resp, self.platform_key(resp.headers["Wechatpay-Serial"]))
