// ESM entry of @wxface/node: the same objects as the CommonJS entry.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const wx = require('./index.js')

export default wx
export const {
  // protocol helpers
  sdk,
  v2,
  v3,
  // merchant side
  Decryptor,
  EncryptedRealName,
  RealName,
  credentialTypeLabel,
  maskName,
  maskCredentialId,
  isResidentId,
  MerchantClient,
  // provider mode: the forwarded answer and the hospital's receiver
  SignedAnswer,
  RealNameReceiver,
  // kiosk side
  FaceSdk,
  Kiosk,
  CancelToken,
  // development: sandbox and reference merchant server
  dev,
  // logs
  setLogger,
  // errors
  errorCodes,
  errors,
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
  InternalError,
  UnauthenticatedError
} = wx
