// The kiosk in coroutines: `Kiosk.verifyAsync` suspends while a worker
// thread runs the verification, and cancelling the coroutine cancels the
// verification (the kiosk's CancelHandle) and returns at once;
// `Kiosk.verifyFlow` is the same as a Flow of its progress events. Needs
// kotlinx-coroutines-core (kept apart from kotlin/main for that reason).
@file:JvmName("KioskCoroutines")

package wxface

import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asExecutor
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.channelFlow
import wxface.model.Outcome
import wxface.model.Progress

/**
 * [Kiosk.verify] as a `suspend` function: the verification runs on a thread
 * of [dispatcher] (which it may block for as long as the patient takes) and
 * the coroutine suspends meanwhile.
 *
 * Cancelling the coroutine (`cancel()`, `withTimeout`, a cancelled scope)
 * cancels the verification as [CancelHandle.cancel] does, and this function
 * throws the `CancellationException` at once, as coroutines do. The kiosk
 * finishes the cancelled verification in the background: at once while the
 * merchant server is being asked; when the face SDK returns while it has
 * the screen (the vendor API cannot interrupt it), the SDK then being told
 * to quit. The kiosk's next `verify`/`verifyAsync` waits for that.
 *
 * [cancel], when given, is the handle used, so that the verification can
 * also be cancelled from outside: then the result is `Outcome.Cancelled`.
 * [listener] gets the progress events (`Progress.Finished` last, also after
 * a cancelled coroutine).
 */
suspend fun Kiosk.verifyAsync(
    listener: VerifyListener? = null,
    cancel: CancelHandle? = null,
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): Outcome {
    val handle = cancel ?: CancelHandle()
    return suspendCancellableCoroutine { cont ->
        cont.invokeOnCancellation { handle.cancel() }
        dispatcher.asExecutor().execute {
            // After a cancellation, the outcome is dropped.
            try {
                cont.resume(verify(listener, handle))
            } catch (e: Throwable) {
                cont.resumeWithException(e)
            }
        }
    }
}

/**
 * One verification as a cold [Flow] of its progress events, ending with
 * `Progress.Finished` (its `outcome` is the outcome's name). Collecting it
 * runs the verification; cancelling the collector (or stopping it early,
 * `take`, `first { … }`) cancels the verification. Use [verifyAsync] with a
 * [VerifyListener] when you need the [Outcome] itself.
 */
fun Kiosk.verifyFlow(
    cancel: CancelHandle? = null,
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): Flow<Progress> = channelFlow {
    val listener = object : VerifyListener {
        override fun onProgress(event: Progress) {
            // Unlimited buffer: never fails while the flow is collected.
            trySend(event)
        }
    }
    verifyAsync(listener, cancel, dispatcher)
}.buffer(Channel.UNLIMITED)
