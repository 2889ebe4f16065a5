'use strict'
// The Kiosk class: the native driver (NativeKiosk) with JS conveniences —
// AbortSignal cancellation, callbacks that may be sync or async, typed
// outcomes whose `error` is a WxfaceError.
//
// Every SDK call and merchant request runs off the JS thread in Rust; this
// file only adapts arguments and results.

const errors = require('./errors.js')

/** What Rust needs to know about a value a callback threw (not its message). */
function describeFailure (e) {
  if (e === null || typeof e !== 'object') return { name: typeof e }
  const str = (v) => (typeof v === 'string' ? v : undefined)
  return {
    name: str(e.name),
    code: str(e.code),
    wechatCode: str(e.wechatCode),
    wechatMessage: str(e.wechatMessage),
    status: Number.isInteger(e.status) ? e.status : undefined
  }
}

/**
 * A callback as the native side calls it: always a Promise of `{ok}` or
 * `{error}`, never a throw. The thrown value is kept in `failures` so that it
 * can become the `cause` of the outcome's error.
 */
function wrapCallback (fn, failures) {
  return async (arg) => {
    try {
      return { ok: await fn(arg) }
    } catch (e) {
      failures.push(e)
      return { error: describeFailure(e) }
    }
  }
}

function compact (o) {
  const out = {}
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v
  return out
}

function toOutcome (n, failures) {
  const who = { faceSid: n.faceSid, openid: n.openid, subOpenid: n.subOpenid }
  switch (n.kind) {
    case 'verified':
      return compact({ kind: n.kind, identity: compact(n.identity), ...who })
    case 'already_verified':
    case 'consent_refused':
      return compact({ kind: n.kind, ...who })
    case 'cancelled':
      return { kind: n.kind }
    default: {
      const error = errors.fromDescription(n.error || { kind: 'internal', code: 'internal', message: 'no error description' })
      if (failures.length > 0) error.cause = failures[failures.length - 1]
      return { kind: 'failed', step: n.step, error }
    }
  }
}

function makeKiosk (native) {
  class Kiosk {
    #native
    #failures = []
    // Verifications run one at a time (the native driver serialises them
    // too); queuing here keeps each one's callback failures apart.
    #queue = Promise.resolve()

    /**
     * @param {object} config appid, mchId, storeId, deviceId, sdkVersion, … and
     *   exactly one of `merchantUrl` (the HTTP merchant API) or `backend`
     *   (an object with `authinfo`, `realName` and optionally `isVerified`).
     * @param {FaceSdk} sdk
     */
    constructor (config, sdk) {
      if (config === null || typeof config !== 'object') {
        throw new TypeError('Kiosk: config must be an object')
      }
      const { backend, ...rest } = config
      let fns
      if (backend) {
        for (const m of ['authinfo', 'realName']) {
          if (typeof backend[m] !== 'function') throw new TypeError(`Kiosk: backend.${m} must be a function`)
        }
        const failures = () => this.#failures
        const call = (m, fallback) => (arg) =>
          typeof backend[m] === 'function' ? backend[m](arg) : fallback
        fns = {
          authinfo: (arg) => wrapCallback(call('authinfo'), failures())(arg),
          isVerified: (arg) => wrapCallback(call('isVerified', false), failures())(arg),
          realName: (arg) => wrapCallback(call('realName'), failures())(arg)
        }
      }
      this.#native = new native.NativeKiosk(rest, sdk, fns)
    }

    /** The device id. */
    get deviceId () {
      return this.#native.deviceId
    }

    /** `initWxpayface` (retried while the SDK is still initialising). */
    start () {
      return this.#native.start()
    }

    /**
     * Verify one patient. Resolves with the outcome; a failure of the flow
     * is `{kind: 'failed', step, error}`, not a rejection.
     *
     * @param {object} [options]
     * @param {(who: {faceSid: string, openid?: string, subOpenid?: string}) => boolean | Promise<boolean>} [options.isAlreadyVerified]
     * @param {(event: object) => void} [options.onProgress]
     * @param {AbortSignal} [options.signal] cancels the verification
     */
    verify (options = {}) {
      const run = this.#queue.then(() => this.#verify(options))
      this.#queue = run.catch(() => {})
      return run
    }

    async #verify (options) {
      const { isAlreadyVerified, onProgress, signal } = options || {}
      const failures = []
      this.#failures = failures
      const token = new native.CancelToken()
      const onAbort = () => token.cancel()
      if (signal) {
        if (signal.aborted) token.cancel()
        else signal.addEventListener('abort', onAbort, { once: true })
      }
      const hooks = {}
      if (isAlreadyVerified) {
        if (typeof isAlreadyVerified !== 'function') throw new TypeError('Kiosk.verify: isAlreadyVerified must be a function')
        hooks.isAlreadyVerified = wrapCallback(async (who) => Boolean(await isAlreadyVerified(who)), failures)
      }
      if (onProgress) {
        if (typeof onProgress !== 'function') throw new TypeError('Kiosk.verify: onProgress must be a function')
        hooks.onProgress = (event) => {
          try {
            onProgress(compact(event))
          } catch (e) {
            process.emitWarning(`Kiosk.verify: onProgress threw (${e && e.name})`, 'WxfaceWarning')
          }
        }
      }
      try {
        return toOutcome(await this.#native.verify(hooks, token), failures)
      } finally {
        if (signal) signal.removeEventListener('abort', onAbort)
      }
    }

    /** Cancel the verification in progress; returns whether there was one. */
    cancel () {
      return this.#native.cancel()
    }

    /** `releaseWxpayface` (cancels a verification in progress first). */
    shutdown () {
      return this.#native.shutdown()
    }

    /** The flow's state (`uninitialised`, `ready`, `released`, …). */
    state () {
      return this.#native.state()
    }

    /** Expiry of the cached authinfo, unix seconds, or null. */
    authinfoExpiresAt () {
      return this.#native.authinfoExpiresAt()
    }

    /** Forget the cached authinfo. */
    invalidateAuthinfo () {
      return this.#native.invalidateAuthinfo()
    }

    toString () {
      return `Kiosk(${this.deviceId})`
    }
  }
  return Kiosk
}

module.exports = { makeKiosk }
