// The kiosk flow end to end against the WeChat Pay sandbox and the reference
// merchant server: every outcome, cancellation, authinfo refresh, backend
// faults, JS backends, the lifecycle, and the emulator library through the
// vendor's C ABI.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import wx from '../index.js'
import { emulatorLibrary, recorder, startSandbox } from './sandbox.mjs'

const { FaceSdk, Kiosk } = wx
const notVerified = () => false

// Two sandboxes: by default the spec's table (a recognition answer with
// face_sid carries no openid: the merchant server resolves it), and the
// older answers that carry the openid too.
const SPEC = 'spec table'
const LEGACY = 'openid with face_sid'
let sb
let legacy
let people
before(async () => {
  sb = await startSandbox()
  legacy = await startSandbox({ sandboxConfigJson: '{"openid_with_face_sid":true}' })
  people = await sb.identities()
})
after(async () => {
  await sb.stop()
  await legacy.stop()
})
const box = (mode) => (mode === LEGACY ? legacy : sb)

/** A started kiosk on a fresh device with an in-process emulator. */
async function kioskWith (emu = {}, extra = {}, mode = SPEC) {
  const s = box(mode)
  const deviceId = s.device()
  const sdk = s.emulator(deviceId, emu)
  const kiosk = new Kiosk(s.config(deviceId, extra), sdk)
  await kiosk.start()
  return { kiosk, sdk, deviceId }
}

/** The sandbox persons' ID numbers are 18 characters: none may appear unmasked. */
function assertNoFullIdentity (value) {
  assert.doesNotMatch(JSON.stringify(value), /\d{17}[\dX]/)
}

describe('verified', () => {
  for (const mode of [SPEC, LEGACY]) {
  test(`consent: masked identity, openid, face_sid, progress in order (${mode})`, async () => {
    const { kiosk } = await kioskWith({ person: 'patient-b' }, {}, mode)
    const rec = recorder()
    const outcome = await kiosk.verify({ isAlreadyVerified: notVerified, onProgress: rec.onProgress })
    const b = people.find((p) => p.key === 'patient-b')
    assert.equal(outcome.kind, 'verified')
    assert.deepEqual(outcome.identity, {
      name: b.masked.name,
      credentialType: b.masked.credential_type,
      credentialId: b.masked.credential_id
    })
    assert.equal(outcome.openid, mode === LEGACY ? b.openid : undefined)
    assert.equal(typeof outcome.faceSid, 'string')
    assert.deepEqual(rec.steps(), [
      'reading_rawdata', 'fetching_authinfo', 'recognising', 'checking_verified',
      'asking_consent', 'fetching_real_name'
    ])
    assert.ok(rec.events.filter((e) => e.type === 'step_finished').every((e) => e.status === 'ok'))
    const last = rec.events.at(-1)
    assert.equal(last.type, 'finished')
    assert.equal(last.outcome, 'verified')
    assert.ok(last.elapsedMs >= 0)
    assertNoFullIdentity({ outcome, events: rec.events })
    await kiosk.shutdown()
  })
  }

  test('the cached authinfo serves the next patient', async () => {
    const { kiosk } = await kioskWith({ person: 'patient-c' })
    await kiosk.verify({ isAlreadyVerified: notVerified })
    const exp = await kiosk.authinfoExpiresAt()
    assert.ok(exp > Date.now() / 1000)
    const rec = recorder()
    const again = await kiosk.verify({ isAlreadyVerified: notVerified, onProgress: rec.onProgress })
    assert.equal(again.kind, 'verified')
    assert.ok(!rec.steps().includes('fetching_authinfo'), 'no second authinfo request')
    await kiosk.invalidateAuthinfo()
    assert.equal(await kiosk.authinfoExpiresAt(), null)
    await kiosk.shutdown()
  })
})

