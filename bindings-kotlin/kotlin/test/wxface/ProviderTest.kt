// Provider mode (服务商) and the decryption path: the provider forwards the
// signed answer (`queryUserSigned`), the hospital's `RealNameReceiver`
// verifies it with the platform key before it decrypts anything; every
// decryption failure of tests/vectors/v3/signed_answers.json is one error with
// one message; and the raw entry points of earlier versions are gone.
package wxface

import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.TestInstance
import wxface.model.*

/** The core's one message of every decryption failure (`wxface_core::error::DECRYPTION_FAILED`). */
const val DECRYPTION_FAILED =
    "real-name decryption failed: the fields do not decrypt to a valid identity with this key and padding"

private val http: HttpClient = HttpClient.newHttpClient()

/**
 * `POST /_sandbox/sign-answer`: [body] signed now by the sandbox with its
 * platform public key, in the JSON form a provider forwards.
 */
fun signAnswer(sandbox: Sandbox, body: String, status: Long = 200): Map<String, Any?> {
    val request = HttpRequest.newBuilder(URI.create(sandbox.url() + "/_sandbox/sign-answer"))
        .header("Content-Type", "application/json")
        .POST(
            HttpRequest.BodyPublishers.ofString(
                Json.write(mapOf("body" to body, "status" to status, "serial" to sandbox.pubKeyId())),
                Charsets.UTF_8,
            ),
        )
        .build()
    val response = http.send(request, HttpResponse.BodyHandlers.ofString(Charsets.UTF_8))
    assertEquals(200, response.statusCode(), "sign-answer")
    return Json.parse(response.body()).obj()
}

