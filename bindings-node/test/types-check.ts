// Typed usage of @wxface/node, checked with `tsc --noEmit -p test/tsconfig.json`.
// It is never run: it proves the declarations describe the API as documented.
import {
  BackendError,
  Decryptor,
  EncryptedRealName,
  type FaceUser,
  type ErrorCode,
  RealName,
  InvalidInputError,
  SdkError,
  SignatureError,
  UnauthenticatedError,
  WxfaceError,
  FaceSdk,
  Kiosk,
  type KioskBackend,
  MerchantClient,
  type ClientSettings,
  RealNameReceiver,
  type RealNameReceiverOptions,
  SignedAnswer,
  type Outcome,
  type Recognised,
  type Step,
  type StepStatus,
  dev,
  errorCodes,
  sdk,
  v2,
  v3
} from '@wxface/node'
import * as wx from '@wxface/node'

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
  const enc: EncryptedRealName = user.realName
  const type: number = enc.credentialType
  const id: RealName = await d.decryptRealName(enc)
  const same: RealName = await d.decryptRealName(user)
  // @ts-expect-error ciphertexts made in JS are no EncryptedRealName
  void d.decryptRealName({ encryptedRealName: 'x', credentialType: 1, encryptedCredentialId: 'y' })
  // @ts-expect-error there is no raw field decryption
  void d.decryptField('x')
  const masked: string = id.name
  const fullName: string = id.exposeName()
  const fullId: string = id.exposeCredentialId()
  // @ts-expect-error reveal() is gone: exposeName() and exposeCredentialId()
  void id.reveal()
  return masked + fullName + fullId.length + type + same.name
}

/** Provider mode: the provider forwards, the hospital receives. */
export async function providerMode (provider: MerchantClient, faceSid: string, hospitalKeyPem: string, platformPem: string): Promise<string> {
  const answer: SignedAnswer = await provider.queryUserSigned(faceSid)
  const status: number = answer.status
  const headers: Record<string, string> = answer.headers
  const forwarded: string = answer.toJson()
  const asObject: { status: number, headers: Record<string, string>, body: string } = answer.toJSON()
  const back: SignedAnswer = SignedAnswer.fromJson(forwarded)
  const receiver = new RealNameReceiver({
    privateKeyPem: hospitalKeyPem,
    platformPublicKeyPem: platformPem,
    pubKeyId: 'PUB_KEY_ID_1',
    padding: 'pkcs1v15'
  })
  const byCert = new RealNameReceiver({ privateKeyPem: hospitalKeyPem, platformCertificatePem: [platformPem] })
  const ids: string[] = byCert.platformKeyIds()
  const a: RealName = await receiver.receive(forwarded)
  const b: RealName = await receiver.receive(Buffer.from(forwarded))
  const c: RealName = await receiver.receive(back)
  const server: dev.DevServer = await dev.startDevServer()
  const opts: RealNameReceiverOptions = server.receiverOptions()
  const cfg: ClientSettings = server.providerConfig()
  await server.stop()
  return `${status}${headers['Wechatpay-Serial'] ?? ''}${asObject.body}${a.name}${b.name}${c.name}${ids.length}${opts.privateKeyPem.length}${cfg.subMchId ?? ''}${String(receiver)}`
}

export function errors (e: unknown): string {
  const codes: string[] = errorCodes()
  if (e instanceof BackendError) {
    const status: number | undefined = e.status
    return `${e.wechatCode} ${e.wechatMessage} ${status ?? ''} ${e.retryable}`
  }
  if (e instanceof SdkError) return `${e.returnCode} ${e.errCode ?? ''} ${sdk.classifyError(e)}`
  if (e instanceof SignatureError) return e.code
  if (e instanceof InvalidInputError) return e.field ?? ''
  if (e instanceof UnauthenticatedError) return `${e.code} ${e.retryable}`
  if (e instanceof WxfaceError) {
    const code: ErrorCode = e.code
    return `${e.name} ${code} ${codes.length}`
  }
  return String(e)
}

