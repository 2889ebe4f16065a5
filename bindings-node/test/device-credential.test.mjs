// The kiosk's device credential: the reference merchant server lets in a
// kiosk with a live credential only. Without one, with a made-up or a
// revoked one, a verification fails with `UnauthenticatedError` (not
// retryable); text that is no credential is a `ConfigError` at
// construction. The credential is a secret: no error, outcome, progress
// event or printed object shows it, nor its secret part.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { after, before, describe, test } from 'node:test'

import wx from '../index.js'
import { recorder, startSandbox } from './sandbox.mjs'

const { Kiosk } = wx
const FORMAT = /^wxfd1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/
const DEFAULT_DEVICE = 'FRONT-DESK-01'

let sb
before(async () => {
  sb = await startSandbox({ deviceId: DEFAULT_DEVICE })
})
after(() => sb.stop())

/** A well-formed credential the server never issued. */
function madeUp () {
  return `wxfd1.${randomBytes(8).toString('hex')}.${randomBytes(32).toString('base64url')}`
}

/** Everything a value shows: String, JSON, util.inspect (hidden too), own properties. */
function shown (v) {
  const parts = [String(v), inspect(v, { depth: 6, showHidden: true })]
  try { parts.push(JSON.stringify(v)) } catch { parts.push('(no JSON)') }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) parts.push(`${k}=${inspect(x, { depth: 6 })}`)
    if (typeof v.info === 'function') parts.push(JSON.stringify(v.info()))
    if (typeof v.message === 'string') parts.push(v.message)
  }
  return parts.join('\n')
}

/** Neither the credential nor its secret part (nor its key id with it) shows in `text`. */
function assertHidden (text, credential, what) {
  const secret = credential.split('.')[2]
  assert.ok(!text.includes(credential), `${what} shows the credential`)
  assert.ok(!text.includes(secret), `${what} shows the credential's secret`)
}

/** A started kiosk of `deviceId` against the dev server's merchant API. */
async function kiosk (deviceId, deviceCredential) {
  const config = sb.config(deviceId)
  if (deviceCredential === undefined) delete config.deviceCredential
  else config.deviceCredential = deviceCredential
  const k = new Kiosk(config, sb.emulator(deviceId))
  await k.start()
  return k
}

/** The verification fails at the authinfo step with an `UnauthenticatedError` that does not show `credential`. */
async function assertRefused (k, credential) {
  const rec = recorder()
  const outcome = await k.verify({ isAlreadyVerified: () => false, onProgress: rec.onProgress })
  assert.equal(outcome.kind, 'failed')
  assert.equal(outcome.step, 'fetching_authinfo')
  const e = outcome.error
  assert.ok(e instanceof wx.UnauthenticatedError, `${e && e.name}: ${e && e.message}`)
  assert.ok(e instanceof wx.WxfaceError)
  assert.ok(e instanceof Error)
  assert.equal(e.name, 'UnauthenticatedError')
  assert.equal(e.code, 'unauthenticated')
  assert.equal(e.kind, 'unauthenticated')
  assert.equal(e.retryable, false)
  assert.equal(e.info().code, 'unauthenticated')
  assert.ok(e.message.length > 0)
  // The step's progress event carries the same error.
  const failed = rec.events.find((ev) => ev.type === 'step_finished' && ev.status === 'error')
  assert.ok(failed && failed.error instanceof wx.UnauthenticatedError)
  if (credential) {
    assertHidden(shown(e), credential, 'the error')
    assertHidden(shown(outcome), credential, 'the outcome')
    assertHidden(rec.events.map(shown).join('\n'), credential, 'the progress events')
    assertHidden(shown(k), credential, 'the kiosk')
  }
  return e
}

describe('the dev server issues device credentials', () => {
  test('one for options.deviceId at start, more on request, each of the credential format', () => {
    assert.equal(sb.dev.deviceId, DEFAULT_DEVICE)
    assert.match(sb.dev.deviceCredential, FORMAT)
    assert.equal(sb.dev.deviceCredential, sb.dev.deviceCredential, 'the same one every time it is read')
    const a = sb.dev.issueDeviceCredential('ISSUED-1')
    const b = sb.dev.issueDeviceCredential('ISSUED-1')
    assert.match(a, FORMAT)
    assert.match(b, FORMAT)
    assert.notEqual(a, b, 'each issue is a new credential')
    assert.notEqual(a, sb.dev.deviceCredential)
    assert.throws(() => sb.dev.issueDeviceCredential(''), (e) => e instanceof wx.InvalidInputError && e.field === 'device_id')
    assert.throws(() => sb.dev.issueDeviceCredential('D'.repeat(33)), (e) => e instanceof wx.InvalidInputError && e.field === 'device_id')
    assert.equal(sb.dev.revokeDeviceCredential('ISSUED-1'), 2)
    assert.equal(sb.dev.revokeDeviceCredential('ISSUED-1'), 0, 'nothing live left to revoke')
    assert.equal(sb.dev.revokeDeviceCredential('NEVER-ISSUED'), 0)
  })

  test('the default device id is the emulator\'s', async () => {
    const dev = await wx.dev.startDevServer()
    try {
      assert.equal(dev.deviceId, 'EMU-DEVICE-01')
      assert.match(dev.deviceCredential, FORMAT)
      assert.notEqual(dev.deviceCredential, sb.dev.deviceCredential, 'a new credential at every start')
    } finally {
      await dev.stop()
    }
  })

  test('a bad deviceId option is refused', async () => {
    await assert.rejects(wx.dev.startDevServer({ deviceId: '' }), (e) => e instanceof wx.InvalidInputError && e.field === 'device_id')
  })

  test('the dev server does not print its credentials', () => {
    assertHidden(shown(sb.dev), sb.dev.deviceCredential, 'the dev server')
  })
})

