// Hand-written companions of the generated `WxfaceException`: the stable
// code and kind of any variant, and constructors for the errors a Kotlin
// `FaceSdk` or `MerchantBackend` throws. Plain Kotlin: runs on Android.
package wxface

/** The stable snake_case code of this error (`sdk`, `signature_mismatch`, …). */
val WxfaceException.code: String
    get() = when (this) {
        is WxfaceException.InvalidInput -> this.code
        is WxfaceException.SdkVersion -> this.code
        is WxfaceException.Sdk -> this.code
        is WxfaceException.Backend -> this.code
        is WxfaceException.Malformed -> this.code
        is WxfaceException.Signature -> this.code
        is WxfaceException.Decryption -> this.code
        is WxfaceException.Expired -> this.code
        is WxfaceException.State -> this.code
        is WxfaceException.Config -> this.code
        is WxfaceException.Transport -> this.code
        is WxfaceException.Callback -> this.code
    }

/** The human-readable reason (names fields and rules, never values). */
val WxfaceException.reason: String
    get() = when (this) {
        is WxfaceException.InvalidInput -> this.reason
        is WxfaceException.SdkVersion -> this.reason
        is WxfaceException.Sdk -> this.reason
        is WxfaceException.Backend -> this.reason
        is WxfaceException.Malformed -> this.reason
        is WxfaceException.Signature -> this.reason
        is WxfaceException.Decryption -> this.reason
        is WxfaceException.Expired -> this.reason
        is WxfaceException.State -> this.reason
        is WxfaceException.Config -> this.reason
        is WxfaceException.Transport -> this.reason
        is WxfaceException.Callback -> this.reason
    }

/** Whether the same call may be repeated unchanged. */
val WxfaceException.isRetryable: Boolean
    get() = when (this) {
        is WxfaceException.Backend -> this.retryable
        is WxfaceException.Transport -> this.retryable
        else -> false
    }

/** Every code a [WxfaceException] can carry; `errorCodes()` is the Rust list. */
object WxfaceErrorCodes {
    val ALL: List<String> = listOf(
        "invalid_input",
        "sdk_version",
        "sdk",
        "backend",
        "malformed",
        "signature_missing",
        "signature_unknown_serial",
        "signature_stale_timestamp",
        "signature_mismatch",
        "signature_malformed",
        "decryption",
        "expired",
        "state",
        "config",
        "transport",
        "callback",
    )

    /** The variant a code belongs to, by its Kotlin class name. */
    fun variantOf(code: String): String? = when {
        code.startsWith("signature_") -> "Signature"
        code == "invalid_input" -> "InvalidInput"
        code == "sdk_version" -> "SdkVersion"
        code in ALL -> code.replaceFirstChar { it.uppercaseChar() }
        else -> null
    }
}

/**
 * What a [FaceSdk] throws when the call itself failed (service not running,
 * timeout, binder died) — not for an SDK answer with `return_code` other
 * than `SUCCESS`, which is returned as it is.
 */
fun sdkCallFailed(reason: String, errCode: String? = null): WxfaceException.Sdk =
    WxfaceException.Sdk(
        code = "sdk",
        reason = "face SDK call failed: $reason",
        cmd = "unknown",
        returnCode = "CALL_FAILED",
        returnMsg = reason,
        errCode = errCode,
    )

/**
 * What a [MerchantBackend] throws when the merchant server answered an error
 * (`backendCode` is its stable code, e.g. WeChat's `SYSTEM_ERROR`) or could
 * not be reached (`status` null).
 */
fun merchantServerFailed(
    backendCode: String,
    reason: String,
    status: UShort? = null,
    retryable: Boolean = false,
): WxfaceException.Backend =
    WxfaceException.Backend(
        code = "backend",
        reason = reason,
        status = status,
        backendCode = backendCode,
        detail = null,
        retryable = retryable,
    )
