// Decryptor and Identity: the vector corpus through the binding, and what an
// Identity shows (masked everywhere unless revealed).
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { describe, test } from 'node:test'

import wx from '../index.js'
import { cases, key, settle } from './helpers.mjs'

const { Decryptor, Identity } = wx

describe('Decryptor (tests/vectors/v3/decrypt.json)', () => {
  for (const { group, test: tc } of cases('v3/decrypt.json')) {
    test(`tcId ${tc.tcId}: ${tc.comment}`, async () => {
      const d = new Decryptor(key(group.privateKeyPem), { padding: group.padding })
      assert.equal(d.padding, group.padding)
      const i = tc.inputs
      const p = i.kind === 'field'
        ? d.decryptField(i.ciphertext)
        : d.decryptRealName({
          encryptedRealName: i.encrypted_real_name,
          credentialType: i.credential_type,
          encryptedCredentialId: i.encrypted_credential_id
        })
      assert.ok(p instanceof Promise)
      const [out, err] = await settle(p)
      if (tc.result === 'valid') {
        assert.equal(err, null, err && err.message)
        if (i.kind === 'field') {
          assert.equal(out, tc.expected.plaintext)
        } else {
          assert.ok(out instanceof Identity)
          assert.deepEqual(out.reveal(), {
            name: tc.expected.name,
            credentialType: tc.expected.credential_type,
            credentialId: tc.expected.credential_id
          })
        }
      } else {
        assert.ok(err instanceof wx.DecryptionError, String(err))
        assert.equal(err.code, tc.code)
        assert.equal(err.name, 'DecryptionError')
      }
    })
  }

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

describe('Identity', () => {
  async function identity () {
    const [{ group, test: tc }] = cases('v3/decrypt.json')
    const d = new Decryptor(key(group.privateKeyPem), { padding: group.padding })
    const id = await d.decryptRealName({
      encryptedRealName: tc.inputs.encrypted_real_name,
      credentialType: tc.inputs.credential_type,
      encryptedCredentialId: tc.inputs.encrypted_credential_id
    })
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
    assert.match(inspect(id), /Identity/)
    assert.deepEqual(Object.keys(id), [])
  })

  test('reveal() gives the full values', async () => {
    const { id, full } = await identity()
    assert.deepEqual(id.reveal(), { name: full.name, credentialType: 1, credentialId: full.credential_id })
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

  test('an Identity cannot be built from JS', () => {
    assert.throws(() => new Identity())
  })
})
