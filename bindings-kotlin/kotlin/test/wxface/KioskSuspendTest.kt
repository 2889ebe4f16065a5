// The kiosk in coroutines (kotlin/coroutines): `verifyAsync` and
// `verifyFlow`; cancelling the coroutine cancels the kiosk's verification
// and returns at once, while the emulated patient takes long on the SDK's
// screen (the kiosk ends the verification when the SDK returns) and while
// the merchant server takes long (the kiosk ends it at once: `Cancelled`).
package wxface

import java.util.Collections
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import wxface.model.*

/** The emulated patient's recognition takes this long: much longer than any cancellation may. */
private const val SLOW_MS = 4_000
private const val PROMPT_MS = 1_500L

/** A merchant server that takes [ms] to say whether the patient is verified. */
private class SlowBackend(private val inner: MerchantBackend, private val ms: Long) : MerchantBackend by inner {
    override fun isVerified(who: Recognised): Boolean {
        Thread.sleep(ms)
        return inner.isVerified(who)
    }
}

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KioskSuspendTest {
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
        sandbox.close()
    }

    private inner class Rig(backendDelayMs: Long = 0) : AutoCloseable {
        val deviceId = "KS-%02d".format(devices.incrementAndGet())
        val emu: EmulatedFaceSdk = sandbox.emulatedSdk(deviceId)
        val kiosk = Kiosk(
            KioskConfig(appid = sandbox.appid(), mchId = sandbox.mchId(), storeId = "STORE-01"),
            deviceId,
            EmulatorFaceSdk(emu),
            if (backendDelayMs > 0) SlowBackend(SandboxBackend(client), backendDelayMs) else SandboxBackend(client),
        )

        init {
            kiosk.start()
        }

        override fun close() {
            kiosk.shutdown()
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
        fun started(step: Step) = snapshot().any { it is Progress.StepStarted && stepFromName(it.step) == step }
        fun recognising() = started(Step.RECOGNISING)
        fun finished() = snapshot().lastOrNull() as? Progress.Finished
    }

    private suspend fun until(what: () -> Boolean) {
        val deadline = System.nanoTime() + 20_000_000_000L
        while (!what() && System.nanoTime() < deadline) delay(10)
        assertTrue(what(), "timed out")
    }

    private fun ms(since: Long) = (System.nanoTime() - since) / 1_000_000

    @Test
    fun verifyAsyncAnswersAsVerify() = runBlocking {
        Rig().use { r ->
            val rec = Recorder()
            val outcome = r.kiosk.verifyAsync(rec)
            assertTrue(outcome is Outcome.Verified, "$outcome")
            assertEquals("verified", (rec.events.last() as Progress.Finished).outcome)
            assertTrue(r.kiosk.verifyAsync(dispatcher = Dispatchers.Default) is Outcome.Verified)
        }
    }

    @Test
    fun cancellingTheCoroutineWhileThePatientTakesLongReturnsAtOnce() = runBlocking {
        Rig().use { r ->
            r.emu.setLatencyMs(SLOW_MS.toUInt())
            val rec = Recorder()
            val job = async(Dispatchers.Default) { r.kiosk.verifyAsync(rec) }
            until { rec.recognising() }
            val t0 = System.nanoTime()
            job.cancel()
            val thrown = runCatching { job.await() }.exceptionOrNull()
            val took = ms(t0)
            assertTrue(thrown is CancellationException, "$thrown")
            assertTrue(took < PROMPT_MS, "cancelling took $took ms")
            // The kiosk's verification was cancelled, not left running: it
            // ends as cancelled when the SDK returns, and the SDK is told to quit.
            until { Progress.CancelRequested in rec.snapshot() }
            assertTrue(ms(t0) < PROMPT_MS, "the kiosk heard of the cancel after ${ms(t0)} ms")
            r.emu.setLatencyMs(0u)
            until { rec.finished() != null }
            assertEquals("cancelled", rec.finished()!!.outcome)
            assertTrue(r.kiosk.verifyAsync() is Outcome.Verified)
        }
    }

    @Test
    fun whileTheMerchantServerTakesLongTheCancelledOutcomeComesAtOnce() = runBlocking {
        Rig(backendDelayMs = SLOW_MS.toLong()).use { r ->
            // Cancelled from outside through the handle: the Cancelled outcome.
            val handle = CancelHandle()
            val rec = Recorder()
            val job = async { r.kiosk.verifyAsync(rec, handle) }
            until { rec.started(Step.CHECKING_VERIFIED) }
            val t0 = System.nanoTime()
            handle.cancel()
            assertEquals(Outcome.Cancelled, job.await())
            assertTrue(ms(t0) < PROMPT_MS, "cancel took ${ms(t0)} ms")
            assertEquals("cancelled", rec.finished()!!.outcome)
            handle.close()

            // Cancelling the coroutine there: the kiosk ends it as promptly.
            val rec2 = Recorder()
            val job2 = async(Dispatchers.Default) { r.kiosk.verifyAsync(rec2) }
            until { rec2.started(Step.CHECKING_VERIFIED) }
            val t1 = System.nanoTime()
            job2.cancel()
            assertTrue(runCatching { job2.await() }.exceptionOrNull() is CancellationException)
            until { rec2.finished() != null }
            assertTrue(ms(t1) < PROMPT_MS, "the kiosk ended it after ${ms(t1)} ms")
            assertEquals("cancelled", rec2.finished()!!.outcome)

            // A timeout is a cancellation too.
            val t2 = System.nanoTime()
            assertNull(withTimeoutOrNull(300) { r.kiosk.verifyAsync() })
            assertTrue(ms(t2) < PROMPT_MS, "withTimeout took ${ms(t2)} ms")
        }
    }

    @Test
    fun verifyFlowEmitsTheProgressAndStoppingItCancels() = runBlocking {
        Rig().use { r ->
            val events = r.kiosk.verifyFlow().toList()
            assertEquals(
                listOf(
                    Step.READING_RAWDATA, Step.FETCHING_AUTHINFO, Step.RECOGNISING,
                    Step.CHECKING_VERIFIED, Step.ASKING_CONSENT, Step.FETCHING_REAL_NAME,
                ),
                events.filterIsInstance<Progress.StepStarted>().map { stepFromName(it.step) },
            )
            assertEquals("verified", (events.last() as Progress.Finished).outcome)

            // The collector stops at recognition: the verification is cancelled.
            r.emu.setLatencyMs(SLOW_MS.toUInt())
            val t0 = System.nanoTime()
            val recognising = r.kiosk.verifyFlow().first { it is Progress.StepStarted && stepFromName(it.step) == Step.RECOGNISING }
            assertTrue(recognising is Progress.StepStarted)
            assertTrue(ms(t0) < PROMPT_MS, "stopping the flow took ${ms(t0)} ms")
            r.emu.setLatencyMs(0u)
            // The next verification waits for the cancelled one to end.
            assertEquals("verified", (r.kiosk.verifyFlow().toList().last() as Progress.Finished).outcome)
        }
    }
}
