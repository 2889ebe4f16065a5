// No decryption oracle through the binding: tests/vectors/v3/signed_answers.json
// (made by tests/vectors/gen/gen_oracle.py with Python `cryptography`), each
// case's body signed afresh by the running sandbox and handed to a
// RealNameReceiver. Valid answers decrypt to the expected identity; every bad
// ciphertext gives one and the same DecryptionError, byte for byte; tampered,
// stale, unknown-key, unsigned and error answers are refused before anything
// is decrypted.
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { after, before, describe, test } from 'node:test'

import wx from '../index.js'
import { exposed, key, settle, vectors } from './helpers.mjs'
import { startSandbox } from './sandbox.mjs'

const { RealNameReceiver, SignedAnswer } = wx

const FILE = vectors('v3/signed_answers.json')
const CASES = FILE.tests
const VALID_BODY = Object.fromEntries(CASES.filter((c) => c.result === 'valid').map((c) => [c.group, c.body]))
const NAME = CASES.find((c) => c.result === 'valid').expected.name
const ID = CASES.find((c) => c.result === 'valid').expected.credential_id

let sb
let cfg
before(async () => {
  sb = await startSandbox()
  cfg = sb.dev.merchantConfig()
})
after(() => sb.stop())

/** `POST /_sandbox/sign-answer`: `body` signed now by a sandbox platform key. */
async function signAnswer (body, extra = {}) {
  const r = await fetch(`${sb.dev.sandboxUrl}/_sandbox/sign-answer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ body, ...extra })
  })
  assert.equal(r.status, 200, await r.clone().text())
  return r.json()
}

/** The hospital's receiver: the sandbox's platform public key, the vectors' merchant key. */
function receiver (padding) {
  return new RealNameReceiver({
    privateKeyPem: key(FILE.privateKeyPem),
    platformPublicKeyPem: cfg.platformPublicKeyPem,
    pubKeyId: cfg.platformPublicKeyId,
    padding
  })
}

/** The case's answer, signed afresh, with its tampering reproduced on it. */
async function freshAnswer (tc) {
  const pub = { serial: cfg.platformPublicKeyId }
  if (tc.answer.status !== 200) return signAnswer(tc.body, { ...pub, status: tc.answer.status })
  const c = tc.comment
  if (c.startsWith('tampered: body changed')) {
    // Signed over the valid body, forwarded with another one.
    const a = await signAnswer(VALID_BODY[tc.group], pub)
    assert.notEqual(a.body, tc.body)
    return { ...a, body: tc.body }
  }
  if (c.startsWith('tampered: signed by an unknown key')) {
    // Signed by the sandbox's platform certificate, which this receiver does not trust.
    const a = await signAnswer(tc.body)
    assert.notEqual(a.headers['Wechatpay-Serial'], cfg.platformPublicKeyId)
    return a
  }
  const a = await signAnswer(tc.body, pub)
  if (c.startsWith('tampered: signature of a stale answer')) {
    a.headers['Wechatpay-Timestamp'] = String(Number(a.headers['Wechatpay-Timestamp']) - 600)
  } else if (c.startsWith('tampered: signature header removed')) {
    delete a.headers['Wechatpay-Signature']
  } else {
    assert.ok(!c.startsWith('tampered'), c)
  }
  return a
}

describe('RealNameReceiver (tests/vectors/v3/signed_answers.json, signed by the sandbox)', () => {
  test('the vector file is what this test expects', () => {
    assert.equal(CASES.length, FILE.numberOfTests)
    assert.ok(CASES.filter((c) => c.oracle).length >= 15)
    assert.deepEqual(Object.keys(VALID_BODY).sort(), ['oaep-sha1', 'pkcs1v15'])
  })

  const oracle = []
  for (const tc of CASES) {
    test(`tcId ${tc.tcId} (${tc.group}): ${tc.comment}`, async () => {
      const r = receiver(tc.group)
      const json = JSON.stringify(await freshAnswer(tc))
      // The same answer in every form receive() takes.
      const forms = [json, Buffer.from(json), SignedAnswer.fromJson(json)]
      const outcomes = await Promise.all(forms.map((f) => settle(r.receive(f))))
      if (tc.result === 'valid') {
        for (const [id, err] of outcomes) {
          assert.equal(err, null, err && `${err.code}: ${err.message}`)
          assert.ok(id instanceof wx.RealName)
          assert.deepEqual(exposed(id), {
            name: tc.expected.name,
            credentialType: tc.expected.credential_type,
            credentialId: tc.expected.credential_id
          })
          for (const shown of [String(id), inspect(id), JSON.stringify(id)]) {
            assert.ok(!shown.includes(tc.expected.name), shown)
            assert.ok(!shown.includes(tc.expected.credential_id), shown)
          }
        }
        return
      }
      for (const [id, err] of outcomes) {
        assert.equal(id, undefined)
        assert.ok(err instanceof wx.WxfaceError, String(err))
        assert.equal(err.code, tc.code, `${err.code}: ${err.message}`)
        if (tc.oracle) {
          assert.ok(err instanceof wx.DecryptionError)
          assert.equal(err.name, 'DecryptionError')
          oracle.push({ tcId: tc.tcId, name: err.name, code: err.code, message: err.message, keys: Object.keys(err).sort() })
        } else {
          // Refused before decryption: never the decryption error.
          assert.ok(!(err instanceof wx.DecryptionError))
          if (tc.code.startsWith('signature_')) {
            assert.ok(err instanceof wx.SignatureError)
            assert.equal(err.kind, 'signature')
          } else {
            assert.ok(err instanceof wx.BackendError)
            assert.equal(err.status, tc.answer.status)
          }
        }
        for (const text of [err.message, String(err), inspect(err)]) {
          assert.ok(!text.includes(NAME) && !text.includes(ID), text)
        }
      }
    })
  }

  test('every bad ciphertext gives the same error, byte for byte', () => {
    const expected = CASES.filter((c) => c.oracle).length * 3
    assert.equal(oracle.length, expected, 'every oracle case ran (and ran first)')
    const distinct = new Set(oracle.map(({ name, code, message, keys }) => JSON.stringify({ name, code, message, keys })))
    assert.equal(distinct.size, 1, [...distinct].join('\n'))
    assert.equal(oracle[0].code, 'decryption')
  })
})
