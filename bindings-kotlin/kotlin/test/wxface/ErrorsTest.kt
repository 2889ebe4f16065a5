// The error mapping: codes, kinds and typed fields, no personal data in
// messages, and the drift check against the Rust list.
package wxface

import java.net.ServerSocket
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import wxface.model.*

class ErrorsTest {
    @Test
    fun kotlinKnowsEveryRustCode() {
        assertEquals(errorCodes(), WxfaceErrorCodes.ALL)
        for (code in errorCodes()) {
            assertNotNull(WxfaceErrorCodes.variantOf(code), code)
        }
    }

    @Test
    fun everyKindArrivesAsItsVariantWithItsCode() {
        val invalid = assertThrows<WxfaceException.InvalidInput> { checkResidentId("110101199003071230") }
        assertEquals("invalid_input", invalid.code)
        assertEquals("credential_id", invalid.field)
        assertFalse(invalid.message.contains("110101"), invalid.message)

        val version = assertThrows<WxfaceException.SdkVersion> {
            sdkRequestJson(SdkRequest.GetAuth(AuthRequest("a", "s", quit = true)), "1.19", now())
        }
        assertEquals(listOf("sdk_version", "quit_face_auth", "1.20", "1.19"), listOf(version.code, version.field, version.required, version.target))

        val sdk = assertThrows<WxfaceException.Sdk> {
            parseSdkReply(Cmd.GET_AUTH, """{"return_code":"ERROR","return_msg":"用户拒绝授权","err_code":"ACTION_ON_USER_QUERY_CANCEL"}""")
        }
        assertEquals("ACTION_ON_USER_QUERY_CANCEL", sdk.errCode)
        assertEquals(SdkErrorClass.CONSENT_REFUSED, classifySdkError(sdk))
        assertEquals(null, classifySdkError(invalid))

        val malformed = assertThrows<WxfaceException.Malformed> { parseSdkReply(Cmd.INIT, "[1]") }
        assertEquals("malformed", malformed.code)

        val config = assertThrows<WxfaceException.Config> {
            Decryptor.fromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        assertEquals("config", config.code)
        assertFalse(config.message.contains("AAAA"))

        assertThrows<WxfaceException.Config> { MerchantClientBuilder().appid("wx1").build() }
        assertEquals("config", assertThrows<WxfaceException> { MerchantClientBuilder().apiKey("") }.code)
    }

    @Test
    fun weChatErrorsAndTransportFailures() {
        Sandbox().use { sandbox ->
            sandbox.merchantClientBuilder().build().use { client ->
                val e = assertThrows<WxfaceException.Backend> { client.queryUser("no-such-face-sid", InfoType.ASK_REAL_NAME) }
                assertEquals("backend", e.code)
                assertEquals(404u.toUShort(), e.status)
                assertEquals("NOT_FOUND", e.wechatCode)
                assertFalse(e.retryable)
            }
        }
        val port = ServerSocket(0).use { it.localPort }
        val dead = Sandbox().use { sandbox ->
            sandbox.merchantClientBuilder().baseUrl("http://127.0.0.1:$port").connectTimeoutMs(2000u).build()
        }
        dead.use { client ->
            val t = assertThrows<WxfaceException.Transport> {
                client.getAuthinfo(AuthinfoParams(rawdata = "RAW", deviceId = "E-01"))
            }
            assertEquals("transport", t.code)
            assertEquals("connect", t.transportKind)
            assertTrue(t.retryable)
            assertFalse(t.message.contains("RAW"))
        }
    }

    @Test
    fun aBuilderIsUsedOnce() {
        Sandbox().use { sandbox ->
            val builder = sandbox.merchantClientBuilder()
            builder.build().close()
            assertEquals("config", assertThrows<WxfaceException> { builder.build() }.code)
            assertFalse(builder.toString().contains("PRIVATE"))
        }
    }

    @Test
    fun helpersBuildWellFormedErrors() {
        val e = sdkCallFailed("timeout")
        assertEquals("sdk", e.code)
        assertEquals("CALL_FAILED", e.returnCode)
        assertEquals(SdkErrorClass.OTHER, classifySdkError(e))
        val failed = merchantServerFailed("FAIL", "no")
        assertEquals("backend", failed.code)
        assertEquals("FAIL", failed.wechatCode)
        val unreachable = merchantServerUnreachable("no route", "connect")
        assertEquals("transport", unreachable.code)
        assertEquals("transport", unreachable.kind)
        assertEquals("sdk", e.kind)
        assertEquals("signature", WxfaceException.Signature("signature_mismatch", "x", false).kind)
        assertEquals("connect", unreachable.transportKind)
        assertTrue(unreachable.retryable)
        val refused = merchantServerUnauthenticated("the device credential was revoked")
        assertEquals(listOf("unauthenticated", "unauthenticated"), listOf(refused.code, refused.kind))
        assertFalse(refused.retryable)
        assertTrue(refused is WxfaceException.Unauthenticated, "$refused")
        assertEquals("unauthenticated: the device credential was revoked", refused.reason)
        assertEquals("unauthenticated", refused.toFailure().code)
        assertEquals("Unauthenticated", WxfaceErrorCodes.variantOf("unauthenticated"))
        assertEquals("Sdk", WxfaceErrorCodes.variantOf("sdk"))
        assertEquals("Signature", WxfaceErrorCodes.variantOf("signature_mismatch"))
    }
}
