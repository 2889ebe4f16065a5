// The example kiosk process end to end: its screens for each kind of patient,
// against the in-process reference merchant server and against the Python HIS
// example — and never a full ID number on the screen.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const kioskScript = join(here, '..', 'kiosk.mjs')

/** Run the kiosk process; resolve with {code, out}. */
function runKiosk (args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [kioskScript, '--latency-ms', '200', ...args], {
      stdio: ['ignore', 'pipe', 'pipe']
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
    const { code, out } = await runKiosk([
      '--patients', '2', '--merchant-url', info.merchantUrl, '--sandbox-url', info.sandboxUrl,
      '--appid', info.appid, '--mch-id', info.mchId, '--store-id', info.storeId
    ])
    assert.equal(code, 0, out)
    assert.match(out, /实名认证成功：/)
    assert.match(out, /欢迎回来！您已完成实名认证/)
    assertMasked(out)
  } finally {
    his.stdin.end()
    await new Promise((resolve) => his.once('exit', resolve))
  }
})
