// A name and a resident ID number fed as the value of every field of every
// entry point of the binding that parses input — SDK request builders and
// answer parsers, the flow's events, the merchant client's builder and
// calls, signed answers and the receiver, the kiosk's configuration and its
// MerchantBackend's answers: no exception (`message`, `toString`, `reason`)
// contains either. Records and enums that carry `face_sid`, `openid`,
// `sub_openid` or `telephone` print their lengths only, while their
// properties hold the values.
//
// The one text an error carries verbatim is a peer's own message
// (`return_msg` of a face SDK answer, `message`/`detail` of a WeChat Pay
// error answer): those fields are left out, everything else is fed.
package wxface

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import wxface.model.*

private const val NAME = "张三丰"

/** The GB 11643 specimen number. */
private const val ID = "11010519491231002X"
private const val NUMBER = 110105194912310021L
private val STRINGS = listOf(NAME, ID, "$NAME $ID", "$NAME\n$ID")

/** Values for JSON fields of any type. */
private val VALUES: List<Any> = STRINGS + listOf(NUMBER, listOf(NAME, ID), mapOf(NAME to ID), true)
private const val NOW = 1_700_000_000L
private val PEER_TEXT = setOf("message", "detail", "return_msg")

private fun leaks(text: String) =
    text.contains(NAME) || text.contains(ID) || text.contains("19491231") || text.contains('张') ||
        text.contains(NUMBER.toString())

/** Calls entry points, checks every exception, counts them. */
private class Sweep {
    var errors = 0

