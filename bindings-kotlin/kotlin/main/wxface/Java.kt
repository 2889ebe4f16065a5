// The kiosk surface for Java: static helpers where the Kotlin API has what
// Java cannot call (unsigned types, whose JVM methods get mangled names;
// default arguments), and a way to throw the binding's checked exceptions
// from Java implementations of FaceSdk and MerchantBackend. Plain Kotlin:
// runs on Android. Call as `WxfaceJava.verify(kiosk)` and so on.
@file:JvmName("WxfaceJava")

package wxface

import wxface.model.KioskConfig
import wxface.model.Outcome

/** A [KioskConfig] with the optional fields at their defaults (SDK 1.24, direct mode). */
fun kioskConfig(appid: String, mchId: String, storeId: String): KioskConfig =
    KioskConfig(appid = appid, mchId = mchId, storeId = storeId)

/** An [InitRetry] from Java's signed numbers (both must be ≥ 0). */
fun initRetry(attempts: Int, delayMs: Long): InitRetry {
    require(attempts >= 0 && delayMs in 0..UInt.MAX_VALUE.toLong()) { "attempts and delayMs must be >= 0" }
    return InitRetry(attempts.toUInt(), delayMs.toUInt())
}

/**
 * A [Kiosk] (`new Kiosk(config, deviceId, sdk, backend, null)` in full).
 *
 * @throws WxfaceException as the constructor.
 */
@JvmOverloads
@Throws(WxfaceException::class)
fun newKiosk(
    config: KioskConfig,
    deviceId: String,
    sdk: FaceSdk,
    backend: MerchantBackend,
    initRetry: InitRetry? = null,
): Kiosk = Kiosk(config, deviceId, sdk, backend, initRetry)

/** [Kiosk.verify] with or without a listener and a cancel handle. Blocks; never throws. */
@JvmOverloads
fun verify(kiosk: Kiosk, listener: VerifyListener? = null, cancel: CancelHandle? = null): Outcome =
    kiosk.verify(listener, cancel)

/** The HTTP status of a backend error, or `null`. */
fun httpStatus(e: WxfaceException.Backend): Int? = e.status?.toInt()

/**
 * [merchantServerFailed] for Java: the error a [MerchantBackend] throws when
 * the merchant server answered an error; `httpStatus` ≤ 0 for none.
 */
@JvmOverloads
fun merchantServerError(
    wechatCode: String,
    reason: String,
    httpStatus: Int = 0,
    retryable: Boolean = false,
    requestId: String? = null,
): WxfaceException.Backend =
    merchantServerFailed(
        wechatCode,
        reason,
        status = if (httpStatus in 1..0xFFFF) httpStatus.toUShort() else null,
        retryable = retryable,
        requestId = requestId,
    )

/**
 * Throws [e] from Java code whose method declares no checked exception
 * (a Java `FaceSdk.call` or `MerchantBackend` method):
 * `throw WxfaceJava.raise(WxfaceJava.merchantServerError(…))`. The kiosk
 * then sees the error itself, not a foreign exception. Never returns.
 */
fun raise(e: WxfaceException): RuntimeException = throw e
