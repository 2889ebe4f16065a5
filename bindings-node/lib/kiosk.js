'use strict'
// The Kiosk class: the native driver (NativeKiosk) with JS conveniences —
// AbortSignal cancellation, callbacks that may be sync or async, typed
// outcomes whose `error` is a WxfaceError.
//
// Every SDK call and merchant request runs off the JS thread in Rust; this
// file only adapts arguments and results.

const errors = require('./errors.js')

/** Node's codes of an HTTP call that got no answer → the transport kind. */
const TRANSPORT_KINDS = {
  ECONNREFUSED: 'connect',
  ENOTFOUND: 'connect',
  EAI_AGAIN: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ECONNRESET: 'interrupted',
  EPIPE: 'interrupted',
  UND_ERR_SOCKET: 'interrupted'
}

/**
 * The error record (snake_case, as `fromInfo` takes it) of what a callback
 * threw. A WxfaceError keeps its own. Anything else is described by its name
 * and code only, never its message (which may hold data): a `transport` error
 * for the merchant backend (it stands for the merchant server), `internal`
 * for another callback.
 */
function failureInfo (e, callback, isBackend) {
  if (e instanceof errors.WxfaceError) return e.info()
  const token = (v) => (typeof v === 'string' && /^[A-Za-z_][\w.]{0,63}$/.test(v) ? v : undefined)
  const obj = e !== null && typeof e === 'object' ? e : {}
  const code = token(obj.code) || token(obj.cause && obj.cause.code)
  const what = `\`${callback}\` threw ${token(obj.name) || typeof e}${code ? ` (${code})` : ''}`
  if (!isBackend) return { code: 'internal', message: what }
  const kind = TRANSPORT_KINDS[code] || (obj.name === 'TimeoutError' ? 'timeout' : 'other')
  return { code: 'transport', message: what, transport_kind: kind }
}

/**
 * A callback as the native side calls it: always a Promise of `{ok}` or
 * `{error}` (an error record), never a throw. The thrown value is kept in
 * `failures` so that it can become the `cause` of the outcome's error.
 */
function wrapCallback (fn, failures, name, isBackend = false) {
  return async (arg) => {
    try {
      return { ok: await fn(arg !== null && typeof arg === 'object' ? compact(arg) : arg) }
    } catch (e) {
      failures.push(e)
      return { error: failureInfo(e, name, isBackend) }
    }
  }
}

function compact (o) {
  const out = {}
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v
  return out
}

/** The outcome of the core's record (camelCase, tagged by `outcome`). */
function toOutcome (n, failures) {
  switch (n.outcome) {
    case 'verified':
    case 'already_verified':
    case 'consent_refused':
      return compact({ kind: n.outcome, identity: n.identity, ...n.who })
    case 'cancelled':
      return { kind: n.outcome }
    default: {
      const error = errors.fromInfo(n.error || { code: 'internal', message: 'no error record' })
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
        const wrap = (m, fallback) => (arg) =>
          wrapCallback(call(m, fallback), failures(), `backend.${m}`, true)(arg)
        fns = {
          authinfo: wrap('authinfo'),
          isVerified: wrap('isVerified', false),
          realName: wrap('realName')
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
        hooks.isAlreadyVerified = wrapCallback(async (who) => Boolean(await isAlreadyVerified(who)), failures, 'isAlreadyVerified')
      }
      if (onProgress) {
        if (typeof onProgress !== 'function') throw new TypeError('Kiosk.verify: onProgress must be a function')
        hooks.onProgress = (event) => {
          try {
            const e = compact(event)
            if (e.error) e.error = errors.fromInfo(e.error)
            onProgress(e)
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
