// A name and a resident ID number fed as the value of every field of every
// entry point of the binding that parses input — SDK request builders and
// answer parsers, v2 and APIv3 helpers, the merchant client's and the
// kiosk's configuration, the kiosk's merchant API answers, signed answers
// and the receiver's JSON form: no error (`message`, `String(e)`,
// `util.inspect(e)`, its own properties) contains either. The classes the
// binding defines print no `faceSid`, `openid` or personal data.
//
// The one text an error carries verbatim is a peer's own message
// (`message`/`detail` of a WeChat Pay error answer, `return_msg` of a face
// SDK or v2 answer): those fields are left out, everything else is fed.
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { after, before, describe, test } from 'node:test'

import wx from '../index.js'
import { key } from './helpers.mjs'
import { startSandbox } from './sandbox.mjs'

const { sdk, v2, v3 } = wx

const NAME = '张三丰'
/** The GB 11643 specimen number. */
const ID = '11010519491231002X'
const NUMBER = 110105194912310021
const STRINGS = [NAME, ID, `${NAME} ${ID}`, `${NAME}\n${ID}`]
/** Every value, for fields of any type. */
const VALUES = [...STRINGS, NUMBER, [NAME, ID], { [NAME]: ID }, true]
const KEY = '192006250b4c09247ec02edce69f6a2d'
const NOW = 1700000000
const PEER_TEXT = new Set(['message', 'detail', 'return_msg', 'returnMsg'])

function leaks (text) {
  return text.includes(NAME) || text.includes(ID) || text.includes('19491231') ||
    text.includes('张') || text.includes(String(NUMBER))
}

/**
 * Everything an error shows. With `peerText`, less the message of a
 * BackendError: the excerpt of an error body that is not JSON at all.
 */
function errorText (e, peerText = false, own = undefined) {
  if (e === null || typeof e !== 'object') return String(e)
  const parts = [String(e), e.message, inspect(e, { depth: 4, showHidden: true })]
  for (const [k, v] of Object.entries(e)) parts.push(`${k}=${inspect(v)}`)
  let text = parts.join('\n')
  // The caller's own configuration, named on purpose (a library path).
  if (own) text = text.split(own).join('')
  if (peerText && e instanceof wx.BackendError && String(e.wechatCode).startsWith('HTTP_') && e.wechatMessage) {
    text = text.split(e.wechatMessage).join('')
  }
  return text
}

/** Calls entry points, sync or async; checks every error; counts them. */
function sweep () {
  const s = { errors: 0, calls: 0 }
  const failed = (what, e, peerText, own) => {
    const text = errorText(e, peerText, own)
    assert.ok(!leaks(text), `${what}: ${text}`)
    s.errors++
    return undefined
  }
  s.call = (what, fn, { peerText = false, own } = {}) => {
    s.calls++
    let out
    try {
      out = fn()
    } catch (e) {
      return failed(what, e, peerText, own)
    }
    if (out && typeof out.then === 'function') return out.then((v) => v, (e) => failed(what, e, peerText, own))
    // A function may return an error instead of throwing it (errorFromResponse).
    if (out instanceof Error) failed(what, out, peerText, own)
    return out
  }
  return s
}

const faceCode = {
  appid: 'wx2421b1c4370ec43b', mchId: '1900000109', storeId: 'S', authinfo: 'A', faceAuthtype: 'FACE_AUTH'
}
const FACE_CODE_FIELDS = [...Object.keys(faceCode), 'subAppid', 'subMchId', 'openid', 'telephone',
  'screenIndex', 'disableKeyboard', 'token']

describe('values reach the parsers (controls)', () => {
  test('fields that take any text carry the values unchanged', () => {
    const json = sdk.faceCodeRequest({ ...faceCode, storeId: 'S', openid: ID }, { now: NOW })
    assert.equal(JSON.parse(json).openid, ID)
    const reply = sdk.parseResponse('getWxpayfaceCode', JSON.stringify({
      return_code: 'SUCCESS', return_msg: 'OK', face_sid: ID, openid: NAME
    }))
    assert.equal(reply.faceSid, ID)
    assert.equal(reply.openid, NAME)
    const req = v2.authinfoRequest({
      storeId: 'S', storeName: NAME, deviceId: 'D', rawdata: 'R', appid: 'wx1', mchId: '1'
    }, new v2.ApiKey(KEY), { now: NOW, nonceStr: 'n' })
    assert.ok(req.body.includes(NAME))
    assert.equal(wx.isResidentId(ID), true)
    assert.equal(wx.maskCredentialId(ID), '110***********002X')
    assert.ok(leaks(`x${ID}`) && leaks(NAME) && !leaks('110***********002X'))
  })
})

