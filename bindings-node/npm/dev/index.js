'use strict'
// @wxface/dev — the test kit of @wxface/node (development and tests only).
//
// Its own addon runs a WeChat Pay sandbox and the reference merchant server
// on loopback; what it hands to @wxface/node is plain data only (URLs, ids,
// the device credential, client settings), and the face SDK is the emulator
// library `sdkLibrary`, loaded by @wxface/node exactly like the vendor DLL:
// `FaceSdk.load(sdkLibrary)`.
const path = require('node:path')
const { existsSync } = require('node:fs')
const wx = requireNode()

function requireNode () {
  try {
    return require('@wxface/node')
  } catch (e) {
    // In the source tree the kit sits inside the binding.
    const src = path.join(__dirname, '..', '..', 'index.js')
    if (e.code === 'MODULE_NOT_FOUND' && existsSync(src)) return require(src)
    throw e
  }
}

const PLATFORMS = {
  'linux-x64': { pkg: '@wxface/dev-linux-x64-gnu', lib: 'libwxface_sdk_emu.so' }
}

function load () {
  const p = PLATFORMS[`${process.platform}-${process.arch}`]
  if (p) {
    let dir = null
    try {
      dir = path.dirname(require.resolve(`${p.pkg}/package.json`))
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e
    }
    if (dir) return { addon: require(path.join(dir, 'wxface-dev.node')), sdkLibrary: path.join(dir, p.lib) }
  }
  // In the source tree: the binding's debug addon (feature `dev`) and the
  // emulator library of `cargo build -p wxface-sdk-emu`.
  const binding = path.join(__dirname, '..', '..')
  const lib = process.platform === 'win32' ? 'wxface_sdk_emu.dll' : 'libwxface_sdk_emu.so'
  const nativeJs = path.join(binding, 'native.js')
  if (existsSync(nativeJs)) {
    return { addon: require(nativeJs), sdkLibrary: path.join(binding, '..', 'target', 'debug', lib) }
  }
  throw new Error(`@wxface/dev: no prebuilt test kit for ${process.platform}-${process.arch} ` +
    '(prebuilt for linux-x64 glibc; elsewhere run the kit from a clone of the repository)')
}

const { addon, sdkLibrary } = load()
if (!addon.dev || typeof addon.dev.startDevServer !== 'function') {
  throw new Error('@wxface/dev: the addon was built without the feature `dev`')
}
addon.__setErrorFactory(wx.errors.fromInfo)

/**
 * Start a WeChat Pay sandbox and the reference merchant server on loopback.
 * @param {{ sandboxConfigJson?: string, deviceId?: string }} [options]
 */
function startDevServer (options) {
  return addon.dev.startDevServer(options)
}

/**
 * The environment the emulator library reads (a vendor DLL needs none).
 * @param {{ sandboxUrl: string, deviceId?: string, outcome?: string, person?: string, latencyMs?: number }} o
 */
function emulatorEnv (o) {
  const env = { WXFACE_EMU_SANDBOX_URL: o.sandboxUrl }
  if (o.deviceId) env.WXFACE_EMU_DEVICE_ID = o.deviceId
  if (o.outcome) env.WXFACE_EMU_OUTCOME = o.outcome
  if (o.person) env.WXFACE_EMU_PERSON = o.person
  if (o.latencyMs !== undefined) env.WXFACE_EMU_LATENCY_MS = String(o.latencyMs)
  return env
}

module.exports = { startDevServer, sdkLibrary, emulatorEnv }
