// Logs: wxface's `tracing` events reach a JS logger (`setLogger`) as
// `{level, target, message, fields}` records, the same names as every
// binding's (wxface-log); `DEBUG=wxface` / `WXFACE_LOG` log to stderr; a
// logger never keeps the process alive; and no record holds a key, a
// device credential, a name or an ID number, whatever the inputs held.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'

import wx from '../index.js'
import { here } from './helpers.mjs'
import { startSandbox } from './sandbox.mjs'

const { MerchantClient, Kiosk, sdk } = wx

const NAME = '张三丰'
/** The GB 11643 specimen number. */
const ID = '11010519491231002X'

let sb
before(async () => {
  sb = await startSandbox()
})
after(() => sb.stop())
afterEach(() => wx.setLogger(null))

/** A logger that keeps every record. */
function collector (level = 'trace') {
  const records = []
  wx.setLogger((r) => records.push(r), { level })
  return records
}

/** Records arrive on the JS thread after the work that logged them: wait for one. */
async function waitFor (records, pred, ms = 3000) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    const r = records.find(pred)
    if (r) return r
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return undefined
}

describe('setLogger', () => {
  test('a failing MerchantClient call logs a warn record with its code', async () => {
    const records = collector('info')
    const c = new MerchantClient(sb.dev.merchantConfig())
    const err = await c.queryUser('FACE_SID_NEVER_ISSUED').then(() => null, (e) => e)
    assert.ok(err instanceof wx.BackendError, String(err))
    const r = await waitFor(records, (r) => r.level === 'warn' && r.fields.code === err.code)
    assert.ok(r, `no warn record with code ${err.code}: ${JSON.stringify(records)}`)
    assert.deepEqual(Object.keys(r).sort(), ['fields', 'level', 'message', 'target'])
    assert.match(r.target, /^wxface/)
    assert.equal(typeof r.message, 'string')
    assert.ok(r.message.length > 0)
    for (const [k, v] of Object.entries(r.fields)) {
      assert.equal(typeof k, 'string')
      assert.equal(typeof v, 'string')
    }
    // Only the levels asked for.
    assert.ok(records.every((x) => ['error', 'warn', 'info'].includes(x.level)), JSON.stringify(records))
  })

  test('the level filters; null stops; a later logger replaces the first', async () => {
    const warnOnly = collector('warn')
    const c = new MerchantClient(sb.dev.merchantConfig())
    await c.queryUser('FACE_SID_NEVER_ISSUED').catch(() => {})
    assert.ok(await waitFor(warnOnly, (r) => r.level === 'warn'))
    assert.ok(warnOnly.every((r) => r.level === 'warn' || r.level === 'error'))

    const second = collector('info')
    assert.equal(wx.setLogger(null), false)
    await c.queryUser('FACE_SID_NEVER_ISSUED').catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.deepEqual(second, [])
  })

  test('wrong arguments are refused', () => {
    assert.throws(() => wx.setLogger('console'), TypeError)
    assert.throws(() => wx.setLogger(() => {}, { level: 'verbose' }), TypeError)
  })

  test('a logger that throws does not break the call', async () => {
    wx.setLogger(() => { throw new Error('logger down') }, { level: 'info' })
    const warnings = []
    const onWarning = (w) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      const c = new MerchantClient(sb.dev.merchantConfig())
      await assert.rejects(c.queryUser('FACE_SID_NEVER_ISSUED'), wx.BackendError)
      await assert.rejects(c.queryUser('FACE_SID_NEVER_ISSUED'), wx.BackendError)
      await new Promise((resolve) => setTimeout(resolve, 200))
    } finally {
      process.off('warning', onWarning)
    }
    assert.equal(warnings.filter((w) => w.name === 'WxfaceWarning').length, 1)
  })
})

