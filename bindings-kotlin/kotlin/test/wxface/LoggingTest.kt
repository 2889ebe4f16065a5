// wxface's tracing events in java.util.logging through the LogSink bridge:
// levels, fields, the level filter, and no personal data or secret in any
// record of a whole flow (patient name and ID number, merchant keys, the
// device credential).
package wxface

import java.util.Collections
import java.util.logging.Handler
import java.util.logging.Level
import java.util.logging.LogRecord
import java.util.logging.Logger
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import wxface.model.*

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoggingTest {
    private lateinit var sandbox: Sandbox
    private lateinit var client: MerchantClient
    private val logger: Logger = Logger.getLogger(WxfaceLogging.LOGGER_NAME)
    private val records: MutableList<LogRecord> = Collections.synchronizedList(mutableListOf())
    private val handler = object : Handler() {
        override fun publish(record: LogRecord) {
            records.add(record)
        }
        override fun flush() {}
        override fun close() {}
    }

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        client = sandbox.merchantClientBuilder().build()
        logger.level = Level.ALL
        logger.useParentHandlers = false
        logger.addHandler(handler)
    }

    @AfterAll
    fun stop() {
        WxfaceLogging.uninstall()
        logger.removeHandler(handler)
        logger.useParentHandlers = true
        logger.level = null
        client.close()
        sandbox.close()
    }

    @BeforeEach
    fun clear() {
        records.clear()
    }

    @AfterEach
    fun off() {
        WxfaceLogging.uninstall()
    }

    private fun wx(): List<WxfaceLogRecord> = synchronized(records) { records.toList() }.map { it as WxfaceLogRecord }

    @Test
    fun aFailingCallLogsAWarningWithItsCode() {
        assertTrue(WxfaceLogging.install("warn"))
        val e = assertThrows<WxfaceException.Backend> { client.realName("no-such-face-sid") }
        assertEquals("NOT_FOUND", e.wechatCode)
        val got = wx()
        val warning = got.firstOrNull { it.level == Level.WARNING && it.fields["code"] == "backend" }
        assertTrue(warning != null, "no WARNING with code=backend in ${got.map { it.message }}")
        warning!!
        assertEquals("warn", warning.wxfaceLevel)
        assertEquals("wxface", warning.loggerName)
        assertTrue(warning.target.startsWith("wxface"), warning.target)
        assertEquals(warning.target, warning.sourceClassName)
        assertTrue(warning.message.startsWith(warning.text), warning.message)
        assertTrue(" code=backend" in warning.message, warning.message)
        // At `warn`, nothing less severe crosses the bridge.
        assertTrue(got.all { it.level.intValue() >= Level.WARNING.intValue() }, got.map { it.level }.toString())

        // At `debug` the client's requests show too; after uninstall nothing.
        records.clear()
        assertTrue(WxfaceLogging.install(Level.FINE))
        assertThrows<WxfaceException.Backend> { client.realName("no-such-face-sid") }
        assertTrue(wx().any { it.level == Level.FINE }, wx().map { "${it.level} ${it.message}" }.toString())
        assertTrue(wx().none { it.level == Level.FINER })
        WxfaceLogging.uninstall()
        records.clear()
        assertThrows<WxfaceException.Backend> { client.realName("no-such-face-sid") }
        assertEquals(emptyList<LogRecord>(), wx())
    }

    @Test
    fun levelsAndTheirNames() {
        assertEquals(listOf("error", "warn", "info", "debug", "trace"), logLevels())
        assertEquals(
            listOf(Level.SEVERE, Level.WARNING, Level.INFO, Level.FINE, Level.FINER),
            logLevels().map(WxfaceLogging::julLevel),
        )
        for (name in logLevels()) {
            assertEquals(name, WxfaceLogging.wxfaceLevel(WxfaceLogging.julLevel(name)))
        }
        val e = assertThrows<WxfaceException.InvalidInput> { WxfaceLogging.install("verbose") }
        assertEquals("level", e.field)
    }

    @Test
    fun aSinkOfOnesOwnGetsTheSameRecords() {
        val seen = Collections.synchronizedList(mutableListOf<Pair<String, Map<String, String>>>())
        WxfaceLogging.install("warn", object : LogSink {
            override fun log(level: String, target: String, message: String, fields: Map<String, String>) {
                seen.add(level to fields)
            }
        })
        assertThrows<WxfaceException.Backend> { client.realName("no-such-face-sid") }
        assertTrue(seen.any { it.first == "warn" && it.second["code"] == "backend" }, seen.toString())
        assertEquals(emptyList<LogRecord>(), wx(), "the JUL sink was replaced")
    }

    @Test
    fun noPersonalDataOrSecretInAnyRecordOfAWholeFlow() {
        assertTrue(WxfaceLogging.install("trace"))
        val secrets = mutableListOf(sandbox.apiV2Key())
        for (pem in listOf(sandbox.merchantKeyPem(), sandbox.subMerchantKeyPem())) {
            secrets += pem.lines().filter { it.length >= 16 && !it.startsWith("-----") }
        }
        val config = KioskConfig(appid = sandbox.appid(), mchId = sandbox.mchId(), storeId = "STORE-01")

        // The kiosk with the merchant client behind a Kotlin backend (it
        // decrypts the full values), every outcome and failures.
        val emu = sandbox.emulatedSdk("LG-01")
        val backend = SandboxBackend(client)
        Kiosk(config, "LG-01", EmulatorFaceSdk(emu), backend).use { kiosk ->
            kiosk.start()
            for (person in sandbox.identities()) {
                emu.setPerson(person.key)
                assertTrue(kiosk.verify() is Outcome.Verified)
            }
            emu.pushOutcome(EmulatedOutcome.REFUSE)
            assertTrue(kiosk.verify() is Outcome.ConsentRefused)
            emu.pushOutcome(EmulatedOutcome.CAMERA_ERROR)
            assertFalse(kiosk.verify() is Outcome.Verified)
            backend.failRealName = IllegalStateException("patient 11010519491231002X 张三丰")
            assertTrue(kiosk.verify() is Outcome.Failed)
            kiosk.shutdown()
        }
        emu.close()

        // The kiosk through the reference server with a device credential,
        // then with the credential revoked.
        val credential = sandbox.deviceCredential("LG-02")
        secrets += credential
        secrets += credential.substringAfterLast('.')
        val emu2 = sandbox.emulatedSdk("LG-02")
        Kiosk(config, "LG-02", EmulatorFaceSdk(emu2), httpMerchantBackend(sandbox.referenceServerUrl(), credential)).use { kiosk ->
            kiosk.start()
            emu2.setPerson(sandbox.identities()[1].key)
            assertTrue(kiosk.verify().let { it is Outcome.Verified || it is Outcome.AlreadyVerified })
            assertTrue(sandbox.revokeDevice("LG-02") >= 1uL)
            kiosk.invalidateAuthinfo()
            val refused = kiosk.verify() as Outcome.Failed
            assertEquals("unauthenticated", refused.error.code)
            kiosk.shutdown()
        }
        emu2.close()
        // A failing merchant call (a warning).
        assertThrows<WxfaceException.Backend> { client.realName("no-such-face-sid") }

        val people = backend.realNames.flatMap { listOf(it.exposeName(), it.exposeCredentialId()) }
        assertTrue(people.size >= 2 * sandbox.identities().size)
        val forbidden = people + secrets + listOf("11010519491231002X", "张三丰")
        val got = wx()
        assertTrue(got.size >= 10, "only ${got.size} records")
        assertTrue(got.any { it.level == Level.WARNING }, "no warning")
        assertTrue(got.any { it.level == Level.FINE || it.level == Level.FINER }, "no debug or trace record")
        for (r in got) {
            val text = listOf(r.message, r.target, r.fields.toString()).joinToString("\n")
            for (f in forbidden) {
                assertFalse(text.contains(f), "a record holds a personal value or a secret: ${r.level} ${r.target} ${r.text}")
            }
        }
    }
}