describe('SDK messages', () => {
  test('request builders, every field', () => {
    const s = sweep()
    for (const v of VALUES) {
      for (const f of FACE_CODE_FIELDS) {
        s.call(`faceCodeRequest.${f}`, () => sdk.faceCodeRequest({ ...faceCode, [f]: v }, { now: NOW }))
      }
      s.call('faceCodeRequest.key', () => sdk.faceCodeRequest({ ...faceCode, [NAME]: v }, { now: NOW }))
      for (const f of ['authinfo', 'faceSid', 'quit']) {
        s.call(`authRequest.${f}`, () => sdk.authRequest({ authinfo: 'A', faceSid: 'F', [f]: v }, { now: NOW }))
      }
      for (const f of ['proxyType', 'cameraRotation', 'proxy']) {
        s.call(`initRequest.${f}`, () => sdk.initRequest({ [f]: v }, { now: NOW }))
      }
      for (const f of ['ip', 'port', 'user', 'passwd']) {
        s.call(`initRequest.proxy.${f}`, () => sdk.initRequest({ proxy: { ip: '10.0.0.1', port: '8080', [f]: v } }, { now: NOW }))
      }
      for (const f of ['now', 'sdkVersion']) {
        s.call(`rawdataRequest.${f}`, () => sdk.rawdataRequest({ now: NOW, [f]: v }))
        s.call(`releaseRequest.${f}`, () => sdk.releaseRequest({ now: NOW, [f]: v }))
        s.call(`faceCodeRequest.options.${f}`, () => sdk.faceCodeRequest(faceCode, { now: NOW, [f]: v }))
      }
      for (const f of ['returnCode', 'errCode']) {
        s.call(`classifyError.${f}`, () => sdk.classifyError({ returnCode: 'ERROR', [f]: v }))
      }
    }
    assert.ok(s.errors >= 80, `${s.errors} errors`)
  })

  test('request and answer parsers, every field and key', () => {
    const s = sweep()
    const requests = {
      initWxpayface: {},
      getWxpayfaceRawdata: {},
      getWxpayfaceCode: {
        appid: 'wx1', mch_id: '1', store_id: 's', authinfo: 'a', face_authtype: 'FACE_AUTH',
        sub_appid: 'x', sub_mch_id: '2', openid: 'o', telephone: '13800000000', screen_index: '1',
        disable_keyboard: '1', token: '1'
      },
      getWxpayAuth: { authinfo: 'a', face_sid: 'f', quit_face_auth: '1' },
      releaseWxpayface: {}
    }
    for (const [cmd, fields] of Object.entries(requests)) {
      const base = { cmd, version: '1', now: String(NOW), ...fields }
      for (const f of Object.keys(base).concat(['proxy', 'ip', 'port', 'user', 'passwd', 'camera_rotation'])) {
        for (const v of VALUES) {
          s.call(`parseRequest ${cmd}.${f}`, () => sdk.parseRequest(JSON.stringify({ ...base, [f]: v })))
        }
      }
      for (const v of STRINGS) {
        s.call(`parseRequest ${cmd} key`, () => sdk.parseRequest(JSON.stringify({ ...base, [v]: v })))
        s.call(`parseRequest ${cmd} text`, () => sdk.parseRequest(v))
        s.call(`parseRequest ${cmd} cut`, () => sdk.parseRequest(JSON.stringify({ ...base, face_sid: v }).slice(0, -3)))
      }
    }
    const answers = {
      initWxpayface: {},
      getWxpayfaceRawdata: { rawdata: 'R' },
      getWxpayfaceCode: { face_sid: 'F', openid: 'o', sub_openid: 's', telephone_used: 'true', face_code: 'c' },
      getWxpayAuth: {},
      releaseWxpayface: {}
    }
    for (const [cmd, fields] of Object.entries(answers)) {
      for (const ok of ['SUCCESS', 'ERROR']) {
        const base = { return_code: ok, return_msg: 'm', err_code: 'E', ...fields }
        for (const f of Object.keys(base)) {
          if (PEER_TEXT.has(f)) continue
          for (const v of VALUES) {
            s.call(`parseResponse ${cmd}.${f}`, () => sdk.parseResponse(cmd, JSON.stringify({ ...base, [f]: v })))
          }
        }
      }
      for (const v of STRINGS) {
        s.call(`parseResponse ${cmd} text`, () => sdk.parseResponse(cmd, v))
        s.call(`parseResponse ${cmd} key`, () => sdk.parseResponse(cmd, JSON.stringify({ return_code: 'SUCCESS', [v]: 1 })))
        s.call(`parseResponse cmd`, () => sdk.parseResponse(v, '{"return_code":"SUCCESS"}'))
        s.call(`parseResponse ${cmd} buffer`, () => sdk.parseResponse(cmd, Buffer.from(`{"return_code":"${v}`)))
      }
    }
    assert.ok(s.errors >= 150, `${s.errors} errors`)
  })
})

