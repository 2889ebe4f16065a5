// MerchantClient and Decryptor against the WeChat Pay sandbox: authinfo with
// its cache, the identity query, real-name decryption, WeChat's errors,
// transport and configuration errors — and no secret in any printout.
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { after, before, describe, test } from 'node:test'

import wx from '../index.js'
import { startSandbox } from './sandbox.mjs'

const { MerchantClient, Decryptor, sdk } = wx

let sb
let people
before(async () => {
  sb = await startSandbox()
  people = await sb.identities()
})
after(() => sb.stop())

const client = () => new MerchantClient(sb.dev.merchantConfig())

/** Drive the emulated SDK by hand: rawdata for a device. */
async function rawdataFor (deviceId, emu = {}) {
  const face = sb.emulator(deviceId, emu)
  sdk.parseResponse('initWxpayface', await face.call(sdk.initRequest()))
  const { rawdata } = sdk.parseResponse('getWxpayfaceRawdata', await face.call(sdk.rawdataRequest()))
  return { face, rawdata }
}

/** A face_sid the patient consented for (the kiosk's half of the flow, by hand). */
async function consentedFaceSid (c, person) {
  const deviceId = sb.device()
  const { face, rawdata } = await rawdataFor(deviceId, { person })
  const { authinfo } = await c.getAuthinfo({ rawdata, deviceId })
  const code = sdk.parseResponse('getWxpayfaceCode', await face.call(sdk.faceCodeRequest({
    appid: sb.dev.appid, mchId: sb.dev.mchId, storeId: sb.dev.storeId, authinfo
  })))
  sdk.parseResponse('getWxpayAuth', await face.call(sdk.authRequest({ authinfo, faceSid: code.faceSid })))
  return code.faceSid
}

