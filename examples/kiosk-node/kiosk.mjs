#!/usr/bin/env node
// A hospital kiosk process for WeChat Pay face real-name authentication.
//
// It loads a face SDK library through the vendor's C ABI (here the project's
// emulator, libwxface_sdk_emu.so, standing in for WxpayFaceSDK.dll), asks a
// merchant server over HTTP for authinfo and the real-name result
// (docs/merchant-api.md), and prints what the kiosk screen shows at each step.
// Every request to the merchant server carries the kiosk's device credential
// (issued by the hospital: `wxface merchant devices add KIOSK-01`), the
// kiosk's only secret: it comes from the environment or a file, never from
// the command line or this source.
//
//   node kiosk.mjs                              # in-process sandbox + reference merchant server
//   WXFACE_DEVICE_CREDENTIAL=wxfd1.… \
//   node kiosk.mjs --merchant-url http://127.0.0.1:5000 --sandbox-url http://127.0.0.1:9100 \
//                  --appid wx… --mch-id 19… --store-id HOSP-01
//
// Options (defaults in brackets):
//   --merchant-url URL   merchant server, e.g. the Python HIS example [in-process]
//   --sandbox-url URL    the WeChat Pay sandbox the merchant server talks to (the
//                        emulated face SDK asks it too) [in-process]
//   --appid, --mch-id, --store-id   the merchant's ids [the in-process sandbox's]
//   --sdk-library PATH   face SDK library [$WXFACE_SDK_LIBRARY, else the emulator in target/debug]
//   --device-id ID       this kiosk [KIOSK-01]
//   --device-credential-file PATH   a file holding this kiosk's device credential
//                        [$WXFACE_DEVICE_CREDENTIAL; the in-process server issues its own]
//   --patients N         patients to serve one after the other [2]
//   --person KEY         the test person the emulator recognises [sandbox default]
//   --outcome O          consent | refuse | user_cancel | camera_error [consent]
//   --latency-ms N       how long recognition takes [1200]
//   --timeout-s N        give up on a patient after N seconds [60]
//
// Exit status: 0 when every patient's flow ended (verified, already verified,
// refused or cancelled), 1 when one failed, 2 for bad arguments.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import wx from '@wxface/node'

import { outcomeText, progressText } from './screen.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/** @param {string} text */
function screen (text) {
  console.log(`[屏幕] ${text}`)
}

/**
 * @param {string} message
 * @returns {never}
 */
function usage (message) {
  console.error(`kiosk: ${message} (see the header of kiosk.mjs)`)
  process.exit(2)
}

function defaultLibrary () {
  const name = process.platform === 'win32'
    ? 'wxface_sdk_emu.dll'
    : process.platform === 'darwin' ? 'libwxface_sdk_emu.dylib' : 'libwxface_sdk_emu.so'
  if (process.env.WXFACE_SDK_LIBRARY) return process.env.WXFACE_SDK_LIBRARY
  // The emulator library of the test kit (@wxface/dev), else of the clone.
  try {
    return createRequire(import.meta.url)('@wxface/dev').sdkLibrary
  } catch {
    return join(here, '..', '..', 'target', 'debug', name)
  }
}

const { values: opt } = parseArgs({
  options: {
    'merchant-url': { type: 'string' },
    'sandbox-url': { type: 'string' },
    appid: { type: 'string' },
    'mch-id': { type: 'string' },
    'store-id': { type: 'string' },
    'sdk-library': { type: 'string' },
    'device-id': { type: 'string', default: 'KIOSK-01' },
    'device-credential-file': { type: 'string' },
    patients: { type: 'string', default: '2' },
    person: { type: 'string' },
    outcome: { type: 'string', default: 'consent' },
    'latency-ms': { type: 'string', default: '1200' },
    'timeout-s': { type: 'string', default: '60' }
  }
})

const patients = Number.parseInt(opt.patients, 10)
const timeoutMs = Number.parseInt(opt['timeout-s'], 10) * 1000
if (!(patients > 0) || !(timeoutMs > 0)) usage('--patients and --timeout-s must be positive numbers')

/**
 * The kiosk's device credential: the file of --device-credential-file, else
 * $WXFACE_DEVICE_CREDENTIAL; undefined when neither is given. Never printed.
 */
function deviceCredential () {
  const file = opt['device-credential-file']
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim()
    } catch (e) {
      const err = /** @type {NodeJS.ErrnoException} */ (e)
      usage(`cannot read the device credential file ${file} (${err.code ?? err.name})`)
    }
  }
  return process.env.WXFACE_DEVICE_CREDENTIAL?.trim() || undefined
}

