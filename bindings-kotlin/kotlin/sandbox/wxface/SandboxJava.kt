// The sandbox for Java (feature `sandbox`, JVM tests and examples only):
// the calls whose Kotlin form takes unsigned numbers or default arguments.
// Call as `SandboxJava.start()` and so on.
@file:JvmName("SandboxJava")

package wxface

/**
 * A sandbox with the default settings (`new Sandbox()` in Kotlin).
 *
 * @throws WxfaceException when it cannot start.
 */
@Throws(WxfaceException::class)
fun startSandbox(): Sandbox = Sandbox()

/** The emulated face SDK for [deviceId], SDK 1.24. */
@Throws(WxfaceException::class)
fun emulatedSdk(sandbox: Sandbox, deviceId: String): EmulatedFaceSdk = sandbox.emulatedSdk(deviceId)

/** [EmulatedFaceSdk.setLatencyMs] from a `long` (≥ 0). */
fun setLatencyMs(emu: EmulatedFaceSdk, ms: Long) {
    require(ms in 0..UInt.MAX_VALUE.toLong()) { "ms must be >= 0" }
    emu.setLatencyMs(ms.toUInt())
}

/** [Sandbox.revokeDevice] as a `long`: how many credentials were revoked. */
fun revokeDevice(sandbox: Sandbox, id: String): Long = sandbox.revokeDevice(id).toLong()

/** [Sandbox.expireAuthinfos] as a `long`. */
fun expireAuthinfos(sandbox: Sandbox): Long = sandbox.expireAuthinfos().toLong()