describe('already verified → quit', () => {
  for (const mode of [SPEC, LEGACY]) {
  test(`the merchant server knows the patient after a first verification (${mode})`, async () => {
    const { kiosk } = await kioskWith({ person: 'patient-d' }, {}, mode)
    assert.equal((await kiosk.verify()).kind, 'verified')
    const rec = recorder()
    const outcome = await kiosk.verify({ onProgress: rec.onProgress })
    assert.equal(outcome.kind, 'already_verified')
    assert.equal(outcome.openid, mode === LEGACY ? people.find((p) => p.key === 'patient-d').openid : undefined)
    assert.equal(outcome.identity, undefined)
    // SDK ≥ 1.20: getWxpayAuth with quit_face_auth=1, never the consent screen.
    assert.ok(rec.steps().includes('quitting'))
    assert.ok(!rec.steps().includes('asking_consent'))
    await kiosk.shutdown()
  })
  }

  // The kiosk's own hook decides by the openid the SDK returned: the older
  // answers only.
  test('an async isAlreadyVerified decides, with who was recognised', async () => {
    const { kiosk } = await kioskWith({ person: 'patient-e' }, {}, LEGACY)
    const seen = []
    const outcome = await kiosk.verify({
      isAlreadyVerified: async (who) => {
        seen.push(who)
        await new Promise((resolve) => setTimeout(resolve, 20))
        return who.openid === people.find((p) => p.key === 'patient-e').openid
      }
    })
    assert.equal(outcome.kind, 'already_verified')
    assert.equal(seen.length, 1)
    assert.equal(seen[0].faceSid, outcome.faceSid)
    await kiosk.shutdown()
  })

  test('before SDK 1.20 there is no quit call', async () => {
    const { kiosk } = await kioskWith({ person: 'patient-a', sdkVersion: '1.19' }, { sdkVersion: '1.19' })
    const rec = recorder()
    const outcome = await kiosk.verify({ isAlreadyVerified: () => true, onProgress: rec.onProgress })
    assert.equal(outcome.kind, 'already_verified')
    assert.ok(!rec.steps().includes('quitting'))
    await kiosk.shutdown()
  })
})

describe('refused and cancelled', () => {
  test('consent refused', async () => {
    const { kiosk } = await kioskWith({ outcome: 'refuse' })
    const outcome = await kiosk.verify({ isAlreadyVerified: notVerified })
    assert.equal(outcome.kind, 'consent_refused')
    assert.equal(typeof outcome.faceSid, 'string')
    assert.equal(outcome.identity, undefined)
    await kiosk.shutdown()
  })

  test('the patient cancels on the SDK screen', async () => {
    const { kiosk } = await kioskWith({ outcome: 'user_cancel' })
    assert.deepEqual(await kiosk.verify(), { kind: 'cancelled' })
    await kiosk.shutdown()
  })

  test('an AbortSignal cancels a slow recognition', async () => {
    const { kiosk } = await kioskWith({ latencyMs: 800 })
    const ac = new AbortController()
    const rec = recorder()
    const p = kiosk.verify({
      isAlreadyVerified: notVerified,
      signal: ac.signal,
      onProgress: (e) => {
        rec.onProgress(e)
        if (e.type === 'step_started' && e.step === 'recognising') setTimeout(() => ac.abort(), 100)
      }
    })
    assert.deepEqual(await p, { kind: 'cancelled' })
    assert.ok(rec.events.some((e) => e.type === 'cancel_requested'))
    assert.ok(!rec.steps().includes('fetching_real_name'))
    // The kiosk is ready for the next patient.
    assert.equal((await kiosk.verify({ isAlreadyVerified: notVerified })).kind, 'verified')
    await kiosk.shutdown()
  })

  test('an already aborted signal ends the verification at once', async () => {
    const { kiosk } = await kioskWith()
    const rec = recorder()
    const outcome = await kiosk.verify({ signal: AbortSignal.abort(), onProgress: rec.onProgress })
    assert.deepEqual(outcome, { kind: 'cancelled' })
    assert.deepEqual(rec.steps(), [])
    await kiosk.shutdown()
  })

  test('kiosk.cancel() cancels the verification in progress', async () => {
    const { kiosk } = await kioskWith({ latencyMs: 600 })
    assert.equal(kiosk.cancel(), false)
    const p = kiosk.verify({
      onProgress: (e) => { if (e.step === 'recognising' && e.type === 'step_started') setTimeout(() => assert.equal(kiosk.cancel(), true), 50) }
    })
    assert.equal((await p).kind, 'cancelled')
    await kiosk.shutdown()
  })
})

