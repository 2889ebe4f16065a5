// Masking, GB 11643, credential types, and the Decryptor / RealName pair.
package wxface

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import wxface.model.*

class RealNameTest {
    @Test
    fun masking() {
        assertEquals("张*三", maskName("张小三"))
        assertEquals("欧**明", maskName("欧阳小明"))
        assertEquals("张*", maskName("张三"))
        assertEquals("*", maskName("张"))
        assertEquals("110***********1234", maskCredentialId("110101199003071234"))
        assertEquals("****5", maskCredentialId("12345"))
        assertEquals("1*****78", maskCredentialId("12345678"))
    }

    @Test
    fun gb11643() {
        val first17 = "11010519491231002"
        val check = gb11643CheckChar(first17)
        assertEquals("X", check)
        assertTrue(isResidentId(first17 + check))
        checkResidentId(first17 + check)
        assertFalse(isResidentId(first17 + "1"))
        assertEquals(null, gb11643CheckChar("1234"))
        val e = assertThrows<WxfaceException.InvalidInput> { checkResidentId("11010519491331002X") }
        assertTrue(e.reason.contains("birth date"), e.reason)
        validateCredentialId(CredentialType.Passport, "E12345678")
        validateCredentialId(CredentialType.MilitaryOfficer, "南字第1234567号")
        assertThrows<WxfaceException.InvalidInput> { validateCredentialId(CredentialType.IdCard, "E12345678") }
        validateName("测试·患者")
        assertEquals("real_name", assertThrows<WxfaceException.InvalidInput> { validateName(" 张三") }.field)
    }

    @Test
    fun credentialTypes() {
        assertEquals(CredentialType.IdCard, credentialTypeFromCode(1))
        assertEquals(CredentialType.Other, credentialTypeFromCode(11))
        assertEquals(CredentialType.Unknown(42), credentialTypeFromCode(42))
        assertEquals(9L, credentialTypeCode(CredentialType.TaiwanPermit))
        assertEquals("护照", credentialTypeLabel(CredentialType.Passport))
    }

    @Test
    fun decryptionThroughTheClientAndAlone() {
        Sandbox().use { sandbox ->
            val client = sandbox.merchantClientBuilder().build()
            val emu = sandbox.emulatedSdk("RN-01")
            val sdk = EmulatorFaceSdk(emu)
            val kiosk = Kiosk(KioskConfig(appid = sandbox.appid(), mchId = sandbox.mchId(), storeId = "STORE-01"), "RN-01", sdk, SandboxBackend(client))
            kiosk.start()
            emu.setPerson("patient-b")
            val who = (kiosk.verify() as Outcome.Verified).who

            // Query once (a verified answer), decrypt separately.
            val user = client.queryUser(who.faceSid, InfoType.ASK_REAL_NAME)
            assertTrue(user.hasRealName())
            assertEquals(CredentialType.IdCard, user.credentialType())
            assertNotNull(user.openid())
            assertEquals(
                "FaceUser(openid=[set], sub_openid=[none], union_id=[none], real_name=[encrypted, credential_type=1])",
                user.toString(),
            )
            val decryptor = sandbox.decryptor()
            assertEquals(Padding.PKCS1V15, decryptor.padding())
            assertFalse(decryptor.toString().contains("PRIVATE"))
            val real = decryptor.decryptRealName(user)
            assertEquals("测试患者乙", real.exposeName())
            assertTrue(real.exposeCredentialId().endsWith("X"))
            assertEquals("测***乙", real.maskedName())
            assertFalse(real.toString().contains("测试患者乙"), real.toString())
            assertFalse(real.toString().contains(real.exposeCredentialId()), real.toString())

            // The other padding never yields a value: implicit rejection is caught.
            val wrong = assertThrows<WxfaceException.Decryption> {
                sandbox.decryptor(Padding.OAEP_SHA1).decryptRealName(user)
            }
            assertEquals("decryption", wrong.code)
            assertEquals(DECRYPTION_FAILED, wrong.reason)
            assertEquals("code=decryption, reason=$DECRYPTION_FAILED, retryable=false", wrong.message)

            val viaQuery = client.queryUser(who.faceSid, InfoType.ASK_UNION_ID)
            assertNotNull(viaQuery.unionId())
            assertFalse(viaQuery.hasRealName())
            assertEquals(null, viaQuery.credentialType())
            // An answer without real-name fields has nothing to decrypt.
            val none = assertThrows<WxfaceException.Malformed> { decryptor.decryptRealName(viaQuery) }
            assertEquals("malformed", none.code)
            val fetched = client.fetchRealName(who.faceSid, decryptor)
            assertEquals(real.masked(), fetched.masked())
            assertTrue(client.stats().httpRequests >= 3u)
            assertTrue(client.platformKeyIds().isNotEmpty())

            kiosk.shutdown()
            kiosk.close()
            client.close()
        }
    }
}
