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

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowTest {
    private lateinit var sandbox: TestSandbox
    private lateinit var client: MerchantClient

    @BeforeAll
    fun start() {
        sandbox = TestSandbox()
        client = sandbox.merchantClientBuilder().build()
    }

    @AfterAll
    fun stop() {
        client.close()
        sandbox.close()
    }

    private fun config() = FlowConfig(appid = sandbox.appid(), mchId = sandbox.mchId(), storeId = "STORE-01")

    /** Feed `event`, then answer every request until the machine waits for none. */
    private fun drive(
        flow: Flow,
        sdk: EmulatedFaceSdk,
        deviceId: String,
        event: FlowEvent,
        alreadyVerified: Boolean = false,
    ): List<FlowAction> {
        val seen = mutableListOf<FlowAction>()
        var next: FlowEvent? = event
        while (next != null) {
            flow.handle(now(), next)
            next = null
            for (a in flow.drainActions()) {
                seen += a
                next = when (a) {
                    is FlowAction.CallSdk -> FlowEvent.SdkAnswer(a.id, sdk.call(a.json))
                    is FlowAction.FetchAuthinfo -> {
                        val params = AuthinfoParams(rawdata = a.rawdata, deviceId = deviceId)
                        if (a.refresh) client.invalidateAuthinfo(params)
                        val g = client.getAuthinfo(params)
                        FlowEvent.Authinfo(a.id, g.authinfo, g.expiresAt)
                    }
                    is FlowAction.CheckVerified -> FlowEvent.VerifiedChecked(a.id, alreadyVerified)
                    is FlowAction.FetchRealName -> FlowEvent.RealName(a.id, client.realName(a.faceSid).masked())
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
        val init = drive(flow, emu, "FT-01", FlowEvent.Start)
        assertEquals(FlowAction.Ready, init.last())
        assertEquals("ready", flow.stateName())

        val run = drive(flow, emu, "FT-01", FlowEvent.Begin)
        val done = run.last() as FlowAction.Done
        val outcome = done.outcome as Outcome.Verified
        assertEquals(sandbox.persons().first().masked, outcome.identity)
        val cmds = run.filterIsInstance<FlowAction.CallSdk>().map { it.cmd }
        assertEquals(listOf(SdkCmd.GET_RAWDATA, SdkCmd.GET_FACE_CODE, SdkCmd.GET_AUTH), cmds)
        assertFalse(flow.inProgress())
        assertTrue(flow.authinfoExpiresAt()!! > now())

        // The second patient reuses the cached authinfo: no rawdata, no fetch.
        val second = drive(flow, emu, "FT-01", FlowEvent.Begin, alreadyVerified = true)
        assertTrue((second.last() as FlowAction.Done).outcome is Outcome.AlreadyVerified)
        assertFalse(second.any { it is FlowAction.FetchAuthinfo })
        val quit = second.filterIsInstance<FlowAction.CallSdk>().last()
        assertTrue(quit.json.contains("\"quit_face_auth\":\"1\""))

        val end = drive(flow, emu, "FT-01", FlowEvent.Shutdown)
        assertEquals(FlowAction.Released, end.last())
        assertEquals("released", flow.stateName())
        flow.close()
        emu.close()
    }

    @Test
    fun eventsThatDoNotFitAreRefusedAndChangeNothing() {
        val flow = Flow(config())
        val e = assertThrows<WxfaceException.State> { flow.handle(now(), FlowEvent.Begin) }
        assertEquals("state", e.code)
        assertEquals("uninitialised", e.state)
        assertEquals("begin", e.event)

        flow.handle(now(), FlowEvent.Start)
        val call = flow.drainActions().filterIsInstance<FlowAction.CallSdk>().single()
        assertEquals(call.id, flow.pending())
        // An answer with another id is refused.
        assertThrows<WxfaceException.State> {
            flow.handle(now(), FlowEvent.SdkAnswer(call.id + 1u, """{"return_code":"SUCCESS"}"""))
        }
        assertEquals("expect_init", flow.stateName())
        assertNull(flow.pollAction())
        assertEquals("invalid_input", assertThrows<WxfaceException> { flow.handle(-1, FlowEvent.Cancel) }.code)
        // A failed init call is an outcome, and the machine can start again.
        flow.handle(now(), FlowEvent.SdkCallFailed(call.id, sdkCallFailed("no service")))
        val failed = (flow.drainActions().last() as FlowAction.Done).outcome as Outcome.Failed
        assertEquals(Step.INITIALISING, failed.step)
        assertEquals("CALL_FAILED", (failed.error as WxfaceException.Sdk).returnCode)
        assertEquals("uninitialised", flow.stateName())
        flow.close()
    }

    @Test
    fun toStringHidesAuthinfoRequestJsonAndRawdata() {
        val authinfo = "AUTHINFO-SECRET-1234567890"
        val flow = Flow(config())
        flow.handle(now(), FlowEvent.Start)
        val init = flow.drainActions().filterIsInstance<FlowAction.CallSdk>().single()
        flow.handle(now(), FlowEvent.SdkAnswer(init.id, """{"return_code":"SUCCESS","return_msg":"OK"}"""))
        flow.drainActions()
        flow.handle(now(), FlowEvent.Begin)
        val raw = flow.drainActions().filterIsInstance<FlowAction.CallSdk>().single()
        flow.handle(now(), FlowEvent.SdkAnswer(raw.id, """{"return_code":"SUCCESS","rawdata":"RAWDATA-SECRET"}"""))
        val fetch = flow.drainActions().filterIsInstance<FlowAction.FetchAuthinfo>().single()
        assertFalse(fetch.toString().contains("RAWDATA-SECRET"), fetch.toString())
        val event = FlowEvent.Authinfo(fetch.id, authinfo, now() + 3600)
        assertFalse(event.toString().contains(authinfo), event.toString())
        flow.handle(now(), event)
        val faceCode = flow.drainActions().filterIsInstance<FlowAction.CallSdk>().single()
        assertTrue(faceCode.json.contains(authinfo))
        assertFalse(faceCode.toString().contains(authinfo), faceCode.toString())
        val req = FaceCodeRequest(appid = "wx1", mchId = "1", storeId = "S", authinfo = authinfo, faceAuthtype = FaceAuthType.FACE_AUTH)
        assertFalse(req.toString().contains(authinfo))
        assertFalse(SdkRequest.GetFaceCode(req).toString().contains(authinfo))
        assertFalse(AuthinfoGrant(authinfo, 1).toString().contains(authinfo))
        assertFalse(FaceCodeReply(faceCode = "FC-SECRET").toString().contains("FC-SECRET"))
        assertFalse(SdkReply.Rawdata("RAWDATA-SECRET").toString().contains("RAWDATA-SECRET"))
        assertFalse(AuthinfoParams(rawdata = "RAWDATA-SECRET", deviceId = "D").toString().contains("RAWDATA-SECRET"))
        val proxy = SdkProxy(ip = "10.0.0.1", port = "8080", user = "u", passwd = "pw-SECRET")
        assertFalse(proxy.toString().contains("pw-SECRET"))
        assertFalse(config().copy(init = InitRequest(proxy = proxy)).toString().contains("pw-SECRET"))
        flow.handle(now(), FlowEvent.Cancel)
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
    }
}
