// The Rust HTTP MerchantBackend (docs/merchant-api.md) against the reference
// merchant server in front of the sandbox, driven by the Kiosk through a
// Kotlin FaceSdk.
package wxface

import java.net.ServerSocket
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
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

    @Test
    fun verifiedThenAlreadyVerifiedThenRefreshed() {
        val (kiosk, emu) = kiosk("HB-01", httpMerchantBackend(server, timeoutMs = 10_000u))
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
        val (kiosk, emu) = kiosk("HB-02", httpMerchantBackend(server, headers = mapOf("X-Kiosk-Token" to "t0ken")))
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
                httpMerchantBackend(url),
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
        val (kiosk, emu) = kiosk("HB-03", httpMerchantBackend("http://127.0.0.1:$port", connectTimeoutMs = 1000u))
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
            assertThrows<WxfaceException> { httpMerchantBackend("ftp://example") }.code,
        )
    }
}
