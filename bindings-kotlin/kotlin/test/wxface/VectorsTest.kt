// The shared SDK vectors (tests/vectors/sdk) through the binding: the typed
// Kotlin builders must produce byte-for-byte the JSON the Rust core produces.
package wxface

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import wxface.model.*

class VectorsTest {
    private fun Map<String, Any?>.str(key: String): String? = this[key] as String?
    private fun Map<String, Any?>.string(key: String): String = (this[key] as String?) ?: ""
    private fun Map<String, Any?>.flag(key: String): Boolean = (this[key] as Boolean?) ?: false
    private fun Map<String, Any?>.long(key: String): Long = this[key] as Long

    /** The typed request of a vector, or null when Kotlin's types cannot express it. */
    private fun typed(o: Map<String, Any?>): SdkRequest? = when (o.string("cmd")) {
        "initWxpayface" -> {
            val proxy = (o["proxy"] as Map<*, *>?)?.obj()?.let {
                Proxy(ip = it.string("ip"), port = it.string("port"), user = it.str("user"), passwd = it.str("passwd"))
            }
            // The wire codes: proxy_type 0-2, camera_rotation 1-3.
            SdkRequest.Init(InitSettings(proxy = proxy, proxyType = o["proxy_type"] as Long?, cameraRotation = o["camera_rotation"] as Long?))
        }
        "getWxpayfaceRawdata" -> SdkRequest.GetRawdata
        "getWxpayfaceCode" -> SdkRequest.GetFaceCode(
            FaceCodeRequest(
                appid = o.string("appid"),
                mchId = o.string("mch_id"),
                storeId = o.string("store_id"),
                authinfo = o.string("authinfo"),
                faceAuthtype = if (o.str("face_authtype") == "FACEPAY") FaceAuthType.FACE_PAY else FaceAuthType.FACE_AUTH,
                subAppid = o.str("sub_appid"),
                subMchId = o.str("sub_mch_id"),
                openid = o.str("openid"),
                telephone = o.str("telephone"),
                screenIndex = o.str("screen_index"),
                disableKeyboard = o.flag("disable_keyboard"),
                token = o.flag("token"),
            ),
        )
        "getWxpayAuth" -> SdkRequest.GetAuth(
            AuthRequest(authinfo = o.string("authinfo"), faceSid = o.string("face_sid"), quit = o.flag("quit")),
        )
        "releaseWxpayface" -> SdkRequest.Release
        else -> null
    }

    private fun tests(path: String) =
        Vectors.load(path)["testGroups"].arr().flatMap { g -> g.obj()["tests"].arr().map { it.obj() } }

    @TestFactory
    fun requestVectors(): List<DynamicTest> = tests("sdk/requests.json").map { t ->
        DynamicTest.dynamicTest("request tcId ${t["tcId"]}: ${t["comment"]}") {
            val inputs = t["inputs"].obj()
            val request = inputs["request"].obj()
            val version = inputs.string("sdk_version")
            val now = inputs.long("now")
            val typed = typed(request)
            if (t["result"] == "valid") {
                val expected = t.string("expected")
                assertNotNull(typed, "a valid vector must be expressible with the Kotlin types")
                assertEquals(expected, sdkRequestJson(typed!!, version, now))
                assertEquals(expected, sdkRequestJsonFromObject(Json.write(request), version, now))
                // The emulator's parser reads it back to the same typed request.
                val parsed = parseSdkRequest(expected)
                assertEquals(now, parsed.now)
                assertEquals(expected, sdkRequestJson(parsed.request, version, now))
            } else {
                val code = t.string("code")
                val fromObject = assertThrows<WxfaceException> {
                    sdkRequestJsonFromObject(Json.write(request), version, now)
                }
                assertEquals(code, fromObject.code)
                if (typed != null) {
                    val e = assertThrows<WxfaceException> { sdkRequestJson(typed, version, now) }
                    assertEquals(code, e.code)
                    // `validateSdkRequest` takes no `now`: a vector whose only
                    // fault is its `now` (refused when the request is built)
                    // passes it, and builds with a plausible `now`.
                    if (runCatching { sdkRequestJson(typed, version, 1_767_225_600L) }.isSuccess) {
                        validateSdkRequest(typed, version)
                    } else {
                        assertEquals(code, assertThrows<WxfaceException> { validateSdkRequest(typed, version) }.code)
                    }
                }
            }
        }
    }

    @TestFactory
    fun responseVectors(): List<DynamicTest> = tests("sdk/responses.json").map { t ->
        DynamicTest.dynamicTest("response tcId ${t["tcId"]}: ${t["comment"]}") {
            val inputs = t["inputs"].obj()
            val cmd = sdkCmdFromName(inputs.string("cmd"))
            assertEquals(inputs.string("cmd"), sdkCmdName(cmd))
            val response = inputs.string("response")
            if (t["result"] == "valid") {
                val reply = parseSdkReply(cmd, response)
                val expected = t["expected"].obj()
                assertEquals(expected.str("rawdata"), reply.rawdata)
                assertEquals(expected.str("face_sid"), reply.faceSid)
                assertEquals(expected.str("face_code"), reply.faceCode)
                assertEquals(expected.str("openid"), reply.openid)
                assertEquals(expected.str("sub_openid"), reply.subOpenid)
                assertEquals(expected["telephone_used"] as Boolean?, reply.telephoneUsed)
                val known = setOf("rawdata", "face_sid", "face_code", "openid", "sub_openid", "telephone_used")
                assertTrue(known.containsAll(expected.keys), "${expected.keys}")
                // The emulator side writes an answer the kiosk side reads back.
                assertEquals(reply, parseSdkReply(cmd, sdkReplyJson(cmd, reply)))
            } else {
                val e = assertThrows<WxfaceException> { parseSdkReply(cmd, response) }
                assertEquals(t.string("code"), e.code)
                val expectedClass = t.str("class")
                val cls = classifySdkError(e)
                if (expectedClass == null) {
                    assertEquals(null, cls)
                } else {
                    assertTrue(e is WxfaceException.Sdk)
                    assertEquals(expectedClass.uppercase(), cls?.name)
                }
            }
        }
    }

    @Test
    fun sdkErrorJsonRoundTrips() {
        val json = sdkErrorJson("ERROR", "授权请求信息不存在或者已过期", "271382020")
        val e = assertThrows<WxfaceException.Sdk> { parseSdkReply(Cmd.GET_FACE_CODE, json) }
        assertEquals("271382020", e.errCode)
        assertEquals("getWxpayfaceCode", e.cmd)
        assertEquals(SdkErrorClass.AUTHINFO_EXPIRED, classifySdkError(e))
    }
}