describe('authinfo refresh', () => {
  test('an expired authinfo (271382020) is refreshed once and the patient verified', async () => {
    const { kiosk } = await kioskWith({ person: 'patient-a' })
    assert.equal((await kiosk.verify({ isAlreadyVerified: notVerified })).kind, 'verified')
    const expired = await sb.expire('authinfo')
    assert.ok(expired.expired_authinfos >= 1)
    const rec = recorder()
    const outcome = await kiosk.verify({ isAlreadyVerified: notVerified, onProgress: rec.onProgress })
    assert.equal(outcome.kind, 'verified')
    const steps = rec.steps()
    assert.equal(steps.filter((s) => s === 'recognising').length, 2, steps.join(','))
    assert.equal(steps.filter((s) => s === 'fetching_authinfo').length, 1, steps.join(','))
    const failedRecognition = rec.events.find((e) => e.type === 'step_finished' && e.step === 'recognising')
    assert.equal(failedRecognition.status, 'error')
    // What ended the step: the SDK's answer, as its WxfaceError.
    assert.ok(failedRecognition.error instanceof wx.SdkError, String(failedRecognition.error))
    assert.equal(wx.sdk.classifyError(failedRecognition.error), 'authinfo_expired')
    await kiosk.shutdown()
  })
})

describe('backend faults', () => {
  test('WeChat SYSTEM_ERROR on the identity query (after retries)', async () => {
    const { kiosk } = await kioskWith()
    await sb.fault({ endpoint: 'users', kind: 'system_error', next: 5 })
    try {
      const outcome = await kiosk.verify({ isAlreadyVerified: notVerified })
      assert.equal(outcome.kind, 'failed')
      assert.equal(outcome.step, 'fetching_real_name')
      assert.ok(outcome.error instanceof wx.BackendError, String(outcome.error))
      assert.equal(outcome.error.code, 'backend')
      assert.equal(outcome.error.wechatCode, 'SYSTEM_ERROR')
      assert.equal(typeof outcome.error.status, 'number')
    } finally {
      await sb.clearFaults()
    }
    await kiosk.shutdown()
  })

  test('a wrongly signed identity answer is never accepted', async () => {
    const { kiosk } = await kioskWith()
    await sb.fault({ endpoint: 'users', kind: 'bad_signature', next: 5 })
    try {
      const outcome = await kiosk.verify({ isAlreadyVerified: notVerified })
      assert.equal(outcome.kind, 'failed')
      assert.equal(outcome.step, 'fetching_real_name')
      assert.ok(outcome.error instanceof wx.SignatureError, String(outcome.error))
      assert.match(outcome.error.code, /^signature_/)
    } finally {
      await sb.clearFaults()
    }
    await kiosk.shutdown()
  })

  test('get_wxpayface_authinfo failing', async () => {
    const { kiosk } = await kioskWith()
    await sb.fault({ endpoint: 'authinfo', kind: 'rate_limited', next: 5 })
    try {
      const outcome = await kiosk.verify()
      assert.equal(outcome.kind, 'failed')
      assert.equal(outcome.step, 'fetching_authinfo')
      assert.ok(outcome.error instanceof wx.BackendError)
      assert.equal(outcome.error.wechatCode, 'FREQUENCY_LIMITED')
    } finally {
      await sb.clearFaults()
    }
    await kiosk.shutdown()
  })

  test('the merchant server unreachable', async () => {
    const deviceId = sb.device()
    const kiosk = new Kiosk(sb.config(deviceId, { merchantUrl: 'http://127.0.0.1:9', merchantTimeoutMs: 2000 }), sb.emulator(deviceId))
    await kiosk.start()
    const outcome = await kiosk.verify()
    assert.equal(outcome.kind, 'failed')
    assert.equal(outcome.step, 'fetching_authinfo')
    assert.ok(outcome.error instanceof wx.TransportError, String(outcome.error))
    assert.equal(outcome.error.transportKind, 'connect')
    assert.equal(outcome.error.retryable, true)
    assert.ok(!outcome.error.message.includes('127.0.0.1:9'), 'no URL in the message')
    await kiosk.shutdown()
  })

  test('the camera fails', async () => {
    const { kiosk } = await kioskWith({ outcome: 'camera_error' })
    const outcome = await kiosk.verify()
    assert.equal(outcome.kind, 'failed')
    assert.equal(outcome.step, 'recognising')
    assert.ok(outcome.error instanceof wx.SdkError)
    assert.equal(outcome.error.cmd, 'getWxpayfaceCode')
    await kiosk.shutdown()
  })

  test('isAlreadyVerified throwing fails the check; the thrown value is the cause', async () => {
    const { kiosk } = await kioskWith()
    const boom = new RangeError('registry offline')
    const rec = recorder()
    const outcome = await kiosk.verify({ isAlreadyVerified: () => { throw boom }, onProgress: rec.onProgress })
    assert.equal(outcome.kind, 'failed')
    assert.equal(outcome.step, 'checking_verified')
    assert.ok(outcome.error instanceof wx.InternalError, String(outcome.error))
    assert.match(outcome.error.message, /isAlreadyVerified/)
    assert.equal(outcome.error.cause, boom)
    assert.ok(!outcome.error.message.includes('registry offline'))
    // The SDK was told to quit before the failure was reported.
    assert.ok(rec.steps().includes('quitting'))
    await kiosk.shutdown()
  })
})