describe('a kiosk with a live credential', () => {
  test('the default device with deviceCredential: verified', async () => {
    const k = await kiosk(DEFAULT_DEVICE, sb.dev.deviceCredential)
    const outcome = await k.verify({ isAlreadyVerified: () => false })
    assert.equal(outcome.kind, 'verified', outcome.error && String(outcome.error))
    assertHidden(shown(outcome), sb.dev.deviceCredential, 'the outcome')
    assertHidden(shown(k), sb.dev.deviceCredential, 'the kiosk')
    await k.shutdown()
  })

  test('surrounding whitespace (a line read from a file) is ignored', async () => {
    const d = sb.device()
    const k = await kiosk(d, `${sb.credential(d)}\n`)
    assert.equal((await k.verify({ isAlreadyVerified: () => false })).kind, 'verified')
    await k.shutdown()
  })
})

describe('a kiosk the merchant server refuses: UnauthenticatedError', () => {
  test('no deviceCredential', async () => {
    const k = await kiosk(sb.device(), undefined)
    await assertRefused(k)
    await k.shutdown()
  })

  test('a made-up credential', async () => {
    const c = madeUp()
    const k = await kiosk(sb.device(), c)
    await assertRefused(k, c)
    await k.shutdown()
  })

  test('a live key id with another secret', async () => {
    const d = sb.device()
    const [prefix, keyId] = sb.credential(d).split('.')
    const c = `${prefix}.${keyId}.${randomBytes(32).toString('base64url')}`
    const k = await kiosk(d, c)
    await assertRefused(k, c)
    await k.shutdown()
  })

  test('a revoked credential: refused from the next request on', async () => {
    const d = sb.device()
    const c = sb.credential(d)
    const k = await kiosk(d, c)
    assert.equal((await k.verify({ isAlreadyVerified: () => false })).kind, 'verified')
    assert.equal(sb.dev.revokeDeviceCredential(d), 1)
    await k.invalidateAuthinfo() // else the cached authinfo serves the next patient
    const e = await assertRefused(k, c)
    assert.match(e.message, /revoked/)
    await k.shutdown()
  })

  test('revoked by key id', async () => {
    const d = sb.device()
    const c = sb.credential(d)
    assert.equal(sb.dev.revokeDeviceCredential(c.split('.')[1]), 1)
    const k = await kiosk(d, c)
    await assertRefused(k, c)
    await k.shutdown()
  })

  test('the credential of another device: the body\'s device id must be the credential\'s', async () => {
    const c = sb.credential(sb.device())
    const k = await kiosk(sb.device(), c)
    const outcome = await k.verify({ isAlreadyVerified: () => false })
    assert.equal(outcome.kind, 'failed')
    assert.ok(outcome.error instanceof wx.InvalidInputError, String(outcome.error))
    assert.equal(outcome.error.field, 'device_id')
    assertHidden(shown(outcome), c, 'the outcome')
    await k.shutdown()
  })
})

describe('a credential that is not one never reaches the server, nor any message', () => {
  const device = () => sb.device()
  const live = () => sb.credential(sb.device())
  const bad = [
    ['not a credential', () => 'not-a-credential-张三丰'],
    ['truncated', () => live().slice(0, -1)],
    ['another prefix', () => live().replace(/^wxfd1/, 'wxfd2')],
    ['upper-case key id', () => { const [p, k, s] = live().split('.'); return `${p}.${k.toUpperCase().replace(/^./, 'A')}.${s}` }],
    ['the header value', () => `Bearer ${live()}`],
    ['inner line break', () => { const c = live(); return `${c.slice(0, 30)}\n${c.slice(30)}` }]
  ]
  for (const [what, make] of bad) {
    test(what, () => {
      const c = make()
      const config = { ...sb.config(device()), deviceCredential: c }
      let thrown
      assert.throws(() => new Kiosk(config, sb.emulator('K')), (e) => { thrown = e; return e instanceof wx.ConfigError })
      assert.equal(thrown.retryable, false)
      assert.match(thrown.message, /device credential/)
      assert.ok(!shown(thrown).includes(c), 'the error shows the text')
      const secretish = c.split('.').pop()
      if (secretish.length >= 20) assert.ok(!shown(thrown).includes(secretish.slice(0, 20)), 'the error shows part of the text')
    })
  }

  test('with a JS backend: refused, the backend authenticates its own requests', () => {
    const c = live()
    const { merchantUrl, ...config } = sb.config(sb.device(), { deviceCredential: c })
    assert.ok(merchantUrl)
    const backend = { authinfo () { throw new Error('unused') }, realName () { throw new Error('unused') } }
    let thrown
    assert.throws(() => new Kiosk({ ...config, backend }, sb.emulator('K')), (e) => { thrown = e; return e instanceof wx.ConfigError })
    assert.match(thrown.message, /deviceCredential/)
    assertHidden(shown(thrown), c, 'the error')
  })
})
