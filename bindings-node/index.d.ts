// Types of @wxface/node.
//
// Everything the native addon exports is declared in native.d.ts, which
// napi-rs generates from the Rust source; the error classes in
// lib/errors.d.ts, generated from the core's error catalogue; this file adds
// the core's records that the addon passes as plain objects (their Rust side
// is serde, so napi-rs cannot declare them) and the kiosk conveniences of the
// JS wrapper (index.js).

export * from './native'
export * from './lib/errors'

// Internal pieces of the native module that index.js does not export.
export declare const NativeKiosk: undefined
export declare const __sampleErrors: undefined
export declare const __setErrorFactory: undefined
export declare const __errorCatalogue: undefined
export declare const __setLogSink: undefined
export declare const __AbortHandle: undefined
export declare const __names: undefined
export declare const __napiBindingTarget: undefined
// The generated error module's tables and factory: `errors.CODES`, `errors.KINDS`, `errors.fromInfo`.
export declare const CODES: undefined
export declare const KINDS: undefined
export declare const fromInfo: undefined
export type AbortHandle = never

import type { WxfaceError } from './lib/errors'
import type {
  FaceSdk,
  AuthinfoAnswer,
  KioskConfig,
  MaskedIdentity
} from './native'

// ---------------------------------------------------------------- records

// The core's serde records the native functions take and return, in
// camelCase; native.d.ts names them.
declare module './native' {
  /**
   * A verified answer of the identity query (`MerchantClient.queryUser`,
   * `v3.handleUsersResponse`): a plain object, absent fields left out.
   */
  interface FaceUser {
    /** The user's openid under the merchant's appid. */
    openid?: string
    /** The user's openid under `sub_appid`. */
    subOpenid?: string
    /** The union id (`ASK_UNIONID`). */
    unionId?: string
    /** The encrypted identity (`ASK_REAL_NAME`), for `Decryptor.decryptRealName`. */
    realName?: EncryptedRealName
  }

  // The core's names as unions (test/names.test.mjs checks them against
  // the core's enums).

  /** What the identity query asks for (`MerchantClient.queryUser`). */
  type InfoType = 'ASK_REAL_NAME' | 'ASK_UNIONID'

  /** `sign_type` of the v2 API: `'MD5'` (default) or `'HMAC-SHA256'`. */
  type SignType = 'MD5' | 'HMAC-SHA256'

  /** Padding of the real-name fields: `'pkcs1v15'` (default) or `'oaep-sha1'`. */
  type Padding = 'pkcs1v15' | 'oaep-sha1'

  /** Options of one `MerchantClient` call. */
  interface CallOptions {
    /**
     * Aborts the call, as with `fetch`: the Promise rejects at once with
     * `signal.reason` (by default a `DOMException` named `AbortError`) and
     * the HTTP request is cancelled. An already aborted signal sends nothing.
     */
    signal?: AbortSignal
  }

  /**
   * What the merchant server passes for one authinfo: the kiosk API's
   * authinfo request (`POST /kiosk/authinfo`) in camelCase.
   */
  interface AuthinfoParamsInit {
    /** `rawdata` from the kiosk's face SDK. */
    rawdata: string
    /** The kiosk's device id (≤ 32). */
    deviceId: string
    /** The face SDK reported the previous authinfo expired: drop the cached one first. */
    refresh?: boolean
    /** The store; default: the configured one. */
    storeId?: string
    /** The store's name; default: the configured one. */
    storeName?: string
    /** `attach`, passed through to WeChat: a string as is, another JSON value as its JSON text. */
    attach?: string | number | boolean | object
  }

  namespace sdk {
    /** The HTTP proxy of `initWxpayface`. */
    interface ProxyInit {
      ip: string
      /** Digits only. */
      port: string
      user?: string
      passwd?: string
    }

    /** `initWxpayface` settings. */
    interface InitRequestInit {
      /** The SDK's own HTTP proxy. */
      proxy?: ProxyInit
      /** 0 none, 1 HTTP tunnel, 2 SOCKS5 (SDK 1.18+). */
      proxyType?: number
      /** 1 = +90°, 2 = 180°, 3 = −90° (SDK 1.18+). */
      cameraRotation?: number
    }

    /** `getWxpayfaceCode` fields. */
    interface FaceCodeRequestInit {
      appid: string
      mchId: string
      /** Provider mode. */
      subAppid?: string
      /** Provider mode. */
      subMchId?: string
      storeId: string
      /** SDK 1.24+. */
      openid?: string
      /** Pre-fills the phone number. */
      telephone?: string
      /** Default `FACE_AUTH`. */
      faceAuthtype?: 'FACE_AUTH' | 'FACEPAY'
      /** From the merchant server. */
      authinfo: string
      /** SDK 1.18+; `"1"` is the main screen. */
      screenIndex?: string
      /** SDK 1.23+. */
      disableKeyboard?: boolean
      /** SDK 1.16+. */
      token?: boolean
    }