describe('MerchantClient', () => {
  test('getAuthinfo: fresh, then cached, then fresh after invalidation', async () => {
    const c = client()
    const deviceId = sb.device()
    const { rawdata } = await rawdataFor(deviceId)
    const first = await c.getAuthinfo({ rawdata, deviceId })
    assert.equal(typeof first.authinfo, 'string')
    assert.ok(first.authinfo.length > 0)
    assert.equal(first.fromCache, false)
    assert.ok(first.expiresAt > Date.now() / 1000)
    assert.ok(first.expiresIn > 0)
    const second = await c.getAuthinfo({ rawdata, deviceId })
    assert.equal(second.fromCache, true)
    assert.equal(second.authinfo, first.authinfo)
    assert.equal(c.stats().cacheHits, 1)
    assert.equal(c.invalidateAuthinfo(deviceId), true)
    assert.equal(c.invalidateAuthinfo(deviceId), false)
    assert.equal((await c.getAuthinfo({ rawdata, deviceId })).fromCache, false)
  })

  test('queryUser verifies and parses; Decryptor decrypts; RealName stays masked', async () => {
    const c = client()
    const faceSid = await consentedFaceSid(c, 'patient-b')
    const user = await c.queryUser(faceSid)
    const b = people.find((p) => p.key === 'patient-b')
    assert.equal(user.openid, b.openid)
    // The encrypted part is opaque: its type, no ciphertext.
    assert.ok(user.realName instanceof wx.EncryptedRealName)
    assert.equal(user.realName.credentialType, 1)
    assert.equal(user.realName.encryptedRealName, undefined)
    assert.deepEqual(JSON.parse(JSON.stringify(user.realName)), { credentialType: 1 })
    const d = new Decryptor(sb.dev.merchantConfig().decryptKeyPem)
    const id = await d.decryptRealName(user.realName)
    assert.equal((await d.decryptRealName(user)).credentialId, b.masked.credential_id)
    assert.equal(id.name, b.masked.name)
    assert.equal(id.credentialId, b.masked.credential_id)
    const full = { name: id.exposeName(), credentialId: id.exposeCredentialId() }
    assert.equal(wx.maskName(full.name), b.masked.name)
    assert.equal(wx.isResidentId(full.credentialId), true)
    assert.ok(!inspect(id).includes(full.name))
    // fetchRealName: the configured decryptor, or an explicit one.
    assert.equal((await c.fetchRealName(faceSid)).name, b.masked.name)
    assert.equal((await c.fetchRealName(faceSid, d)).credentialId, b.masked.credential_id)
  })

  test('ASK_UNIONID answers the union id and no real name', async () => {
    const c = client()
    const faceSid = await consentedFaceSid(c, 'patient-c')
    const user = await c.queryUser(faceSid, 'ASK_UNIONID')
    assert.equal(user.unionId, people.find((p) => p.key === 'patient-c').union_id)
    assert.equal(user.realName, undefined)
    await assert.rejects(c.queryUser(faceSid, 'ASK_EVERYTHING'), wx.InvalidInputError)
  })

  test('WeChat\'s error answers arrive as BackendError with its code and status', async () => {
    const c = client()
    const err = await c.queryUser('FACE_SID_NEVER_ISSUED').then(() => null, (e) => e)
    assert.ok(err instanceof wx.BackendError, String(err))
    assert.equal(err.code, 'backend')
    assert.equal(typeof err.wechatCode, 'string')
    assert.equal(typeof err.status, 'number')
    assert.ok(err.status >= 400)
  })

  test('SYSTEM_ERROR is retried, then reported as retryable', async () => {
    const c = client()
    const faceSid = await consentedFaceSid(c, 'patient-a')
    await sb.fault({ endpoint: 'users', kind: 'system_error', next: 10 })
    try {
      const err = await c.queryUser(faceSid).then(() => null, (e) => e)
      assert.ok(err instanceof wx.BackendError)
      assert.equal(err.wechatCode, 'SYSTEM_ERROR')
      assert.equal(err.status, 500)
      assert.equal(err.retryable, true)
      assert.ok(c.stats().retries >= 2)
    } finally {
      await sb.clearFaults()
    }
  })

  test('a wrongly signed answer is a SignatureError, never retried, never decrypted', async () => {
    const c = client()
    const faceSid = await consentedFaceSid(c, 'patient-a')
    await sb.fault({ endpoint: 'users', kind: 'bad_signature', next: 1 })
    try {
      const before = c.stats().httpRequests
      const err = await c.fetchRealName(faceSid).then(() => null, (e) => e)
      assert.ok(err instanceof wx.SignatureError, String(err))
      assert.equal(err.code, 'signature_mismatch')
      assert.equal(c.stats().httpRequests - before, 1)
    } finally {
      await sb.clearFaults()
    }
  })

  test('an unreachable WeChat Pay is a TransportError', async () => {
    const c = new MerchantClient({ ...sb.dev.merchantConfig(), baseUrl: 'http://127.0.0.1:9', maxRetries: 0, connectTimeoutMs: 1000 })
    const err = await c.queryUser('X').then(() => null, (e) => e)
    assert.ok(err instanceof wx.TransportError, String(err))
    assert.equal(err.code, 'transport')
    assert.equal(err.transportKind, 'connect')
    assert.equal(err.retryable, true)
    assert.ok(!err.message.includes('127.0.0.1:9'), err.message)
  })

  test('configuration errors name the problem, never a secret', () => {
    const cfg = sb.dev.merchantConfig()
    const secrets = [cfg.v2Key, cfg.merchantKeyPem.split('\n')[1]]
    const bad = [
      { ...cfg, v2Key: 'not a key' },
      { ...cfg, platformPublicKeyId: undefined, platformPublicKeyPem: undefined, platformCertificates: [] },
      { ...cfg, subMchId: '1900000109' },
      { ...cfg, merchantKeyPem: cfg.merchantKeyPem.replace(/[A-Za-z]{8}/, 'AAAAAAAA') },
      { ...cfg, padding: 'rot13' },
      { ...cfg, appid: '' }
    ]
    for (const c of bad) {
      assert.throws(() => new MerchantClient(c), (e) => {
        assert.ok(e instanceof wx.ConfigError || e instanceof wx.InvalidInputError, String(e))
        for (const s of secrets) assert.ok(!e.message.includes(s), e.message)
        return true
      })
    }
  })

  test('a client prints no key', async () => {
    const cfg = sb.dev.merchantConfig()
    const c = new MerchantClient(cfg)
    assert.equal(c.appid, cfg.appid)
    assert.equal(c.mchId, cfg.mchId)
    assert.equal(c.isProviderMode, false)
    assert.ok(c.platformKeyIds().some((id) => id.startsWith('PUB_KEY_ID_')))
    for (const shown of [String(c), JSON.stringify(c), inspect(c)]) {
      assert.ok(!shown.includes(cfg.v2Key), shown)
      assert.ok(!shown.includes(cfg.merchantKeyPem.split('\n')[1]), shown)
      assert.match(shown, /REDACTED/)
    }
    await assert.rejects(c.refreshPlatformCertificates(), wx.ConfigError)
  })
})
