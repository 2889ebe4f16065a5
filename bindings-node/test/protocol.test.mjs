// The protocol helpers (sdk.*, v2.*, v3.*) against the project's shared vector
// corpus (tests/vectors), which was computed without wxface code.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'

import wx from '../index.js'
import { attempt, camel, cases, key } from './helpers.mjs'

const { sdk, v2, v3, WxfaceError } = wx

function expectError (err, code, tc) {
  assert.ok(err, `tcId ${tc.tcId} (${tc.comment}): expected ${code}, got success`)
  assert.ok(err instanceof WxfaceError, `tcId ${tc.tcId}: not a WxfaceError: ${err}`)
  assert.equal(err.code, code, `tcId ${tc.tcId} (${tc.comment}): ${err.message}`)
}

describe('sdk request builders (tests/vectors/sdk/requests.json)', () => {
  // The binding's types make the required string fields required; the core's
  // "is required" rule is reached with an empty value.
  const required = {
    getWxpayfaceCode: ['appid', 'mch_id', 'store_id', 'authinfo'],
    getWxpayAuth: ['authinfo', 'face_sid']
  }
  function build (request, options) {
    const { cmd, ...fields } = request
    for (const f of required[cmd] || []) if (!(f in fields)) fields[f] = ''
    switch (cmd) {
      case 'initWxpayface': {
        const init = camel(fields)
        if (init.proxy) init.proxy = camel(init.proxy)
        return sdk.initRequest(init, options)
      }
      case 'getWxpayfaceRawdata': return sdk.rawdataRequest(options)
      case 'getWxpayfaceCode': return sdk.faceCodeRequest(camel(fields), options)
      case 'getWxpayAuth': return sdk.authRequest(camel(fields), options)
      case 'releaseWxpayface': return sdk.releaseRequest(options)
      default: throw new Error(`unknown cmd ${cmd}`)
    }
  }
  for (const { test: tc } of cases('sdk/requests.json')) {
    test(`tcId ${tc.tcId}: ${tc.comment}`, () => {
      const { request, sdk_version: sdkVersion, now } = tc.inputs
      const [json, err] = attempt(() => build(request, { now, sdkVersion }))
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        assert.equal(json, tc.expected)
        // The SDK's side parses what the kiosk's side built.
        const parsed = sdk.parseRequest(json)
        assert.equal(parsed.cmd, request.cmd)
        assert.equal(parsed.now, now)
      } else {
        expectError(err, tc.code, tc)
      }
    })
  }
})

describe('sdk response parser (tests/vectors/sdk/responses.json)', () => {
  for (const { test: tc } of cases('sdk/responses.json')) {
    test(`tcId ${tc.tcId}: ${tc.comment}`, () => {
      const { cmd, response } = tc.inputs
      const [reply, err] = attempt(() => sdk.parseResponse(cmd, response))
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        assert.equal(reply.cmd, cmd)
        for (const [k, v] of Object.entries(camel(tc.expected))) {
          assert.deepEqual(reply[k], v, k)
        }
        // Buffers are accepted too.
        assert.deepEqual(sdk.parseResponse(cmd, Buffer.from(response)), reply)
      } else {
        expectError(err, tc.code, tc)
        if (tc.code === 'sdk') {
          assert.ok(err instanceof wx.SdkError)
          assert.equal(err.cmd, cmd)
          assert.equal(typeof err.returnCode, 'string')
          assert.equal(sdk.classifyError(err), tc.class)
        }
      }
    })
  }

  test('errorResponse builds what parseResponse reads back as SdkError', () => {
    const json = sdk.errorResponse({ returnCode: 'ERROR', returnMsg: '用户拒绝授权', errCode: 'ACTION_ON_USER_QUERY_CANCEL' })
    const [, err] = attempt(() => sdk.parseResponse('getWxpayAuth', json))
    assert.ok(err instanceof wx.SdkError)
    assert.equal(err.errCode, 'ACTION_ON_USER_QUERY_CANCEL')
    assert.equal(sdk.classifyError(err), 'consent_refused')
  })

  test('an unknown command is an InvalidInputError', () => {
    const [, err] = attempt(() => sdk.parseResponse('getSomething', '{}'))
    assert.ok(err instanceof wx.InvalidInputError)
    assert.equal(err.field, 'cmd')
  })
})

