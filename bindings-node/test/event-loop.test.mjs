// Nothing blocks the JS thread: while the face SDK spends ≥ 500 ms on a
// recognition, a JS interval timer keeps firing on schedule.
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { after, before, test } from 'node:test'

import wx from '../index.js'
import { emulatorLibrary, startSandbox } from './sandbox.mjs'

const LATENCY_MS = 800
const TICK_MS = 20

let sb
before(async () => { sb = await startSandbox() })
after(() => sb.stop())

/** Run one verification with a timer going; return the ticks seen during recognition. */
async function tickDuringRecognition (kiosk) {
  const ticks = []
  const timer = setInterval(() => ticks.push(performance.now()), TICK_MS)
  let from = 0
  let to = 0
  const outcome = await kiosk.verify({
    isAlreadyVerified: () => false,
    onProgress: (e) => {
      if (e.step !== 'recognising') return
      if (e.type === 'step_started') from = performance.now()
      if (e.type === 'step_finished') to = performance.now()
    }
  })
  clearInterval(timer)
  const during = ticks.filter((t) => t > from && t < to)
  const gaps = during.slice(1).map((t, i) => t - during[i])
  return { outcome, span: to - from, during, maxGap: Math.max(0, ...gaps) }
}

function assertLoopFree (r) {
  assert.equal(r.outcome.kind, 'verified')
  assert.ok(r.span >= LATENCY_MS - 50, `recognition took ${r.span} ms`)
  // 800 ms / 20 ms = 40 ticks on an idle machine; a blocked loop gives 0 or 1.
  assert.ok(r.during.length >= 15, `only ${r.during.length} ticks during recognition`)
  assert.ok(r.maxGap < 250, `the timer stalled for ${r.maxGap} ms`)
}

test('in-process emulator: the timer fires throughout a slow recognition', async () => {
  const deviceId = sb.device()
  const kiosk = new wx.Kiosk(sb.config(deviceId), sb.emulator(deviceId, { latencyMs: LATENCY_MS }))
  await kiosk.start()
  assertLoopFree(await tickDuringRecognition(kiosk))
  await kiosk.shutdown()
})

test('emulator library through the C ABI: the timer fires throughout a slow recognition', async () => {
  const deviceId = sb.device()
  process.env.WXFACE_EMU_SANDBOX_URL = sb.dev.sandboxUrl
  process.env.WXFACE_EMU_DEVICE_ID = deviceId
  process.env.WXFACE_EMU_LATENCY_MS = String(LATENCY_MS)
  process.env.WXFACE_EMU_OUTCOME = 'consent'
  const kiosk = new wx.Kiosk(sb.config(deviceId), wx.FaceSdk.load(emulatorLibrary()))
  await kiosk.start()
  assertLoopFree(await tickDuringRecognition(kiosk))
  await kiosk.shutdown()
})

test('merchant-side calls and decryption resolve asynchronously too', async () => {
  const client = new wx.MerchantClient(sb.dev.merchantConfig())
  let ticked = false
  const timer = setImmediate(() => { ticked = true })
  const p = client.queryUser('no-such-face-sid')
  assert.ok(p instanceof Promise)
  await assert.rejects(p, wx.WxfaceError)
  assert.ok(ticked)
  clearImmediate(timer)
})
