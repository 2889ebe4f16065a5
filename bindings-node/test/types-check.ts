// Typed usage of @wxface/node, checked with `tsc --noEmit -p test/tsconfig.json`.
// It is never run: it proves the declarations describe the API as documented.
import {
  BackendError,
  Decryptor,
  type FaceUser,
  type ErrorCode,
  Identity,
  InvalidInputError,
  SdkError,
  SignatureError,
  WxfaceError,
  errorCodes,
  sdk,
  v2,
  v3
} from '@wxface/node'

export function protocol (): string {
  const json: string = sdk.faceCodeRequest(
    { appid: 'wx1', mchId: '1900000001', storeId: 'S1', authinfo: 'A' },
    { now: 1700000000, sdkVersion: '1.24' }
  )
  const reply: sdk.SdkReply = sdk.parseResponse('getWxpayfaceCode', json)
  const sid: string | undefined = reply.faceSid
  const key = new v2.ApiKey('192006250b4c09247ec02edce69f6a2d')
  const sign: string = v2.sign({ a: '1' }, key, 'HMAC-SHA256')
  const req: v2.AuthinfoResponse = v2.parseAuthinfoResponse('<xml/>', key, { signType: 'MD5' })
  const signer = new v3.MerchantSigner('1900000001', 'SERIAL', '-----BEGIN PRIVATE KEY-----')
  const q = signer.signRequest(v3.usersRequest({ faceSid: 'F', appid: 'wx1' }))
  const verifier = new v3.ResponseVerifier({ windowSecs: 300 })
  verifier.addPublicKey('PUB_KEY_ID_1', '-----BEGIN PUBLIC KEY-----')
  const user: FaceUser = v3.handleUsersResponse(verifier, 200, q.headers, '{}')
  return `${sid ?? ''}${sign}${req.authinfo}${user.openid ?? ''}`
}

export async function decrypt (pem: string, user: FaceUser): Promise<string> {
  const d = new Decryptor(pem, { padding: 'pkcs1v15' })
  if (!user.realName) return ''
  const id: Identity = await d.decryptRealName(user.realName)
  const masked: string = id.name
  const full: { name: string, credentialId: string } = id.reveal()
  return masked + full.credentialId.length
}

export function errors (e: unknown): string {
  const codes: string[] = errorCodes()
  if (e instanceof BackendError) {
    const status: number | undefined = e.status
    return `${e.wechatCode} ${e.wechatMessage} ${status ?? ''} ${e.retryable}`
  }
  if (e instanceof SdkError) return `${e.returnCode} ${e.errCode ?? ''} ${sdk.classifyError(e)}`
  if (e instanceof SignatureError) return e.failure
  if (e instanceof InvalidInputError) return e.field
  if (e instanceof WxfaceError) {
    const code: ErrorCode = e.code
    return `${e.name} ${code} ${codes.length}`
  }
  return String(e)
}