describe('v2 signatures (tests/vectors/v2/sign.json)', () => {
  for (const { test: tc } of cases('v2/sign.json')) {
    test(`tcId ${tc.tcId}: ${tc.comment}`, () => {
      const { fields, key: apiKey, sign_type: signType } = tc.inputs
      const k = new v2.ApiKey(apiKey)
      assert.equal(v2.canonicalString(fields), tc.canonical)
      const sign = v2.sign(fields, k, signType)
      assert.equal(sign, tc.expected)
      v2.verify({ ...fields, sign }, k, signType)
      v2.verify({ ...fields, sign: sign.toLowerCase() }, k, signType)
      const [, err] = attempt(() => v2.verify({ ...fields, sign, extra: 'x' }, k, signType))
      expectError(err, 'signature_mismatch', tc)
      // Round trip through XML keeps every field.
      assert.deepEqual(v2.parseXml(v2.toXml({ ...fields, sign })), { ...fields, sign })
    })
  }

  test('an ApiKey never prints or serialises', async () => {
    const { inspect } = await import('node:util')
    const k = new v2.ApiKey('192006250b4c09247ec02edce69f6a2d')
    for (const shown of [String(k), JSON.stringify({ k }), inspect(k), `${k}`]) {
      assert.ok(!shown.includes('192006250b4c'), shown)
    }
    const [, err] = attempt(() => new v2.ApiKey('bad key with spaces'))
    assert.ok(err instanceof wx.ConfigError)
    assert.ok(!err.message.includes('bad key'), err.message)
  })

  test('missing, malformed and unknown sign types', () => {
    const k = new v2.ApiKey('192006250b4c09247ec02edce69f6a2d')
    let [, err] = attempt(() => v2.verify({ a: '1' }, k))
    assert.equal(err.code, 'signature_missing')
    ;[, err] = attempt(() => v2.verify({ a: '1', sign: 'ABC' }, k, 'MD5'))
    assert.equal(err.code, 'signature_malformed')
    ;[, err] = attempt(() => v2.sign({ a: '1' }, k, 'SHA1'))
    assert.ok(err instanceof wx.InvalidInputError)
  })

  test('XML with a DTD is refused', () => {
    const [, err] = attempt(() => v2.parseXml('<!DOCTYPE x [<!ENTITY e "x">]><xml><a>&e;</a></xml>'))
    assert.ok(err instanceof wx.MalformedError)
  })
})

