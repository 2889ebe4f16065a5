// The merchant side for Java (feature `merchant`): static helpers where the
// Kotlin API has what Java cannot call — unsigned numbers, whose JVM methods
// get mangled names. Call as `MerchantJava.stats(client)` and so on. Not part
// of kiosk-only (Android) builds, which have no merchant client.
@file:JvmName("MerchantJava")

package wxface

/** [ClientStats] in Java's `long`s. */
data class JavaClientStats(
    /** Calls of the public operations. */
    val calls: Long,
    /** HTTP requests sent (every attempt). */
    val httpRequests: Long,
    /** Attempts after a retryable failure. */
    val retries: Long,
    /** Authinfo answers served from the cache. */
    val cacheHits: Long,
    /** Authinfo answers shared with a concurrent caller. */
    val coalesced: Long,
    /** Successful platform certificate downloads. */
    val certificateDownloads: Long,
    /** Requests sent to the backup host after the primary could not be reached. */
    val failovers: Long,
)

private fun ULong.clamped(): Long = if (this > Long.MAX_VALUE.toULong()) Long.MAX_VALUE else toLong()

/** The client's counters since it was built. */
fun stats(client: MerchantClient): JavaClientStats =
    client.stats().let {
        JavaClientStats(
            it.calls.clamped(), it.httpRequests.clamped(), it.retries.clamped(), it.cacheHits.clamped(),
            it.coalesced.clamped(), it.certificateDownloads.clamped(), it.failovers.clamped(),
        )
    }

/** The HTTP status WeChat Pay answered a signed query with. */
fun status(answer: SignedAnswer): Int = answer.status().toInt()

/** Seconds the authinfo had left when it was produced. */
fun expiresIn(response: AuthinfoResponse): Long = response.expiresIn.clamped()

/** How many platform certificates were downloaded and trusted. */
@Throws(WxfaceException::class)
fun refreshPlatformCertificates(client: MerchantClient): Long = client.refreshPlatformCertificates().clamped()

private fun millis(ms: Long, what: String): UInt {
    require(ms in 0..UInt.MAX_VALUE.toLong()) { "$what must be between 0 and ${UInt.MAX_VALUE} ms" }
    return ms.toUInt()
}

/** [MerchantClientBuilder.timeoutMs] from a Java `long` (0 to 2^32-1). */
fun timeoutMs(builder: MerchantClientBuilder, ms: Long): MerchantClientBuilder = builder.timeoutMs(millis(ms, "timeoutMs"))

/** [MerchantClientBuilder.connectTimeoutMs] from a Java `long` (0 to 2^32-1). */
fun connectTimeoutMs(builder: MerchantClientBuilder, ms: Long): MerchantClientBuilder =
    builder.connectTimeoutMs(millis(ms, "connectTimeoutMs"))
