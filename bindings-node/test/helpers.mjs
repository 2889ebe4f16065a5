// Shared helpers of the test suites: the project's vector corpus and keys.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const here = dirname(fileURLToPath(import.meta.url))
export const vectorsDir = join(here, '..', '..', 'tests', 'vectors')

/** A vector file of tests/vectors as parsed JSON. */
export function vectors (name) {
  return JSON.parse(readFileSync(join(vectorsDir, name), 'utf8'))
}

/** A fixture key or certificate of tests/vectors/keys (path relative to tests/vectors). */
export function key (rel) {
  return readFileSync(join(vectorsDir, rel), 'utf8')
}

/** Every test of a vector file with its group: [{group, test}]. */
export function cases (file, type) {
  const out = []
  for (const group of vectors(file).testGroups) {
    if (type && group.type !== type) continue
    for (const test of group.tests) out.push({ group, test })
  }
  return out
}

/** snake_case -> camelCase for the keys of a plain object (one level). */
export function camel (obj) {
  const out = {}
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined) continue
    out[k.replace(/_([a-z])/g, (_, c) => c.toUpperCase())] = v
  }
  return out
}

/** The full values of a RealName, through its `expose…()` methods. */
export function exposed (id) {
  return { name: id.exposeName(), credentialType: id.credentialType, credentialId: id.exposeCredentialId() }
}

/** Call `fn`; return [value, error]. */
export function attempt (fn) {
  try {
    return [fn(), null]
  } catch (e) {
    return [undefined, e]
  }
}

/** Await `p`; return [value, error]. */
export async function settle (p) {
  try {
    return [await p, null]
  } catch (e) {
    return [undefined, e]
  }
}
