'use strict'
// The error classes of @wxface/node.
//
// Every failure of the native code arrives here as a description
// {kind, code, message, ...} built by the binding's one Rust -> JS mapping and
// becomes an instance of the subclass for its kind. `code` is the Rust core's
// stable code; messages never contain secrets or personal data.

class WxfaceError extends Error {
  constructor (message, props) {
    super(message)
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v !== null && v !== undefined) this[k] = v
      }
    }
  }
}
Object.defineProperty(WxfaceError.prototype, 'name', {
  value: 'WxfaceError', writable: true, configurable: true
})

/** A value breaks a field rule (`field` names it). */
class InvalidInputError extends WxfaceError {}
/** A field needs a newer face SDK than the configured target version. */
class SdkVersionError extends WxfaceError {}
/** The face SDK answered with an error (`returnCode`, `returnMsg`, `errCode`). */
class SdkError extends WxfaceError {}
/** WeChat Pay or the merchant server answered with an error (`wechatCode`, `wechatMessage`, `status`). */
class BackendError extends WxfaceError {}
/** A message could not be parsed. */
class MalformedError extends WxfaceError {}
/** A signature was missing, stale, from an unknown key, or did not verify. */
class SignatureError extends WxfaceError {}
/** Ciphertext could not be decrypted into a plausible plaintext. */
class DecryptionError extends WxfaceError {}
/** Something (authinfo, a session) is past its expiry. */
class ExpiredError extends WxfaceError {}
/** The flow does not accept this call in its current state. */
class StateError extends WxfaceError {}
/** Configuration is incomplete or a key could not be loaded. */
class ConfigError extends WxfaceError {}
/** An HTTP call (merchant server, WeChat Pay) got no answer. */
class TransportError extends WxfaceError {}
/** A failure inside the binding itself. */
class InternalError extends WxfaceError {}

const CLASSES = {
  WxfaceError,
  InvalidInputError,
  SdkVersionError,
  SdkError,
  BackendError,
  MalformedError,
  SignatureError,
  DecryptionError,
  ExpiredError,
  StateError,
  ConfigError,
  TransportError,
  InternalError
}
for (const [name, cls] of Object.entries(CLASSES)) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true })
}

/** Error kind (snake_case, as the Rust core names it) -> class. */
const KINDS = {
  invalid_input: InvalidInputError,
  sdk_version: SdkVersionError,
  sdk: SdkError,
  backend: BackendError,
  malformed: MalformedError,
  signature: SignatureError,
  decryption: DecryptionError,
  expired: ExpiredError,
  state: StateError,
  config: ConfigError,
  transport: TransportError,
  internal: InternalError
}

/**
 * Every stable `code` -> its class. The drift test compares these keys with
 * the native `errorCodes()`.
 */
const CODES = {
  invalid_input: InvalidInputError,
  sdk_version: SdkVersionError,
  sdk: SdkError,
  backend: BackendError,
  malformed: MalformedError,
  signature_missing: SignatureError,
  signature_unknown_serial: SignatureError,
  signature_stale_timestamp: SignatureError,
  signature_mismatch: SignatureError,
  signature_malformed: SignatureError,
  decryption: DecryptionError,
  expired: ExpiredError,
  state: StateError,
  config: ConfigError,
  transport: TransportError,
  internal: InternalError
}

/** Build the error for a native description. */
function fromDescription (d) {
  const { message, ...props } = d
  const cls = KINDS[d.kind] || WxfaceError
  const err = new cls(message, props)
  // Start the stack at the caller, not at this factory.
  if (Error.captureStackTrace) Error.captureStackTrace(err, fromDescription)
  return err
}

module.exports = { ...CLASSES, classes: CLASSES, KINDS, CODES, fromDescription }