describe('a merchant backend written in JS', () => {
  function backendOn (client, log) {
    return {
      authinfo: async ({ rawdata, deviceId, refresh }) => {
        log.push(refresh ? 'refresh' : 'authinfo')
        if (refresh) client.invalidateAuthinfo(deviceId)
        const g = await client.getAuthinfo({ rawdata, deviceId })
        return { authinfo: g.authinfo, expiresIn: g.expiresIn }
      },
      isVerified: (who) => { log.push('isVerified'); return false },
      realName: async ({ faceSid }) => {
        log.push('realName')
        return (await client.fetchRealName(faceSid)).masked()
      }
    }
  }

  test('an in-process HIS: MerchantClient behind the kiosk', async () => {
    const client = new wx.MerchantClient(sb.dev.merchantConfig())
    const log = []
    const deviceId = sb.device()
    const { merchantUrl, deviceCredential, ...config } = sb.config(deviceId)
    const kiosk = new Kiosk({ ...config, backend: backendOn(client, log) }, sb.emulator(deviceId, { person: 'patient-b' }))
    await kiosk.start()
    const outcome = await kiosk.verify()
    assert.equal(outcome.kind, 'verified')
    assert.equal(outcome.identity.name, people.find((p) => p.key === 'patient-b').masked.name)
    assert.deepEqual(log, ['authinfo', 'isVerified', 'realName'])
    await kiosk.shutdown()
  })

  test('an expired authinfo is refreshed through the JS backend', async () => {
    const client = new wx.MerchantClient(sb.dev.merchantConfig())
    const log = []
    const deviceId = sb.device()
    const { merchantUrl, deviceCredential, ...config } = sb.config(deviceId)
    const kiosk = new Kiosk({ ...config, backend: backendOn(client, log) }, sb.emulator(deviceId))
    await kiosk.start()
    assert.equal((await kiosk.verify()).kind, 'verified')
    await sb.expire('authinfo')
    log.length = 0
    assert.equal((await kiosk.verify()).kind, 'verified')
    assert.deepEqual(log, ['refresh', 'isVerified', 'realName'])
    await kiosk.shutdown()
  })

  test('a backend error keeps WeChat\'s code and becomes the cause', async () => {
    const deviceId = sb.device()
    const { merchantUrl, deviceCredential, ...config } = sb.config(deviceId)
    const client = new wx.MerchantClient(sb.dev.merchantConfig())
    const backend = backendOn(client, [])
    await sb.fault({ endpoint: 'users', kind: 'system_error', next: 5 })
    try {
      const kiosk = new Kiosk({ ...config, backend }, sb.emulator(deviceId))
      await kiosk.start()
      const outcome = await kiosk.verify()
      assert.equal(outcome.kind, 'failed')
      assert.equal(outcome.step, 'fetching_real_name')
      assert.equal(outcome.error.wechatCode, 'SYSTEM_ERROR')
      assert.ok(outcome.error.cause instanceof wx.BackendError)
      await kiosk.shutdown()
    } finally {
      await sb.clearFaults()
    }
  })

  test('a backend failing without a WxfaceError is a TransportError; the thrown value is the cause', async () => {
    const deviceId = sb.device()
    const { merchantUrl, deviceCredential, ...config } = sb.config(deviceId)
    const refused = Object.assign(new TypeError('fetch failed: http://his.local'), { cause: { code: 'ECONNREFUSED' } })
    const backend = { authinfo: async () => { throw refused }, realName: async () => { throw refused } }
    const kiosk = new Kiosk({ ...config, backend }, sb.emulator(deviceId))
    await kiosk.start()
    const outcome = await kiosk.verify()
    assert.equal(outcome.kind, 'failed')
    assert.equal(outcome.step, 'fetching_authinfo')
    assert.ok(outcome.error instanceof wx.TransportError, String(outcome.error))
    assert.equal(outcome.error.transportKind, 'connect')
    assert.equal(outcome.error.cause, refused)
    assert.ok(!outcome.error.message.includes('his.local'), outcome.error.message)
    await kiosk.shutdown()
  })

  test('an unmasked identity from the backend is refused', async () => {
    const deviceId = sb.device()
    const { merchantUrl, deviceCredential, ...config } = sb.config(deviceId)
    const client = new wx.MerchantClient(sb.dev.merchantConfig())
    const backend = {
      ...backendOn(client, []),
      realName: async ({ faceSid }) => {
        const id = await client.fetchRealName(faceSid)
        return { name: id.exposeName(), credentialType: id.credentialType, credentialId: id.exposeCredentialId() }
      }
    }
    const kiosk = new Kiosk({ ...config, backend }, sb.emulator(deviceId))
    await kiosk.start()
    const outcome = await kiosk.verify()
    assert.equal(outcome.kind, 'failed')
    assert.ok(outcome.error instanceof wx.MalformedError)
    assertNoFullIdentity(outcome)
    await kiosk.shutdown()
  })
})

