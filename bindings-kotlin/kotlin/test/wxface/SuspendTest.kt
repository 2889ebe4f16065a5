// The merchant client's `suspend` variants (feature `suspend`): the work
// runs on the client's runtime while the coroutine suspends.
package wxface

import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import wxface.model.*

class SuspendTest {
    @Test
    fun suspendVariantsAnswerAsTheBlockingOnes() {
        Sandbox().use { sandbox ->
            sandbox.merchantClientBuilder().build().use { client ->
                val emu = sandbox.emulatedSdk("SU-01")
                val kiosk = Kiosk(
                    KioskConfig(appid = sandbox.appid(), mchId = sandbox.mchId(), storeId = "STORE-01"),
                    "SU-01",
                    EmulatorFaceSdk(emu),
                    SandboxBackend(client),
                )
                kiosk.start()
                val who = (kiosk.verify() as Outcome.Verified).who
                runBlocking {
                    val real = client.realNameAsync(who.faceSid)
                    assertEquals(client.realName(who.faceSid).masked(), real.masked())
                    val user = client.queryUserAsync(who.faceSid, InfoType.ASK_UNION_ID)
                    assertNotNull(user.unionId())
                    val signed = client.queryUserSignedAsync(who.faceSid, InfoType.ASK_UNION_ID)
                    assertEquals(200.toUShort(), signed.status())
                    assertTrue("Wechatpay-Signature" in signed.headers())
                    assertTrue(signed.body().contains(requireNotNull(user.unionId())))
                    // Concurrent authinfo requests for one device share one answer.
                    val raw = parseSdkReply(Cmd.GET_RAWDATA, emu.call(sdkRequestJson(SdkRequest.GetRawdata, "1.24", now())))
                    val params = AuthinfoParams(rawdata = requireNotNull(raw.rawdata), deviceId = "SU-01")
                    client.invalidateAuthinfo(params)
                    val before = client.stats().httpRequests
                    val grants = (1..4).map { async { client.getAuthinfoAsync(params) } }.awaitAll()
                    assertEquals(before + 1u, client.stats().httpRequests)
                    assertEquals(1, grants.map { it.authinfo }.toSet().size)
                    assertTrue(grants.all { it.expiresAt > now() })
                    val e = assertThrows<WxfaceException.Backend> {
                        runBlocking { client.realNameAsync("no-such-face-sid") }
                    }
                    assertEquals("NOT_FOUND", e.wechatCode)
                }
                kiosk.shutdown()
                kiosk.close()
                emu.close()
            }
        }
    }
}
