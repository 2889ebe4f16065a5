// The error classes: the drift test of the generated table against the
// core's catalogue, the class of every code, the WeChat fields, and what
// happens without the JS wrapper.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import { Worker } from 'node:worker_threads'

import wx from '../index.js'

const require = createRequire(import.meta.url)
const native = require('../native.js')
const { errors } = wx

describe('error codes', () => {
  const catalogue = native.__errorCatalogue()

  test('drift: the JS table has exactly the codes Rust can produce', () => {
    const rust = catalogue.map(([code]) => code)
    assert.deepEqual(wx.errorCodes(), rust)
    assert.deepEqual(Object.keys(errors.CODES).sort(), [...rust].sort())
  })

  test('drift: every Rust kind has its JS class, named as Rust names it', () => {
    const kinds = new Map(catalogue.map(([, kind, className]) => [kind, className]))
    assert.deepEqual([...kinds.keys()].sort(), Object.keys(errors.KINDS).sort())
    for (const [code, kind, className] of catalogue) {
      assert.equal(errors.KINDS[kind].name, className)
      assert.equal(errors.CODES[code], errors.KINDS[kind], code)
      assert.equal(wx[className], errors.KINDS[kind], `${className} is exported`)
    }
  })

  test('every code maps to a subclass of WxfaceError and Error', () => {
    for (const [code, cls] of Object.entries(errors.CODES)) {
      assert.ok(cls.prototype instanceof wx.WxfaceError, code)
      assert.ok(cls.prototype instanceof Error, code)
    }
  })
})

describe('errors thrown by the binding', () => {
  const samples = native.__sampleErrors()

  test('one sample per code, each an instance of its class', () => {
    assert.deepEqual(samples.map((e) => e.code).sort(), [...wx.errorCodes()].sort())
    for (const e of samples) {
      const cls = errors.CODES[e.code]
      assert.ok(e instanceof cls, `${e.code} is a ${cls.name}`)
      assert.ok(e instanceof wx.WxfaceError)
      assert.ok(e instanceof Error)
      assert.equal(e.name, cls.name)
      assert.equal(typeof e.message, 'string')
      assert.ok(e.message.length > 0)
      assert.equal(typeof e.kind, 'string')
      assert.ok(e.stack.includes(e.name))
    }
  })

  test('BackendError carries WeChat\'s code, message and status', () => {
    const e = samples.find((s) => s.code === 'backend')
    assert.ok(e instanceof wx.BackendError)
    assert.equal(e.wechatCode, 'SYSTEM_ERROR')
    assert.equal(e.wechatMessage, '系统错误')
    assert.equal(e.status, 500)
    assert.equal(e.retryable, true)
  })

  test('SdkError carries return_code, return_msg and err_code', () => {
    const e = samples.find((s) => s.code === 'sdk')
    assert.ok(e instanceof wx.SdkError)
    assert.equal(e.returnCode, 'ERROR')
    assert.equal(e.errCode, '271382020')
    assert.equal(e.cmd, 'getWxpayfaceCode')
    assert.equal(wx.sdk.classifyError(e), 'authinfo_expired')
  })

  test('SignatureError says which check failed', () => {
    const sig = samples.filter((s) => s instanceof wx.SignatureError)
    assert.equal(sig.length, 5)
    assert.equal(new Set(sig.map((e) => e.code)).size, 5)
    for (const e of sig) {
      assert.equal(e.kind, 'signature')
      assert.match(e.code, /^signature_/)
    }
  })

  test('the other classes carry their fields', () => {
    const by = (c) => samples.find((s) => s.code === c)
    assert.equal(by('invalid_input').field, 'store_id')
    assert.equal(by('sdk_version').required, '1.20')
    assert.equal(by('sdk_version').target, '1.16')
    assert.equal(by('state').state, 'ready')
    assert.equal(by('transport').name, 'TransportError')
    assert.equal(by('transport').transportKind, 'connect')
    assert.equal(by('transport').retryable, true)
    assert.ok(by('unauthenticated') instanceof wx.UnauthenticatedError)
    assert.equal(by('unauthenticated').kind, 'unauthenticated')
    assert.equal(by('unauthenticated').retryable, false)
    assert.deepEqual(wx.errors.fromInfo(by('unauthenticated').info()).info(), by('unauthenticated').info())
  })

  test('a real failure from the core is mapped the same way', () => {
    assert.throws(() => wx.sdk.authRequest({ authinfo: '', faceSid: 'f' }),
      (e) => e instanceof wx.InvalidInputError && e.code === 'invalid_input' && e.field === 'authinfo')
  })
})

describe('without the JS wrapper', () => {
  test('the bare native module throws plain Errors with the same name and code', async () => {
    const src = `
      const { parentPort } = require('node:worker_threads')
      const native = require(${JSON.stringify(require.resolve('../native.js'))})
      try { native.sdk.authRequest({ authinfo: '', faceSid: 'f' }) } catch (e) {
        parentPort.postMessage({ isError: e instanceof Error, name: e.name, code: e.code, field: e.field, message: e.message })
      }`
    const msg = await new Promise((resolve, reject) => {
      const w = new Worker(src, { eval: true })
      w.once('message', resolve)
      w.once('error', reject)
    })
    assert.deepEqual(msg, {
      isError: true,
      name: 'InvalidInputError',
      code: 'invalid_input',
      field: 'authinfo',
      message: 'invalid input: `authinfo` is required'
    })
  })
})
