// The README as written: the `node kiosk.mjs …` commands of "Run it" run
// and end well, the first prints the screens the README shows, and every
// option the README names is one the script takes.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const script = readFileSync(join(root, 'kiosk.mjs'), 'utf8')

const blocks = (lang) => [...readme.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map((m) => m[1])

/** The README's `node kiosk.mjs` commands that need nothing else (no `…` in them), as argument lists. */
const commands = blocks('sh')
  .flatMap((b) => b.split('\n'))
  .map((l) => l.replace(/\s+#.*$/, '').trim())
  .filter((l) => l.startsWith('node kiosk.mjs') && !l.includes('…') && !l.endsWith('\\'))
  .map((l) => l.split(/\s+/).slice(2))

function run (args) {
  const env = { ...process.env }
  delete env.WXFACE_DEVICE_CREDENTIAL
  return spawnSync(process.execPath, [join(root, 'kiosk.mjs'), ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 })
}

describe('README', () => {
  test('"Run it" commands run as written', () => {
    assert.ok(commands.length >= 2, JSON.stringify(commands))
    assert.deepEqual(commands[0], [])
    for (const args of commands) {
      const out = run(args)
      assert.equal(out.status, 0, `node kiosk.mjs ${args.join(' ')}: ${out.stdout}${out.stderr}`)
      assert.match(out.stdout, /刷脸设备已关闭/)
    }
  })

  test('`node kiosk.mjs` prints the screens the README shows', () => {
    const shown = blocks('text')[0].trim().split('\n')
    assert.ok(shown.length > 10)
    const out = run([]).stdout.split('\n')
    const start = out.indexOf(shown[0])
    assert.ok(start >= 0, out.join('\n'))
    assert.deepEqual(out.slice(start, start + shown.length), shown)
  })

  test('every option the README names is one the script takes', () => {
    const named = new Set([...readme.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]))
    // Options of other commands: napi build, cargo, wxface merchant devices.
    for (const other of ['platform', 'js', 'dts', 'no-default-features', 'label', 'test']) named.delete(other)
    assert.ok(named.size >= 8, [...named].join())
    for (const o of named) {
      assert.ok(script.includes(`'${o}': {`) || script.includes(`\n    ${o}: {`), `--${o}`)
    }
  })
})