describe('lifecycle and configuration', () => {
  test('verify before start, start twice, after shutdown', async () => {
    const deviceId = sb.device()
    const kiosk = new Kiosk(sb.config(deviceId), sb.emulator(deviceId))
    assert.equal(await kiosk.state(), 'uninitialised')
    const early = await kiosk.verify()
    assert.equal(early.kind, 'failed')
    assert.ok(early.error instanceof wx.StateError)
    await kiosk.start()
    assert.equal(await kiosk.state(), 'ready')
    await assert.rejects(kiosk.start(), wx.StateError)
    await kiosk.shutdown()
    assert.equal(await kiosk.state(), 'released')
    const late = await kiosk.verify()
    assert.equal(late.kind, 'failed')
    assert.ok(late.error instanceof wx.StateError)
    await assert.rejects(kiosk.shutdown(), wx.StateError)
  })

  test('exactly one of merchantUrl and backend; field rules', () => {
    const sdk = sb.emulator('K')
    const base = { appid: 'wx1', mchId: '1900000001', storeId: 'S1', deviceId: 'K' }
    assert.throws(() => new Kiosk(base, sdk), wx.ConfigError)
    assert.throws(() => new Kiosk({ ...base, merchantUrl: 'http://x', backend: { authinfo () {}, realName () {} } }, sdk), wx.ConfigError)
    assert.throws(() => new Kiosk({ ...base, backend: { authinfo () {} } }, sdk), TypeError)
    assert.throws(() => new Kiosk({ ...base, deviceId: 'D'.repeat(33), merchantUrl: 'http://x' }, sdk),
      (e) => e instanceof wx.InvalidInputError && e.field === 'device_id')
    assert.throws(() => new Kiosk({ ...base, sdkVersion: '1.12', disableKeyboard: true, merchantUrl: 'http://x' }, sdk), wx.SdkVersionError)
  })

  test('the SDK\'s own proxy and init settings, as in every other binding', async () => {
    const deviceId = sb.device()
    const init = { proxy: { ip: '127.0.0.1', port: '3128', user: 'kiosk', passwd: 'pw' }, proxyType: 1, cameraRotation: 2 }
    const kiosk = new Kiosk(sb.config(deviceId, { init }), sb.emulator(deviceId))
    await kiosk.start()
    assert.equal(await kiosk.state(), 'ready')
    await kiosk.shutdown()
    // The settings reach initWxpayface's field rules: a port that is no port is refused.
    const bad = { proxy: { ip: '127.0.0.1', port: '70000' } }
    const refused = async () => {
      const k = new Kiosk(sb.config(sb.device(), { init: bad }), sb.emulator('K'))
      await k.start()
    }
    await assert.rejects(refused, (e) => e instanceof wx.InvalidInputError && e.field === 'port')
    // proxyType needs SDK 1.18.
    const old = async () => {
      const k = new Kiosk(sb.config(sb.device(), { init: { proxyType: 2 }, sdkVersion: '1.17' }), sb.emulator('K'))
      await k.start()
    }
    await assert.rejects(old, wx.SdkVersionError)
    assert.throws(() => new Kiosk(sb.config(sb.device(), { init: { cameraRotation: 1 }, cameraRotation: 1 }), sb.emulator('K')),
      (e) => e instanceof wx.InvalidInputError && e.field === 'camera_rotation')
  })

  test('FaceSdk: raw calls, emulator controls, load errors', async () => {
    const sdk = sb.emulator(sb.device())
    assert.equal(sdk.kind, 'emulator')
    assert.equal(String(sdk), 'FaceSdk(emulator)')
    const init = wx.sdk.parseResponse('initWxpayface', await sdk.call(wx.sdk.initRequest()))
    assert.equal(init.cmd, 'initWxpayface')
    const raw = wx.sdk.parseResponse('getWxpayfaceRawdata', await sdk.call(wx.sdk.rawdataRequest()))
    assert.ok(raw.rawdata.length > 0)
    assert.throws(() => sdk.pushOutcome('dance'), wx.InvalidInputError)
    sdk.pushOutcome('refuse')
    sdk.configure({ latencyMs: 0, outcome: 'consent', person: 'patient-a' })
    assert.throws(() => FaceSdk.load('/nonexistent/WxpayFaceSDK.dll'),
      (e) => e instanceof wx.ConfigError && e.message.includes('/nonexistent/WxpayFaceSDK.dll'))
    const native = FaceSdk.load(emulatorLibrary())
    assert.equal(native.kind, 'native')
    assert.throws(() => native.pushOutcome('consent'), wx.StateError)
  })
})

