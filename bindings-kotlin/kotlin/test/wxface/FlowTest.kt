// The sans-IO flow driven by hand from Kotlin: handle(now, event), then
// drain the actions and answer each with the same request id.
package wxface

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import wxface.model.*

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowTest {
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

    /** Feed `event`, then answer every request until the machine waits for none. */
    private fun drive(
        flow: Flow,
        sdk: EmulatedFaceSdk,
        deviceId: String,
        event: Event,
        alreadyVerified: Boolean = false,
    ): List<Action> {
        val seen = mutableListOf<Action>()
        var next: Event? = event
        while (next != null) {
            flow.handle(now(), next)
            next = null
            for (a in flow.drainActions()) {
                seen += a
                next = when (a) {
                    is Action.CallSdk -> Event.SdkAnswer(a.id, sdk.call(a.json))
                    is Action.FetchAuthinfo -> {
                        val params = AuthinfoParams(rawdata = a.rawdata, deviceId = deviceId)
                        if (a.refresh) client.invalidateAuthinfo(params)
                        val g = client.getAuthinfo(params)
                        Event.Authinfo(a.id, g.authinfo, g.expiresAt.toULong())
                    }
                    is Action.CheckVerified -> Event.VerifiedChecked(a.id, alreadyVerified)
                    is Action.FetchRealName -> Event.RealName(a.id, client.realName(a.faceSid).masked())
                    else -> next
                }
            }
        }
        return seen
    }

    @Test
    fun aWholeVerificationByHand() {
        val flow = Flow(config())
        val emu = sandbox.emulatedSdk("FT-01")
        assertEquals("uninitialised", flow.stateName())
        val init = drive(flow, emu, "FT-01", Event.Start)
        assertEquals(Action.Ready, init.last())
        assertEquals(Action.StepStarted(stepName(Step.INITIALISING)), init.first())
        assertEquals("ready", flow.stateName())

        val run = drive(flow, emu, "FT-01", Event.Begin)
        val done = run.last() as Action.Done
        val outcome = done.outcome as Outcome.Verified
        assertEquals(sandbox.identities().first().masked, outcome.identity)
        val cmds = run.filterIsInstance<Action.CallSdk>().map { sdkCmdFromName(it.cmd) }
        assertEquals(listOf(Cmd.GET_RAWDATA, Cmd.GET_FACE_CODE, Cmd.GET_AUTH), cmds)
        assertFalse(flow.inProgress())
        assertTrue(flow.authinfoExpiresAt()!! > now())

        // The second patient reuses the cached authinfo: no rawdata, no fetch.
        val second = drive(flow, emu, "FT-01", Event.Begin, alreadyVerified = true)
        assertTrue((second.last() as Action.Done).outcome is Outcome.AlreadyVerified)
        assertFalse(second.any { it is Action.FetchAuthinfo })
        val quit = second.filterIsInstance<Action.CallSdk>().last()
        assertTrue(quit.json.contains("\"quit_face_auth\":\"1\""))

        val end = drive(flow, emu, "FT-01", Event.Shutdown)
        assertEquals(Action.Released(error = null), end.last())
        assertEquals("released", flow.stateName())
        flow.close()
        emu.close()
    }

    @Test
    fun eventsThatDoNotFitAreRefusedAndChangeNothing() {
        val flow = Flow(config())
        val e = assertThrows<WxfaceException.State> { flow.handle(now(), Event.Begin) }
        assertEquals("state", e.code)
        assertEquals("uninitialised", e.state)
        assertEquals("begin", e.event)

        flow.handle(now(), Event.Start)
        val call = flow.drainActions().filterIsInstance<Action.CallSdk>().single()
        assertEquals(call.id, flow.pending())
        // An answer with another id is refused.
        assertThrows<WxfaceException.State> {
            flow.handle(now(), Event.SdkAnswer(call.id + 1u, """{"return_code":"SUCCESS"}"""))
        }
        assertEquals("expect_init", flow.stateName())
        assertNull(flow.pollAction())
        assertEquals("invalid_input", assertThrows<WxfaceException> { flow.handle(-1, Event.Cancel) }.code)
        // A failed init call is an outcome, and the machine can start again.
        flow.handle(now(), Event.SdkCallFailed(call.id, sdkCallFailed("no service").toFailure()))
        val failed = (flow.drainActions().last() as Action.Done).outcome as Outcome.Failed
        assertEquals(Step.INITIALISING, stepFromName(failed.step))
        assertEquals("CALL_FAILED", (failed.error.toException() as WxfaceException.Sdk).returnCode)
        assertEquals("initWxpayface", failed.error.cmd)
        assertEquals("uninitialised", flow.stateName())
        flow.close()
    }

    @Test
    fun toStringHidesAuthinfoRequestJsonAndRawdata() {
        val authinfo = "AUTHINFO-SECRET-1234567890"
        val flow = Flow(config())
        flow.handle(now(), Event.Start)
        val init = flow.drainActions().filterIsInstance<Action.CallSdk>().single()
        flow.handle(now(), Event.SdkAnswer(init.id, """{"return_code":"SUCCESS","return_msg":"OK"}"""))
        flow.drainActions()
        flow.handle(now(), Event.Begin)
        val raw = flow.drainActions().filterIsInstance<Action.CallSdk>().single()
        flow.handle(now(), Event.SdkAnswer(raw.id, """{"return_code":"SUCCESS","rawdata":"RAWDATA-SECRET"}"""))
        val fetch = flow.drainActions().filterIsInstance<Action.FetchAuthinfo>().single()
        assertFalse(fetch.toString().contains("RAWDATA-SECRET"), fetch.toString())
        val event = Event.Authinfo(fetch.id, authinfo, (now() + 3600).toULong())
        assertFalse(event.toString().contains(authinfo), event.toString())
        flow.handle(now(), event)
        val faceCode = flow.drainActions().filterIsInstance<Action.CallSdk>().single()
        assertTrue(faceCode.json.contains(authinfo))
        assertFalse(faceCode.toString().contains(authinfo), faceCode.toString())
        val req = FaceCodeRequest(appid = "wx1", mchId = "1", storeId = "S", authinfo = authinfo, faceAuthtype = FaceAuthType.FACE_AUTH)
        assertFalse(req.toString().contains(authinfo))
        assertFalse(SdkRequest.GetFaceCode(req).toString().contains(authinfo))
        assertFalse(AuthinfoGrant(authinfo, 1).toString().contains(authinfo))
        assertFalse(SdkReply(faceCode = "FC-SECRET").toString().contains("FC-SECRET"))
        assertFalse(SdkReply(rawdata = "RAWDATA-SECRET").toString().contains("RAWDATA-SECRET"))
        assertFalse(AuthinfoParams(rawdata = "RAWDATA-SECRET", deviceId = "D").toString().contains("RAWDATA-SECRET"))
        val proxy = Proxy(ip = "10.0.0.1", port = "8080", user = "u", passwd = "pw-SECRET")
        assertFalse(proxy.toString().contains("pw-SECRET"))
        assertFalse(config().copy(init = InitSettings(proxy = proxy)).toString().contains("pw-SECRET"))
        flow.handle(now(), Event.Cancel)
        flow.close()
    }

    @Test
    fun configurationIsCheckedAgainstTheSdkVersion() {
        val e = assertThrows<WxfaceException.SdkVersion> {
            Flow(config().copy(sdkVersion = "1.22", disableKeyboard = true))
        }
        assertEquals("disable_keyboard", e.field)
        assertEquals("invalid_input", assertThrows<WxfaceException> { Flow(config().copy(sdkVersion = "one")) }.code)
        assertEquals("invalid_input", assertThrows<WxfaceException> { Flow(config().copy(appid = "")) }.code)
        assertEquals("recognising", stepName(Step.RECOGNISING))
        assertEquals(StepStatus.CANCELLED, stepStatusFromName("cancelled"))
        assertEquals("invalid_input", assertThrows<WxfaceException> { stepFromName("Recognising") }.code)
        assertEquals("verified", outcomeName(Outcome.Verified(Recognised("sid"), MaskedIdentity("张*三", 1, "110***********1234"))))
    }
}