describe('v2 get_wxpayface_authinfo', () => {
  for (const { test: tc } of cases('v2/authinfo_response.json')) {
    test(`answer tcId ${tc.tcId}: ${tc.comment}`, () => {
      const { key: apiKey, sign_type: signType, now } = tc.inputs
      const xml = tc.inputs.xml_hex ? Buffer.from(tc.inputs.xml_hex, 'hex') : tc.inputs.xml
      const [r, err] = attempt(() =>
        v2.parseAuthinfoResponse(xml, new v2.ApiKey(apiKey), { signType, now }))
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        assert.equal(r.authinfo, tc.expected.authinfo)
        assert.equal(r.expiresIn, tc.expected.expires_in)
        assert.equal(r.expiresAt, tc.expected.expires_at)
      } else {
        expectError(err, tc.code, tc)
        if (tc.code === 'backend') {
          assert.ok(err instanceof wx.BackendError)
          assert.equal(typeof err.wechatCode, 'string')
          assert.equal(err.status, undefined)
        }
      }
    })
  }

  test('authinfoRequest signs what the merchant sends', () => {
    const k = new v2.ApiKey('192006250b4c09247ec02edce69f6a2d')
    const req = v2.authinfoRequest({
      storeId: 'IMG001',
      storeName: '测试医院门诊楼',
      deviceId: 'KIOSK-01',
      rawdata: 'raw+data/=',
      appid: 'wx97debaxyzabcca2',
      mchId: '1281087510',
      signType: 'HMAC-SHA256'
    }, k, { now: 1540901425, nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS' })
    assert.equal(req.method, 'POST')
    assert.equal(req.endpoint, 'payapp')
    assert.equal(req.url, 'https://payapp.weixin.qq.com/face/get_wxpayface_authinfo')
    assert.match(req.headers['Content-Type'], /xml/)
    const fields = v2.parseXml(req.body)
    assert.equal(fields.rawdata, 'raw+data/=')
    assert.equal(fields.now, '1540901425')
    assert.equal(fields.sign.length, 64)
    v2.verify(fields, k, 'HMAC-SHA256')
    const [, err] = attempt(() => v2.authinfoRequest({
      storeId: '', storeName: 's', deviceId: 'd', rawdata: 'r', appid: 'a', mchId: 'm'
    }, k))
    assert.ok(err instanceof wx.InvalidInputError)
    assert.equal(err.field, 'store_id')
  })
})

describe('v3 request signing (tests/vectors/v3/request_sign.json)', () => {
  for (const { group, test: tc } of cases('v3/request_sign.json', 'authorization_sign')) {
    test(`sign tcId ${tc.tcId}: ${tc.comment}`, () => {
      const i = tc.inputs
      const [signer, cerr] = attempt(() => new v3.MerchantSigner(i.mchid, i.serial_no, key(group.privateKeyPem)))
      const [header, err] = cerr
        ? [undefined, cerr]
        : attempt(() => signer.authorization(i.method, i.path_and_query, i.body, {
          timestamp: i.timestamp, nonceStr: i.nonce_str
        }))
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        assert.equal(v3.requestMessage(i.method, i.path_and_query, i.timestamp, i.nonce_str, i.body), tc.expected.message)
        assert.equal(signer.signature(i.method, i.path_and_query, i.body, { timestamp: i.timestamp, nonceStr: i.nonce_str }), tc.expected.signature)
        const parsed = v3.parseAuthorization(header)
        assert.equal(parsed.signature, tc.expected.signature)
        assert.equal(parsed.mchid, i.mchid)
        assert.equal(parsed.timestamp, i.timestamp)
      } else {
        expectError(err, tc.code, tc)
      }
    })
  }

  for (const { group, test: tc } of cases('v3/request_sign.json', 'authorization_verify')) {
    test(`verify tcId ${tc.tcId}: ${tc.comment}`, () => {
      const verifier = new v3.RequestVerifier({ windowSecs: group.windowSecs })
      for (const m of group.merchants) verifier.addMerchant(m.mchid, m.serial_no, key(m.publicKeyPem))
      const i = tc.inputs
      const [auth, err] = attempt(() => verifier.verify(i.authorization ?? undefined, i.method, i.path_and_query, i.body, { now: i.now }))
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        assert.equal(auth.mchid, group.merchants[0].mchid)
      } else {
        expectError(err, tc.code, tc)
        assert.ok(err instanceof wx.SignatureError)
        assert.equal(err.kind, 'signature')
      }
    })
  }

  test('signRequest adds the headers and keeps the key out of every printout', async () => {
    const { inspect } = await import('node:util')
    const pem = key('keys/merchant_pkcs8.pem')
    const signer = new v3.MerchantSigner('1900000001', '5A1B2C3D4E5F60718293A4B5C6D7E8F901234567', pem, { platformSerial: 'PUB_KEY_ID_0119000000012026010100000000000001' })
    const req = signer.signRequest(v3.usersRequest({ faceSid: 'FACE_SID_0001', appid: 'wx0000000000000001' }), 1767225600)
    assert.match(req.headers.Authorization, /^WECHATPAY2-SHA256-RSA2048 mchid="1900000001",/)
    assert.equal(req.headers['Wechatpay-Serial'], 'PUB_KEY_ID_0119000000012026010100000000000001')
    assert.equal(req.headers.Accept, 'application/json')
    const body = pem.split('\n')[1]
    for (const shown of [String(signer), JSON.stringify(signer), inspect(signer)]) {
      assert.ok(!shown.includes(body), shown)
      assert.match(shown, /REDACTED/)
    }
    assert.equal(signer.mchid, '1900000001')
  })
})

