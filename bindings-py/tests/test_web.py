"""``wxface.web``: the kiosk API of docs/merchant-api.md as a Flask blueprint
and as a plain ASGI app, driven by an emulated kiosk (the real kiosk flow)
through Flask's test client and through a minimal ASGI harness; refusals
(no, malformed, unknown, revoked credential; bad bodies; another device's
id; WeChat Pay's errors; a registry that fails) with the statuses of the
API's table, and nothing sent to WeChat Pay for a refused credential."""

import asyncio
import json

import pytest

import wxface
import wxface.web

flask = pytest.importorskip("flask")


class Devices:
    """A device table: key id → (device id, verifier, revoked)."""

    def __init__(self):
        self.rows = {}

    def issue(self, device_id):
        cred = wxface.DeviceCredential.generate()
        self.rows[cred.key_id] = (device_id, cred.verifier(), False)
        return cred

    def revoke(self, cred):
        device_id, verifier, _ = self.rows[cred.key_id]
        self.rows[cred.key_id] = (device_id, verifier, True)

    def lookup(self, key_id):
        return self.rows.get(key_id)


class Registry(wxface.web.MemoryRegistry):
    def __init__(self):
        super().__init__()
        self.fail = False

    def is_verified(self, openid, sub_openid):
        if self.fail:
            raise RuntimeError("张三丰 11010519491231002X")  # personal data in a message: never answered
        return super().is_verified(openid, sub_openid)


@pytest.fixture
def setup(wxface_sandbox):
    sb = wxface_sandbox
    client = sb.client(max_retries=0)
    devices = Devices()
    registry = Registry()
    decryptor = wxface.Decryptor(sb.credentials.merchant_key_pem, sb.credentials.padding)
    return sb, client, devices, registry, decryptor


# ---------------------------------------------------------------- transports


