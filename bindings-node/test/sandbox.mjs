// A WeChat Pay sandbox and the reference merchant server for a test file,
// with the control calls the scenarios need.
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import wx from '../index.js'
import { here } from './helpers.mjs'

export async function startSandbox (options) {
  const dev = await wx.dev.startDevServer(options)
  let devices = 0
  const control = async (method, path, body) => {
    const r = await fetch(dev.sandboxUrl + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    if (!r.ok) throw new Error(`sandbox ${method} ${path}: HTTP ${r.status}`)
    return r.json()
  }
  // The device credential the merchant server issued each device.
  const credentials = new Map()
  const credential = (deviceId) => {
    if (!credentials.has(deviceId)) credentials.set(deviceId, dev.issueDeviceCredential(deviceId))
    return credentials.get(deviceId)
  }
  return {
    dev,
    /** A fresh device id (authinfo is cached per device), let in by the merchant server. */
    device: () => {
      const deviceId = `KIOSK-${process.pid % 1000}-${++devices}`
      credential(deviceId)
      return deviceId
    },
    /** The device credential of `deviceId` (issued on first use). */
    credential,
    /** Kiosk config for the sandbox merchant, with the device's credential. */
    config: (deviceId, extra = {}) => ({
      appid: dev.appid,
      mchId: dev.mchId,
      storeId: dev.storeId,
      deviceId,
      merchantUrl: dev.merchantUrl,
      deviceCredential: credential(deviceId),
      ...extra
    }),
    /** An in-process emulator for `deviceId`. */
    emulator: (deviceId, extra = {}) =>
      wx.FaceSdk.emulator({ sandboxUrl: dev.sandboxUrl, deviceId, ...extra }),
    identities: async () => (await control('GET', '/_sandbox/identities')).identities,
    fault: (rule) => control('POST', '/_sandbox/faults', rule),
    clearFaults: () => control('DELETE', '/_sandbox/faults'),
    expire: (what) => control('POST', '/_sandbox/expire', { what }),
    stop: () => dev.stop()
  }
}

/** The emulator library with the vendor's C ABI (built by test.sh). */
export function emulatorLibrary () {
  const lib = process.env.WXFACE_SDK_EMU_LIBRARY ||
    join(here, '..', '..', 'target', 'debug',
      process.platform === 'win32' ? 'wxface_sdk_emu.dll'
        : process.platform === 'darwin' ? 'libwxface_sdk_emu.dylib' : 'libwxface_sdk_emu.so')
  if (!existsSync(lib)) {
    throw new Error(`the face SDK emulator library is missing at ${lib}: run \`cargo build -p wxface-sdk-emu\` (test.sh does)`)
  }
  return lib
}

/** Collects progress events. */
export function recorder () {
  const events = []
  return {
    events,
    onProgress: (e) => events.push(e),
    steps: (type = 'step_started') => events.filter((e) => e.type === type).map((e) => e.step)
  }
}