// Where the merchant server is: given, or started in this process.
let dev = null
let merchant
if (opt['merchant-url']) {
  for (const k of /** @type {const} */ (['sandbox-url', 'appid', 'mch-id', 'store-id'])) {
    if (!opt[k]) usage(`--merchant-url needs --${k} too`)
  }
  merchant = {
    merchantUrl: opt['merchant-url'],
    sandboxUrl: String(opt['sandbox-url']),
    appid: String(opt.appid),
    mchId: String(opt['mch-id']),
    storeId: String(opt['store-id']),
    deviceCredential: deviceCredential()
  }
  if (!merchant.deviceCredential) {
    console.error('kiosk: no device credential (WXFACE_DEVICE_CREDENTIAL or --device-credential-file): ' +
      'the reference merchant server refuses this kiosk')
  }
} else {
  // The in-process server issues this kiosk's credential at start.
  // The test kit (npm install -D @wxface/dev): only needed without --merchant-url.
  const kit = await import('@wxface/dev')
  dev = await kit.startDevServer({ deviceId: opt['device-id'] })
  merchant = {
    merchantUrl: dev.merchantUrl,
    sandboxUrl: dev.sandboxUrl,
    appid: dev.appid,
    mchId: dev.mchId,
    storeId: dev.storeId,
    deviceCredential: dev.deviceCredential
  }
  console.log(`(开发模式：微信支付沙箱 ${dev.sandboxUrl}，医院服务 ${dev.merchantUrl})`)
}

// The emulator library reads its configuration from the environment, as a
// vendor SDK reads its own settings; the vendor DLL needs none of this.
const library = opt['sdk-library'] || defaultLibrary()
if (!existsSync(library)) usage(`no face SDK library at ${library} (cargo build -p wxface-sdk-emu)`)
Object.assign(process.env, {
  WXFACE_EMU_SANDBOX_URL: merchant.sandboxUrl,
  WXFACE_EMU_DEVICE_ID: opt['device-id'],
  WXFACE_EMU_OUTCOME: opt.outcome,
  WXFACE_EMU_LATENCY_MS: opt['latency-ms']
})
if (opt.person) process.env.WXFACE_EMU_PERSON = opt.person

/** @type {import('@wxface/node').Kiosk} */
let kiosk
try {
  kiosk = new wx.Kiosk({
    appid: merchant.appid,
    mchId: merchant.mchId,
    storeId: merchant.storeId,
    deviceId: opt['device-id'],
    merchantUrl: merchant.merchantUrl,
    deviceCredential: merchant.deviceCredential
  }, wx.FaceSdk.load(library))
} catch (e) {
  // A bad configuration (e.g. a device credential that is not one): the
  // message names the setting, never the credential.
  if (dev) await dev.stop()
  usage(e instanceof wx.WxfaceError ? `${e.name}: ${e.message} (${e.code})` : String(e))
}

// Ctrl-C cancels the patient in progress, then the kiosk shuts down.
/** @type {AbortController | null} */
let current = null
let stopping = false
process.on('SIGINT', () => {
  stopping = true
  if (current) current.abort()
})

let failed = false
try {
  screen('系统启动中，请稍候…')
  await kiosk.start()
  for (let i = 1; i <= patients && !stopping; i++) {
    console.log(`\n—— 第 ${i} 位患者 ——`)
    screen('欢迎使用微信刷脸实名认证，请站在摄像头前')
    const ac = current = new AbortController()
    const timer = setTimeout(() => ac.abort(), timeoutMs)
    const outcome = await kiosk.verify({
      signal: ac.signal,
      onProgress: (event) => {
        const text = progressText(event)
        if (text) screen(text)
      }
    })
    clearTimeout(timer)
    current = null
    screen(outcomeText(outcome))
    if (outcome.kind === 'failed') failed = true
  }
} catch (e) {
  failed = true
  const err = /** @type {{ code?: string, name?: string }} */ (e)
  screen(e instanceof wx.SdkError
    ? `刷脸设备不可用，请联系工作人员（${e.returnCode}）`
    : `系统故障，请联系工作人员（${err.code ?? err.name}）`)
} finally {
  await kiosk.shutdown().catch(() => {})
  if (dev) await dev.stop()
  screen('刷脸设备已关闭')
}
process.exitCode = failed ? 1 : 0
