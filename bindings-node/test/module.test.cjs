// The package works from CommonJS (`require`) and from ESM (`import`), and
// both give the same objects.
'use strict'
const assert = require('node:assert/strict')
const { test } = require('node:test')

const wx = require('..')

test('require() gives the API and the error classes', () => {
  assert.equal(typeof wx.sdk.rawdataRequest, 'function')
  assert.equal(typeof wx.v2.sign, 'function')
  assert.equal(typeof wx.v3.MerchantSigner, 'function')
  assert.equal(typeof wx.Decryptor, 'function')
  assert.ok(wx.BackendError.prototype instanceof wx.WxfaceError)
  const json = wx.sdk.rawdataRequest({ now: 1540901425 })
  assert.equal(json, '{"cmd":"getWxpayfaceRawdata","version":"1","now":1540901425}')
  assert.throws(() => wx.sdk.rawdataRequest({ now: -1 }), wx.InvalidInputError)
})

test('import() gives the same objects, as named and default exports', async () => {
  const esm = await import('@wxface/node')
  assert.equal(esm.default, wx)
  const named = Object.keys(esm).filter((k) => k !== 'default').sort()
  const cjs = Object.keys(wx).sort()
  assert.deepEqual(named, cjs)
  for (const k of named) assert.equal(esm[k], wx[k], k)
})
