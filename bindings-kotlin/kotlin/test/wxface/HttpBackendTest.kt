// The Rust HTTP MerchantBackend (docs/merchant-api.md) against the reference
// merchant server in front of the sandbox, driven by the Kiosk through a
// Kotlin FaceSdk. Every kiosk sends the device credential the sandbox issued
// for its device id; without a live one the server refuses it
// (`Unauthenticated`), and the credential shows in no error and no printout.
package wxface

import java.net.ServerSocket
import java.security.SecureRandom
import java.util.Base64
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import wxface.model.*

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpBackendTest {
    private lateinit var sandbox: Sandbox
    private lateinit var server: String

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        server = sandbox.referenceServerUrl()
    }

    @AfterAll
    fun stop() {
        sandbox.close()
    }

    private fun kiosk(deviceId: String, backend: MerchantBackend): Pair<Kiosk, EmulatedFaceSdk> {
        val emu = sandbox.emulatedSdk(deviceId)
        val kiosk = Kiosk(
            KioskConfig(appid = sandbox.appid(), mchId = sandbox.mchId(), storeId = "STORE-01"),
            deviceId,
            EmulatorFaceSdk(emu),
            backend,
        )
        kiosk.start()
        return kiosk to emu
    }

    /** A credential of the right form that the server never issued. */
    private fun madeUpCredential(): String {
        val random = SecureRandom()
        val keyId = ByteArray(8).also(random::nextBytes).joinToString("") { "%02x".format(it) }
        val secret = Base64.getUrlEncoder().withoutPadding().encodeToString(ByteArray(32).also(random::nextBytes))
        return "wxfd1.$keyId.$secret"
    }

    /**
     * The server served the kiosk: `Verified`, or `AlreadyVerified` when
     * another test of this class recorded the person first (the tests
     * share one sandbox and its five test persons).
     */
    private fun assertServed(outcome: Outcome) {
        assertTrue(outcome is Outcome.Verified || outcome is Outcome.AlreadyVerified, "$outcome")
    }

    /** Neither the credential nor its secret part appears in [texts]. */
    private fun assertNotShown(credential: String, vararg texts: Any?) {
        val secret = credential.substringAfterLast('.')
        for (t in texts) {
            val text = t.toString()
            assertFalse(text.contains(credential) || text.contains(secret), "the credential is shown in: $text")
        }
    }

    /** The refusal of [credential] as the kiosk sees it: an authinfo call that throws, then a whole verification. */
    private fun assertRefused(deviceId: String, credential: String?): WxfaceException.Unauthenticated {
        val backend = httpMerchantBackend(server, credential)
        val e = assertThrows<WxfaceException.Unauthenticated> { backend.authinfo("rawdata", deviceId, false) }
        assertEquals("unauthenticated", e.code)
        assertEquals("unauthenticated", e.kind)
        assertFalse(e.retryable)
        val (kiosk, emu) = kiosk(deviceId, backend)
        val outcome = kiosk.verify()
        assertTrue(outcome is Outcome.Failed, "$outcome")
        outcome as Outcome.Failed
        assertEquals(Step.FETCHING_AUTHINFO, stepFromName(outcome.step))
        assertEquals("unauthenticated", outcome.error.code)
        assertFalse(outcome.error.retryable)
        assertTrue(outcome.error.toException() is WxfaceException.Unauthenticated)
        if (credential != null) {
            assertNotShown(credential, e, e.message, e.reason, outcome, outcome.error, outcome.error.message, backend)
        }
        kiosk.shutdown()
        kiosk.close()
        emu.close()
        (backend as AutoCloseable).close()
        return e
    }

    @Test
    fun verifiedThenAlreadyVerifiedThenRefreshed() {
        val (kiosk, emu) = kiosk("HB-01", httpMerchantBackend(server, sandbox.deviceCredential("HB-01"), timeoutMs = 10_000u))
        val person = sandbox.identities()[2]
        emu.setPerson(person.key)
        val first = kiosk.verify()
        assertTrue(first is Outcome.Verified, "$first")
        assertEquals(person.masked, (first as Outcome.Verified).identity)
        // The reference server recorded the patient: the next visit quits.
        val second = kiosk.verify()
        assertTrue(second is Outcome.AlreadyVerified, "$second")
        // Every authinfo expires: the kiosk asks with refresh and recovers.
        sandbox.expireAuthinfos()
        emu.setPerson(sandbox.identities()[3].key)
        val third = kiosk.verify()
        assertTrue(third is Outcome.Verified, "$third")
        kiosk.shutdown()
        kiosk.close()
        emu.close()
    }

    @Test
    fun seededRegistryAndRefusal() {
        val person = sandbox.identities()[4]
        sandbox.registerVerified(person.openid, "P-SEEDED")
        val (kiosk, emu) = kiosk("HB-02", httpMerchantBackend(
            server,
            sandbox.deviceCredential("HB-02"),
            headers = mapOf("X-Request-Source" to "kiosk"),
        ))
        emu.setPerson(person.key)
        assertTrue(kiosk.verify() is Outcome.AlreadyVerified)
        emu.setPerson(sandbox.identities()[0].key)
        emu.pushOutcome(EmulatedOutcome.REFUSE)
        assertTrue(kiosk.verify() is Outcome.ConsentRefused)
        kiosk.shutdown()
        kiosk.close()
        emu.close()
    }

    @Test
    fun alreadyVerifiedInTheSandboxsOlderModeToo() {
        // The default sandbox follows the spec's table (no openid with the
        // face_sid; the reference server resolves it). The older behaviour
        // reports the openid, and the reference server checks it.
        Sandbox(openidWithFaceSid = true).use { older ->
            val url = older.referenceServerUrl()
            val person = older.identities()[1]
            older.registerVerified(person.openid, "P-OLDER")
            val emu = older.emulatedSdk("HB-04")
            val kiosk = Kiosk(
                KioskConfig(appid = older.appid(), mchId = older.mchId(), storeId = "STORE-01"),
                "HB-04",
                EmulatorFaceSdk(emu),
                httpMerchantBackend(url, older.deviceCredential("HB-04")),
            )
            kiosk.start()
            emu.setPerson(person.key)
            val outcome = kiosk.verify()
            assertTrue(outcome is Outcome.AlreadyVerified, "$outcome")
            assertEquals(person.openid, (outcome as Outcome.AlreadyVerified).who.openid)
            kiosk.shutdown()
            kiosk.close()
            emu.close()
            older.stop()
        }
    }

    @Test
    fun anUnreachableServerIsAFailedOutcome() {
        val port = ServerSocket(0).use { it.localPort }
        val (kiosk, emu) = kiosk("HB-03", httpMerchantBackend("http://127.0.0.1:$port", sandbox.deviceCredential("HB-03"), connectTimeoutMs = 1000u))
        val outcome = kiosk.verify()
        assertTrue(outcome is Outcome.Failed, "$outcome")
        outcome as Outcome.Failed
        assertEquals(Step.FETCHING_AUTHINFO, stepFromName(outcome.step))
        assertEquals("transport", outcome.error.code)
        assertEquals("connect", outcome.error.transportKind)
        assertTrue(outcome.error.retryable)
        kiosk.shutdown()
        kiosk.close()
        emu.close()
        assertEquals(
            "config",
            assertThrows<WxfaceException> { httpMerchantBackend("ftp://example", null) }.code,
        )
    }

    @Test
    fun withoutACredentialTheKioskIsRefused() {
        val e = assertRefused("HB-10", null)
        assertTrue(e.reason.contains("no device credential"), e.reason)
    }

    @Test
    fun aMadeUpOrForgedCredentialIsRefusedAndNeverShown() {
        val madeUp = madeUpCredential()
        val unknown = assertRefused("HB-11", madeUp)
        // A real key id with a wrong secret gets the same answer as a key id
        // never issued: the answer does not tell which key ids exist.
        val real = sandbox.deviceCredential("HB-11")
        val last = real.last()
        val forged = real.dropLast(1) + (if (last == 'A') 'B' else 'A')
        val wrongSecret = assertRefused("HB-11", forged)
        assertEquals(unknown.reason, wrongSecret.reason)
        assertEquals(unknown.message, wrongSecret.message)
        assertNotShown(real, unknown, wrongSecret)
    }

    @Test
    fun aRevokedCredentialIsRefusedAndAnotherOneWorks() {
        val first = sandbox.deviceCredential("HB-12")
        val second = sandbox.deviceCredential("HB-12")
        assertNotEquals(first, second)
        val (kiosk, emu) = kiosk("HB-12", httpMerchantBackend(server, first))
        emu.setPerson(sandbox.identities()[1].key)
        assertServed(kiosk.verify())
        // Revoke the first credential by its key id: the device's other one stays live.
        assertEquals(1uL, sandbox.revokeDevice(first.split('.')[1]))
        val refused = kiosk.verify()
        assertTrue(refused is Outcome.Failed, "$refused")
        refused as Outcome.Failed
        assertEquals("unauthenticated", refused.error.code)
        assertFalse(refused.error.retryable)
        assertTrue(refused.error.message.contains("revoked"), refused.error.message)
        assertNotShown(first, refused, refused.error.message, refused.error.toException())
        val revoked = assertRefused("HB-12", first)
        assertTrue(revoked.reason.contains("revoked"), revoked.reason)
        kiosk.shutdown()
        kiosk.close()
        emu.close()
        val (again, emu2) = kiosk("HB-12", httpMerchantBackend(server, second))
        emu2.setPerson(sandbox.identities()[1].key)
        assertServed(again.verify())
        // Revoke the device: every credential it holds.
        assertEquals(1uL, sandbox.revokeDevice("HB-12"))
        assertEquals(0uL, sandbox.revokeDevice("HB-12"))
        again.invalidateAuthinfo()
        val gone = again.verify()
        assertTrue(gone is Outcome.Failed && gone.error.code == "unauthenticated", "$gone")
        again.shutdown()
        again.close()
        emu2.close()
    }

    @Test
    fun theCredentialNamesTheDevice() {
        // A credential issued for another device: the request's device is the
        // credential's, and a body naming another one is refused.
        val (kiosk, emu) = kiosk("HB-13", httpMerchantBackend(server, sandbox.deviceCredential("HB-14")))
        val outcome = kiosk.verify()
        assertTrue(outcome is Outcome.Failed, "$outcome")
        outcome as Outcome.Failed
        assertEquals("invalid_input", outcome.error.code)
        assertEquals("device_id", outcome.error.field)
        kiosk.shutdown()
        kiosk.close()
        emu.close()
    }

    @Test
    fun aCredentialNotOfTheFormIsAConfigErrorThatDoesNotQuoteIt() {
        val made = madeUpCredential()
        for (bad in listOf("s3cr3t-token", "Bearer $made", "$made\r\nX-Injected: 1", made.replace("wxfd1.", "wxfd2."), "")) {
            val e = assertThrows<WxfaceException.Config> { httpMerchantBackend(server, bad) }
            assertEquals("config", e.code)
            assertTrue(e.reason.contains("wxfd1."), e.reason)
            if (bad.isNotEmpty()) {
                assertNotShown(made, e, e.message, e.reason)
                assertFalse(e.toString().contains(bad) || e.toString().contains("s3cr3t"), e.toString())
            }
        }
        // The sandbox issues credentials for device ids a kiosk may have only.
        assertEquals("device_id", assertThrows<WxfaceException.InvalidInput> { sandbox.deviceCredential("") }.field)
        assertEquals("device_id", assertThrows<WxfaceException.InvalidInput> { sandbox.deviceCredential("D".repeat(33)) }.field)
    }

    @Test
    fun aKotlinBackendsRefusalIsUnauthenticatedToo() {
        // An app's own MerchantBackend (android-sample/) maps its server's 401 so.
        val backend = object : MerchantBackend {
            override fun authinfo(rawdata: String, deviceId: String, refresh: Boolean): AuthinfoGrant =
                throw merchantServerUnauthenticated("the merchant server answered HTTP 401")
            override fun isVerified(who: Recognised): Boolean = false
            override fun realName(faceSid: String, deviceId: String): MaskedIdentity =
                throw IllegalStateException("not reached")
        }
        val (kiosk, emu) = kiosk("HB-15", backend)
        val outcome = kiosk.verify()
        assertTrue(outcome is Outcome.Failed, "$outcome")
        outcome as Outcome.Failed
        assertEquals("unauthenticated", outcome.error.code)
        assertFalse(outcome.error.retryable)
        assertTrue(outcome.error.toException() is WxfaceException.Unauthenticated)
        kiosk.shutdown()
        kiosk.close()
        emu.close()
    }

    @Test
    fun javaCallsTheBackendByAPlainName() {
        // What Java sees: `httpMerchantBackend` takes UInt? timeouts, so its
        // JVM name is mangled and Java has no default arguments; the
        // two-argument variant is a plain static method of WxfaceKt.
        val method = Class.forName("wxface.WxfaceKt")
            .getMethod("httpMerchantBackendForDevice", String::class.java, String::class.java)
        val backend = method.invoke(null, server, sandbox.deviceCredential("HB-16")) as MerchantBackend
        val (kiosk, emu) = kiosk("HB-16", backend)
        val person = sandbox.identities()[1]
        emu.setPerson(person.key)
        val outcome = kiosk.verify()
        assertServed(outcome)
        if (outcome is Outcome.Verified) assertEquals(person.masked, outcome.identity)
        kiosk.shutdown()
        kiosk.close()
        emu.close()
        val refused = assertThrows<java.lang.reflect.InvocationTargetException> {
            method.invoke(null, server, "not-a-credential")
        }
        assertTrue(refused.cause is WxfaceException.Config, "${refused.cause}")
    }
}
