// Test doubles: a Kotlin FaceSdk over the emulator, and a Kotlin
// MerchantBackend over the merchant client and the sandbox.
package wxface

import java.io.File
import java.util.concurrent.atomic.AtomicInteger
import wxface.model.*

/**
 * A Kotlin [FaceSdk] that adapts the emulator, as the Android app adapts
 * `WxPayFace`: every call goes Rust (Kiosk) → Kotlin (this) → Rust (emulator).
 */
class EmulatorFaceSdk(private val emu: EmulatedFaceSdk) : FaceSdk {
    val calls = AtomicInteger()
    val commands: MutableList<String> = java.util.Collections.synchronizedList(mutableListOf())

    /** When set, the next call throws this instead of reaching the emulator. */
    @Volatile var failNext: Throwable? = null

    override fun call(requestJson: String): String {
        calls.incrementAndGet()
        commands.add(Json.parse(requestJson).obj()["cmd"] as String)
        failNext?.let {
            failNext = null
            throw it
        }
        return emu.call(requestJson)
    }
}

/**
 * The hospital's side for the tests: authinfo and the identity query through
 * the [MerchantClient], decryption with the sandbox's key, and only the masked
 * identity back to the kiosk. A refresh request bypasses the client's cache.
 */
class SandboxBackend(
    private val client: MerchantClient,
    private val verifiedOpenids: Set<String> = emptySet(),
) : MerchantBackend {
    val authinfoRequests = AtomicInteger()
    val refreshes = AtomicInteger()
    val realNames: MutableList<RealName> = java.util.Collections.synchronizedList(mutableListOf())

    /** When set, the next `realName` throws this. */
    @Volatile var failRealName: Throwable? = null

    override fun authinfo(rawdata: String, deviceId: String, refresh: Boolean): AuthinfoGrant {
        authinfoRequests.incrementAndGet()
        val params = AuthinfoParams(rawdata = rawdata, deviceId = deviceId)
        if (refresh) {
            refreshes.incrementAndGet()
            client.invalidateAuthinfo(params)
        }
        val grant = client.getAuthinfo(params)
        return AuthinfoGrant(authinfo = grant.authinfo, expiresAt = grant.expiresAt)
    }

    /**
     * As the reference server decides: who the face_sid is, from WeChat Pay
     * (`ASK_UNIONID` needs no real-name consent), looked up in
     * [verifiedOpenids]. The face SDK reports no openid with a face_sid (the
     * spec's table); one it does report must be WeChat Pay's.
     */
    override fun isVerified(who: Recognised): Boolean {
        val openid = client.queryUser(who.faceSid, InfoType.ASK_UNION_ID).use { it.openid() }
        if (who.openid != null && who.openid != openid) {
            throw WxfaceException.InvalidInput(
                "invalid_input",
                "invalid input: `openid` is not the openid WeChat Pay answers for this face_sid",
                false,
                "openid",
            )
        }
        return openid in verifiedOpenids
    }

    override fun realName(faceSid: String, deviceId: String): MaskedIdentity {
        failRealName?.let {
            failRealName = null
            throw it
        }
        val real = client.realName(faceSid)
        realNames.add(real)
        return real.masked()
    }
}

/** The shared test vectors (tests/vectors). */
object Vectors {
    private val dir: File =
        File(System.getProperty("wxface.vectors") ?: "../tests/vectors")

    fun load(path: String): Map<String, Any?> = Json.parse(File(dir, path).readText(Charsets.UTF_8)).obj()
}

fun now(): Long = System.currentTimeMillis() / 1000

/**
 * The exception of type [T] that [block] throws (JUnit's Kotlin helper is
 * missing from some JUnit distributions, so the tests carry their own).
 */
inline fun <reified T : Throwable> assertThrows(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.java.name}, got ${e.javaClass.name}", e)
    }
    throw AssertionError("expected ${T::class.java.name}, nothing was thrown")
}