    /** `getWxpayAuth` fields. */
    interface AuthRequestInit {
      authinfo: string
      /** From `getWxpayfaceCode`. */
      faceSid: string
      /** `true`: `quit_face_auth = "1"` (the user is already verified; SDK 1.20+). */
      quit?: boolean
    }

    /** A successful SDK answer: the command and what it carried (absent fields left out). */
    interface SdkReply {
      /** The command answered. */
      cmd: string
      /** `getWxpayfaceRawdata`. */
      rawdata?: string
      /** `getWxpayfaceCode` (FACE_AUTH). */
      faceSid?: string
      /** `getWxpayfaceCode` (FACEPAY). */
      faceCode?: string
      /** `getWxpayfaceCode`, sometimes. */
      openid?: string
      /** `getWxpayfaceCode`, provider mode. */
      subOpenid?: string
      /** Whether the pre-filled phone number was used. */
      telephoneUsed?: boolean
    }
  }

  namespace v2 {
    /** The fields of a `get_wxpayface_authinfo` request. */
    interface AuthinfoRequestInit {
      storeId: string
      storeName: string
      deviceId: string
      /** A JSON string. */
      attach?: string
      /** From the face SDK. */
      rawdata: string
      appid: string
      /** The provider's in provider mode. */
      mchId: string
      subAppid?: string
      subMchId?: string
      /** `"MD5"` (default) or `"HMAC-SHA256"`. */
      signType?: SignType
    }

    /** A verified `get_wxpayface_authinfo` answer; the echoes WeChat left out are absent. */
    interface AuthinfoResponse {
      /** The SDK call credential. */
      authinfo: string
      /** `expires_in` seconds as sent. */
      expiresIn: number
      /** Absolute expiry, unix seconds (`now + expires_in`). */
      expiresAt: number
      /** `appid` echoed. */
      appid?: string
      /** `mch_id` echoed. */
      mchId?: string
      /** `sub_appid` echoed. */
      subAppid?: string
      /** `sub_mch_id` echoed. */
      subMchId?: string
    }
  }
}

// ------------------------------------------------------------------ logs

/** The level of a log record, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace'

/**
 * One of wxface's log events (`tracing` in Rust), with the names every
 * wxface binding uses. No record holds a key, a credential, a name or an ID
 * number: ids, codes, counts and durations only.
 */
export interface LogRecord {
  level: LogLevel
  /** The Rust module that logged it (`wxface_client::client`). */
  target: string
  message: string
  /**
   * The event's other fields and those of the spans it happened in
   * (outermost first, prefixed with the span's name: `wxface.http.attempt`),
   * as text.
   */
  fields: Record<string, string>
}

/** Options of `setLogger`. */
export interface LoggerOptions {
  /** The most verbose level passed on (default `'info'`). */
  level?: LogLevel
}

/**
 * Send wxface's log events at `options.level` or more severe to `logger`;
 * `null` stops. Records arrive on the JS thread, after the work that logged
 * them; a logger never keeps the process alive. One logger per process: a
 * later call replaces the first. Without a call, `DEBUG=wxface` (debug-style
 * namespaces) or `WXFACE_LOG=<level>` log to stderr.
 *
 * @returns whether records are passed on (`false` after `null`, or when
 *   another `tracing` subscriber was installed in the process first).
 */
export declare function setLogger (logger: ((record: LogRecord) => void) | null, options?: LoggerOptions): boolean

// ------------------------------------------------------------------ flow

/** Who the face SDK recognised (no personal data). */
export interface Recognised {
  /** `face_sid`: the identity query credential. */
  faceSid: string
  /** `openid`, when the SDK returned one. */
  openid?: string
  /** `sub_openid`, when the SDK returned one. */
  subOpenid?: string
}

/** A step of the flow, for progress displays. */
export type Step =
  | 'initialising' | 'reading_rawdata' | 'fetching_authinfo' | 'recognising' | 'checking_verified'
  | 'asking_consent' | 'quitting' | 'fetching_real_name' | 'releasing'

/** How a step finished. */
export type StepStatus = 'ok' | 'error' | 'cancelled'

/** How a verification ended (`Outcome['kind']`). */
export type OutcomeKind = 'verified' | 'already_verified' | 'consent_refused' | 'cancelled' | 'failed'

/**
 * The state of a kiosk's flow (`Kiosk.state()`): `uninitialised` before
 * `start()`, `ready` between verifications, `released` after `shutdown()`,
 * otherwise the answer it waits for.
 */
export type KioskState =
  | 'uninitialised' | 'expect_init' | 'ready' | 'expect_rawdata' | 'expect_authinfo'
  | 'expect_face_code' | 'expect_verified_check' | 'expect_consent' | 'expect_quit'
  | 'expect_real_name' | 'expect_release' | 'expect_late_quit' | 'released'