describe('the emulator library through the C ABI', () => {
  test('FaceSdk.load: the whole flow, as with the vendor DLL', async () => {
    const deviceId = sb.device()
    process.env.WXFACE_EMU_SANDBOX_URL = sb.dev.sandboxUrl
    process.env.WXFACE_EMU_DEVICE_ID = deviceId
    process.env.WXFACE_EMU_PERSON = 'patient-c'
    process.env.WXFACE_EMU_OUTCOME = 'consent'
    const sdk = FaceSdk.load(emulatorLibrary())
    const kiosk = new Kiosk(sb.config(deviceId), sdk)
    await kiosk.start()
    const outcome = await kiosk.verify({ isAlreadyVerified: notVerified })
    assert.equal(outcome.kind, 'verified')
    assert.equal(outcome.identity.name, people.find((p) => p.key === 'patient-c').masked.name)
    await kiosk.shutdown()
    // A changed configuration is a restarted face service: a new kiosk session.
    process.env.WXFACE_EMU_OUTCOME = 'refuse'
    const again = new Kiosk(sb.config(deviceId), sdk)
    await again.start()
    assert.equal((await again.verify({ isAlreadyVerified: notVerified })).kind, 'consent_refused')
    await again.shutdown()
  })
})

describe('one patient at a time', () => {
  test('verifications started together run one after the other', async () => {
    const { kiosk } = await kioskWith({ latencyMs: 200 })
    const order = []
    const run = (tag) => kiosk.verify({
      isAlreadyVerified: () => false,
      onProgress: (e) => { if (e.type === 'finished') order.push(tag) }
    })
    const [a, b] = await Promise.all([run('a'), run('b')])
    assert.equal(a.kind, 'verified')
    assert.equal(b.kind, 'verified')
    assert.deepEqual(order, ['a', 'b'])
    await kiosk.shutdown()
  })

  test('a queued verification aborted before its turn ends as cancelled', async () => {
    const { kiosk } = await kioskWith({ latencyMs: 300 })
    const ac = new AbortController()
    const first = kiosk.verify({ isAlreadyVerified: () => false })
    const second = kiosk.verify({ signal: ac.signal })
    ac.abort()
    assert.equal((await first).kind, 'verified')
    assert.deepEqual(await second, { kind: 'cancelled' })
    await kiosk.shutdown()
  })
})