/** A copy of the JSON form [answer] with its body and headers changed by [edit]. */
fun edited(answer: Map<String, Any?>, edit: (MutableMap<String, Any?>, MutableMap<String, Any?>) -> Unit): String {
    val copy = answer.toMutableMap()
    val headers = answer["headers"].obj().toMutableMap()
    edit(copy, headers)
    copy["headers"] = headers
    return Json.write(copy)
}

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProviderTest {
    private lateinit var sandbox: Sandbox

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
    }

    @AfterAll
    fun stop() {
        sandbox.stop()
        sandbox.close()
    }

    private val oracle = Vectors.load("v3/signed_answers.json")
    private val vectorKey: String =
        File(System.getProperty("wxface.vectors") ?: "../tests/vectors", oracle["privateKeyPem"] as String)
            .readText(Charsets.UTF_8)

    private fun padding(group: String) = when (group) {
        "pkcs1v15" -> Padding.PKCS1V15
        "oaep-sha1" -> Padding.OAEP_SHA1
        else -> error("unknown group $group")
    }

    /** Both ways in: the object and the JSON text; they must agree. */
    private fun receiveBoth(receiver: RealNameReceiver, json: String): RealName {
        val viaJson = runCatching { receiver.receiveJson(json) }
        val viaObject = runCatching { SignedAnswer.fromJson(json).use { receiver.receive(it) } }
        val e1 = viaJson.exceptionOrNull()
        val e2 = viaObject.exceptionOrNull()
        if (e1 != null || e2 != null) {
            assertEquals(e1?.javaClass, e2?.javaClass)
            assertEquals(e1?.message, e2?.message)
            throw e1 ?: e2!!
        }
        return viaJson.getOrThrow()
    }

    /**
     * Every case of the oracle vectors, its body signed afresh by the sandbox
     * and received with the vectors' private key and the case's padding.
     * Valid answers decrypt to the expected identity; every `oracle` case
     * fails with the one decryption error, message for message; the
     * tampered, unsigned and error answers are reproduced on the fresh
     * answer and refused before any decryption.
     */
    @TestFactory
    fun oracleVectorsThroughTheReceiver(): List<DynamicTest> {
        val cases = oracle["tests"].arr().map { it.obj() }
        assertEquals((oracle["numberOfTests"] as Long).toInt(), cases.size)
        return cases.map { tc ->
            val id = tc["tcId"] as Long
            DynamicTest.dynamicTest("tcId $id: ${tc["comment"]}") {
                RealNameReceiver(
                    vectorKey,
                    platformPublicKeyPem = sandbox.platformPublicKeyPem(),
                    pubKeyId = sandbox.pubKeyId(),
                    padding = padding(tc["group"] as String),
                ).use { receiver -> runCase(receiver, tc) }
            }
        }
    }

    private fun runCase(receiver: RealNameReceiver, tc: Map<String, Any?>) {
        val id = tc["tcId"]
        val vectorAnswer = tc["answer"].obj()
        val fresh = signAnswer(sandbox, tc["body"] as String, vectorAnswer["status"] as Long)
        assertEquals(tc["body"], fresh["body"], "tcId $id: the body is signed as it is")
        val code = tc["code"] as String?
        when {
            tc["result"] == "valid" -> {
                val want = tc["expected"].obj()
                val real = receiveBoth(receiver, Json.write(fresh))
                assertEquals(want["name"], real.exposeName(), "tcId $id")
                assertEquals(want["credential_id"], real.exposeCredentialId(), "tcId $id")
                assertEquals(want["credential_type"], credentialTypeCode(real.credentialType()), "tcId $id")
                assertFalse(real.toString().contains(want["name"] as String))
            }
            tc["oracle"] == true -> {
                assertEquals("decryption", code)
                val e = assertThrows<WxfaceException.Decryption> { receiveBoth(receiver, Json.write(fresh)) }
                assertEquals("decryption", e.code, "tcId $id")
                assertEquals(DECRYPTION_FAILED, e.reason, "tcId $id")
                assertEquals("code=decryption, reason=$DECRYPTION_FAILED, retryable=false", e.message, "tcId $id")
            }
            code == "signature_mismatch" -> {
                // The body changed after signing.
                val json = edited(fresh) { a, _ -> a["body"] = (a["body"] as String).replaceFirst("o_test_openid_0001", "o_test_openid_0002") }
                val e = assertThrows<WxfaceException.Signature> { receiveBoth(receiver, json) }
                assertEquals(code, e.code, "tcId $id")
            }
            code == "signature_stale_timestamp" -> {
                // Signed as long before now as the vector's answer was before its `now`.
                val age = (oracle["now"] as Long) - (vectorAnswer["headers"].obj()["Wechatpay-Timestamp"] as String).toLong()
                assertTrue(age >= 300, "tcId $id")
                val json = edited(fresh) { _, h ->
                    h["Wechatpay-Timestamp"] = ((h["Wechatpay-Timestamp"] as String).toLong() - age).toString()
                }
                val e = assertThrows<WxfaceException.Signature> { receiveBoth(receiver, json) }
                assertEquals(code, e.code, "tcId $id")
            }
            code == "signature_unknown_serial" -> {
                val serial = vectorAnswer["headers"].obj()["Wechatpay-Serial"] as String
                assertNotEquals(sandbox.pubKeyId(), serial)
                val json = edited(fresh) { _, h -> h["Wechatpay-Serial"] = serial }
                val e = assertThrows<WxfaceException.Signature> { receiveBoth(receiver, json) }
                assertEquals(code, e.code, "tcId $id")
            }
            code == "signature_missing" -> {
                val kept = vectorAnswer["headers"].obj().keys
                val json = edited(fresh) { _, h -> h.keys.retainAll(kept) }
                val e = assertThrows<WxfaceException.Signature> { receiveBoth(receiver, json) }
                assertEquals(code, e.code, "tcId $id")
            }
            code == "backend" -> {
                val e = assertThrows<WxfaceException.Backend> { receiveBoth(receiver, Json.write(fresh)) }
                assertEquals("backend", e.code, "tcId $id")
                assertEquals(403.toUShort(), e.status, "tcId $id")
                assertEquals("NO_AUTH", e.wechatCode, "tcId $id")
            }
            else -> error("tcId $id: no rule for result ${tc["result"]} code $code")
        }
    }

    /**
     * Provider mode end to end: the kiosk runs with the sub-merchant's ids,
     * the provider's client (no decryptor, no hospital key) queries and
     * forwards the signed answer, the hospital's receiver verifies and
     * decrypts it; tampered answers are refused before any decryption.
     */
    @Test
    fun providerForwardsTheHospitalVerifiesThenDecrypts() {
        val provider = sandbox.providerClientBuilder().build()
        val hospital = RealNameReceiver(
            sandbox.subMerchantKeyPem(),
            platformPublicKeyPem = sandbox.platformPublicKeyPem(),
            pubKeyId = sandbox.pubKeyId(),
        )
        val forwarded = java.util.Collections.synchronizedList(mutableListOf<String>())
        val backend = object : MerchantBackend {
            override fun authinfo(rawdata: String, deviceId: String, refresh: Boolean): AuthinfoGrant {
                val params = AuthinfoParams(rawdata = rawdata, deviceId = deviceId)
                if (refresh) provider.invalidateAuthinfo(params)
                val grant = provider.getAuthinfo(params)
                return AuthinfoGrant(authinfo = grant.authinfo, expiresAt = grant.expiresAt)
            }

            override fun isVerified(who: Recognised): Boolean = false

            override fun realName(faceSid: String, deviceId: String): MaskedIdentity {
                // The provider's server: query, verify, forward as sent.
                val json = provider.queryUserSigned(faceSid, InfoType.ASK_REAL_NAME).use { it.toJson() }
                forwarded.add(json)
                // The hospital's server: verify again, then decrypt.
                return hospital.receiveJson(json).use { it.masked() }
            }
        }
        val emu = sandbox.emulatedSdk("PV-KIOSK-01")
        val kiosk = Kiosk(
            KioskConfig(
                appid = sandbox.appid(),
                mchId = sandbox.mchId(),
                storeId = "STORE-01",
                subAppid = sandbox.subAppid(),
                subMchId = sandbox.subMchId(),
            ),
            "PV-KIOSK-01",
            EmulatorFaceSdk(emu),
            backend,
        )
        try {
            kiosk.start()
            val person = sandbox.identities()[1]
            emu.setPerson(person.key)
            val outcome = kiosk.verify()
            assertTrue(outcome is Outcome.Verified, outcome.toString())
            outcome as Outcome.Verified
            assertEquals(person.masked, outcome.identity)
            val faceSid = outcome.who.faceSid

            // The forwarded answer as the hospital received it.
            val json = forwarded.single()
            val answer = SignedAnswer.fromJson(json)
            assertEquals(200.toUShort(), answer.status())
            assertEquals(
                setOf("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"),
                answer.headers().keys - "Wechatpay-Signature-Type",
            )
            assertEquals(sandbox.pubKeyId(), answer.headers()["Wechatpay-Serial"])
            assertEquals(json, answer.toJson())
            assertEquals(answer.toJson(), SignedAnswer.fromJson(answer.toJson()).toJson())
            val shown = answer.toString()
            assertTrue(shown.startsWith("SignedAnswer(status=200, headers=["), shown)
            assertTrue(shown.contains("Wechatpay-Signature") && shown.endsWith("body=[${answer.body().toByteArray().size} bytes])"), shown)
            assertFalse(shown.contains(answer.body()), shown)
            assertFalse(shown.contains(answer.headers().getValue("Wechatpay-Signature")), shown)
            assertFalse(shown.contains(answer.headers().getValue("Wechatpay-Nonce")), shown)

            val real = hospital.receive(answer)
            assertEquals(person.masked, real.masked())
            assertTrue(real.exposeName().startsWith("测试"))

            // The provider cannot decrypt what is meant for the hospital.
            assertEquals("config", assertThrows<WxfaceException.Config> { provider.realName(faceSid) }.code)
            val user = provider.queryUser(faceSid, InfoType.ASK_REAL_NAME)
            assertTrue(user.hasRealName())
            val notHis = assertThrows<WxfaceException.Decryption> { sandbox.decryptor().decryptRealName(user) }
            assertEquals(DECRYPTION_FAILED, notHis.reason)

            // Tampered forwarded answers: refused by the signature check, so
            // never decrypted (a signature error, never the decryption one).
            val parsed = Json.parse(json).obj()
            val body = parsed["body"] as String
            val name = Regex("\"encrypted_real_name\":\"([^\"]+)\"").find(body)!!.groupValues[1]
            val id = Regex("\"encrypted_credential_id\":\"([^\"]+)\"").find(body)!!.groupValues[1]
            val spliced = edited(parsed) { a, _ -> a["body"] = body.replace(name, "#").replace(id, name).replace("#", id) }
            val editedBody = edited(parsed) { a, _ -> a["body"] = body.replaceFirst("{", "{ ") }
            val unsigned = edited(parsed) { _, h -> h.remove("Wechatpay-Signature") }
            for ((what, text, wantCode) in listOf(
                Triple("spliced ciphertexts", spliced, "signature_mismatch"),
                Triple("edited body", editedBody, "signature_mismatch"),
                Triple("signature removed", unsigned, "signature_missing"),
            )) {
                val e = assertThrows<WxfaceException.Signature> { hospital.receiveJson(text) }
                assertEquals(wantCode, e.code, what)
                val o = assertThrows<WxfaceException.Signature> { hospital.receive(SignedAnswer.fromJson(text)) }
                assertEquals(wantCode, o.code, what)
            }
            // A receiver that trusts only the platform certificate does not
            // know the public key that signed the answer.
            RealNameReceiver(sandbox.subMerchantKeyPem(), platformCertificatePem = sandbox.platformCertificatePem()).use {
                assertEquals("signature_unknown_serial", assertThrows<WxfaceException.Signature> { it.receiveJson(json) }.code)
            }
            // The answer still verifies untouched.
            assertEquals(person.masked, hospital.receiveJson(json).masked())
        } finally {
            kiosk.shutdown()
            kiosk.close()
            emu.close()
            provider.close()
            hospital.close()
        }
    }

    @Test
    fun receiverConfigurationAndRedaction() {
        val key = sandbox.subMerchantKeyPem()
        val receiver = RealNameReceiver(key, sandbox.platformPublicKeyPem(), sandbox.pubKeyId(), sandbox.platformCertificatePem(), Padding.OAEP_SHA1)
        val shown = receiver.toString()
        assertTrue(shown.contains(sandbox.pubKeyId()) && shown.contains("oaep-sha1") && shown.contains("[REDACTED]"), shown)
        assertFalse(shown.contains("PRIVATE") || shown.contains("BEGIN"), shown)
        receiver.close()

        // No platform key, a key without its id, an id without its key.
        assertEquals("config", assertThrows<WxfaceException.Config> { RealNameReceiver(key) }.code)
        assertThrows<WxfaceException.Config> { RealNameReceiver(key, platformPublicKeyPem = sandbox.platformPublicKeyPem()) }
        assertThrows<WxfaceException.Config> { RealNameReceiver(key, pubKeyId = sandbox.pubKeyId()) }
        // Keys that do not load: the message quotes none of them.
        val badKey = assertThrows<WxfaceException.Config> {
            RealNameReceiver("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", sandbox.platformPublicKeyPem(), sandbox.pubKeyId())
        }
        assertFalse(badKey.message.contains("AAAA"), badKey.message)
        assertEquals("config", assertThrows<WxfaceException> { RealNameReceiver(key, platformCertificatePem = "not a certificate") }.code)
        val badId = assertThrows<WxfaceException> { RealNameReceiver(key, sandbox.platformPublicKeyPem(), "NOT_A_KEY_ID") }
        assertEquals("invalid_input", badId.code)

        // A forwarded text that is not the JSON form.
        val malformed = assertThrows<WxfaceException.Malformed> { SignedAnswer.fromJson("{\"status\":200,\"secret\":\"x-123\"}") }
        assertFalse(malformed.message.contains("x-123"), malformed.message)
        RealNameReceiver(key, sandbox.platformPublicKeyPem(), sandbox.pubKeyId()).use {
            assertThrows<WxfaceException.Malformed> { it.receiveJson("[]") }
        }
    }

    /**
     * The raw entry points are gone: Kotlin cannot build an encrypted
     * identity of its own, and nothing decrypts one that did not come out
     * of a verified answer.
     */
    @Test
    fun noRawDecryptionEntryPoints() {
        val encrypted = runCatching { Class.forName("wxface.EncryptedRealName") }.getOrNull()
        if (encrypted != null) {
            assertTrue(encrypted.constructors.none { java.lang.reflect.Modifier.isPublic(it.modifiers) }, "EncryptedRealName is constructible")
        }
        val decrypting = listOf(Decryptor::class.java, DecryptorInterface::class.java)
            .flatMap { it.methods.toList() }
            .filter { it.name.startsWith("decrypt") }
        assertTrue(decrypting.isNotEmpty())
        for (m in decrypting) {
            assertEquals(listOf(FaceUser::class.java), m.parameterTypes.toList(), m.toString())
        }
        // No constructor of FaceUser takes anything but UniFFI's handle.
        for (c in FaceUser::class.java.constructors) {
            assertFalse(c.parameterTypes.any { it == String::class.java || it == CredentialType::class.java }, c.toString())
        }
        // No method anywhere in the package takes bare ciphertext fields.
        val receiving = RealNameReceiver::class.java.methods.filter { it.name.startsWith("receive") }
        assertEquals(setOf("receive", "receiveJson"), receiving.map { it.name }.toSet())
        for (m in receiving) {
            assertTrue(m.parameterTypes.single() in setOf(SignedAnswer::class.java, String::class.java), m.toString())
        }
    }
}
