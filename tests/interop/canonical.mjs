// Canonical JSON of a Y.Doc: the one textual form both sides of the interop
// suites print and compare (`weft doc json` must print exactly this).
//
// Rules (README.md "Canonical JSON"):
//   roots, with their declared type:  map -> object, array -> array,
//     text -> toString(), xml (XmlFragment) -> toString()
//   nested values: Y.Map -> object, Y.Array -> array, Y.Text -> toString(),
//     XmlElement / XmlText / XmlFragment -> toString(),
//     Uint8Array -> {"$bytes":[n,...]}, Y.Doc (subdoc) -> {"$doc": guid},
//     undefined -> null (also as an object value or array element),
//     other values as JSON.stringify prints them.
//   object keys sorted at every level with the default JS sort (UTF-16 code
//   units); no whitespace.
//
// Keys are emitted by hand because a JS object always lists integer-like keys
// ("2", "10") first, whatever order they were inserted in.

import * as Y from 'yjs'

/** Root kinds the CLI accepts in `--type NAME=KIND`. */
export const ROOT_KINDS = ['map', 'array', 'text', 'xml']

/** The roots every generated session (and weft-peer) uses. */
export const DEFAULT_TYPES = Object.freeze({ m: 'map', a: 'array', t: 'text', x: 'xml' })

/**
 * Converts a value read from a doc into a plain tree whose only objects are
 * arrays, plain objects and the markers above.
 * @param {any} v
 * @return {any}
 */
export const toPlain = v => {
  if (v === undefined) return null
  if (v === null || typeof v !== 'object') return v
  // Order matters: XmlText extends Text, XmlElement extends XmlFragment,
  // XmlHook extends Map.
  if (v instanceof Y.XmlText || v instanceof Y.XmlFragment || v instanceof Y.XmlHook) return v.toString()
  if (v instanceof Y.Text) return v.toString()
  if (v instanceof Y.Map) {
    const o = {}
    for (const [k, x] of v.entries()) o[k] = toPlain(x)
    return o
  }
  if (v instanceof Y.Array) return v.toArray().map(toPlain)
  if (v instanceof Uint8Array) return { $bytes: Array.from(v) }
  if (v instanceof Y.Doc) return { $doc: v.guid }
  if (Array.isArray(v)) return v.map(toPlain)
  const o = {}
  for (const k of Object.keys(v)) o[k] = toPlain(v[k])
  return o
}

/**
 * JSON.stringify with recursively sorted keys and undefined -> null.
 * @param {any} v a plain tree (see toPlain)
 * @return {string}
 */
export const stringifySorted = v => {
  if (v === undefined || v === null) return 'null'
  if (Array.isArray(v)) return '[' + v.map(stringifySorted).join(',') + ']'
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort()
    return '{' + keys.map(k => JSON.stringify(k) + ':' + stringifySorted(v[k])).join(',') + '}'
  }
  const s = JSON.stringify(v)
  return s === undefined ? 'null' : s // functions/symbols never occur; be total anyway
}

/**
 * Reads root `name` as `kind`. Works on a doc that never declared the root
 * (doc.get converts the untyped placeholder) and on one that declared it with
 * the same kind; throws if it was declared with another kind.
 * Declaring a Y.Text root makes later *remote* transactions run formatting
 * cleanup on this doc (yjs-compat 7.3): call this only on docs that will not
 * receive more updates, or that already declared the roots.
 * @param {Y.Doc} doc
 * @param {string} name
 * @param {string} kind
 */
export const getRoot = (doc, name, kind) => {
  switch (kind) {
    case 'map': return doc.getMap(name)
    case 'array': return doc.getArray(name)
    case 'text': return doc.getText(name)
    case 'xml': return doc.getXmlFragment(name)
    default: throw new Error(`unknown root kind ${kind}`)
  }
}

/**
 * @param {Y.Doc} doc
 * @param {Record<string,string>} types root name -> 'map'|'array'|'text'|'xml'
 * @return {string}
 */
export const canonicalJson = (doc, types = DEFAULT_TYPES) => {
  const out = {}
  for (const [name, kind] of Object.entries(types)) {
    const root = getRoot(doc, name, kind)
    out[name] = (kind === 'text' || kind === 'xml') ? root.toString() : toPlain(root)
  }
  return stringifySorted(out)
}

/** `--type` arguments for the weft CLI. */
export const typeArgs = (types = DEFAULT_TYPES) =>
  Object.entries(types).flatMap(([name, kind]) => ['--type', `${name}=${kind}`])

/**
 * canonicalJson of the doc an update (or several) produces in a fresh doc
 * that declares the roots only after applying them: the view of a server.
 * @param {Array<Uint8Array>} updates
 * @param {Record<string,string>} types
 * @param {boolean} v2
 */
export const canonicalJsonOfUpdates = (updates, types = DEFAULT_TYPES, v2 = false) => {
  const doc = new Y.Doc()
  for (const u of updates) (v2 ? Y.applyUpdateV2 : Y.applyUpdate)(doc, u)
  const s = canonicalJson(doc, types)
  doc.destroy()
  return s
}

/**
 * First path where two parsed JSON trees differ, for failure messages.
 * @return {string|null}
 */
export const firstDifference = (a, b, path = '$') => {
  if (a === b) return null
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object' || Array.isArray(a) !== Array.isArray(b)) {
    return `${path}: ${JSON.stringify(a)?.slice(0, 200)} != ${JSON.stringify(b)?.slice(0, 200)}`
  }
  if (Array.isArray(a)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`)
      if (d) return d
    }
    return null
  }
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDifference(a[k], b[k], `${path}.${k}`)
    if (d) return d
  }
  return null
}