export async function kiosk (sandboxUrl: string, merchantUrl: string, client: MerchantClient): Promise<string> {
  const sdk = FaceSdk.emulator({ sandboxUrl, latencyMs: 500, outcome: 'consent' })
  const k = new Kiosk({ appid: 'wx1', mchId: '1900000001', storeId: 'S1', deviceId: 'K1', merchantUrl }, sdk)
  await k.start()
  const ac = new AbortController()
  const outcome: Outcome = await k.verify({
    isAlreadyVerified: async (who: Recognised) => who.openid === 'known',
    onProgress: (e) => {
      const step: Step | undefined = e.step
      const status: StepStatus | undefined = e.status
      console.log(e.type, step ?? '', status ?? '')
    },
    signal: ac.signal
  })
  let shown = ''
  switch (outcome.kind) {
    case 'verified': shown = `${outcome.identity.name} ${outcome.faceSid}`; break
    case 'already_verified': shown = outcome.openid ?? ''; break
    case 'consent_refused': shown = 'refused'; break
    case 'cancelled': shown = 'cancelled'; break
    case 'failed': {
      const step: Step = outcome.step
      shown = `${step} ${outcome.error.code}`
      break
    }
  }
  await k.shutdown()
  // A JS backend instead of the HTTP merchant API.
  const backend: KioskBackend = {
    authinfo: async ({ rawdata, deviceId }) => {
      const g = await client.getAuthinfo({ rawdata, deviceId })
      return { authinfo: g.authinfo, expiresAt: g.expiresAt }
    },
    realName: async ({ faceSid }) => (await client.fetchRealName(faceSid)).masked()
  }
  const k2 = new Kiosk({ appid: 'wx1', mchId: '1900000001', storeId: 'S1', deviceId: 'K1', backend }, FaceSdk.load('/opt/sdk.so'))
  const server: dev.DevServer = await dev.startDevServer({ deviceId: 'K1' })
  const deviceCredential: string = server.deviceCredential
  const other: string = server.issueDeviceCredential('K2')
  const revoked: number = server.revokeDeviceCredential('K2')
  const k3 = new Kiosk({ appid: 'wx1', mchId: '1900000001', storeId: 'S1', deviceId: server.deviceId, merchantUrl: server.merchantUrl, deviceCredential }, sdk)
  // @ts-expect-error a JS backend sends its own requests: no deviceCredential
  const k4 = new Kiosk({ appid: 'wx1', mchId: '1900000001', storeId: 'S1', deviceId: 'K1', backend, deviceCredential }, sdk)
  await server.stop()
  return shown + k2.deviceId + k3.deviceId + k4.deviceId + other.length + revoked
}

export function logs (): boolean {
  const seen: wx.LogRecord[] = []
  const on: boolean = wx.setLogger((r) => {
    const level: wx.LogLevel = r.level
    const code: string | undefined = r.fields.code
    seen.push(r)
    return level + r.target + r.message + (code ?? '')
  }, { level: 'debug' })
  // @ts-expect-error not a level
  wx.setLogger(() => {}, { level: 'verbose' })
  return on && wx.setLogger(null)
}

export async function abort (client: MerchantClient, faceSid: string, rawdata: string): Promise<string> {
  const signal: AbortSignal = AbortSignal.timeout(3000)
  const grant = await client.getAuthinfo({ rawdata, deviceId: 'K1' }, { signal })
  const user = await client.queryUser(faceSid, 'ASK_UNIONID', { signal })
  const answer = await client.queryUserSigned(faceSid, undefined, { signal })
  const id = await client.fetchRealName(faceSid, null, { signal })
  const n: number = await client.refreshPlatformCertificates({ signal })
  // @ts-expect-error not an info type
  await client.queryUser(faceSid, 'ASK_EVERYTHING')
  // @ts-expect-error a signal, not a timeout
  await client.queryUser(faceSid, undefined, { signal: 3000 })
  return grant.authinfo + (user.unionId ?? '') + answer.toJson() + id.name + n
}

export async function unions (k: Kiosk, d: Decryptor): Promise<string> {
  const state: wx.KioskState = await k.state()
  // @ts-expect-error not a state
  const bad: wx.KioskState = 'idle'
  const padding: wx.Padding = d.padding
  const outcome = await k.verify({
    onProgress: (e: wx.KioskProgress) => {
      switch (e.type) {
        case 'step_started': { const s: Step = e.step; console.log(s); break }
        case 'step_finished': { const st: StepStatus = e.status; const ms: number = e.elapsedMs; console.log(st, ms, e.error?.code); break }
        case 'finished': { const o: wx.OutcomeKind = e.outcome; console.log(o); break }
        case 'cancel_requested': break
        // @ts-expect-error not a progress type
        case 'started': break
      }
    }
  })
  const kind: wx.OutcomeKind = outcome.kind
  const settings: ClientSettings = { appid: 'wx1', mchId: '1', v2Key: 'k', merchantSerialNo: 's', merchantKeyPem: 'p', signType: 'HMAC-SHA256', padding: 'oaep-sha1' }
  // @ts-expect-error not a sign type
  const badSign: ClientSettings = { ...settings, signType: 'SHA1' }
  return state + bad + padding + kind + settings.appid + badSign.appid
}
