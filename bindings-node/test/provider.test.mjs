// Provider mode (服务商) against the sandbox: the provider's client queries
// with its own keys and forwards the signed answer as WeChat Pay sent it
// (queryUserSigned → SignedAnswer → JSON); the hospital's RealNameReceiver
// verifies it with the platform key and decrypts it with the sub-merchant
// key. A forwarded answer that was tampered with is refused by the signature
// check, never reaching the decryptor.
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { after, before, describe, test } from 'node:test'

import wx from '../index.js'
import { settle } from './helpers.mjs'
import { startSandbox } from './sandbox.mjs'

const { MerchantClient, RealNameReceiver, SignedAnswer, sdk } = wx

let sb
let people
before(async () => {
  sb = await startSandbox()
  people = await sb.identities()
})
after(() => sb.stop())

const provider = () => new MerchantClient(sb.dev.providerConfig())
const hospital = () => new RealNameReceiver(sb.dev.receiverOptions())

/** A face_sid the patient consented for, at a kiosk of the sub-merchant. */
async function consentedFaceSid (client, person) {
  const cfg = sb.dev.providerConfig()
  const deviceId = sb.device()
  const face = sb.emulator(deviceId, { person })
  sdk.parseResponse('initWxpayface', await face.call(sdk.initRequest()))
  const { rawdata } = sdk.parseResponse('getWxpayfaceRawdata', await face.call(sdk.rawdataRequest()))
  const { authinfo } = await client.getAuthinfo({ rawdata, deviceId })
  const code = sdk.parseResponse('getWxpayfaceCode', await face.call(sdk.faceCodeRequest({
    appid: cfg.appid,
    mchId: cfg.mchId,
    subAppid: cfg.subAppid,
    subMchId: cfg.subMchId,
    storeId: sb.dev.storeId,
    authinfo
  })))
  sdk.parseResponse('getWxpayAuth', await face.call(sdk.authRequest({ authinfo, faceSid: code.faceSid })))
  return code.faceSid
}

/** `answer` with its JSON form edited by `edit`. */
function forwardedWith (answer, edit) {
  const json = answer.toJSON()
  edit(json)
  return JSON.stringify(json)
}

