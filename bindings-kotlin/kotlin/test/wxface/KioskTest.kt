// The whole flow against the sandbox: the Rust Kiosk driver runs the core's
// flow through a Kotlin FaceSdk (adapting the emulator) and a Kotlin
// MerchantBackend (the merchant client, decrypting with the sandbox's key).
package wxface

import java.util.Collections
import kotlin.concurrent.thread
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import wxface.model.*

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KioskTest {
    private lateinit var sandbox: Sandbox
    private lateinit var client: MerchantClient
    private val devices = java.util.concurrent.atomic.AtomicInteger()

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        client = sandbox.merchantClientBuilder().build()
    }

    @AfterAll
    fun stop() {
        client.close()
        sandbox.stop()
        sandbox.close()
    }

    private fun config() = KioskConfig(appid = sandbox.appid(), mchId = sandbox.mchId(), storeId = "STORE-01")

    private inner class Rig(verified: Set<String> = emptySet(), sdkVersion: String? = null) : AutoCloseable {
        val deviceId = "KT-KIOSK-%02d".format(devices.incrementAndGet())
        val emu: EmulatedFaceSdk = sandbox.emulatedSdk(deviceId, sdkVersion)
        val sdk = EmulatorFaceSdk(emu)
        val backend = SandboxBackend(client, verified)
        val kiosk = Kiosk(
            if (sdkVersion == null) config() else config().copy(sdkVersion = sdkVersion),
            deviceId,
            sdk,
            backend,
        )

        init {
            kiosk.start()
        }

        override fun close() {
            if (kiosk.stateName() != "released") kiosk.shutdown()
            kiosk.close()
            emu.close()
        }
    }

    private class Recorder : VerifyListener {
        val events: MutableList<Progress> = Collections.synchronizedList(mutableListOf())
        override fun onProgress(event: Progress) {
            events.add(event)
        }
        fun snapshot(): List<Progress> = synchronized(events) { events.toList() }
        fun started(): List<Step> = snapshot().filterIsInstance<Progress.StepStarted>().map { stepFromName(it.step) }
    }

    @Test
    fun everyPersonIsVerifiedWithMaskedIdentityOnly() {
        Rig().use { r ->
            for (person in sandbox.identities()) {
                r.emu.setPerson(person.key)
                val outcome = r.kiosk.verify()
                assertTrue(outcome is Outcome.Verified, "${person.key}: $outcome")
                outcome as Outcome.Verified
                assertEquals(person.masked, outcome.identity)
                // The spec's table: no openid with the face_sid.
                assertEquals(null, outcome.who.openid)
                assertEquals("verified", outcomeName(outcome))
                // The hospital side decrypted the full values; the kiosk never saw them.
                val real = r.backend.realNames.last()
                assertEquals(person.masked, real.masked())
                assertFalse(outcome.toString().contains(real.exposeName()))
                assertFalse(outcome.toString().contains(real.exposeCredentialId()))
            }
            // The authinfo was fetched once and reused from the flow's cache.
            assertEquals(1, r.backend.authinfoRequests.get())
            assertNotNull(r.kiosk.authinfoExpiresAt())
        }
    }

    @Test
    fun fullValuesOfTheDefaultPerson() {
        Rig().use { r ->
            r.emu.setPerson("patient-a")
            val outcome = r.kiosk.verify() as Outcome.Verified
            val real = r.backend.realNames.single()
            assertEquals("测试患者甲", real.exposeName())
            assertEquals(18, real.exposeCredentialId().length)
            assertTrue(isResidentId(real.exposeCredentialId()))
            assertEquals(CredentialType.IdCard, real.credentialType())
            assertEquals("测***甲", outcome.identity.name)
            assertEquals(real.maskedCredentialId(), outcome.identity.credentialId)
            assertFalse(real.toString().contains("测试患者甲"))
            assertFalse(real.toString().contains(real.exposeCredentialId()))
        }
    }

    @Test
    fun progressEventsFollowTheSteps() {
        Rig().use { r ->
            val rec = Recorder()
            assertTrue(r.kiosk.verify(rec) is Outcome.Verified)
            assertEquals(
                listOf(
                    Step.READING_RAWDATA, Step.FETCHING_AUTHINFO, Step.RECOGNISING,
                    Step.CHECKING_VERIFIED, Step.ASKING_CONSENT, Step.FETCHING_REAL_NAME,
                ),
                rec.started(),
            )
            val finished = rec.events.last() as Progress.Finished
            assertEquals("verified", finished.outcome)
            assertTrue(rec.events.filterIsInstance<Progress.StepFinished>().all { stepStatusFromName(it.status) == StepStatus.OK && it.error == null })
        }
    }

    @Test
    fun alreadyVerifiedQuitsTheSdkInBothSandboxModes() {
        // No openid with the face_sid (the spec's table: the backend resolves
        // it), and the sandbox's older behaviour (the backend checks it).
        for (withOpenid in listOf(false, true)) {
            alreadyVerifiedQuitsTheSdk(withOpenid)
        }
    }

    private fun alreadyVerifiedQuitsTheSdk(withOpenid: Boolean) {
        val who = sandbox.identities().first()
        Rig(verified = setOf(who.openid)).use { r ->
            r.emu.setPerson(who.key)
            r.emu.setOpenidWithFaceSid(withOpenid)
            val rec = Recorder()
            val outcome = r.kiosk.verify(rec)
            assertTrue(outcome is Outcome.AlreadyVerified, "$outcome")
            assertEquals(if (withOpenid) who.openid else null, (outcome as Outcome.AlreadyVerified).who.openid)
            assertTrue(Step.QUITTING in rec.started())
            assertFalse(Step.ASKING_CONSENT in rec.started())
            // getWxpayAuth(quit) was sent: the emulator accepts the next recognition.
            assertEquals("getWxpayAuth", r.sdk.commands.last())
            assertTrue(r.backend.realNames.isEmpty())
            r.emu.setPerson(sandbox.identities()[1].key)
            assertTrue(r.kiosk.verify() is Outcome.Verified)
        }
    }

    @Test
    fun refusedConsent() {
        Rig().use { r ->
            r.emu.pushOutcome(EmulatedOutcome.REFUSE)
            val outcome = r.kiosk.verify()
            assertTrue(outcome is Outcome.ConsentRefused, "$outcome")
            assertTrue(r.backend.realNames.isEmpty())
            assertTrue(r.kiosk.verify() is Outcome.Verified)
        }
    }

    @Test
    fun patientCancelsOnTheSdkScreen() {
        Rig().use { r ->
            r.emu.pushOutcome(EmulatedOutcome.USER_CANCEL)
            assertEquals(Outcome.Cancelled, r.kiosk.verify())
            assertTrue(r.kiosk.verify() is Outcome.Verified)
        }
    }

    @Test
    fun kioskCancelsBeforeAndDuringRecognition() {
        Rig().use { r ->
            val early = CancelHandle()
            early.cancel()
            assertEquals(Outcome.Cancelled, r.kiosk.verify(cancel = early))
            assertEquals(0, r.sdk.calls.get() - 1, "a handle cancelled up front never reaches the SDK")

            r.emu.setLatencyMs(1500u)
            val handle = CancelHandle()
            val rec = Recorder()
            val canceller = thread {
                val deadline = System.nanoTime() + 20_000_000_000L
                while (Step.RECOGNISING !in rec.started() && System.nanoTime() < deadline) Thread.sleep(10)
                handle.cancel()
            }
            val outcome = r.kiosk.verify(rec, handle)
            canceller.join()
            assertEquals(Outcome.Cancelled, outcome)
            assertTrue(handle.isCancelled())
            assertTrue(rec.events.any { it is Progress.CancelRequested })
            // The SDK was told to quit, so the next patient works.
            r.emu.setLatencyMs(0u)
            assertTrue(r.kiosk.verify() is Outcome.Verified)
            assertFalse(r.kiosk.cancelCurrent())
        }
    }

    @Test
    fun expiredAuthinfoIsRefreshedOnce() {
        Rig().use { r ->
            assertTrue(r.kiosk.verify() is Outcome.Verified)
            assertEquals(1, r.backend.authinfoRequests.get())
            assertTrue(sandbox.expireAuthinfos() >= 1u)
            val rec = Recorder()
            val outcome = r.kiosk.verify(rec)
            assertTrue(outcome is Outcome.Verified, "$outcome")
            assertEquals(2, r.backend.authinfoRequests.get())
            assertEquals(1, r.backend.refreshes.get())
            // cached authinfo → recognition failed (expired) → rawdata → authinfo → recognition.
            assertEquals(1, rec.started().count { it == Step.FETCHING_AUTHINFO })
            assertEquals(2, rec.started().count { it == Step.RECOGNISING })
        }
    }

    @Test
    fun aFailingSdkCallIsAnOutcomeWithItsCode() {
        Rig().use { r ->
            r.sdk.failNext = sdkCallFailed("binder died")
            val outcome = r.kiosk.verify()
            assertTrue(outcome is Outcome.Failed, "$outcome")
            outcome as Outcome.Failed
            assertEquals(Step.READING_RAWDATA, stepFromName(outcome.step))
            val e = outcome.error.toException() as WxfaceException.Sdk
            assertEquals("CALL_FAILED", e.returnCode)
            assertEquals("sdk", e.code)

            // An exception that is not a WxfaceException: only its class is kept.
            r.sdk.failNext = IllegalStateException("patient 110101199003071234")
            val other = r.kiosk.verify() as Outcome.Failed
            assertEquals("sdk", other.error.code)
            assertTrue(other.error.message.contains("IllegalStateException"), other.error.message)
            assertFalse(other.error.toString().contains("110101"))
            assertTrue(r.kiosk.verify() is Outcome.Verified)
        }
    }

    @Test
    fun aFailingBackendKeepsWeChatsCode() {
        Rig().use { r ->
            r.backend.failRealName = merchantServerFailed("SYSTEM_ERROR", "busy", 500u.toUShort(), retryable = true)
            val outcome = r.kiosk.verify()
            assertTrue(outcome is Outcome.Failed, "$outcome")
            outcome as Outcome.Failed
            assertEquals(Step.FETCHING_REAL_NAME, stepFromName(outcome.step))
            val e = outcome.error.toException() as WxfaceException.Backend
            assertEquals("SYSTEM_ERROR", e.wechatCode)
            assertEquals(500u.toUShort(), e.status)
            assertTrue(e.retryable)

            // A server that could not be reached is a transport failure.
            r.backend.failRealName = merchantServerUnreachable("no answer in 10 s", "timeout")
            val t = (r.kiosk.verify() as Outcome.Failed).error.toException() as WxfaceException.Transport
            assertEquals("timeout", t.transportKind)
            assertTrue(t.retryable)

            // Anything else thrown is internal, and only its class is kept.
            r.backend.failRealName = IllegalStateException("patient 110101199003071234")
            val other = (r.kiosk.verify() as Outcome.Failed).error
            assertEquals("internal", other.code)
            assertTrue(other.message.contains("IllegalStateException"), other.message)
            assertFalse(other.toString().contains("110101"))
        }
    }

    @Test
    fun aRustImplementedSdkWorksToo() {
        val deviceId = "KT-RUST-SDK"
        val emu = sandbox.emulatedSdk(deviceId)
        val kiosk = Kiosk(config(), deviceId, emu.asFaceSdk(), SandboxBackend(client))
        kiosk.start()
        assertTrue(kiosk.verify() is Outcome.Verified)
        kiosk.shutdown()
        assertEquals("released", kiosk.stateName())
        assertEquals("state", assertThrows<WxfaceException> { kiosk.start() }.code)
        kiosk.close()
    }

    @Test
    fun olderSdkWithoutTheQuitCall() {
        val who = sandbox.identities().first()
        Rig(verified = setOf(who.openid), sdkVersion = "1.16").use { r ->
            r.emu.setPerson(who.key)
            assertTrue(r.kiosk.verify() is Outcome.AlreadyVerified)
            assertFalse("getWxpayAuth" in r.sdk.commands)
        }
    }

    @Test
    fun badConfigurationIsRefusedUpFront() {
        val sdk = EmulatorFaceSdk(sandbox.emulatedSdk("KT-BAD"))
        val e = assertThrows<WxfaceException.InvalidInput> {
            Kiosk(config(), "x".repeat(33), sdk, SandboxBackend(client))
        }
        assertEquals("device_id", e.field)
        val v = assertThrows<WxfaceException.SdkVersion> {
            Kiosk(config().copy(sdkVersion = "1.17", screenIndex = "1"), "KT-BAD", sdk, SandboxBackend(client))
        }
        assertEquals("screen_index", v.field)
        assertEquals("1.18", v.required)
    }
}
