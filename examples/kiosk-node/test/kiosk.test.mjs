// The example kiosk process end to end: its screens for each kind of patient,
// against the in-process reference merchant server, a reference merchant
// server of the test's own and the Python HIS example — never a full ID
// number on the screen — and its device credential: sent from the
// environment or a file, refused when missing or not live, never printed.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

import { startDevServer } from '@wxface/dev'

const here = dirname(fileURLToPath(import.meta.url))
const kioskScript = join(here, '..', 'kiosk.mjs')

/**
 * Run the kiosk process; resolve with {code, out}. `env` is added to the
 * environment, which never carries a WXFACE_DEVICE_CREDENTIAL of the caller's.
 */
function runKiosk (args, env = {}) {
  return new Promise((resolve, reject) => {
    const base = { ...process.env }
    delete base.WXFACE_DEVICE_CREDENTIAL
    const child = spawn(process.execPath, [kioskScript, '--latency-ms', '200', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...base, ...env }
    })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }) })
  })
}

function assertMasked (out) {
  assert.doesNotMatch(out, /\d{17}[\dX]/, 'a full ID number on the screen')
}

/** Neither `credential` nor its secret part is in the kiosk's output. */
function assertCredentialHidden (out, credential) {
  assert.ok(!out.includes(credential), 'the device credential in the output')
  const secret = credential.split('.').pop()
  if (secret.length >= 16) assert.ok(!out.includes(secret.slice(0, 16)), 'the credential\'s secret in the output')
}

/** A well-formed device credential no server issued. */
function madeUpCredential () {
  return `wxfd1.${randomBytes(8).toString('hex')}.${randomBytes(32).toString('base64url')}`
}

const UNAUTHENTICATED = /本机未通过医院服务的设备认证.*unauthenticated/

test('two patients: verified, then welcomed back as already verified', async () => {
  const { code, out } = await runKiosk(['--patients', '2'])
  assert.equal(code, 0, out)
  assert.match(out, /请正对摄像头/)
  assert.match(out, /请在屏幕上确认：授权医院获取您的微信实名信息/)
  assert.match(out, /实名认证成功：测\*+.（身份证 \d{3}\*{11}[\dX]{4}）/)
  assert.match(out, /欢迎回来！您已完成实名认证/)
  assert.match(out, /刷脸设备已关闭/)
  assertMasked(out)
})

test('a patient who refuses consent', async () => {
  const { code, out } = await runKiosk(['--patients', '1', '--outcome', 'refuse'])
  assert.equal(code, 0, out)
  assert.match(out, /您已拒绝授权/)
  assert.doesNotMatch(out, /实名认证成功/)
})

test('a patient who cancels on the face screen', async () => {
  const { code, out } = await runKiosk(['--patients', '1', '--outcome', 'user_cancel'])
  assert.equal(code, 0, out)
  assert.match(out, /已取消刷脸/)
})

test('a patient who takes too long is cancelled by the kiosk\'s timeout', async () => {
  const { code, out } = await runKiosk(['--patients', '1', '--latency-ms', '2000', '--timeout-s', '1'])
  assert.equal(code, 0, out)
  assert.match(out, /正在取消/)
  assert.match(out, /已取消刷脸/)
})

test('an unreachable merchant server: a failure screen, exit status 1', async () => {
  const { code, out } = await runKiosk([
    '--patients', '1', '--merchant-url', 'http://127.0.0.1:9', '--sandbox-url', 'http://127.0.0.1:9',
    '--appid', 'wx1', '--mch-id', '1900000001', '--store-id', 'S1'
  ])
  assert.equal(code, 1, out)
  assert.match(out, /刷脸设备不可用|刷脸实名认证未完成/)
})

