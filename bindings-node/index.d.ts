// Types of @wxface/node.
//
// Everything the native addon exports is declared in native.d.ts, which
// napi-rs generates from the Rust source; this file adds the error classes
// and the kiosk conveniences of the JS wrapper (index.js).

export * from './native'

// Internal pieces of the native module that index.js does not export.
export declare const NativeKiosk: undefined
export declare const __sampleErrors: undefined
export declare const __setErrorFactory: undefined

import type {
  FaceSdk,
  KioskAuthinfo,
  KioskConfig,
  KioskProgress,
  MaskedIdentity,
  RecognisedUser
} from './native'

/** Every stable error `code` (the Rust core's codes and the binding's own). */
export type ErrorCode =
  | 'invalid_input'
  | 'sdk_version'
  | 'sdk'
  | 'backend'
  | 'malformed'
  | 'signature_missing'
  | 'signature_unknown_serial'
  | 'signature_stale_timestamp'
  | 'signature_mismatch'
  | 'signature_malformed'
  | 'decryption'
  | 'expired'
  | 'state'
  | 'config'
  | 'transport'
  | 'internal'

/** Every error kind; each has its class below. */
export type ErrorKind =
  | 'invalid_input'
  | 'sdk_version'
  | 'sdk'
  | 'backend'
  | 'malformed'
  | 'signature'
  | 'decryption'
  | 'expired'
  | 'state'
  | 'config'
  | 'transport'
  | 'internal'

/**
 * Base class of every error the package throws or rejects with. `name` is the
 * class name, `code` the stable code of the Rust core. Messages never contain
 * secrets or personal data.
 */
export declare class WxfaceError extends Error {
  readonly name: string
  readonly code: ErrorCode
  readonly kind: ErrorKind
}
/** A value breaks a field rule. */
export declare class InvalidInputError extends WxfaceError {
  readonly code: 'invalid_input'
  /** The field (wire name) that was refused. */
  readonly field: string
}
/** A field needs a newer face SDK than the configured target version. */
export declare class SdkVersionError extends WxfaceError {
  readonly code: 'sdk_version'
  readonly cmd: string
  readonly field: string
  readonly requiredVersion: string
  readonly targetVersion: string
}
/** The face SDK answered with an error. */
export declare class SdkError extends WxfaceError {
  readonly code: 'sdk'
  readonly cmd: string
  readonly returnCode: string
  readonly returnMsg: string
  readonly errCode?: string
}
/** WeChat Pay (or the merchant server) answered with an error. */
export declare class BackendError extends WxfaceError {
  readonly code: 'backend'
  /** WeChat's error code (`SYSTEM_ERROR`, `PARAM_ERROR`, `FAIL`, …). */
  readonly wechatCode: string
  /** WeChat's message. */
  readonly wechatMessage: string
  /** HTTP status (APIv3 and merchant-server answers; absent for v2). */
  readonly status?: number
  /** APIv3 `detail` as JSON text. */
  readonly detail?: string
  /** Whether the same call may be repeated unchanged. */
  readonly retryable: boolean
}
/** A message could not be parsed. */
export declare class MalformedError extends WxfaceError {
  readonly code: 'malformed'
  readonly what: string
}
/** A signature was missing, stale, from an unknown key, or did not verify. */
export declare class SignatureError extends WxfaceError {
  readonly code:
    | 'signature_missing'
    | 'signature_unknown_serial'
    | 'signature_stale_timestamp'
    | 'signature_mismatch'
    | 'signature_malformed'
  /** Same as `code`. */
  readonly failure: SignatureError['code']
}
/** Ciphertext could not be decrypted into a plausible plaintext. */
export declare class DecryptionError extends WxfaceError {
  readonly code: 'decryption'
}
/** Something is past its expiry. */
export declare class ExpiredError extends WxfaceError {
  readonly code: 'expired'
  readonly what: string
}
/** The flow does not accept the call in its current state. */
export declare class StateError extends WxfaceError {
  readonly code: 'state'
  readonly state: string
  readonly event: string
}
/** Configuration is incomplete or a key could not be loaded. */
export declare class ConfigError extends WxfaceError {
  readonly code: 'config'
}
/** An HTTP call got no answer (connection refused, timeout, …). */
export declare class TransportError extends WxfaceError {
  readonly code: 'transport'
  /** `connect`, `timeout`, `interrupted` or `other`, when known. */
  readonly transport?: string
}
/** A failure inside the binding itself. */
export declare class InternalError extends WxfaceError {
  readonly code: 'internal'
}

/** The error table of the wrapper (for the drift test and for tools). */
export declare const errors: {
  readonly CODES: Readonly<Record<ErrorCode, typeof WxfaceError>>
  readonly KINDS: Readonly<Record<ErrorKind, typeof WxfaceError>>
}

// ------------------------------------------------------------------ kiosk

/**
 * A merchant backend written in JS, in place of `merchantUrl`: the kiosk
 * calls it off its background thread and waits for the Promise. Functions may
 * be sync or async; a thrown value ends the verification as `failed` with a
 * `BackendError` whose `cause` is that value.
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

/** Options of one verification. */
export interface VerifyOptions {
  /** Decide "already verified?" here instead of asking the merchant server. */
  isAlreadyVerified?: (who: RecognisedUser) => boolean | Promise<boolean>
  /** Progress of the steps (no personal data). */
  onProgress?: (event: KioskProgress) => void
  /** Cancels the verification. */
  signal?: AbortSignal
}

/** Who was recognised. */
interface Who {
  faceSid: string
  openid?: string
  subOpenid?: string
}

/** How one verification ended. */
export type VerifyOutcome =
  | ({ kind: 'verified', identity: MaskedIdentity } & Who)
  | ({ kind: 'already_verified' } & Who)
  | ({ kind: 'consent_refused' } & Who)
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
