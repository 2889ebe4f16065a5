// Decryptor, RealNameReceiver and RealName: the vector corpus through the
// binding (each case's real-name fields in an answer signed here with the
// vectors' platform key, as WeChat Pay would), the public surface (no raw
// decryption entry point), and what a RealName shows (masked everywhere
// unless exposed).
import assert from 'node:assert/strict'
import { sign as rsaSign, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, test } from 'node:test'

import wx from '../index.js'
import { cases, exposed, key, settle, vectors } from './helpers.mjs'

const { Decryptor, RealName, RealNameReceiver } = wx

/** The vectors' platform public key and its id (tests/vectors/keys). */
const PLATFORM = {
  pubKeyId: vectors('v3/signed_answers.json').platformPublicKeyId,
  privateKeyPem: key('keys/platform_pubkey_pkcs8.pem'),
  platformPublicKeyPem: key('keys/platform_pubkey_pub.pem')
}

/**
 * The JSON form of an answer carrying `body`, signed now with the vectors'
 * platform key (SHA256withRSA over `TIMESTAMP\nNONCE\nBODY\n`, by Node's
 * crypto, not by wxface).
 */
function signedAnswer (body, status = 200) {
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = randomBytes(16).toString('hex')
  const signature = rsaSign('sha256', Buffer.from(`${ts}\n${nonce}\n${body}\n`), PLATFORM.privateKeyPem).toString('base64')
  return JSON.stringify({
    status,
    headers: {
      'Wechatpay-Timestamp': ts,
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': signature,
      'Wechatpay-Serial': PLATFORM.pubKeyId
    },
    body
  })
}

function receiver (privateKeyPem, padding) {
  return new RealNameReceiver({
    privateKeyPem,
    platformPublicKeyPem: PLATFORM.platformPublicKeyPem,
    pubKeyId: PLATFORM.pubKeyId,
    padding
  })
}

function usersBody (name, type, id) {
  return JSON.stringify({
    openid: 'o_test_openid_0001',
    real_name_info: { encrypted_real_name: name, credential_type: type, encrypted_credential_id: id }
  })
}

describe('RealNameReceiver (tests/vectors/v3/decrypt.json in signed answers)', () => {
  // A good credential-number ciphertext per group, to carry a lone field.
  const goodId = new Map()
  const groupKey = (g) => `${g.privateKeyPem} ${g.padding}`
  for (const { group, test: tc } of cases('v3/decrypt.json')) {
    if (tc.inputs.kind === 'real_name' && tc.result === 'valid' && !goodId.has(groupKey(group))) {
      goodId.set(groupKey(group), tc.inputs.encrypted_credential_id)
    }
  }
  const failures = []
  for (const { group, test: tc } of cases('v3/decrypt.json')) {
    const i = tc.inputs
    // A lone field has no public decryption entry point: its valid cases
    // have nothing to go through; its invalid ones travel as the name of an
    // answer whose credential number is good.
    const skip = i.kind === 'field' && tc.result === 'valid' && 'a lone field cannot be decrypted on its own'
    test(`tcId ${tc.tcId}: ${tc.comment}`, { skip }, async () => {
      const r = receiver(key(group.privateKeyPem), group.padding)
      assert.equal(r.padding, group.padding)
      const body = i.kind === 'field'
        ? usersBody(i.ciphertext, 1, goodId.get(groupKey(group)))
        : usersBody(i.encrypted_real_name, i.credential_type, i.encrypted_credential_id)
      const p = r.receive(signedAnswer(body))
      assert.ok(p instanceof Promise)
      const [out, err] = await settle(p)
      if (i.kind === 'field' && i.ciphertext === '') {
        // An empty field is no real-name field at all: the answer is malformed.
        assert.ok(err instanceof wx.MalformedError, String(err))
      } else if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        assert.ok(out instanceof RealName)
        assert.deepEqual(exposed(out), {
          name: tc.expected.name,
          credentialType: tc.expected.credential_type,
          credentialId: tc.expected.credential_id
        })
      } else {
        assert.ok(err instanceof wx.DecryptionError, String(err))
        assert.equal(err.code, tc.code)
        assert.equal(err.name, 'DecryptionError')
        failures.push(err.message)
      }
    })
  }

  test('every failure has the one decryption message', () => {
    assert.ok(failures.length > 30, `${failures.length} failures`)
    assert.equal(new Set(failures).size, 1, [...new Set(failures)].join(' | '))
    assert.ok(!failures[0].includes('测试'))
  })
})

