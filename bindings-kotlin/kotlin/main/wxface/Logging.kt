// wxface's logs in java.util.logging (logger `wxface`): the Rust side's
// `tracing` events (kiosk driver, merchant client, HTTP backend) reach a
// `LogSink` implemented here, which logs them as `WxfaceLogRecord`s. Plain
// Kotlin and the JDK: runs on Android (java.util.logging is there too).
@file:JvmName("WxfaceLogs")

package wxface

import java.util.logging.Level
import java.util.logging.LogRecord
import java.util.logging.Logger

/**
 * One wxface record in `java.util.logging`: the message with its fields
 * appended (`identity query failed code=backend …`, what a plain handler
 * prints), and the parts apart for handlers that look for them.
 */
class WxfaceLogRecord(
    level: Level,
    /** `error`, `warn`, `info`, `debug` or `trace`. */
    val wxfaceLevel: String,
    /** The Rust module that logged it (`wxface_client::client`). */
    val target: String,
    /** The message alone. */
    val text: String,
    /** The event's fields and its spans' (`span.field`), sorted by name. */
    val fields: Map<String, String>,
) : LogRecord(level, render(text, fields)) {
    init {
        loggerName = WxfaceLogging.LOGGER_NAME
        // Where it came from is the Rust target, not the sink's frame.
        sourceClassName = target
        sourceMethodName = null
    }

    private companion object {
        private const val serialVersionUID = 1L

        fun render(text: String, fields: Map<String, String>): String =
            if (fields.isEmpty()) text else fields.entries.joinToString(" ", "$text ") { "${it.key}=${it.value}" }
    }
}

/**
 * wxface's logs in `java.util.logging`. Call [install] once at start-up;
 * the level passed is the most verbose one the Rust side sends (records
 * below it cost nothing). The logger's own level and handlers still apply:
 * for `debug`/`trace`, lower the `wxface` logger's level too (JUL's default
 * is `INFO`). With SLF4J, route JUL there (`jul-to-slf4j`).
 *
 * Levels: `error` → `SEVERE`, `warn` → `WARNING`, `info` → `INFO`,
 * `debug` → `FINE`, `trace` → `FINER`.
 */
object WxfaceLogging {
    /** The logger's name. */
    const val LOGGER_NAME: String = "wxface"

    /** The `java.util.logging` level of a wxface level name. */
    @JvmStatic
    fun julLevel(level: String): Level = when (level) {
        "error" -> Level.SEVERE
        "warn" -> Level.WARNING
        "info" -> Level.INFO
        "debug" -> Level.FINE
        else -> Level.FINER
    }

    /** The wxface level name that passes on what `level` lets through. */
    @JvmStatic
    fun wxfaceLevel(level: Level): String = when {
        level.intValue() >= Level.SEVERE.intValue() -> "error"
        level.intValue() >= Level.WARNING.intValue() -> "warn"
        level.intValue() >= Level.INFO.intValue() -> "info"
        level.intValue() >= Level.FINE.intValue() -> "debug"
        else -> "trace"
    }

    private class JulSink(private val logger: Logger) : LogSink {
        override fun log(level: String, target: String, message: String, fields: Map<String, String>) {
            val jul = julLevel(level)
            if (!logger.isLoggable(jul)) return
            logger.log(WxfaceLogRecord(jul, level, target, message, fields.toSortedMap()))
        }
    }

    /**
     * Send wxface's records at [level] (`error`, `warn`, `info`, `debug`,
     * `trace`) or more severe to [logger] (default: `Logger.getLogger("wxface")`),
     * in place of any previous sink. `false` when the process already has
     * a Rust `tracing` subscriber of its own: then nothing is passed on.
     *
     * @throws WxfaceException.InvalidInput for another level name.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(WxfaceException::class)
    fun install(level: String = "info", logger: Logger = Logger.getLogger(LOGGER_NAME)): Boolean =
        installLogSink(level, JulSink(logger))

    /** [install] at the wxface level that matches a `java.util.logging` one. */
    @JvmStatic
    @JvmOverloads
    fun install(level: Level, logger: Logger = Logger.getLogger(LOGGER_NAME)): Boolean =
        installLogSink(wxfaceLevel(level), JulSink(logger))

    /**
     * Send wxface's records to a sink of your own (SLF4J, Timber, …), in
     * place of any previous one. Same levels and `false` as [install].
     */
    @JvmStatic
    @Throws(WxfaceException::class)
    fun install(level: String, sink: LogSink): Boolean = installLogSink(level, sink)

    /** Stop passing wxface's records on. */
    @JvmStatic
    fun uninstall() {
        uninstallLogSink()
    }
}