/** The error table of the wrapper: the generated module `lib/errors.js`. */
export declare const errors: typeof import('./lib/errors')

// ------------------------------------------------------------------ kiosk

/**
 * A merchant backend written in JS, in place of `merchantUrl`: the kiosk
 * calls it off its background thread and waits for the Promise. Functions may
 * be sync or async; a thrown value ends the verification as `failed`, whose
 * `error` has that value as its `cause`: a thrown `WxfaceError` keeps its
 * class and fields, anything else is a `TransportError` (the backend stands
 * for the merchant server).
 */
export interface KioskBackend {
  /** `refresh`: the face SDK reported the previous authinfo expired (271382020); bypass any cache. */
  authinfo (request: { rawdata: string, deviceId: string, refresh: boolean }): AuthinfoAnswer | Promise<AuthinfoAnswer>
  /** Default: nobody is verified yet. */
  isVerified? (who: Recognised): boolean | Promise<boolean>
  /** Must return a masked identity (a kiosk never handles full values). */
  realName (request: { faceSid: string, deviceId: string }): MaskedIdentity | Promise<MaskedIdentity>
}

/**
 * Kiosk configuration: ids and exactly one of `merchantUrl` (with the
 * kiosk's `deviceCredential`) or `backend`.
 */
export type KioskOptions = Omit<KioskConfig, 'merchantUrl' | 'deviceCredential'> & (
  | {
    merchantUrl: string
    /**
     * The kiosk's device credential (`wxfd1.…`), sent to `merchantUrl` with
     * every request. The reference merchant server refuses a kiosk without
     * a live one: the verification fails with `UnauthenticatedError`. Leave
     * it out only for a merchant server that authenticates kiosks another way.
     */
    deviceCredential?: string
    backend?: undefined
  }
  | { backend: KioskBackend, merchantUrl?: undefined, deviceCredential?: undefined }
)

/** The kinds of progress event (`KioskProgress['type']`). */
export type ProgressType = 'step_started' | 'step_finished' | 'cancel_requested' | 'finished'

/**
 * A progress event of one verification (no personal data), told apart by
 * `type`; the fields another type has are `undefined`.
 */
export type KioskProgress =
  | {
    type: 'step_started'
    step: Step
    status?: undefined, error?: undefined, elapsedMs?: undefined, outcome?: undefined
  }
  | {
    type: 'step_finished'
    step: Step
    /** How the step ended. */
    status: StepStatus
    /** What ended the step, when something failed. */
    error?: WxfaceError
    /** How long the step took, milliseconds. */
    elapsedMs: number
    outcome?: undefined
  }
  | {
    type: 'cancel_requested'
    step?: undefined, status?: undefined, error?: undefined, elapsedMs?: undefined, outcome?: undefined
  }
  | {
    type: 'finished'
    /** How the verification ended. */
    outcome: OutcomeKind
    /** How long the whole verification took, milliseconds. */
    elapsedMs: number
    step?: undefined, status?: undefined, error?: undefined
  }

/** Options of one verification. */
export interface VerifyOptions {
  /**
   * Decide "already verified?" here instead of asking the merchant server. A
   * thrown value ends the verification as `failed` with an `InternalError`
   * (a thrown `WxfaceError` keeps its class) whose `cause` is that value.
   */
  isAlreadyVerified?: (who: Recognised) => boolean | Promise<boolean>
  /** Progress of the steps (no personal data). */
  onProgress?: (event: KioskProgress) => void
  /** Cancels the verification. */
  signal?: AbortSignal
}

/** How a patient's flow (one verification) ended. */
export type Outcome =
  | ({ kind: 'verified', identity: MaskedIdentity } & Recognised)
  | ({ kind: 'already_verified' } & Recognised)
  | ({ kind: 'consent_refused' } & Recognised)
  | { kind: 'cancelled' }
  | { kind: 'failed', step: Step, error: WxfaceError }

/**
 * The kiosk driver: one face SDK, one merchant server, one patient at a
 * time. SDK calls and network run off the JS thread.
 */
export declare class Kiosk {
  constructor (config: KioskOptions, sdk: FaceSdk)
  readonly deviceId: string
  /** `initWxpayface`. Rejects with `SdkError` or `StateError`. */
  start (): Promise<void>
  /** Verify one patient; a failure is an outcome, not a rejection. */
  verify (options?: VerifyOptions): Promise<Outcome>
  /** Cancel the verification in progress; whether there was one. */
  cancel (): boolean
  /** `releaseWxpayface`. */
  shutdown (): Promise<void>
  /** The flow's state. */
  state (): Promise<KioskState>
  authinfoExpiresAt (): Promise<number | null>
  invalidateAuthinfo (): Promise<void>
}