describe('Decryptor', () => {
  test('no raw decryption entry point is left', async () => {
    const d = new Decryptor(key('keys/merchant_pkcs8.pem'))
    assert.equal(d.decryptField, undefined)
    assert.equal(Decryptor.prototype.decryptField, undefined)
    const [{ test: tc }] = cases('v3/decrypt.json')
    const fields = {
      encryptedRealName: tc.inputs.encrypted_real_name,
      credentialType: tc.inputs.credential_type,
      encryptedCredentialId: tc.inputs.encrypted_credential_id
    }
    const spoofed = Object.create(wx.EncryptedRealName.prototype)
    for (const [k, v] of Object.entries(fields)) Object.defineProperty(spoofed, k, { value: v, enumerable: true })
    const made = [
      fields,
      { realName: fields },
      { openid: 'o', realName: { ...fields } },
      spoofed,
      { realName: spoofed },
      tc.inputs.encrypted_real_name,
      Buffer.from(JSON.stringify(fields)),
      undefined,
      null
    ]
    for (const arg of made) {
      const p = d.decryptRealName(arg)
      assert.ok(p instanceof Promise)
      await assert.rejects(p, (e) => {
        assert.ok(e instanceof TypeError || e instanceof wx.InvalidInputError, String(e))
        assert.ok(!(e instanceof wx.DecryptionError))
        return true
      })
    }
    // An EncryptedRealName cannot be made in JS.
    assert.throws(() => new wx.EncryptedRealName())
    // Nothing parses an unverified answer into decryptable fields.
    for (const name of ['parseUsersBody', 'parseUsersResponse', 'encryptedRealName', 'decryptField']) {
      assert.equal(wx[name], undefined, name)
      assert.equal(wx.v3[name], undefined, name)
    }
  })

  test('the FaceUser of a verified answer decrypts, its realName is opaque', async () => {
    const { group, test: tc } = cases('v3/decrypt.json').find(({ test: t }) => t.result === 'valid' && t.inputs.kind === 'real_name')
    const i = tc.inputs
    const v = new wx.v3.ResponseVerifier()
    v.addPublicKey(PLATFORM.pubKeyId, PLATFORM.platformPublicKeyPem)
    const a = JSON.parse(signedAnswer(usersBody(i.encrypted_real_name, i.credential_type, i.encrypted_credential_id)))
    const user = wx.v3.handleUsersResponse(v, a.status, a.headers, a.body)
    assert.equal(user.openid, 'o_test_openid_0001')
    assert.ok(user.realName instanceof wx.EncryptedRealName)
    assert.equal(user.realName.credentialType, i.credential_type)
    for (const shown of [String(user.realName), inspect(user), JSON.stringify(user)]) {
      assert.ok(!shown.includes(i.encrypted_real_name), shown)
      assert.ok(!shown.includes(i.encrypted_credential_id), shown)
    }
    assert.deepEqual(Object.keys(user.realName), [])
    const d = new Decryptor(key(group.privateKeyPem), { padding: group.padding })
    for (const arg of [user, user.realName]) {
      const id = await d.decryptRealName(arg)
      assert.equal(id.exposeCredentialId(), tc.expected.credential_id)
    }
    // A FaceUser without real-name fields carries nothing to decrypt.
    const u = JSON.parse(signedAnswer('{"openid":"o","union_id":"u"}'))
    const union = wx.v3.handleUsersResponse(v, u.status, u.headers, u.body)
    assert.equal(union.realName, undefined)
    await assert.rejects(d.decryptRealName(union), wx.InvalidInputError)
  })

  test('the padding is explicit; an unknown one is refused', () => {
    assert.equal(new Decryptor(key('keys/merchant_pkcs8.pem')).padding, 'pkcs1v15')
    assert.throws(() => new Decryptor(key('keys/merchant_pkcs8.pem'), { padding: 'none' }),
      (e) => e instanceof wx.InvalidInputError && e.field === 'padding')
  })

  test('a public key or garbage is a ConfigError that shows no key material', () => {
    const pub = key('keys/merchant_pub.pem')
    assert.throws(() => new Decryptor(pub), (e) => {
      assert.ok(e instanceof wx.ConfigError)
      assert.ok(!e.message.includes(pub.split('\n')[1]))
      return true
    })
  })

  test('a Decryptor prints no key', () => {
    const pem = key('keys/merchant_pkcs8.pem')
    const d = new Decryptor(pem)
    for (const shown of [String(d), inspect(d), JSON.stringify({ d })]) {
      assert.ok(!shown.includes(pem.split('\n')[1]), shown)
    }
  })
})

describe('RealName', () => {
  async function identity () {
    const [{ group, test: tc }] = cases('v3/decrypt.json')
    const i = tc.inputs
    const r = receiver(key(group.privateKeyPem), group.padding)
    const id = await r.receive(signedAnswer(usersBody(i.encrypted_real_name, i.credential_type, i.encrypted_credential_id)))
    return { id, full: tc.expected }
  }

  test('getters, toString, JSON and util.inspect are masked', async () => {
    const { id, full } = await identity()
    assert.equal(id.name, wx.maskName(full.name))
    assert.equal(id.credentialId, wx.maskCredentialId(full.credential_id))
    assert.equal(id.credentialType, 1)
    assert.equal(id.credentialTypeLabel, '身份证')
    assert.deepEqual(id.masked(), { name: id.name, credentialType: 1, credentialId: id.credentialId })
    const shown = [
      String(id), `${id}`, JSON.stringify(id), JSON.stringify({ patient: id }),
      inspect(id), inspect({ nested: [id] }, { depth: 5 }), inspect(id, { showHidden: true })
    ]
    for (const s of shown) {
      assert.ok(!s.includes(full.name), s)
      assert.ok(!s.includes(full.credential_id), s)
      assert.ok(!s.includes(full.credential_id.slice(3, 14)), s)
    }
    assert.match(inspect(id), /RealName/)
    assert.deepEqual(Object.keys(id), [])
  })

  test('exposeName() and exposeCredentialId() give the full values', async () => {
    const { id, full } = await identity()
    assert.equal(id.exposeName(), full.name)
    assert.equal(id.exposeCredentialId(), full.credential_id)
    assert.equal(id.credentialType, 1)
    assert.equal(id.reveal, undefined)
  })

  test('masking helpers and the resident ID check', () => {
    assert.equal(wx.maskName('张小三'), '张*三')
    assert.equal(wx.maskName('张三'), '张*')
    assert.equal(wx.maskCredentialId('110105194912311234'), '110***********1234')
    assert.equal(wx.maskCredentialId('12345678'), '1*****78')
    assert.equal(wx.credentialTypeLabel(2), '护照')
    assert.equal(wx.credentialTypeLabel(99), '未知证件')
    assert.equal(wx.isResidentId('11010519491231002X'), true)
    assert.equal(wx.isResidentId('110105194912310021'), false)
  })

  test('a RealName cannot be built from JS', () => {
    assert.throws(() => new RealName())
  })
})
