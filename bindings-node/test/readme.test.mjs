// The README's examples as written: every JavaScript block type-checks in
// strict mode against the declarations (the names it takes from its
// surroundings — ids, keys, a `faceSid`, the app's own `show` — declared
// with their types), and the blocks that need nothing but a sandbox run
// against one. Its error table lists what lib/errors.d.ts declares.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

import ts from 'typescript'

import wx from '../index.js'
import { blocksOf, headOf } from '../npm/readme-fragments.mjs'
import { here } from './helpers.mjs'
import { startSandbox } from './sandbox.mjs'

const root = join(here, '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')

/** The ```js blocks, with the line each starts on. */
const blocks = blocksOf(readme, ['js', 'javascript'])

/** The block as an ES module, with the names it takes declared before it. */
function asModule (code, declare) {
  return `${headOf(code, declare).head.join('\n')}\n${code}\nexport {}\n`
}

let dir
before(() => {
  // Inside the package, so that '@wxface/node' resolves to it.
  dir = mkdtempSync(join(root, '.readme-'))
})
after(() => rmSync(dir, { recursive: true, force: true }))

describe('README examples', () => {
  test('there are examples of every part', () => {
    assert.ok(blocks.length >= 6, `${blocks.length} blocks`)
  })

  test('every block type-checks in strict mode', () => {
    const heads = []
    const files = blocks.map((b, i) => {
      const file = join(dir, `block-${i + 1}.mts`)
      const text = asModule(b.code, (name, type) => `declare const ${name}: ${type}`)
      heads.push(text.indexOf(b.code) >= 0 ? text.slice(0, text.indexOf(b.code)).split('\n').length - 1 : 0)
      writeFileSync(file, text)
      return file
    })
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: ['node'],
      // The test kit as its package declares it, and the binding it names.
      paths: { '@wxface/dev': [join(root, 'npm', 'dev', 'index.d.ts')], '@wxface/node': [join(root, 'index.d.ts')] }
    })
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const i = files.indexOf(d.file?.fileName)
      const where = d.file ? d.file.getLineAndCharacterOfPosition(d.start).line : 0
      const line = i >= 0 ? `README.md:${blocks[i].line + where - heads[i]}` : d.file?.fileName
      return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
    })
    assert.deepEqual(problems, [])
  })

  describe('the blocks that need only a sandbox run', () => {
    let sb
    before(async () => { sb = await startSandbox() })
    after(() => sb.stop())

    /** Run the block that contains `marker`, with `values` for the names it takes. */
    async function run (marker, values, { commonjs = false, append = '' } = {}) {
      const b = blocks.find((x) => x.code.includes(marker))
      assert.ok(b, marker)
      globalThis.__readme = values
      const file = join(dir, `run-${blocks.indexOf(b) + 1}.${commonjs ? 'cjs' : 'mjs'}`)
      const code = commonjs
        ? `${b.code}\n${append}`
        : asModule(b.code + append, (name) => `const ${name} = globalThis.__readme.${name}`)
      writeFileSync(file, commonjs ? `module.exports = (async () => {\n${code}\n})()` : code)
      try {
        const mod = await import(`${file}?${Date.now()}`)
        if (commonjs) await mod.default
      } finally {
        delete globalThis.__readme
      }
    }

    test('AbortSignal (queryUser with a timeout signal)', async () => {
      const client = new wx.MerchantClient(sb.dev.merchantConfig())
      // A face_sid never issued: WeChat Pay's answer is an error, the call is made.
      await assert.rejects(run('AbortSignal.timeout(3000)', { client, faceSid: 'FACE_SID_NEVER_ISSUED' }), wx.BackendError)
      assert.equal(client.stats().httpRequests, 1)
    })

    test('setLogger', async () => {
      await run('setLogger(null)', {})
    })

    test('the development server and a kiosk on it', async () => {
      await run('startDevServer({ deviceId', {}, { append: '\nif (typeof kiosk.deviceId !== \'string\') throw new Error(\'no kiosk\')' })
    })
  })
})

describe('the error table', () => {
  test('lists, per class, the properties lib/errors.d.ts declares', () => {
    const dts = readFileSync(join(root, 'lib', 'errors.d.ts'), 'utf8')
    const declared = {}
    for (const m of dts.matchAll(/export declare class (\w+) extends WxfaceError \{([\s\S]*?)\n\}/g)) {
      declared[m[1]] = [...m[2].matchAll(/readonly (\w+)\??:/g)].map((x) => x[1]).filter((n) => n !== 'code' && n !== 'kind')
    }
    const rows = [...readme.matchAll(/^\| `(\w+Error)` \|([^|]*)\|([^|]*)\|$/gm)]
    assert.deepEqual(rows.map((r) => r[1]).sort(), Object.keys(declared).sort())
    for (const [, cls, , props] of rows) {
      // The properties, less what the parentheses say about them.
      const listed = [...props.replace(/\([^)]*\)/g, '').matchAll(/`(\w+)`/g)].map((x) => x[1])
      assert.deepEqual(listed.sort(), [...declared[cls]].sort(), cls)
    }
    // The transport kinds it names are the core's.
    const transport = rows.find((r) => r[1] === 'TransportError')[3]
    const kinds = [...transport.slice(transport.indexOf(':')).matchAll(/`(\w+)`/g)].map((x) => x[1])
    assert.deepEqual(kinds.sort(), [...createRequire(import.meta.url)('../native.js').__names().TransportKind].sort())
  })
})
