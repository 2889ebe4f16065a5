// The declarations match the runtime: the unions of index.d.ts (Step,
// StepStatus, OutcomeKind, ProgressType, InfoType, SignType, Padding,
// KioskState) hold exactly the core's names; every value the package exports
// is declared and every declared value exported; every method and property
// of an exported class and of every error at runtime is declared (e.g.
// `retryable`); and the TSDoc has no Rust-isms.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import ts from 'typescript'

import wx from '../index.js'
import { here } from './helpers.mjs'

const require = createRequire(import.meta.url)
const native = require('../native.js')
const root = join(here, '..')

const program = ts.createProgram([join(root, 'index.d.ts')], {
  strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node']
})
const checker = program.getTypeChecker()
const indexFile = program.getSourceFile(join(root, 'index.d.ts'))
const moduleSymbol = checker.getSymbolAtLocation(indexFile)
const exported = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.getName(), s]))

/** The string literals of a union type alias exported by index.d.ts (or declared in './native'). */
function unionOf (name) {
  let sym = exported.get(name)
  assert.ok(sym, `${name} is not exported`)
  if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym)
  const type = checker.getDeclaredTypeOfSymbol(sym)
  const parts = type.isUnion() ? type.types : [type]
  return parts.map((t) => {
    assert.ok(t.isStringLiteral(), `${name}: ${checker.typeToString(t)} is not a string literal`)
    return t.value
  })
}

const sorted = (a) => [...a].sort()

describe('unions', () => {
  test('each union holds exactly the core\'s names', () => {
    const names = native.__names()
    assert.deepEqual(sorted(Object.keys(names)), sorted(['Step', 'StepStatus', 'OutcomeKind', 'ProgressType', 'TransportKind', 'InfoType', 'SignType', 'Padding']))
    for (const [name, values] of Object.entries(names)) {
      assert.ok(values.length >= 2, name)
      assert.deepEqual(sorted(unionOf(name)), sorted(values), name)
    }
  })

  test('KioskState holds exactly the flow\'s state names', () => {
    // The flow names its states in one private function of the core.
    const src = readFileSync(join(root, '..', 'core', 'src', 'flow', 'mod.rs'), 'utf8')
    const body = src.slice(src.indexOf('impl State {'))
    const block = body.slice(0, body.indexOf('\n    }\n'))
    const states = [...block.matchAll(/=> "([a-z_]+)"/g)].map((m) => m[1])
    assert.ok(states.includes('uninitialised') && states.includes('released'), block)
    assert.deepEqual(sorted(unionOf('KioskState')), sorted(states))
  })

  test('the types use them', () => {
    const source = indexFile.text + readFileSync(join(root, 'native.d.ts'), 'utf8')
    for (const use of [
      'state (): Promise<KioskState>', 'outcome: OutcomeKind', "type: 'step_finished'", 'status: StepStatus',
      'infoType?: InfoType | null', 'signType?: SignType', 'padding?: Padding', 'get padding(): Padding'
    ]) {
      assert.ok(source.includes(use), use)
    }
  })
})

describe('declarations and runtime', () => {
  test('every exported value is declared, and every declared value exported', () => {
    const declared = [...exported.values()]
      .filter((s) => {
        const t = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s
        return t.flags & ts.SymbolFlags.Value
      })
      .map((s) => s.getName())
    // Declared `undefined` on purpose: the native pieces index.js keeps to itself.
    const hidden = declared.filter((n) => {
      const d = exported.get(n).declarations?.[0]
      return d && ts.isVariableDeclaration(d) && d.type?.kind === ts.SyntaxKind.UndefinedKeyword
    })
    assert.ok(hidden.includes('NativeKiosk') && hidden.includes('__AbortHandle'), hidden.join())
    for (const n of hidden) assert.equal(wx[n], undefined, n)
    assert.deepEqual(sorted(declared.filter((n) => !hidden.includes(n))), sorted(Object.keys(wx)))
  })

  test('every method and property of an exported class is declared', () => {
    for (const [name, value] of Object.entries(wx)) {
      if (typeof value !== 'function' || !/^[A-Z]/.test(name) || !value.prototype) continue
      const sym = exported.get(name)
      const cls = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym
      const instance = checker.getDeclaredTypeOfSymbol(cls)
      const members = new Set(checker.getPropertiesOfType(instance).map((p) => p.getName()))
      for (let proto = value.prototype; proto && proto !== Object.prototype && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const key of Object.getOwnPropertyNames(proto)) {
          if (key in Object.prototype) continue // constructor, toString: every object has them
          assert.ok(members.has(key), `${name}.${key} is not declared`)
        }
      }
    }
  })

  test('every property of every error is declared on its class', () => {
    const samples = native.__sampleErrors().map((e) => wx.errors.fromInfo(e.info ? e.info() : e))
    assert.ok(samples.length >= 10)
    for (const e of samples) {
      const sym = exported.get(e.name)
      assert.ok(sym, e.name)
      const cls = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym
      const members = new Set(checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(cls)).map((p) => p.getName()))
      assert.ok(members.has('retryable') && typeof e.retryable === 'boolean', e.name)
      for (const key of Object.keys(e)) assert.ok(members.has(key), `${e.name}.${key} is not declared`)
    }
  })

  test('the TSDoc has no Rust-isms', () => {
    for (const file of ['native.d.ts', 'index.d.ts', 'lib/errors.d.ts']) {
      const text = readFileSync(join(root, file), 'utf8')
      const docs = [...text.matchAll(/\/\*\*[\s\S]*?\*\//g)].map((m) => m[0]).join('\n')
      for (const [what, re] of [
        ['a `# Errors` heading', /^\s*\*\s*#+\s/m],
        ['a rustdoc link', /\[`[^`]*`\](?!\()/],
        ['a Rust path', /`[a-z_]+::[A-Za-z_:]+`/],
        ['a Rust type', /\b(Option|Vec|Result|Arc)<|&str\b|\bSelf\b/]
      ]) {
        const m = re.exec(docs)
        // A log record's `target` is a Rust module path, on purpose.
        const ok = !m || (what === 'a Rust path' && /wxface_client::client`/.test(m[0]))
        assert.ok(ok, `${file}: ${what}: ${m && docs.slice(Math.max(0, m.index - 80), m.index + 80)}`)
      }
    }
  })
})
