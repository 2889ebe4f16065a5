// Types of @wxface/node.
//
// Everything the native addon exports is declared in native.d.ts, which
// napi-rs generates from the Rust source; the error classes in
// lib/errors.d.ts, generated from the core's error catalogue; this file adds
// the kiosk conveniences of the JS wrapper (index.js).

export * from './native'
export * from './lib/errors'

// Internal pieces of the native module that index.js does not export.
export declare const NativeKiosk: undefined
export declare const __sampleErrors: undefined
export declare const __setErrorFactory: undefined
export declare const __errorCatalogue: undefined

import type { WxfaceError } from './lib/errors'
import type {
  FaceSdk,
  KioskAuthinfo,
  KioskConfig,
  MaskedIdentity
} from './native'

/** Who the face SDK recognised (no personal data). */
export interface RecognisedUser {
  /** `face_sid`: the identity query credential. */
  faceSid: string
  /** `openid`, when the SDK returned one. */
  openid?: string
  /** `sub_openid`, when the SDK returned one. */
  subOpenid?: string
}

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
  authinfo (request: { rawdata: string, deviceId: string, refresh: boolean }): KioskAuthinfo | Promise<KioskAuthinfo>
  /** Default: nobody is verified yet. */
  isVerified? (who: RecognisedUser): boolean | Promise<boolean>
  /** Must return a masked identity (a kiosk never handles full values). */
  realName (request: { faceSid: string, deviceId: string }): MaskedIdentity | Promise<MaskedIdentity>
}

/** Kiosk configuration: ids and exactly one of `merchantUrl` or `backend`. */
export type KioskOptions = Omit<KioskConfig, 'merchantUrl'> & (
  | { merchantUrl: string, backend?: undefined }
  | { backend: KioskBackend, merchantUrl?: undefined }
)

/** A progress event of one verification (no personal data). */
export interface KioskProgress {
  type: 'step_started' | 'step_finished' | 'cancel_requested' | 'finished'
  /**
   * The step (`initialising`, `reading_rawdata`, `fetching_authinfo`,
   * `recognising`, `checking_verified`, `asking_consent`, `quitting`,
   * `fetching_real_name`, `releasing`).
   */
  step?: string
  /** How a step ended: `ok`, `error` or `cancelled`. */
  status?: 'ok' | 'error' | 'cancelled'
  /** What ended a step, when something failed. */
  error?: WxfaceError
  /** How long the step (or the whole verification) took, milliseconds. */
  elapsedMs?: number
  /** The outcome's kind (`finished` only). */
  outcome?: string
}

/** Options of one verification. */
export interface VerifyOptions {
  /**
   * Decide "already verified?" here instead of asking the merchant server. A
   * thrown value ends the verification as `failed` with an `InternalError`
   * (a thrown `WxfaceError` keeps its class) whose `cause` is that value.
   */
  isAlreadyVerified?: (who: RecognisedUser) => boolean | Promise<boolean>
  /** Progress of the steps (no personal data). */
  onProgress?: (event: KioskProgress) => void
  /** Cancels the verification. */
  signal?: AbortSignal
}

/** How one verification ended. */
export type VerifyOutcome =
  | ({ kind: 'verified', identity: MaskedIdentity } & RecognisedUser)
  | ({ kind: 'already_verified' } & RecognisedUser)
  | ({ kind: 'consent_refused' } & RecognisedUser)
  | { kind: 'cancelled' }
  | { kind: 'failed', step: string, error: WxfaceError }

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
  verify (options?: VerifyOptions): Promise<VerifyOutcome>
  /** Cancel the verification in progress; whether there was one. */
  cancel (): boolean
  /** `releaseWxpayface`. */
  shutdown (): Promise<void>
  state (): Promise<string>
  authinfoExpiresAt (): Promise<number | null>
  invalidateAuthinfo (): Promise<void>
}
