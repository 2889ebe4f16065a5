// AbortSignal on every MerchantClient call: an aborted signal rejects with
// its reason (a DOMException named AbortError, as fetch) at once, and the
// native call is dropped, which cancels the HTTP request: a process whose
// only work is an aborted call against a server that hangs ends at once.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'

import wx from '../index.js'
import { here } from './helpers.mjs'
import { startSandbox } from './sandbox.mjs'

const { MerchantClient, Decryptor, sdk } = wx

/** How long the sandbox hangs an answer: longer than any test here waits. */
const HANG_MS = 60000

let sb
before(async () => {
  sb = await startSandbox()
})
after(() => sb.stop())
afterEach(() => sb.clearFaults())

/** A client whose timeout outlasts the hang (only an abort ends a call). */
const client = () => new MerchantClient({ ...sb.dev.merchantConfig(), timeoutMs: HANG_MS * 2, maxRetries: 0 })

async function rawdataFor (deviceId) {
  const face = sb.emulator(deviceId)
  sdk.parseResponse('initWxpayface', await face.call(sdk.initRequest()))
  return sdk.parseResponse('getWxpayfaceRawdata', await face.call(sdk.rawdataRequest())).rawdata
}

/** Every abortable call, with its options last. */
async function calls () {
  const deviceId = sb.device()
  const rawdata = await rawdataFor(deviceId)
  const d = new Decryptor(sb.dev.merchantConfig().decryptKeyPem)
  return {
    getAuthinfo: [(c, o) => c.getAuthinfo({ rawdata, deviceId }, o), 'authinfo'],
    queryUser: [(c, o) => c.queryUser('FACE_SID_X', undefined, o), 'users'],
    queryUserSigned: [(c, o) => c.queryUserSigned('FACE_SID_X', 'ASK_UNIONID', o), 'users'],
    fetchRealName: [(c, o) => c.fetchRealName('FACE_SID_X', d, o), 'users'],
    refreshPlatformCertificates: [(c, o) => c.refreshPlatformCertificates(o), 'certificates']
  }
}

function isAbortError (e) {
  return e instanceof DOMException && e.name === 'AbortError'
}

describe('AbortSignal', () => {
  test('an already aborted signal rejects with its reason and sends nothing', async () => {
    for (const [name, [call]] of Object.entries(await calls())) {
      const c = client()
      const err = await call(c, { signal: AbortSignal.abort() }).then(() => null, (e) => e)
      assert.ok(isAbortError(err), `${name}: ${err}`)
      assert.equal(c.stats().httpRequests, 0, name)
      // A reason of the caller's own is the rejection, as with fetch.
      const reason = new Error('closing')
      assert.equal(await call(c, { signal: AbortSignal.abort(reason) }).then(() => null, (e) => e), reason)
    }
  })

  test('aborting a call that hangs rejects at once with AbortError', async () => {
    for (const [name, [call, endpoint]] of Object.entries(await calls())) {
      await sb.clearFaults()
      await sb.fault({ endpoint, kind: 'latency', latency_ms: HANG_MS, next: 1 })
      const c = client()
      const ac = new AbortController()
      const started = Date.now()
      const p = call(c, { signal: ac.signal })
      setTimeout(() => ac.abort(), 300)
      const err = await p.then(() => null, (e) => e)
      const took = Date.now() - started
      assert.ok(isAbortError(err), `${name}: ${err}`)
      assert.ok(took < 3000, `${name} took ${took} ms`)
      assert.equal(c.stats().httpRequests, 1, name)
    }
  })

  test('aborting the caller that fetches an authinfo leaves a concurrent caller its answer', async () => {
    await sb.fault({ endpoint: 'authinfo', kind: 'latency', latency_ms: HANG_MS, next: 1 })
    const c = client()
    const deviceId = sb.device()
    const rawdata = await rawdataFor(deviceId)
    const ac = new AbortController()
    const first = c.getAuthinfo({ rawdata, deviceId }, { signal: ac.signal })
    const second = c.getAuthinfo({ rawdata, deviceId })
    setTimeout(() => ac.abort(), 300)
    const started = Date.now()
    assert.ok(isAbortError(await first.then(() => null, (e) => e)))
    // The second caller waited on the first's request; it sends its own.
    const answer = await second
    assert.equal(typeof answer.authinfo, 'string')
    assert.equal(answer.fromCache, false)
    assert.ok(Date.now() - started < 3000)
    assert.equal(c.stats().httpRequests, 2)
  })

  test('a signal that never aborts changes nothing; options without a signal are fine', async () => {
    const c = new MerchantClient(sb.dev.merchantConfig())
    const ac = new AbortController()
    await assert.rejects(c.queryUser('FACE_SID_NEVER_ISSUED', undefined, { signal: ac.signal }), wx.BackendError)
    await assert.rejects(c.queryUser('FACE_SID_NEVER_ISSUED', null, {}), wx.BackendError)
    // Aborting after the call settled is nothing.
    ac.abort()
    const deviceId = sb.device()
    const rawdata = await rawdataFor(deviceId)
    const a = await c.getAuthinfo({ rawdata, deviceId }, { signal: new AbortController().signal })
    assert.equal(typeof a.authinfo, 'string')
  })

  test('wrong options are refused', async () => {
    const c = client()
    assert.throws(() => c.queryUser('FACE_SID_X', undefined, 'fast'), TypeError)
    assert.throws(() => c.queryUser('FACE_SID_X', undefined, { signal: {} }), TypeError)
  })

  test('the request is cancelled: a process with only an aborted call in flight ends at once', () => {
    // The child's client asks this sandbox, which hangs every answer; the
    // child aborts after 300 ms. A native call still in flight would keep
    // the child's event loop alive until the answer (HANG_MS) or the
    // timeout; dropped, it lets the child end. The control, without an
    // abort, is ended by its own client timeout instead.
    const script = (abort) => `
      const wx = require(${JSON.stringify(join(here, '..', 'index.js'))})
      const config = JSON.parse(require('node:fs').readFileSync(0, 'utf8'))
      const c = new wx.MerchantClient({ ...config, maxRetries: 0 })
      const ac = new AbortController()
      const started = Date.now()
      c.queryUser('FACE_SID_X', undefined, { signal: ac.signal }).then(
        () => console.log('answered'),
        (e) => console.log(e.name, Date.now() - started))
      ${abort ? 'setTimeout(() => ac.abort(), 300)' : ''}
    `
    const run = (abort, timeoutMs) => {
      const started = Date.now()
      const out = spawnSync(process.execPath, ['-e', script(abort)], {
        input: JSON.stringify({ ...sb.dev.merchantConfig(), timeoutMs }),
        encoding: 'utf8',
        timeout: 30000
      })
      return { ...out, took: Date.now() - started }
    }
    return (async () => {
      await sb.fault({ endpoint: 'users', kind: 'latency', latency_ms: HANG_MS, next: 2 })
      const aborted = run(true, 20000)
      assert.equal(aborted.status, 0, aborted.stderr)
      assert.match(aborted.stdout, /^AbortError \d+/)
      const control = run(false, 2500)
      assert.equal(control.status, 0, control.stderr)
      assert.match(control.stdout, /^TransportError \d+/)
      // Start-up costs both the same; the control waits its 2.5 s timeout.
      assert.ok(control.took >= 2500, `control ${control.took} ms`)
      assert.ok(aborted.took < control.took - 1000, `aborted ${aborted.took} ms, control ${control.took} ms`)
    })()
  })
})
