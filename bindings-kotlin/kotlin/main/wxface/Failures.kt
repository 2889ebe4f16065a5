// Hand-written companions of the generated `WxfaceException` (`Errors.kt`
// beside it is generated): the errors a Kotlin `FaceSdk` or
// `MerchantBackend` throws, and the way between exceptions and the error
// records of `wxface.model`. Plain Kotlin: runs on Android.
package wxface

import wxface.model.ErrorInfo
import wxface.model.Failure

/**
 * What a [FaceSdk] throws when the call itself failed (service not running,
 * timeout, binder died) — not for an SDK answer with `return_code` other
 * than `SUCCESS`, which is returned as it is. The flow fills in the command.
 */
fun sdkCallFailed(reason: String, errCode: String? = null): WxfaceException.Sdk =
    WxfaceException.Sdk(
        code = "sdk",
        reason = "face SDK call failed: $reason",
        retryable = false,
        cmd = null,
        returnCode = "CALL_FAILED",
        returnMsg = reason,
        errCode = errCode,
    )

/**
 * What a [MerchantBackend] throws when the merchant server answered an error:
 * `wechatCode` is WeChat Pay's code it passed on (`SYSTEM_ERROR`, `NOT_FOUND`,
 * …), `status` the HTTP status of that answer, `requestId` WeChat Pay's
 * `Request-ID` of it.
 */
fun merchantServerFailed(
    wechatCode: String,
    reason: String,
    status: UShort? = null,
    retryable: Boolean = false,
    wechatMessage: String? = null,
    requestId: String? = null,
): WxfaceException.Backend =
    WxfaceException.Backend(
        code = "backend",
        reason = reason,
        retryable = retryable,
        status = status,
        wechatCode = wechatCode,
        wechatMessage = wechatMessage ?: reason,
        detail = null,
        requestId = requestId,
    )

/**
 * What a [MerchantBackend] throws when the merchant server could not be
 * reached or gave no usable answer. `transportKind` is `connect`, `timeout`,
 * `interrupted`, `rate_limited` (the server's 429), `protocol` or `other`;
 * the first four may be retried.
 */
fun merchantServerUnreachable(reason: String, transportKind: String = "other"): WxfaceException.Transport =
    WxfaceException.Transport(
        code = "transport",
        reason = "transport ($transportKind): $reason",
        retryable = transportKind in setOf("connect", "timeout", "interrupted", "rate_limited"),
        transportKind = transportKind,
    )

// `merchantServerUnauthenticated(reason)`, for a server that refused the
// kiosk's device credential (HTTP 401), is the Rust side's (`src/kiosk.rs`).

/** The exception this error record stands for (`Outcome.Failed.error`, …), to throw or to match on. */
fun ErrorInfo.toException(): WxfaceException = errorFromInfo(this)

/** This error as the [Failure] a [Flow] driver reports in `Event.SdkCallFailed` / `Event.BackendFailed`. */
fun WxfaceException.toFailure(): Failure = failureFromError(this)