function pythonWithWxface () {
  const root = join(here, '..', '..', '..')
  const py = process.env.WXFACE_PYTHON ||
    join(root, 'target', 'venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
  return existsSync(py) ? py : null
}

test('against the Python HIS example over HTTP', async (t) => {
  const py = pythonWithWxface()
  if (!py) {
    t.skip('no Python with the wxface wheel (target/venv; bindings-py/test.sh builds it, or set WXFACE_PYTHON)')
    return
  }
  const his = spawn(py, [join(here, 'his_server.py')], { stdio: ['pipe', 'pipe', 'inherit'] })
  try {
    const first = await new Promise((resolve, reject) => {
      const rl = createInterface({ input: his.stdout })
      rl.once('line', resolve)
      his.once('exit', (c) => reject(new Error(`the HIS example exited (${c})`)))
    })
    const info = JSON.parse(first)
    // The HIS issued a credential for the kiosk's device (his_server.py).
    assert.match(info.deviceCredential ?? '', /^wxfd1\./, 'his_server.py prints deviceCredential')
    const args = [
      '--merchant-url', info.merchantUrl, '--sandbox-url', info.sandboxUrl,
      '--appid', info.appid, '--mch-id', info.mchId, '--store-id', info.storeId,
      '--device-id', info.deviceId ?? 'KIOSK-01'
    ]
    const { code, out } = await runKiosk(['--patients', '2', ...args],
      { WXFACE_DEVICE_CREDENTIAL: info.deviceCredential })
    assert.equal(code, 0, out)
    assert.match(out, /实名认证成功：/)
    assert.match(out, /欢迎回来！您已完成实名认证/)
    assertMasked(out)
    assertCredentialHidden(out, info.deviceCredential)
    // The HIS refuses a kiosk without its credential, or with a made-up one.
    const none = await runKiosk(['--patients', '1', ...args])
    assert.equal(none.code, 1, none.out)
    assert.match(none.out, UNAUTHENTICATED)
    assert.doesNotMatch(none.out, /实名认证成功/)
    const forged = madeUpCredential()
    const wrong = await runKiosk(['--patients', '1', ...args], { WXFACE_DEVICE_CREDENTIAL: forged })
    assert.equal(wrong.code, 1, wrong.out)
    assert.match(wrong.out, UNAUTHENTICATED)
    assertCredentialHidden(wrong.out, forged)
  } finally {
    his.stdin.end()
    await new Promise((resolve) => his.once('exit', resolve))
  }
})

describe('the device credential, against a reference merchant server of the test\'s own', () => {
  let dev
  let n = 0
  let dir
  before(async () => {
    dev = await startDevServer()
    dir = mkdtempSync(join(tmpdir(), 'kiosk-node-'))
  })
  after(async () => {
    await dev.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  const device = () => `KIOSK-CRED-${process.pid % 1000}-${++n}`
  const args = (deviceId) => [
    '--patients', '1', '--merchant-url', dev.merchantUrl, '--sandbox-url', dev.sandboxUrl,
    '--appid', dev.appid, '--mch-id', dev.mchId, '--store-id', dev.storeId, '--device-id', deviceId
  ]

  test('from WXFACE_DEVICE_CREDENTIAL: verified; the credential is never printed', async () => {
    const d = device()
    const c = dev.issueDeviceCredential(d)
    const { code, out } = await runKiosk(args(d), { WXFACE_DEVICE_CREDENTIAL: c })
    assert.equal(code, 0, out)
    assert.match(out, /实名认证成功：/)
    assertCredentialHidden(out, c)
  })

  test('from --device-credential-file (a line with its newline)', async () => {
    const d = device()
    const c = dev.issueDeviceCredential(d)
    const file = join(dir, `${d}.credential`)
    writeFileSync(file, `${c}\n`, { mode: 0o600 })
    const { code, out } = await runKiosk([...args(d), '--device-credential-file', file])
    assert.equal(code, 0, out)
    // The server let the kiosk in (the same patient as above: welcomed back).
    assert.match(out, /实名认证成功：|欢迎回来！您已完成实名认证/)
    assertCredentialHidden(out, c)
  })

  test('none: a warning at start, then the unauthenticated screen, exit status 1', async () => {
    const { code, out } = await runKiosk(args(device()))
    assert.equal(code, 1, out)
    assert.match(out, /no device credential/)
    assert.match(out, UNAUTHENTICATED)
    assert.doesNotMatch(out, /实名认证成功/)
  })

  test('made up, revoked, or another device\'s: refused', async () => {
    const forged = madeUpCredential()
    const a = await runKiosk(args(device()), { WXFACE_DEVICE_CREDENTIAL: forged })
    assert.equal(a.code, 1, a.out)
    assert.match(a.out, UNAUTHENTICATED)
    assertCredentialHidden(a.out, forged)

    const d = device()
    const revoked = dev.issueDeviceCredential(d)
    assert.equal(dev.revokeDeviceCredential(d), 1)
    const b = await runKiosk(args(d), { WXFACE_DEVICE_CREDENTIAL: revoked })
    assert.equal(b.code, 1, b.out)
    assert.match(b.out, UNAUTHENTICATED)
    assertCredentialHidden(b.out, revoked)

    const other = dev.issueDeviceCredential(device())
    const c = await runKiosk(args(device()), { WXFACE_DEVICE_CREDENTIAL: other })
    assert.equal(c.code, 1, c.out)
    assert.match(c.out, /invalid_input/)
    assertCredentialHidden(c.out, other)
  })

  test('text that is not a credential: refused at start (exit status 2), not echoed', async () => {
    const c = dev.issueDeviceCredential(device())
    const bad = c.slice(0, -3)
    const { code, out } = await runKiosk(args(device()), { WXFACE_DEVICE_CREDENTIAL: bad })
    assert.equal(code, 2, out)
    assert.match(out, /device credential/)
    assertCredentialHidden(out, bad)
  })

  test('a credential file that cannot be read: exit status 2', async () => {
    const { code, out } = await runKiosk([...args(device()), '--device-credential-file', join(dir, 'missing')])
    assert.equal(code, 2, out)
    assert.match(out, /ENOENT/)
  })
})