def flask_transport(setup):
    sb, client, devices, registry, decryptor = setup
    app = flask.Flask("his")
    app.register_blueprint(
        wxface.web.flask_blueprint(client, devices=devices.lookup, registry=registry, decryptor=decryptor)
    )
    http = app.test_client()

    def post(path, body, authorization=None, method="POST"):
        headers = {"content-type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        r = http.open(path, method=method, data=body, headers=headers)
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.get_data()

    return post


async def asgi_call(app, method, path, headers, body, *, chunk=None, forbid_body=False):
    """One request through an ASGI app: the scope, ``receive`` giving the
    body (in chunks of ``chunk`` bytes), ``send`` collecting the answer."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    pieces = pieces or [b""]
    read = {"n": 0}

    async def receive():
        assert not forbid_body, "the body was read before the credential was checked"
        i = read["n"]
        read["n"] += 1
        if i < len(pieces):
            return {"type": "http.request", "body": pieces[i], "more_body": i < len(pieces) - 1}
        return {"type": "http.disconnect"}

    out = {"status": None, "headers": {}, "body": b""}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["headers"], out["body"]


def asgi_transport(setup):
    sb, client, devices, registry, decryptor = setup
    app = wxface.web.asgi_app(client, devices=devices.lookup, registry=registry, decryptor=decryptor)

    def post(path, body, authorization=None, method="POST"):
        headers = {"content-type": "application/json"}
        if authorization is not None:
            headers["authorization"] = authorization
        return asyncio.run(asgi_call(app, method, path, headers, body, chunk=7))

    return post


TRANSPORTS = {"flask": flask_transport, "asgi": asgi_transport}


@pytest.fixture(params=sorted(TRANSPORTS))
def api(request, setup):
    return TRANSPORTS[request.param](setup)


def kiosk_merchant(post, authorization):
    """The merchant callable of an EmulatedKiosk: each request POSTed; an
    error answer raised as the wxface error of its record."""

    def merchant(path, request):
        status, _, body = post(path, json.dumps(request).encode(), authorization)
        record = json.loads(body)
        if status != 200:
            raise wxface.from_info(record)
        return record

    return merchant


# ---------------------------------------------------------------- the flow


def test_the_kiosk_flow_through_the_api(setup, api):
    sb, client, devices, registry, _ = setup
    cred = devices.issue("KIOSK-W1")
    merchant = kiosk_merchant(api, cred.authorization())
    person = sb.identities[0]
    out = sb.kiosk(person=person.key, device_id="KIOSK-W1").verify(merchant)
    assert out.kind == "verified", out.to_dict()
    assert out.identity == person.real_name.masked()
    # The registry recorded the patient (masked), so the next time it is
    # "already verified" and the kiosk quits the SDK.
    assert len(registry.patients) == 1
    (patient_id, masked), = registry.patients.values()
    assert masked["name"] == person.real_name.masked_name and patient_id == "P000001"
    again = sb.kiosk(person=person.key, device_id="KIOSK-W1").verify(merchant)
    assert again.kind == "already_verified"


def test_answers_are_the_apis(setup, api):
    sb, client, devices, registry, _ = setup
    cred = devices.issue("KIOSK-W2")
    status, headers, body = api("/kiosk/authinfo", json.dumps({"rawdata": sb.kiosk().rawdata()}).encode(), cred.authorization())
    assert status == 200 and headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert set(answer) == {"authinfo", "expires_in", "expires_at"} and answer["authinfo"]
    # The authinfo is the client's, cached for the credential's device.
    assert client.get_authinfo(sb.kiosk().rawdata(), device_id="KIOSK-W2").from_cache
    face_sid = sb.kiosk().consented_face_sid(client)
    status, _, body = api("/kiosk/real-name", json.dumps({"face_sid": face_sid}).encode(), cred.authorization())
    assert status == 200
    answer = json.loads(body)
    assert answer["identity"] == sb.identities[0].real_name.masked()
    assert sb.identities[0].real_name.expose_name() not in body.decode()


# ---------------------------------------------------------------- refusals


def error_of(status, headers, body):
    record = json.loads(body)
    assert headers["content-type"] == "application/json"
    return status, record


def test_refused_credentials_never_reach_wechat_pay(setup, api):
    sb, client, devices, _, _ = setup
    live = devices.issue("KIOSK-W3")
    revoked = devices.issue("KIOSK-W3")
    devices.revoke(revoked)
    forged = wxface.DeviceCredential.parse(f"wxfd1.{live.key_id}.{'A' * 43}")
    body = json.dumps({"rawdata": "x"}).encode()
    before = client.stats()["calls"]
    for authorization in (None, "Basic dXNlcjpwdw==", "Bearer not-a-credential", forged.authorization(),
                          wxface.DeviceCredential.generate().authorization(), revoked.authorization()):
        for path in wxface.web.PATHS:
            status, headers, answer = api(path, body, authorization)
            status, record = error_of(status, headers, answer)
            assert status == 401 and record["code"] == "unauthenticated", (authorization, record)
            assert headers["www-authenticate"].startswith("Bearer")
            for secret in (live.expose(), revoked.expose(), forged.expose()):
                assert secret not in answer.decode()
    assert client.stats()["calls"] == before


def test_bad_requests(setup, api):
    sb, client, devices, _, _ = setup
    cred = devices.issue("KIOSK-W4")
    auth = cred.authorization()
    cases = [
        ("/kiosk/authinfo", b"not json", "body"),
        ("/kiosk/authinfo", b"[]", "body"),
        ("/kiosk/authinfo", b"{}", "body"),
        ("/kiosk/verified", json.dumps({"face_sid": ""}).encode(), "face_sid"),
        ("/kiosk/real-name", json.dumps({"face_sid": "x", "device_id": "K" * 33}).encode(), "device_id"),
        ("/kiosk/authinfo", json.dumps({"rawdata": "x", "device_id": "KIOSK-OTHER"}).encode(), "device_id"),
        ("/kiosk/authinfo", json.dumps({"rawdata": "x" * (wxface.web.MAX_REQUEST_BYTES + 10)}).encode(), "body"),
    ]
    before = client.stats()["calls"]
    for path, body, field in cases:
        status, record = error_of(*api(path, body, auth))
        assert (status, record["code"], record.get("field")) == (400, "invalid_input", field), (path, record)
        assert not isinstance(record.get("message"), str) or "KIOSK-OTHER" not in record["message"]
    assert client.stats()["calls"] == before
    # The credential's own device id is accepted in a body.
    status, _, _ = api("/kiosk/authinfo", json.dumps({"rawdata": sb.kiosk().rawdata(), "device_id": "KIOSK-W4"}).encode(), auth)
    assert status == 200


def test_wechat_pays_errors_and_failing_registries(setup, api):
    sb, client, devices, registry, _ = setup
    cred = devices.issue("KIOSK-W5")
    auth = cred.authorization()
    status, record = error_of(*api("/kiosk/real-name", json.dumps({"face_sid": "NO_SUCH_FACE_SID"}).encode(), auth))
    with pytest.raises(wxface.BackendError) as direct:
        client.query_user("NO_SUCH_FACE_SID")
    assert (record["code"], record["wechat_code"]) == ("backend", direct.value.wechat_code)
    assert status == 404  # the API's table: WeChat's 404 / NOT_FOUND
    # The answer is the error the client raised, back through from_info.
    assert wxface.from_info(record).wechat_code == direct.value.wechat_code

    sb.faults.inject("users", "system_error", count=5)
    face_sid = "ANY"
    status, record = error_of(*api("/kiosk/verified", json.dumps({"face_sid": face_sid}).encode(), auth))
    assert status == 502 and record["code"] == "backend" and record["retryable"] is True
    sb.faults.clear()

    # The registry fails: internal, naming the exception's type, not its text.
    face_sid = sb.kiosk().consented_face_sid(client)
    registry.fail = True
    status, headers, body = api("/kiosk/verified", json.dumps({"face_sid": face_sid}).encode(), auth)
    status, record = error_of(status, headers, body)
    assert status == 500 and record["code"] == "internal" and "RuntimeError" in record["message"]
    assert "张三丰" not in body.decode("utf-8") and "11010519491231002X" not in body.decode()

    # A reported openid that is not WeChat Pay's.
    registry.fail = False
    status, record = error_of(*api("/kiosk/verified", json.dumps({"face_sid": face_sid, "openid": "o-made-up"}).encode(), auth))
    assert (status, record["code"], record["field"]) == (400, "invalid_input", "openid")


def test_an_answer_that_is_not_masked_is_never_sent(setup):
    sb, client, devices, _, _ = setup
    who = sb.identities[0].real_name
    with pytest.raises(wxface.InternalError) as e:
        wxface._native.kiosk_answer("/kiosk/real-name", {"identity": who.to_dict(expose=True)})
    assert who.expose_name() not in str(e.value) and who.expose_credential_id() not in str(e.value)
    body = wxface._native.kiosk_answer("/kiosk/real-name", {"identity": who.masked()})
    assert json.loads(body) == {"identity": who.masked()}
    with pytest.raises(wxface.InvalidInputError):
        wxface._native.kiosk_answer("/kiosk/other", {})
    with pytest.raises(wxface.InvalidInputError):
        wxface._native.kiosk_request("/kiosk/other", b"{}")


# ---------------------------------------------------------------- ASGI specifics


def test_asgi_checks_the_credential_before_reading_the_body(setup):
    sb, client, devices, registry, decryptor = setup
    app = wxface.web.asgi_app(client, devices=devices.lookup)
    status, headers, body = asyncio.run(
        asgi_call(app, "POST", "/kiosk/authinfo", {}, b'{"rawdata": "x"}', forbid_body=True)
    )
    assert status == 401 and json.loads(body)["code"] == "unauthenticated"


def test_asgi_routing_methods_lifespan_and_fallback(setup):
    sb, client, devices, _, _ = setup
    app = wxface.web.asgi_app(client, devices=devices.lookup)
    status, headers, _ = asyncio.run(asgi_call(app, "GET", "/kiosk/authinfo", {}, b""))
    assert status == 405 and headers["allow"] == "POST"
    status, _, _ = asyncio.run(asgi_call(app, "POST", "/elsewhere", {}, b""))
    assert status == 404

    async def lifespan():
        sent = []
        inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

        async def receive():
            return inbox.pop(0)

        async def send(m):
            sent.append(m["type"])

        await app({"type": "lifespan"}, receive, send)
        return sent

    assert asyncio.run(lifespan()) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    async def other(scope, receive, send):
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    routed = wxface.web.asgi_app(client, devices=devices.lookup, fallback=other)
    status, _, _ = asyncio.run(asgi_call(routed, "GET", "/health", {}, b""))
    assert status == 204
    # Mounted under a root path.
    cred = devices.issue("KIOSK-W6")

    # root_path: the scope says where the app is mounted.
    async def with_root():
        async def app_with_root(scope, receive, send):
            scope = dict(scope, root_path="/his")
            await routed(scope, receive, send)

        return await asgi_call(app_with_root, "POST", "/his/kiosk/verified",
                               {"authorization": cred.authorization()}, b'{"face_sid": ""}')

    status, _, body = asyncio.run(with_root())
    assert status == 400 and json.loads(body)["field"] == "face_sid"


def test_the_asgi_app_does_not_block_the_event_loop(setup):
    sb, client, devices, _, _ = setup
    app = wxface.web.asgi_app(client, devices=devices.lookup)
    cred = devices.issue("KIOSK-W7")
    sb.faults.inject("users", "latency", count=4, latency=0.3)

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        t = asyncio.ensure_future(ticker())
        body = json.dumps({"face_sid": "NO_SUCH_FACE_SID"}).encode()
        results = await asyncio.gather(*[
            asgi_call(app, "POST", "/kiosk/verified", {"authorization": cred.authorization()}, body)
            for _ in range(2)
        ])
        t.cancel()
        return ticks, results

    ticks, results = asyncio.run(main())
    assert all(r[0] == 404 for r in results), results
    assert ticks >= 5