describe('v2 and APIv3 helpers', () => {
  test('v2: authinfo request and answer, XML, signing', () => {
    const s = sweep()
    const apiKey = new v2.ApiKey(KEY)
    const req = { storeId: 'S', storeName: 'N', deviceId: 'D', rawdata: 'R', appid: 'wx1', mchId: '1' }
    for (const v of VALUES) {
      for (const f of [...Object.keys(req), 'attach', 'subAppid', 'subMchId', 'signType']) {
        s.call(`authinfoRequest.${f}`, () => v2.authinfoRequest({ ...req, [f]: v }, apiKey, { now: NOW }))
      }
      for (const f of ['now', 'nonceStr']) {
        s.call(`authinfoRequest.options.${f}`, () => v2.authinfoRequest(req, apiKey, { now: NOW, [f]: v }))
      }
      s.call('ApiKey', () => new v2.ApiKey(v))
      s.call('sign.signType', () => v2.sign({ a: '1' }, apiKey, v))
      s.call('sign.fields', () => v2.sign({ [NAME]: v }, apiKey))
      s.call('verify', () => v2.verify({ a: '1', sign: v }, apiKey))
      s.call('verify.signType', () => v2.verify({ a: '1', sign: 'X' }, apiKey, v))
      s.call('toXml', () => v2.toXml({ [NAME]: v }))
      s.call('canonicalString', () => v2.canonicalString({ [NAME]: v }))
    }
    const ok = { return_code: 'SUCCESS', return_msg: 'OK', authinfo: 'AUTH', expires_in: '3600', appid: 'wx1', mch_id: '1', nonce_str: 'n' }
    const xml = (fields, sign = true) => {
      const f = { ...fields }
      if (sign) f.sign = v2.sign(f, apiKey)
      return `<xml>${Object.entries(f).map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`).join('')}</xml>`
    }
    for (const v of STRINGS) {
      for (const f of [...Object.keys(ok), 'result_code', 'err_code', 'sub_appid', 'sub_mch_id', 'sign']) {
        if (PEER_TEXT.has(f)) continue
        for (const signed of [true, false]) {
          s.call(`parseAuthinfoResponse.${f}`, () => v2.parseAuthinfoResponse(xml({ ...ok, [f]: v }, signed && f !== 'sign'), apiKey, { now: NOW }))
        }
      }
      s.call('parseAuthinfoResponse.element', () => v2.parseAuthinfoResponse(`<xml><${NAME}>${ID}</${NAME}></xml>`, apiKey))
      s.call('parseAuthinfoResponse.text', () => v2.parseAuthinfoResponse(v, apiKey))
      s.call('parseAuthinfoResponse.cut', () => v2.parseAuthinfoResponse(`<xml><authinfo>${v}`, apiKey))
      s.call('parseAuthinfoResponse.signType', () => v2.parseAuthinfoResponse(xml(ok), apiKey, { signType: v }))
      s.call('parseXml', () => v2.parseXml(`<xml><a>${v}</b></xml>`))
      s.call('parseXml.element', () => v2.parseXml(`<xml><${NAME}>${ID}</${NAME}></xml>`))
      s.call('parseXml.text', () => v2.parseXml(v))
    }
    for (const v of VALUES) s.call('parseAuthinfoResponse.now', () => v2.parseAuthinfoResponse(xml(ok), apiKey, { now: v }))
    assert.ok(s.errors >= 100, `${s.errors} errors`)
  })

  test('APIv3: signer, verifiers, authorization, users query and answer', () => {
    const s = sweep()
    const pem = key('keys/merchant_pkcs8.pem')
    const signer = new v3.MerchantSigner('1900000001', 'SERIAL01', pem)
    for (const v of VALUES) {
      s.call('MerchantSigner.mchid', () => new v3.MerchantSigner(v, 'SERIAL01', pem))
      s.call('MerchantSigner.serialNo', () => new v3.MerchantSigner('1900000001', v, pem))
      s.call('MerchantSigner.privateKeyPem', () => new v3.MerchantSigner('1900000001', 'SERIAL01', v))
      s.call('MerchantSigner.platformSerial', () => new v3.MerchantSigner('1900000001', 'SERIAL01', pem, { platformSerial: v }))
      s.call('authorization.method', () => signer.authorization(v, '/v3/x'))
      s.call('authorization.path', () => signer.authorization('GET', v))
      s.call('authorization.timestamp', () => signer.authorization('GET', '/v3/x', '', { timestamp: v }))
      s.call('authorization.nonceStr', () => signer.authorization('GET', '/v3/x', '', { nonceStr: v }))
      s.call('signature', () => signer.signature(v, v, v))
      s.call('signRequest', () => signer.signRequest({ method: v, url: v, endpoint: v, headers: v, body: v }, NOW))
      s.call('signRequest.now', () => signer.signRequest({ method: 'GET', url: 'https://api.mch.weixin.qq.com/v3/x', endpoint: 'x', headers: {}, body: '' }, v))
      s.call('parseAuthorization', () => v3.parseAuthorization(v))
      s.call('parseAuthorization.fields', () => v3.parseAuthorization(
        `WECHATPAY2-SHA256-RSA2048 mchid="${v}",nonce_str="${v}",signature="${v}",timestamp="${v}",serial_no="${v}"`))
      s.call('requestMessage', () => v3.requestMessage(v, v, v, v, v))
      s.call('responseMessage', () => v3.responseMessage(v, v, v))
      const rv = new v3.ResponseVerifier()
      s.call('ResponseVerifier.windowSecs', () => new v3.ResponseVerifier({ windowSecs: v }))
      s.call('ResponseVerifier.addCertificate', () => rv.addCertificate(v))
      s.call('ResponseVerifier.addPublicKey', () => rv.addPublicKey(v, v))
      s.call('ResponseVerifier.verify.headers', () => rv.verify(200, {
        'Wechatpay-Serial': v, 'Wechatpay-Timestamp': v, 'Wechatpay-Nonce': v, 'Wechatpay-Signature': v
      }, '{}'))
      s.call('ResponseVerifier.verify.headerName', () => rv.verify(200, [[v, v]], '{}'))
      s.call('ResponseVerifier.verify.status', () => rv.verify(v, {}, '{}'))
      s.call('ResponseVerifier.verify.now', () => rv.verify(200, {}, '{}', { now: v }))
      s.call('ResponseVerifier.preferredId', () => rv.preferredId(v))
      const req = new v3.RequestVerifier()
      s.call('RequestVerifier.addMerchant', () => req.addMerchant(v, v, v))
      s.call('RequestVerifier.verify', () => req.verify(v, v, v, v))
      for (const f of ['faceSid', 'infoType', 'appid', 'subMchid', 'subAppid', 'subSerialNo']) {
        s.call(`usersRequest.${f}`, () => v3.usersRequest({ faceSid: 'sid', appid: 'wx1', [f]: v }))
      }
      for (const status of [200, 400, 500, v]) {
        const text = typeof v === 'string'
        s.call('handleUsersResponse.body', () => v3.handleUsersResponse(rv, status, {}, text ? v : JSON.stringify(v)),
          { peerText: text && status !== 200 })
        for (const f of ['code', 'openid', 'credential_id', NAME]) {
          for (const code of ['PARAM_ERROR', 400, null]) {
            s.call('handleUsersResponse.error', () => v3.handleUsersResponse(rv, status, {}, JSON.stringify({ code, [f]: v })))
          }
        }
      }
      for (const body of [JSON.stringify({ code: v, message: 'm' }), JSON.stringify({ code: 'X', message: 'm', [NAME]: v }),
        JSON.stringify({ code: 400, openid: v }), JSON.stringify([v])]) {
        s.call('errorFromResponse', () => v3.errorFromResponse(400, body))
      }
      s.call('errorFromResponse(text)', () => v3.errorFromResponse(400, String(v)), { peerText: true })
      s.call('Decryptor.privateKeyPem', () => new wx.Decryptor(v))
      s.call('Decryptor.padding', () => new wx.Decryptor(pem, { padding: v }))
      s.call('SignedAnswer.fromJson', () => wx.SignedAnswer.fromJson(typeof v === 'string' ? v : JSON.stringify(v)))
      s.call('isResidentId', () => wx.isResidentId(v))
      s.call('maskName', () => wx.maskName(v))
      s.call('maskCredentialId', () => wx.maskCredentialId(v))
      s.call('credentialTypeLabel', () => wx.credentialTypeLabel(v))
    }
    assert.ok(s.errors >= 200, `${s.errors} errors`)
    const u = v3.usersRequest({ faceSid: ID, appid: 'wx1' })
    assert.ok(u.url.includes(ID), 'the face_sid reaches the users query')
  })
})

describe('against the sandbox', () => {
  let sb
  before(async () => { sb = await startSandbox() })
  after(() => sb.stop())

  async function signAnswer (body, extra = {}) {
    const r = await fetch(`${sb.dev.sandboxUrl}/_sandbox/sign-answer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ body, ...extra })
    })
    assert.equal(r.status, 200)
    return r.json()
  }

  test('signed identity and error answers, the forwarded JSON form, the receiver', async () => {
    const s = sweep()
    const opts = sb.dev.receiverOptions()
    const receiver = new wx.RealNameReceiver(opts)
    const rv = new v3.ResponseVerifier()
    rv.addPublicKey(opts.pubKeyId, opts.platformPublicKeyPem)
    const user = {
      openid: 'o', sub_openid: 'so', union_id: 'u', encrypted_real_name: 'rn', credential_type: 1, encrypted_credential_id: 'ci'
    }
    const error = { code: 'PARAM_ERROR', message: 'bad', detail: { field: 'x' } }
    let reached = 0
    for (const [fields, status] of [[user, 200], [error, 400]]) {
      const bodies = []
      for (const f of Object.keys(fields)) {
        if (PEER_TEXT.has(f)) continue
        for (const v of VALUES) bodies.push([`${status}.${f}`, JSON.stringify({ ...fields, [f]: v })])
      }
      for (const v of STRINGS) {
        bodies.push([`${status}.key`, JSON.stringify({ ...fields, [v]: v })])
        if (status === 200) bodies.push([`${status}.text`, v])
      }
      for (const [what, body] of bodies) {
        const answer = await signAnswer(body, { status, serial: opts.pubKeyId })
        const parsed = s.call(`handleUsersResponse ${what}`, () => v3.handleUsersResponse(rv, answer.status, answer.headers, body))
        if (parsed) reached++
        await s.call(`receive ${what}`, () => receiver.receive(JSON.stringify(answer)))
        const signed = s.call(`fromJson ${what}`, () => wx.SignedAnswer.fromJson(JSON.stringify(answer)))
        if (signed) {
          assert.ok(!leaks(String(signed)) && !leaks(inspect(signed)), inspect(signed))
          await s.call(`receive(SignedAnswer) ${what}`, () => receiver.receive(signed))
        }
      }
    }
    assert.ok(reached > 0, 'verified answers with the values parse')
    // The forwarded JSON form: every field, every header.
    const good = await signAnswer(JSON.stringify({ openid: 'o' }), { serial: opts.pubKeyId })
    for (const v of VALUES) {
      for (const f of ['status', 'headers', 'body']) {
        await s.call(`receive.${f}`, () => receiver.receive(JSON.stringify({ ...good, [f]: v })))
      }
      for (const h of [...Object.keys(good.headers), NAME]) {
        await s.call(`receive.headers.${h}`, () => receiver.receive(JSON.stringify({ ...good, headers: { ...good.headers, [h]: v } })))
      }
      for (const f of ['privateKeyPem', 'platformPublicKeyPem', 'pubKeyId', 'platformCertificatePem', 'padding']) {
        s.call(`RealNameReceiver.${f}`, () => new wx.RealNameReceiver({ ...opts, [f]: v }))
      }
    }
    assert.ok(s.errors >= 150, `${s.errors} errors`)
  })

  test('merchant client configuration and calls', async () => {
    const s = sweep()
    const cfg = sb.dev.merchantConfig()
    const fields = ['appid', 'mchId', 'v2Key', 'signType', 'merchantSerialNo', 'merchantKeyPem', 'platformPublicKeyId',
      'platformPublicKeyPem', 'platformCertificates', 'apiv3Key', 'pinnedPlatformSerials', 'subMchId', 'subSerialNo',
      'subAppid', 'storeId', 'storeName', 'decryptKeyPem', 'baseUrl', 'timeoutMs', 'maxRetries', NAME]
    for (const v of VALUES) {
      for (const f of fields) s.call(`MerchantClient.${f}`, () => new wx.MerchantClient({ ...cfg, [f]: v }))
    }
    const client = new wx.MerchantClient(cfg)
    for (const v of VALUES) {
      for (const f of ['rawdata', 'deviceId', 'storeId', 'storeName', 'attach']) {
        await s.call(`getAuthinfo.${f}`, () => client.getAuthinfo({ rawdata: 'RAW', deviceId: 'KIOSK-01', [f]: v }))
      }
      s.call('invalidateAuthinfo', () => client.invalidateAuthinfo(v, v))
      await s.call('queryUser.faceSid', () => client.queryUser(v))
      await s.call('queryUser.infoType', () => client.queryUser('sid', v))
      await s.call('queryUserSigned.faceSid', () => client.queryUserSigned(v))
      await s.call('fetchRealName.faceSid', () => client.fetchRealName(v))
      await s.call('fetchRealName.decryptor', () => client.fetchRealName('sid', v))
    }
    assert.ok(s.errors >= 150, `${s.errors} errors`)
  })

  test('kiosk configuration, emulator options and the merchant API answers', async () => {
    const s = sweep()
    const deviceId = sb.device()
    const config = sb.config(deviceId)
    const face = sb.emulator(deviceId)
    for (const v of VALUES) {
      for (const f of ['appid', 'mchId', 'storeId', 'deviceId', 'sdkVersion', 'subAppid', 'subMchId', 'screenIndex',
        'disableKeyboard', 'cameraRotation', 'authinfoMarginSecs', 'merchantUrl', 'merchantTimeoutMs', 'deviceCredential', 'init', NAME]) {
        s.call(`Kiosk.${f}`, () => new wx.Kiosk({ ...config, [f]: v }, face))
      }
      for (const f of ['proxy', 'proxyType', 'cameraRotation']) {
        s.call(`Kiosk.init.${f}`, () => new wx.Kiosk({ ...config, init: { [f]: v } }, face))
      }
      for (const f of ['sandboxUrl', 'person', 'outcome', 'latencyMs', 'deviceId', 'sdkVersion', 'timeoutMs']) {
        s.call(`FaceSdk.emulator.${f}`, () => wx.FaceSdk.emulator({ sandboxUrl: sb.dev.sandboxUrl, deviceId, [f]: v }))
      }
      // FaceSdk.load names the library path it could not load: the kiosk's
      // own configuration, the one caller text an error repeats.
      const path = typeof v === 'string' ? v : String(v)
      // (A path with a line break prints split in util.inspect: left out.)
      if (!path.includes('\n')) s.call('FaceSdk.load', () => wx.FaceSdk.load(path), { own: path })
      if (typeof v !== 'string') s.call('FaceSdk.load(value)', () => wx.FaceSdk.load(v))
      s.call('FaceSdk.pushOutcome', () => face.pushOutcome(v))
      s.call('FaceSdk.configure', () => face.configure({ person: v, outcome: v }))
      await s.call('FaceSdk.call', () => face.call(v))
    }
    assert.ok(s.errors >= 50, `${s.errors} errors`)

    // A merchant API of the app's own whose answers carry the values where
    // the kiosk expects other shapes: every outcome's error is clean, and the
    // outcome of a verified patient carries the identity masked.
    const shapes = [
      ['authinfo.authinfo', { authinfo: () => ({ authinfo: ID, expiresIn: NAME }) }],
      ['authinfo.expiresAt', { authinfo: () => ({ authinfo: 'A', expiresAt: ID }) }],
      ['authinfo.shape', { authinfo: () => `${NAME} ${ID}` }],
      ['authinfo.throws', { authinfo: () => { throw new Error(`${NAME} ${ID}`) } }],
      ['realName.identity', { realName: () => ({ name: NAME, credentialType: 1, credentialId: ID }) }],
      ['realName.credentialType', { realName: () => ({ name: '张*丰', credentialType: NAME, credentialId: '110***********002X' }) }],
      ['realName.shape', { realName: () => ID }],
      ['isVerified', { isVerified: () => NAME }]
    ]
    const merchant = new wx.MerchantClient(sb.dev.merchantConfig())
    const normal = {
      authinfo: async ({ rawdata, deviceId: d }) => {
        const g = await merchant.getAuthinfo({ rawdata, deviceId: d })
        return { authinfo: g.authinfo, expiresAt: g.expiresAt }
      },
      realName: async ({ faceSid }) => (await merchant.fetchRealName(faceSid)).masked(),
      isVerified: () => false
    }
    for (const [what, over] of shapes) {
      const d = sb.device()
      const { merchantUrl, deviceCredential, ...base } = sb.config(d)
      assert.ok(merchantUrl)
      const kiosk = new wx.Kiosk({ ...base, backend: { ...normal, ...over } }, sb.emulator(d))
      await kiosk.start()
      const outcome = await kiosk.verify()
      if (outcome.kind === 'failed') {
        const text = errorText(outcome.error).replace(String(outcome.error.cause && outcome.error.cause.stack), '')
        // `cause` is the app's own thrown value, handed back as it was.
        const own = { ...outcome.error }
        delete own.cause
        assert.ok(!leaks(String(outcome.error) + inspect(own)), `${what}: ${text}`)
      } else if (outcome.identity) {
        assert.ok(!leaks(JSON.stringify(outcome.identity)), `${what}: ${JSON.stringify(outcome.identity)}`)
      }
      await kiosk.shutdown()
    }
  })

  test('classes the binding defines print no face_sid, openid or personal data', async (t) => {
    // The older answers, which give the kiosk the openid too.
    const sb = await startSandbox({ sandboxConfigJson: '{"openid_with_face_sid":true}' })
    t.after(() => sb.stop())
    const client = new wx.MerchantClient(sb.dev.merchantConfig())
    const d = sb.device()
    const kiosk = new wx.Kiosk(sb.config(d), sb.emulator(d))
    await kiosk.start()
    const outcome = await kiosk.verify()
    assert.equal(outcome.kind, 'verified')
    // The outcome is a plain object: its faceSid is there for the app.
    assert.ok(outcome.faceSid && outcome.openid)
    await kiosk.shutdown()
    for (const shown of [String(kiosk), inspect(kiosk), String(client), inspect(client), JSON.stringify(client)]) {
      assert.ok(!shown.includes(outcome.faceSid) && !shown.includes(outcome.openid), shown)
    }
    const answer = await client.queryUserSigned(outcome.faceSid).catch((e) => e)
    if (answer instanceof wx.SignedAnswer) {
      const user = JSON.parse(answer.body)
      for (const shown of [String(answer), inspect(answer)]) {
        assert.ok(!shown.includes(user.openid) && !shown.includes(answer.body), shown)
      }
    }
  })
})