describe('v3 answer verification (tests/vectors/v3/response_verify.json)', () => {
  function verifierFor (group) {
    const v = new v3.ResponseVerifier({ windowSecs: group.windowSecs })
    for (const c of group.platformCertificates || []) v.addCertificate(key(c))
    for (const p of group.platformPublicKeys || []) v.addPublicKey(p.id, key(p.publicKeyPem))
    return v
  }

  for (const { group, test: tc } of cases('v3/response_verify.json', 'response_verify')) {
    test(`verify tcId ${tc.tcId}: ${tc.comment}`, () => {
      const v = verifierFor(group)
      const i = tc.inputs
      const [, err] = attempt(() => v.verify(i.status, i.headers, i.body, { now: i.now }))
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
      } else {
        expectError(err, tc.code, tc)
      }
    })
  }

  for (const { group, test: tc } of cases('v3/response_verify.json', 'handle_users_response')) {
    test(`users answer tcId ${tc.tcId}: ${tc.comment}`, () => {
      const v = verifierFor(group)
      const i = tc.inputs
      const [user, err] = attempt(() => v3.handleUsersResponse(v, i.status, i.headers, i.body, { now: i.now }))
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        const e = tc.expected
        assert.equal(user.openid, e.openid ?? undefined)
        if (e.real_name) {
          // Opaque: the announced type, never the ciphertexts.
          assert.ok(user.realName instanceof wx.EncryptedRealName)
          assert.equal(user.realName.credentialType, e.real_name.credential_type)
          assert.ok(!inspect(user).includes(e.real_name.encrypted_real_name))
        } else {
          assert.equal(user.realName, undefined)
        }
      } else {
        expectError(err, tc.code, tc)
        if (tc.code === 'backend') {
          assert.ok(err instanceof wx.BackendError)
          assert.equal(err.status, i.status)
          assert.equal(typeof err.wechatCode, 'string')
        }
      }
    })
  }

  test('headers may be given as an object, names in any case', () => {
    const [{ group, test: tc }] = cases('v3/response_verify.json', 'response_verify')
    const v = verifierFor(group)
    const obj = Object.fromEntries(tc.inputs.headers.map(([k, val]) => [k.toLowerCase(), val]))
    v.verify(tc.inputs.status, obj, Buffer.from(tc.inputs.body), { now: tc.inputs.now })
    assert.ok(v.ids().length >= 2)
    assert.match(v.preferredId(tc.inputs.now), /^PUB_KEY_ID_/)
  })
})

describe('v3 facemch/users query (tests/vectors/v3/users_query.json)', () => {
  for (const { test: tc } of cases('v3/users_query.json', 'users_query_build')) {
    test(`build tcId ${tc.tcId}: ${tc.comment}`, () => {
      const [req, err] = attempt(() => v3.usersRequest(camel(tc.inputs)))
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        assert.equal(req.pathAndQuery, tc.expected.path_and_query)
        assert.equal(req.method, 'GET')
        assert.equal(req.endpoint, 'api_mch')
        assert.equal(req.body, '')
      } else {
        expectError(err, tc.code, tc)
      }
    })
  }

  for (const { test: tc } of cases('v3/users_query.json', 'error_body_parse')) {
    test(`error body tcId ${tc.tcId}: ${tc.comment}`, () => {
      const err = v3.errorFromResponse(tc.inputs.status, tc.inputs.body)
      assert.ok(err instanceof wx.BackendError)
      assert.equal(err.code, 'backend')
      assert.equal(err.status, tc.expected.status)
      assert.equal(err.wechatCode, tc.expected.code)
      if (tc.expected.message !== null && tc.expected.message !== undefined) {
        assert.equal(err.wechatMessage, tc.expected.message)
      }
      if (tc.expected.detail) assert.deepEqual(JSON.parse(err.detail), tc.expected.detail)
    })
  }
})