    fun <T> call(what: String, block: () -> T): T? =
        try {
            block()
        } catch (e: Exception) {
            val text = listOf(e.toString(), e.message ?: "", (e as? WxfaceException)?.reason ?: "").joinToString("\n")
            assertFalse(leaks(text), "$what: $text")
            errors++
            null
        }
}

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PersonalDataTest {
    private lateinit var sandbox: Sandbox
    private lateinit var client: MerchantClient

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        client = sandbox.merchantClientBuilder().build()
    }

    @AfterAll
    fun stop() {
        client.close()
        sandbox.close()
    }

    private fun config() = KioskConfig(appid = sandbox.appid(), mchId = sandbox.mchId(), storeId = "STORE-01")

    @Test
    fun theValuesReachTheParsers() {
        // Fields that take any text carry the values unchanged.
        val json = sdkRequestJson(
            SdkRequest.GetFaceCode(FaceCodeRequest("wx1", "1", "S", "A", FaceAuthType.FACE_AUTH, openid = ID)),
            "1.24",
            NOW,
        )
        assertEquals(ID, Json.parse(json).obj()["openid"])
        val reply = parseSdkReply(
            Cmd.GET_FACE_CODE,
            Json.write(mapOf("return_code" to "SUCCESS", "return_msg" to "OK", "face_sid" to ID, "openid" to NAME)),
        )
        assertEquals(ID, reply.faceSid)
        assertEquals(NAME, reply.openid)
        checkResidentId(ID)
        validateName(NAME)
        assertTrue(isResidentId(ID))
        assertTrue(leaks("x${ID}y") && leaks(NAME) && !leaks("110***********002X"))
    }

    @Test
    fun recordsPrintNoCredentialOrIdentifier() {
        val who = Recognised(faceSid = ID, openid = NAME, subOpenid = ID)
        val reply = SdkReply(faceSid = ID, openid = NAME, subOpenid = ID, faceCode = ID)
        // A masked identity of someone else: the test looks for the values fed.
        val masked = MaskedIdentity("李*四", credentialTypeCode(CredentialType.IdCard), "110***********1234")
        val shown = listOf(
            who,
            reply,
            SdkReply(rawdata = ID, openid = NAME),
            AuthRequest(authinfo = "A", faceSid = ID),
            SdkRequest.GetAuth(AuthRequest(authinfo = "A", faceSid = ID)),
            FaceCodeRequest("wx1", "1", "S", "A", FaceAuthType.FACE_AUTH, openid = NAME, telephone = ID),
            Action.FetchRealName(1uL, ID),
            Action.CheckVerified(2uL, who),
            Action.Done(Outcome.Verified(who, masked)),
            Outcome.Verified(who, masked),
            Outcome.AlreadyVerified(who),
            Outcome.ConsentRefused(who),
            ParsedSdkRequest(SdkRequest.GetAuth(AuthRequest(authinfo = "A", faceSid = ID)), NOW),
        )
        for (x in shown) {
            assertFalse(leaks(x.toString()), x.toString())
        }
        assertTrue(Regex("""face_sid: "\[redacted, 18 chars]"""").containsMatchIn(who.toString()), who.toString())
        // The values stay in the properties.
        assertEquals(ID, who.faceSid)
        assertEquals(NAME, who.openid)
        assertEquals(ID, (shown[3] as AuthRequest).faceSid)
        assertEquals(ID, (shown[6] as Action.FetchRealName).faceSid)
        for (p in sandbox.identities()) {
            assertFalse(p.toString().contains(p.openid), p.toString())
        }
    }

    @Test
    fun sdkMessages() {
        val s = Sweep()
        val requests = mapOf(
            "initWxpayface" to mapOf("proxy" to mapOf("ip" to "10.0.0.1", "port" to "8080"), "proxy_type" to 1L, "camera_rotation" to 0L),
            "getWxpayfaceRawdata" to mapOf(),
            "getWxpayfaceCode" to mapOf(
                "appid" to "wx1", "mch_id" to "1", "store_id" to "s", "authinfo" to "a", "face_authtype" to "FACE_AUTH",
                "sub_appid" to "x", "sub_mch_id" to "2", "openid" to "o", "telephone" to "13800000000",
                "screen_index" to "1", "disable_keyboard" to "1", "token" to "1",
            ),
            "getWxpayAuth" to mapOf("authinfo" to "a", "face_sid" to "f", "quit_face_auth" to "1"),
            "releaseWxpayface" to mapOf(),
        )
        for ((cmd, fields) in requests) {
            val wire = mapOf<String, Any>("cmd" to cmd, "version" to "1", "now" to NOW.toString()) + fields
            val typed = mapOf<String, Any>("cmd" to cmd) + fields
            for (f in wire.keys + listOf("ip", "port", "user", "passwd", NAME)) {
                for (v in VALUES) {
                    s.call("parseSdkRequest $cmd.$f") { parseSdkRequest(Json.write(wire + (f to v))) }
                    s.call("sdkRequestJsonFromObject $cmd.$f") { sdkRequestJsonFromObject(Json.write(typed + (f to v)), "1.24", NOW) }
                    s.call("sdkRequestJsonFromObject $cmd.proxy.$f") {
                        sdkRequestJsonFromObject(Json.write(typed + ("proxy" to mapOf("ip" to "10.0.0.1", "port" to "1", f to v))), "1.24", NOW)
                    }
                }
            }
            for (v in STRINGS) {
                s.call("parseSdkRequest text") { parseSdkRequest(v) }
                s.call("parseSdkRequest cut") { parseSdkRequest(Json.write(wire + ("face_sid" to v)).dropLast(3)) }
                s.call("sdkRequestJsonFromObject version") { sdkRequestJsonFromObject(Json.write(typed), v, NOW) }
            }
        }
        for (v in STRINGS) {
            val faceCode = FaceCodeRequest("wx1", "1", "S", "A", FaceAuthType.FACE_AUTH)
            val typed = listOf(
                faceCode.copy(appid = v), faceCode.copy(mchId = v), faceCode.copy(storeId = v), faceCode.copy(authinfo = v),
                faceCode.copy(subAppid = v), faceCode.copy(subMchId = v), faceCode.copy(openid = v),
                faceCode.copy(telephone = v), faceCode.copy(screenIndex = v),
            ).map { SdkRequest.GetFaceCode(it) } + listOf(
                SdkRequest.GetAuth(AuthRequest(authinfo = v, faceSid = "F")),
                SdkRequest.GetAuth(AuthRequest(authinfo = "A", faceSid = v)),
                SdkRequest.Init(InitSettings(proxy = Proxy(ip = v, port = "1"))),
                SdkRequest.Init(InitSettings(proxy = Proxy(ip = "10.0.0.1", port = v))),
                SdkRequest.Init(InitSettings(proxy = Proxy(ip = "10.0.0.1", port = "1", user = v, passwd = v))),
            )
            for (r in typed) {
                s.call("sdkRequestJson $r") { sdkRequestJson(r, "1.24", NOW) }
                s.call("validateSdkRequest $r") { validateSdkRequest(r, "1.24") }
                s.call("sdkRequestJson version") { sdkRequestJson(r, v, NOW) }
                // The ID number as a time.
                s.call("sdkRequestJson now") { sdkRequestJson(r, "1.24", NUMBER) }
            }
            s.call("sdkCmdFromName") { sdkCmdFromName(v) }
            s.call("checkResidentId") { checkResidentId(v) }
            s.call("validateName") { validateName(v) }
            s.call("validateCredentialId") { validateCredentialId(CredentialType.IdCard, v) }
            s.call("validateCredentialId passport") { validateCredentialId(CredentialType.Passport, v) }
        }
        for (bad in listOf(ID.dropLast(1) + "1", ID.substring(0, 6) + "19491331" + ID.substring(14), ID + "0")) {
            s.call("checkResidentId") { checkResidentId(bad) }
        }
        val answers = mapOf(
            Cmd.INIT to mapOf(),
            Cmd.GET_RAWDATA to mapOf("rawdata" to "R"),
            Cmd.GET_FACE_CODE to mapOf("face_sid" to "F", "openid" to "o", "sub_openid" to "s", "telephone_used" to "true", "face_code" to "c"),
            Cmd.GET_AUTH to mapOf(),
            Cmd.RELEASE to mapOf(),
        )
        for ((cmd, fields) in answers) {
            for (ok in listOf("SUCCESS", "ERROR")) {
                val base = mapOf<String, Any>("return_code" to ok, "return_msg" to "m", "err_code" to "E") + fields
                for (f in base.keys + NAME) {
                    if (f in PEER_TEXT) continue
                    for (v in VALUES) s.call("parseSdkReply $cmd.$f") { parseSdkReply(cmd, Json.write(base + (f to v))) }
                }
            }
            for (v in STRINGS) s.call("parseSdkReply $cmd text") { parseSdkReply(cmd, v) }
        }
        assertTrue(s.errors >= 300, "${s.errors} errors")
    }

    @Test
    fun flowConfigurationAndEvents() {
        val s = Sweep()
        for (v in STRINGS) {
            val c = config()
            for (bad in listOf(
                c.copy(appid = v), c.copy(mchId = v), c.copy(storeId = v), c.copy(sdkVersion = v), c.copy(subAppid = v),
                c.copy(subMchId = v), c.copy(screenIndex = v),
                c.copy(init = InitSettings(proxy = Proxy(ip = v, port = v, user = v, passwd = v))),
            )) {
                s.call("Flow(config)") { Flow(bad).close() }
            }
        }
        // A flow at each SDK call gets an answer carrying the values (the
        // outcome's error is clean), and events with the values for a
        // request it did not make are refused without them.
        var verified = 0
        for (badAt in listOf<Cmd?>(null, Cmd.GET_RAWDATA, Cmd.GET_FACE_CODE, Cmd.GET_AUTH)) {
            for (v in if (badAt == null) listOf<Any>("") else VALUES) {
                val bad = Json.write(mapOf("return_code" to "SUCCESS", "rawdata" to v, "face_sid" to v, "openid" to v, v.toString() to v))
                val done = driveFlow(s, badAt, bad, v)
                val text = done.toString() + ((done as? Outcome.Failed)?.error?.message ?: "")
                assertFalse(leaks(text), "$badAt: $text")
                if (done is Outcome.Verified) {
                    verified++
                    assertFalse(text.contains(done.who.faceSid), text)
                } else {
                    assertTrue(badAt != null && done is Outcome.Failed, text)
                }
            }
        }
        assertTrue(verified >= 1)
        Flow(config()).use { flow -> s.call("Flow.handle(now)") { flow.handle(NUMBER, Event.Start); flow.drainActions() } }
        assertTrue(s.errors >= 40, "${s.errors} errors")
    }

    /** One patient through a fresh flow; the SDK's answer to `badAt` is `bad`. */
    private fun driveFlow(s: Sweep, badAt: Cmd?, bad: String, v: Any): Outcome {
        val device = "KIOSK-PD-1"
        val emu = sandbox.emulatedSdk(device, null)
        val backend = SandboxBackend(client)
        Flow(config()).use { flow ->
            var next: Event? = Event.Start
            var guard = 0
            while (guard++ < 50) {
                val event = next ?: break
                flow.handle(NOW, event)
                next = null
                for (a in flow.drainActions()) {
                    // Values for a request the flow did not make.
                    val unasked = (flow.pending() ?: 0uL) + 100uL
                    s.call("SdkAnswer(unasked)") { flow.handle(NOW, Event.SdkAnswer(unasked, v.toString())) }
                    s.call("Authinfo(unasked)") { flow.handle(NOW, Event.Authinfo(unasked, v.toString(), (NOW + 60).toULong())) }
                    s.call("RealName(unasked)") {
                        flow.handle(NOW, Event.RealName(unasked, MaskedIdentity(v.toString(), 1, v.toString())))
                    }
                    when (a) {
                        is Action.CallSdk -> {
                            val answer = emu.call(a.json)
                            next = Event.SdkAnswer(a.id, if (sdkCmdFromName(a.cmd) == badAt) bad else answer)
                        }
                        is Action.FetchAuthinfo -> {
                            // The merchant server refuses some rawdata the SDK
                            // answered (control characters): that is a failure too.
                            next = try {
                                val g = backend.authinfo(a.rawdata, device, a.refresh)
                                Event.Authinfo(a.id, g.authinfo, g.expiresAt.toULong())
                            } catch (e: WxfaceException) {
                                assertFalse(leaks(e.toString()), e.toString())
                                Event.BackendFailed(a.id, e.toFailure())
                            }
                        }
                        is Action.CheckVerified -> {
                            assertFalse(a.toString().contains(a.who.faceSid), a.toString())
                            next = Event.VerifiedChecked(a.id, false)
                        }
                        is Action.FetchRealName -> {
                            assertFalse(a.toString().contains(a.faceSid), a.toString())
                            next = Event.RealName(a.id, backend.realName(a.faceSid, device))
                        }
                        is Action.Ready -> next = Event.Begin
                        is Action.Done -> {
                            (a.outcome as? Outcome.Verified)?.let { assertFalse(a.toString().contains(it.who.faceSid), a.toString()) }
                            return a.outcome
                        }
                        else -> {}
                    }
                }
            }
        }
        throw AssertionError("the flow did not finish")
    }

    @Test
    fun merchantClientBuilderAndCalls() {
        val s = Sweep()
        for (v in STRINGS) {
            val setters: List<(MerchantClientBuilder) -> Unit> = listOf(
                { it.appid(v) }, { it.mchId(v) }, { it.apiKey(v) }, { it.apiv3Key(v) }, { it.baseUrl(v) },
                { it.merchantKeyPem(v, v) }, { it.platformPublicKey(v, v) }, { it.platformCertificate(v) },
                { it.pinnedPlatformSerials(listOf(v)) }, { it.store(v, v) }, { it.subAppid(v) }, { it.subMerchant(v, v) },
            )
            for ((n, set) in setters.withIndex()) {
                s.call("MerchantClientBuilder setter $n") {
                    sandbox.merchantClientBuilder().use { b ->
                        set(b)
                        b.build().close()
                    }
                }
                s.call("MerchantClientBuilder(empty) setter $n") {
                    MerchantClientBuilder().use { b ->
                        set(b)
                        b.build().close()
                    }
                }
            }
            s.call("Decryptor.fromPem") { Decryptor.fromPem(v) }
            for (p in listOf(
                AuthinfoParams(rawdata = v, deviceId = "KIOSK-01"), AuthinfoParams(rawdata = "R", deviceId = v),
                AuthinfoParams(rawdata = "R", deviceId = "KIOSK-01", storeId = v),
                AuthinfoParams(rawdata = "R", deviceId = "KIOSK-01", storeName = v),
                AuthinfoParams(rawdata = "R", deviceId = "KIOSK-01", attach = v),
            )) {
                s.call("getAuthinfo") { client.getAuthinfo(p) }
                s.call("invalidateAuthinfo") { client.invalidateAuthinfo(p) }
            }
            s.call("queryUser") { client.queryUser(v, InfoType.ASK_REAL_NAME) }
            s.call("queryUserSigned") { client.queryUserSigned(v, InfoType.ASK_REAL_NAME) }
            s.call("realName") { client.realName(v) }
        }
        assertTrue(s.errors >= 80, "${s.errors} errors")
    }

    @Test
    fun signedAnswersAndTheReceiver() {
        val s = Sweep()
        val receiver = RealNameReceiver(
            sandbox.subMerchantKeyPem(),
            platformPublicKeyPem = sandbox.platformPublicKeyPem(),
            pubKeyId = sandbox.pubKeyId(),
        )
        val user = mapOf<String, Any>(
            "openid" to "o", "sub_openid" to "so", "union_id" to "u", "encrypted_real_name" to "rn",
            "credential_type" to 1L, "encrypted_credential_id" to "ci",
        )
        val error = mapOf<String, Any>("code" to "PARAM_ERROR", "message" to "bad", "detail" to mapOf("field" to "x"))
        var parsed = 0
        for ((fields, status) in listOf(user to 200L, error to 400L)) {
            val bodies = mutableListOf<String>()
            for (f in fields.keys) {
                if (f in PEER_TEXT) continue
                for (v in VALUES) bodies += Json.write(fields + (f to v))
            }
            for (v in STRINGS) bodies += Json.write(fields + (v to v))
            for (body in bodies) {
                val answer = signAnswer(sandbox, body, status)
                val json = Json.write(answer)
                s.call("receiveJson $status") { receiver.receiveJson(json) }
                s.call("SignedAnswer.fromJson $status") { SignedAnswer.fromJson(json) }?.use { a ->
                    parsed++
                    assertFalse(leaks(a.toString()), a.toString())
                    s.call("receive $status") { receiver.receive(a) }
                }
            }
        }
        assertTrue(parsed > 0)
        val good = signAnswer(sandbox, Json.write(mapOf("openid" to "o")))
        for (v in VALUES) {
            for (f in listOf("status", "headers", "body", NAME)) {
                s.call("receiveJson.$f") { receiver.receiveJson(Json.write(good + (f to v))) }
            }
            for (h in good["headers"].obj().keys + NAME) {
                val json = Json.write(good + ("headers" to (good["headers"].obj() + (h to v))))
                s.call("receiveJson.headers.$h") { receiver.receiveJson(json) }
            }
        }
        for (v in STRINGS) {
            s.call("SignedAnswer.fromJson text") { SignedAnswer.fromJson(v) }
            s.call("RealNameReceiver key") { RealNameReceiver(v, platformPublicKeyPem = sandbox.platformPublicKeyPem(), pubKeyId = sandbox.pubKeyId()) }
            s.call("RealNameReceiver platform key") { RealNameReceiver(sandbox.subMerchantKeyPem(), platformPublicKeyPem = v, pubKeyId = sandbox.pubKeyId()) }
            s.call("RealNameReceiver key id") { RealNameReceiver(sandbox.subMerchantKeyPem(), platformPublicKeyPem = sandbox.platformPublicKeyPem(), pubKeyId = v) }
            s.call("RealNameReceiver certificate") { RealNameReceiver(sandbox.subMerchantKeyPem(), platformCertificatePem = v) }
        }
        assertTrue(s.errors >= 100, "${s.errors} errors")
    }

    @Test
    fun kioskConfigurationAndBackendAnswers() {
        val s = Sweep()
        for (v in STRINGS) {
            s.call("emulatedSdk.deviceId") { sandbox.emulatedSdk(v, null) }
            s.call("emulatedSdk.sdkVersion") { sandbox.emulatedSdk("KIOSK-PD-2", v) }
            val emu = sandbox.emulatedSdk("KIOSK-PD-2", null)
            s.call("Kiosk.deviceId") { Kiosk(config(), v, EmulatorFaceSdk(emu), SandboxBackend(client)).close() }
            s.call("Kiosk.config") { Kiosk(config().copy(storeId = v), "KIOSK-PD-2", EmulatorFaceSdk(emu), SandboxBackend(client)).close() }
            s.call("httpMerchantBackend.deviceCredential") { (httpMerchantBackend("http://127.0.0.1:9", v) as AutoCloseable).close() }
        }
        // A MerchantBackend of the app's own answering the values where the
        // kiosk expects other shapes: the outcome's error is clean.
        val answers: List<Pair<String, MerchantBackend>> = listOf(
            "authinfo" to object : MerchantBackend by SandboxBackend(client) {
                override fun authinfo(rawdata: String, deviceId: String, refresh: Boolean) = AuthinfoGrant("$NAME $ID", NOW - 1)
            },
            "realName" to object : MerchantBackend by SandboxBackend(client) {
                override fun realName(faceSid: String, deviceId: String) = MaskedIdentity(NAME, 1, ID)
            },
            "realName throws" to object : MerchantBackend by SandboxBackend(client) {
                override fun realName(faceSid: String, deviceId: String): MaskedIdentity = throw IllegalStateException("$NAME $ID")
            },
        )
        for ((what, backend) in answers) {
            val emu = sandbox.emulatedSdk("KIOSK-PD-3", null)
            Kiosk(config(), "KIOSK-PD-3", EmulatorFaceSdk(emu), backend).use { kiosk ->
                kiosk.start()
                val outcome = kiosk.verify()
                val text = outcome.toString() + ((outcome as? Outcome.Failed)?.error?.message ?: "")
                if (outcome is Outcome.Failed) {
                    assertFalse(leaks(text), "$what: $text")
                }
                if (outcome is Outcome.Verified) {
                    assertFalse(outcome.toString().contains(outcome.who.faceSid), outcome.toString())
                }
                kiosk.shutdown()
            }
        }
        assertTrue(s.errors >= 4 + STRINGS.size, "${s.errors} errors")
    }
}