describe('no personal data in any record', () => {
  test('a verified flow, real-name queries and inputs holding a name and an ID number', async () => {
    const records = collector('trace')
    const config = sb.dev.merchantConfig()
    const client = new MerchantClient(config)
    const full = []
    for (const person of ['patient-a', 'patient-b']) {
      const deviceId = sb.device()
      const kiosk = new Kiosk(sb.config(deviceId), sb.emulator(deviceId, { person }))
      await kiosk.start()
      const outcome = await kiosk.verify()
      assert.equal(outcome.kind, 'verified', JSON.stringify(outcome))
      // The merchant server fetched it for the kiosk; again through the client.
      const id = await client.fetchRealName(outcome.faceSid)
      full.push(id.exposeName(), id.exposeCredentialId())
      await client.queryUser(outcome.faceSid)
      await kiosk.shutdown()
    }
    // Inputs that hold personal data, refused or sent on. (Ids the merchant
    // configures — store_id, device_id — are logged as they are, by design:
    // they are not fed personal data here.)
    const deviceId = sb.device()
    const face = sb.emulator(deviceId)
    sdk.parseResponse('initWxpayface', await face.call(sdk.initRequest()))
    const { rawdata } = sdk.parseResponse('getWxpayfaceRawdata', await face.call(sdk.rawdataRequest()))
    const attempts = [
      client.getAuthinfo({ rawdata, deviceId, storeName: NAME, attach: { name: NAME, id: ID } }),
      client.getAuthinfo({ rawdata: `${rawdata}${ID}`, deviceId }),
      client.queryUser(ID),
      client.queryUser(NAME),
      client.fetchRealName(`${NAME}-${ID}`),
      client.queryUserSigned(ID)
    ].map((p) => p.then(() => 'ok', (e) => e.code))
    // The first is a good request (the store's name is passed on), the others are refused.
    assert.deepEqual((await Promise.all(attempts)).map((r) => r === 'ok'), [true, false, false, false, false, false])
    // The kiosk API with bad and good credentials, holding the data too.
    for (const auth of [`Bearer ${sb.credential(deviceId)}`, `Bearer wxfd1.${ID}`]) {
      await fetch(`${sb.dev.merchantUrl}/kiosk/authinfo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({ rawdata: ID, device_id: deviceId, store_name: NAME })
      }).then((r) => r.text())
    }
    await new Promise((resolve) => setTimeout(resolve, 300))

    // The sweep saw something at every level it could.
    assert.ok(records.length > 10, `only ${records.length} records`)
    assert.ok(records.some((r) => r.level === 'warn'))
    assert.ok(records.some((r) => r.level === 'info' || r.level === 'debug'))

    const secrets = [
      NAME, ID, ...full,
      config.v2Key, config.apiv3Key,
      ...[config.merchantKeyPem, config.decryptKeyPem].filter(Boolean).map(pemBody),
      sb.credential(deviceId), sb.credential(deviceId).split('.')[2]
    ].filter((s) => typeof s === 'string' && s.length >= 3)
    assert.ok(full.length === 4 && full.every((s) => s.length >= 2))
    for (const r of records) {
      const text = JSON.stringify(r)
      for (const s of secrets) {
        assert.ok(!text.includes(s), `a record holds ${s.slice(0, 3)}…: ${text}`)
      }
    }
  })
})

/** A run of a PEM key's base64 body (long enough to be unique). */
function pemBody (pem) {
  return pem.split('\n').filter((l) => l && !l.startsWith('-----'))[1]
}

describe('the environment (debug-style)', () => {
  const script = `
    const wx = require(${JSON.stringify(join(here, '..', 'index.js'))})
    ;(async () => {
      const dev = await wx.dev.startDevServer()
      const c = new wx.MerchantClient(dev.merchantConfig())
      await c.queryUser('FACE_SID_NEVER_ISSUED').catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 200))
      await dev.stop()
      // The logger stays installed: the process still ends by itself.
    })()
  `
  const run = (env) => {
    const clean = { ...process.env }
    delete clean.DEBUG
    delete clean.WXFACE_LOG
    return spawnSync(process.execPath, ['-e', script], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 30000 })
  }

  test('DEBUG=wxface logs to stderr at debug, and the process still exits', () => {
    const out = run({ DEBUG: 'express,wxface' })
    assert.equal(out.status, 0, out.stderr)
    assert.match(out.stderr, /^wxface:warn wxface\S* .* code=backend/m)
  })

  test('WXFACE_LOG=<level> logs at that level', () => {
    const out = run({ WXFACE_LOG: 'error' })
    assert.equal(out.status, 0, out.stderr)
    assert.doesNotMatch(out.stderr, /^wxface:warn/m)
    const warn = run({ WXFACE_LOG: 'warn' })
    assert.match(warn.stderr, /^wxface:warn /m)
  })

  test('nothing without them, nor with DEBUG=-wxface', () => {
    for (const env of [{}, { DEBUG: 'express' }, { DEBUG: '*,-wxface' }]) {
      const out = run(env)
      assert.equal(out.status, 0, out.stderr)
      assert.doesNotMatch(out.stderr, /wxface:/, JSON.stringify(env))
    }
  })
})
