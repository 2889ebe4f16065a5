// The code blocks of a README as TypeScript/JavaScript modules: shared by the
// README test of the source tree (test/readme.test.mjs) and the check of the
// installed packages (readme-blocks.mjs). A block is a fragment of an
// application: the names it takes from its surroundings are declared before
// it (FREE, with their types), and the library classes it names imported.

/** What the fragments take from their surroundings, and its type. */
export const FREE = {
  appid: 'string',
  mchId: 'string',
  v2Key: 'string',
  merchantSerialNo: 'string',
  merchantKeyPem: 'string',
  platformPublicKeyId: 'string',
  platformPublicKeyPem: 'string',
  hospitalCertSerial: 'string',
  hospitalKeyPem: 'string',
  subAppid: 'string',
  rawdata: 'string',
  deviceId: 'string',
  faceSid: 'string',
  forwardedJson: 'string',
  registry: 'Set<string>',
  show: '(...what: unknown[]) => void',
  log: '(...what: unknown[]) => void',
  send: '(to: unknown, json: string) => void',
  hospital: 'unknown',
  req: '{ signal: AbortSignal }',
  client: "import('@wxface/node').MerchantClient"
}

/** The classes of @wxface/node a block may use without importing them. */
export const CLASSES = ['MerchantClient', 'Decryptor', 'RealNameReceiver', 'FaceSdk', 'Kiosk']

/** Whether the block declares `name` itself (const/let/var, destructuring, import). */
export const declares = (code, name) =>
  new RegExp(`\\b(const|let|var)\\s+(\\{[^}]*\\b)?${name}\\b`).test(code) ||
  new RegExp(`import\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`).test(code)

/** Whether the block uses `name` (not as a property, a string or an object key). */
export const uses = (code, name) => new RegExp(`(?<![.\\w'"])${name}\\b(?!\\s*:)`).test(code)

/**
 * The ```lang blocks of `text` whose language is one of `langs`:
 * [{ code, lang, line }], `line` being the block's first line in the file.
 */
export function blocksOf (text, langs) {
  const re = new RegExp(`^\`\`\`(${langs.join('|')})\\n([\\s\\S]*?)^\`\`\``, 'gm')
  return [...text.matchAll(re)].map((m) => ({
    lang: m[1],
    code: m[2],
    line: text.slice(0, m.index).split('\n').length + 1
  }))
}

/** Whether the block is CommonJS (require, no import). */
export const isCommonJs = (code) => /\brequire\(/.test(code) && !/^\s*import\s/m.test(code)

/**
 * The lines to put before the block: imports of the classes it names (ES
 * modules only) and `declare(name, type)` for each name it takes from its
 * surroundings. Returns { head: string[], free: string[] }.
 */
export function headOf (code, declare, { commonjs = false } = {}) {
  const head = []
  const free = []
  if (!commonjs) {
    const classes = CLASSES.filter((c) => uses(code, c) && !declares(code, c))
    if (classes.length) head.push(`import { ${classes.join(', ')} } from '@wxface/node'`)
    if (uses(code, 'wx') && !declares(code, 'wx')) head.push("import * as wx from '@wxface/node'")
  }
  for (const [name, type] of Object.entries(FREE)) {
    if (uses(code, name) && !declares(code, name)) {
      head.push(declare(name, type))
      free.push(name)
    }
  }
  return { head, free }
}