describe('provider mode: queryUserSigned → RealNameReceiver', () => {
  test('the provider forwards the signed answer; the hospital verifies, then decrypts', async () => {
    const client = provider()
    assert.equal(client.isProviderMode, true)
    const b = people.find((p) => p.key === 'patient-b')
    const faceSid = await consentedFaceSid(client, 'patient-b')

    const p = client.queryUserSigned(faceSid)
    assert.ok(p instanceof Promise)
    const answer = await p
    assert.ok(answer instanceof SignedAnswer)
    assert.equal(answer.status, 200)
    const names = Object.keys(answer.headers)
    assert.deepEqual(names.slice(0, 4), ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial'])
    assert.deepEqual(names.slice(4), ['Wechatpay-Signature-Type'])
    assert.equal(answer.headers['Wechatpay-Serial'], sb.dev.providerConfig().platformPublicKeyId)
    const body = JSON.parse(answer.body)
    assert.equal(body.sub_openid, b.sub_openid)
    // The JSON form, and the same through JSON.stringify and fromJson.
    const json = answer.toJson()
    assert.equal(JSON.stringify(answer), json)
    assert.deepEqual(JSON.parse(json), { status: 200, headers: answer.headers, body: answer.body })
    const again = SignedAnswer.fromJson(json)
    assert.equal(again.toJson(), json)
    assert.equal(SignedAnswer.fromJson(Buffer.from(json)).body, answer.body)
    // Printing shows the shape, never the body or a header value.
    for (const shown of [String(answer), inspect(answer), inspect({ nested: [answer] }, { depth: 4 })]) {
      assert.ok(shown.includes(`SignedAnswer(status=200, headers=[${names.join(', ')}], body=${Buffer.byteLength(answer.body)} bytes)`), shown)
      assert.ok(!shown.includes(answer.body), shown)
      assert.ok(!shown.includes(b.openid) && !shown.includes(b.sub_openid), shown)
      for (const v of Object.values(answer.headers)) assert.ok(!shown.includes(v), shown)
    }

    // The provider holds no key for it: neither a configured decryptor nor its own key fits.
    await assert.rejects(client.fetchRealName(faceSid), wx.ConfigError)
    const withProviderKey = new RealNameReceiver({ ...sb.dev.receiverOptions(), privateKeyPem: sb.dev.merchantConfig().merchantKeyPem })
    const [, wrong] = await settle(withProviderKey.receive(json))
    assert.ok(wrong instanceof wx.DecryptionError, String(wrong))
    assert.equal(wrong.code, 'decryption')

    // The hospital: the JSON text, a Buffer, or the SignedAnswer itself.
    const r = hospital()
    for (const form of [json, Buffer.from(json), answer]) {
      const id = await r.receive(form)
      assert.ok(id instanceof wx.RealName)
      assert.equal(id.name, b.masked.name)
      assert.equal(id.credentialId, b.masked.credential_id)
      assert.equal(wx.maskName(id.exposeName()), b.masked.name)
      assert.equal(wx.isResidentId(id.exposeCredentialId()), true)
    }
  })

  test('a tampered forwarded answer is refused by the signature check, not decrypted', async () => {
    const client = provider()
    const faceSid = await consentedFaceSid(client, 'patient-a')
    const answer = await client.queryUserSigned(faceSid)
    const other = await client.queryUserSigned(faceSid) // as honest as the first, to splice from
    assert.notEqual(other.headers['Wechatpay-Signature'], answer.headers['Wechatpay-Signature'])
    const r = hospital()
    const tampered = [
      ['edited body', forwardedWith(answer, (j) => { j.body = j.body.replace('"openid"', '"openid_"') }), 'signature_mismatch'],
      ['another answer\'s signature', forwardedWith(answer, (j) => { j.headers['Wechatpay-Signature'] = other.headers['Wechatpay-Signature'] }), 'signature_mismatch'],
      ['removed signature', forwardedWith(answer, (j) => { delete j.headers['Wechatpay-Signature'] }), 'signature_missing'],
      ['another answer\'s timestamp', forwardedWith(answer, (j) => { j.headers['Wechatpay-Timestamp'] = String(Number(j.headers['Wechatpay-Timestamp']) - 1) }), 'signature_mismatch']
    ]
    for (const [what, json, code] of tampered) {
      assert.notEqual(json, answer.toJson(), what)
      for (const form of [json, SignedAnswer.fromJson(json)]) {
        const [id, err] = await settle(r.receive(form))
        assert.equal(id, undefined, what)
        assert.ok(err instanceof wx.SignatureError, `${what}: ${err}`)
        assert.ok(!(err instanceof wx.DecryptionError), what)
        assert.equal(err.code, code, `${what}: ${err.message}`)
        assert.equal(err.kind, 'signature')
      }
    }
    // The genuine one still goes through.
    assert.equal((await r.receive(answer.toJson())).name, people.find((p) => p.key === 'patient-a').masked.name)
  })

  test('a forwarded error answer is a BackendError; ASK_UNIONID answers carry no identity', async () => {
    const client = provider()
    const err = await client.queryUserSigned('FACE_SID_NEVER_ISSUED').then(() => null, (e) => e)
    assert.ok(err instanceof wx.BackendError, String(err))
    assert.ok(err.status >= 400)
    const faceSid = await consentedFaceSid(client, 'patient-c')
    const union = await client.queryUserSigned(faceSid, 'ASK_UNIONID')
    assert.equal(JSON.parse(union.body).union_id, people.find((p) => p.key === 'patient-c').union_id)
    const [, none] = await settle(hospital().receive(union))
    assert.ok(none instanceof wx.MalformedError, String(none))
    await assert.rejects(client.queryUserSigned(faceSid, 'ASK_EVERYTHING'), wx.InvalidInputError)
  })

  test('malformed forwarded JSON and other arguments are refused without echoing them', async () => {
    const r = hospital()
    const secretish = '测试患者甲'
    for (const bad of ['', 'null', `{"status":200,"headers":{},"body":"x","extra":"${secretish}"}`, `{"status":200,"headers":{"Wechatpay-Nonce":"${secretish}","X":"1"},"body":""}`]) {
      assert.throws(() => SignedAnswer.fromJson(bad), (e) => e instanceof wx.MalformedError && !e.message.includes(secretish))
      const [, err] = await settle(r.receive(bad))
      assert.ok(err instanceof wx.MalformedError, String(err))
      assert.ok(!err.message.includes(secretish), err.message)
    }
    for (const bad of [undefined, null, 42, {}, { status: 200, headers: {}, body: '{}' }]) {
      const p = r.receive(bad)
      assert.ok(p instanceof Promise)
      await assert.rejects(p, (e) => e instanceof wx.InvalidInputError && e.field === 'answer')
    }
    assert.throws(() => new SignedAnswer(), /constructor/)
  })

  test('a receiver needs a platform key, and prints no key', () => {
    const opts = sb.dev.receiverOptions()
    const r = new RealNameReceiver(opts)
    assert.equal(r.padding, 'pkcs1v15')
    assert.deepEqual(r.platformKeyIds(), [opts.pubKeyId])
    const line = opts.privateKeyPem.split('\n')[1]
    for (const shown of [String(r), inspect(r), JSON.stringify({ r })]) {
      assert.ok(!shown.includes(line), shown)
      assert.match(shown, /REDACTED/)
    }
    const cert = sb.dev.merchantConfig().platformCertificates[0]
    const byCert = new RealNameReceiver({ privateKeyPem: opts.privateKeyPem, platformCertificatePem: cert })
    assert.equal(byCert.platformKeyIds().length, 1)
    assert.equal(new RealNameReceiver({ privateKeyPem: opts.privateKeyPem, platformCertificatePem: [cert] }).platformKeyIds().length, 1)
    const bad = [
      { privateKeyPem: opts.privateKeyPem },
      { ...opts, pubKeyId: undefined },
      { ...opts, privateKeyPem: opts.platformPublicKeyPem },
      { ...opts, padding: 'none' }
    ]
    for (const o of bad) {
      assert.throws(() => new RealNameReceiver(o), (e) => {
        assert.ok(e instanceof wx.ConfigError || e instanceof wx.InvalidInputError, String(e))
        assert.ok(!e.message.includes(line), e.message)
        return true
      })
    }
  })
})
