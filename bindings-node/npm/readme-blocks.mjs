// The JavaScript blocks of the npm packages' READMEs against the INSTALLED
// packages (scripts/dist/node.sh verify): every ```js/```mjs/```ts block
// type-checks with `tsc --strict` (the names a fragment takes from its
// surroundings declared with their types), and every block that takes none
// runs with node. A block not meant to run says so on its first line:
// `// not run: <reason>`.
//
//   WXFACE_README_APP=<dir with node_modules> WXFACE_TSC=<tsc> node readme-blocks.mjs README.md…
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

import { blocksOf, headOf, isCommonJs } from './readme-fragments.mjs'

const app = process.env.WXFACE_README_APP
const tsc = process.env.WXFACE_TSC
if (!app || !tsc) throw new Error('WXFACE_README_APP and WXFACE_TSC are needed')

const dir = join(app, 'readme-blocks')
mkdirSync(dir, { recursive: true })
const checks = []
const runs = []
for (const readme of process.argv.slice(2)) {
  const text = readFileSync(readme, 'utf8')
  const tag = `${basename(dirname(readme))}-${basename(readme, '.md')}`
  let n = 0
  for (const b of blocksOf(text, ['js', 'javascript', 'mjs', 'ts'])) {
    n++
    const code = b.code
    const where = `${readme}:${b.line}`
    const commonjs = isCommonJs(code)
    const { head, free } = headOf(code, (name, type) => `declare const ${name}: ${type}`, { commonjs })
    const base = join(dir, `${tag}-${n}`)
    const file = `${base}.${commonjs ? 'cts' : 'mts'}`
    writeFileSync(file, `${head.join('\n')}\n${code}\n${commonjs ? '' : 'export {}\n'}`)
    checks.push({ file, where })
    const notRun = /^\s*\/\/ not run: (.+)/.exec(code.split('\n')[0])
    if (notRun) {
      console.log(`${where}: type-checked only (${notRun[1]})`)
    } else if (free.length) {
      console.log(`${where}: type-checked only (a fragment: ${free.join(', ')} from its surroundings)`)
    } else {
      const js = `${base}.${commonjs ? 'cjs' : 'mjs'}`
      writeFileSync(js, `${code}\n${commonjs ? '' : 'export {}\n'}`)
      runs.push({ js, where })
    }
  }
}

writeFileSync(join(app, 'tsconfig.readme.json'), JSON.stringify({
  compilerOptions: {
    strict: true,
    noEmit: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022', 'dom'],
    types: ['node'],
    skipLibCheck: true
  },
  files: checks.map((c) => c.file)
}, null, 2))
try {
  execFileSync(tsc, ['-p', join(app, 'tsconfig.readme.json')], { cwd: app, stdio: 'inherit' })
} catch {
  console.error('README blocks: tsc --strict failed (files under ' + dir + ')')
  process.exit(1)
}
console.log(`README blocks: ${checks.length} type-checked (strict)`)

let failed = 0
for (const r of runs) {
  const res = spawnSync(process.execPath, [r.js], { cwd: app, encoding: 'utf8', timeout: 120_000 })
  if (res.status === 0) {
    console.log(`${r.where}: ran`)
  } else {
    failed++
    console.error(`${r.where}: FAILED (${res.status ?? res.signal})\n${res.stdout}${res.stderr}`)
  }
}
console.log(`README blocks: ${runs.length - failed} of ${runs.length} ran`)
process.exit(failed ? 1 : 0)
