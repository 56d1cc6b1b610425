// Golden vectors from the real yjs / lib0 (tests/interop/node_modules).
// Run: node tests/vectors/gen_vectors.mjs   (writes lib0.jsonl, updates.jsonl here)
// Deterministic: fixed client ids, seeded PRNG, no Math.random/Date in content.
import { createRequire } from 'node:module'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '../interop/package.json'))
const Y = await import(require.resolve('yjs'))
const lib0dir = dirname(require.resolve('lib0/package.json'))
const encoding = await import(join(lib0dir, 'encoding.js'))

const hex = u8 => Buffer.from(u8).toString('hex')
const units = s => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i))

// Tagged JSON form of a JS value, lossless for -0, NaN, undefined, BigInt, bytes, lone surrogates.
const tag = v => {
  if (v === undefined) return { t: 'undef' }
  if (v === null) return { t: 'null' }
  if (typeof v === 'boolean') return { t: 'bool', v }
  if (typeof v === 'number') {
    const dv = new DataView(new ArrayBuffer(8))
    dv.setFloat64(0, v)
    return { t: 'num', v: hex(new Uint8Array(dv.buffer)) }
  }
  if (typeof v === 'bigint') return { t: 'big', v: v.toString() }
  if (typeof v === 'string') return { t: 'str', v: units(v) }
  if (v instanceof Uint8Array) return { t: 'bytes', v: hex(v) }
  if (Array.isArray(v)) return { t: 'arr', v: v.map(tag) }
  return { t: 'obj', v: Object.keys(v).map(k => [units(k), tag(v[k])]) }
}

// ---------------- lib0 primitives ----------------
const lib0 = []
const enc = f => { const e = encoding.createEncoder(); f(e); return hex(encoding.toUint8Array(e)) }
for (const n of [0, 1, 127, 128, 300, 2 ** 14, 2 ** 21 - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
  lib0.push({ op: 'varUint', n: String(n), hex: enc(e => encoding.writeVarUint(e, n)) })
}
for (const n of [0, -0, 1, -1, 63, -63, 64, -64, 65, -65, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1)]) {
  lib0.push({ op: 'varInt', n: Object.is(n, -0) ? '-0' : String(n), hex: enc(e => encoding.writeVarInt(e, n)) })
}
const strings = ['', 'hello', 'ü', 'ä€', '中文字', 'a😀', '😀😀x', '\ud800', 'a\udc00b', '\ud83d', 'x\u0000y', '\ufeffbom']
for (const s of strings) lib0.push({ op: 'varString', s: units(s), hex: enc(e => encoding.writeVarString(e, s)) })

const anys = [
  undefined, null, true, false, 0, -0, 1, -1, 63, 64, -64, 2 ** 31 - 1, -(2 ** 31 - 1), 2 ** 31, -(2 ** 31),
  2 ** 40, 2 ** 53 - 1, 0.5, -1.25, 0.1, 1 / 3, NaN, Infinity, -Infinity, 1e300, 5e-324, 3.4028234663852886e38,
  123456789012345680000, 0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 'str', '', 'a😀', '\ud800x',
  new Uint8Array([]), new Uint8Array([1, 2, 255]), [], [1, 'a', null, [true]],
  {}, { b: 1, 1: 2, a: 3 }, { 10: 'x', 2: 'y', '02': 'z', '-1': 'w', 4294967295: 'big', 4294967294: 'max' },
  { nested: { deep: [1, { x: -0 }] }, arr: [new Uint8Array([7])], u: undefined },
  { '😀': 1, '': 2 }
]
for (const a of anys) lib0.push({ op: 'any', value: tag(a), hex: enc(e => encoding.writeAny(e, a)) })

const jsons = [
  0, -0, 1, -1, 1.5, 0.1, 0.1 + 0.2, 1e21, 1e-7, 1.5e-7, 1e20, 123456789012345680000, 5e-324, 1.7976931348623157e308,
  2 ** 53, 2 ** 53 + 2, -1e-7, 1e-6, 0.000001234, 123e-20, 1.2e21, NaN, Infinity, null, true, 'plain',
  'q"b\\s/\b\f\n\r\t\u0001\u001f\u007f\u2028', '\ud800', 'a\udfffb', '😀', [1, undefined, null], { b: 1, 1: 2, a: undefined },
  { x: [{ y: 'z' }], e: {}, f: [] }
]
for (const j of jsons) lib0.push({ op: 'json', value: tag(j), text: JSON.stringify(j) })
for (const t of ['{"a":1,"a":2,"1":3}', '[1e400,-1e400,1e-400,-0,0.1e1]', '"\\ud83d\\ude00\\ud800"', ' { "k" : [ ] } ']) {
  lib0.push({ op: 'json_parse', text: t, value: tag(JSON.parse(t)) })
}

const column = (E, values) => { const e = new E(); values.forEach(v => e.write(v)); return hex(e.toUint8Array()) }
const rle = values => { const e = new encoding.RleEncoder(encoding.writeUint8); values.forEach(v => e.write(v)); return hex(encoding.toUint8Array(e)) }
const seqs = [[], [0], [0, 0, 0], [1], [1, 1], [5, 5, 5, 6, 0, 0, 7], [1, 2, 3, 4, 5], [10, 8, 6, 4, 2, 0], [3, 1, 4, 1, 5, 9, 2, 6], [0, 2 ** 45, 2 ** 45, 0]]
for (const s of seqs) {
  lib0.push({ op: 'uint_opt_rle', values: s.map(String), hex: column(encoding.UintOptRleEncoder, s) })
  lib0.push({ op: 'int_diff_opt_rle', values: s.map(String), hex: column(encoding.IntDiffOptRleEncoder, s) })
  if (s.every(v => v < 256)) lib0.push({ op: 'rle_u8', values: s.map(String), hex: rle(s) })
}
for (const s of [[], [''], ['a', 'bc', ''], ['ab', 'ab', 'ab'], ['x\ud83d', '\ude00y'], ['\ud800'], ['long string number one', 'two', '😀']]) {
  lib0.push({ op: 'string_column', values: s.map(units), hex: column(encoding.StringEncoder, s) })
}

// ---------------- update scenarios ----------------
let seed = 1
const rand = () => { // mulberry32
  seed |= 0; seed = seed + 0x6D2B79F5 | 0
  let t = Math.imul(seed ^ seed >>> 15, 1 | seed)
  t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t
  return ((t ^ t >>> 14) >>> 0) / 4294967296
}
const rint = n => Math.floor(rand() * n)
const pick = a => a[rint(a.length)]

const newDoc = (client, opts = {}) => {
  const d = new Y.Doc(opts)
  d.clientID = client
  d.txns = []
  d.on('update', u => d.txns.push(u))
  return d
}
const sync = (a, b) => {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
}

const scenarios = []
const add = (name, docs) => scenarios.push({ name, docs: Array.isArray(docs) ? docs : [docs] })

{ const d = newDoc(1); d.getText('t').insert(0, 'ab'); add('text_ab', d) }
{
  const d = newDoc(7); const t = d.getText('t')
  t.insert(0, 'hello'); t.format(1, 2, { bold: true }); t.insertEmbed(3, { image: 'x.png', w: 1.5 })
  t.format(0, 4, { italic: 'yes', bold: null }); t.insert(2, 'Z', { color: '#f00' }); t.delete(4, 2)
  add('rich_text', d)
}
for (const gc of [true, false]) {
  const d = newDoc(2, { gc }); const m = d.getMap('m')
  m.set('k', 1); m.set('k', 'x'); m.set('o', { a: [1, 2], 1: null }); m.set('k', -0); m.delete('o'); m.set('big', 2 ** 40)
  add('map_overwrite_gc_' + gc, d)
}
{
  const d = newDoc(3); const a = d.getArray('a')
  a.insert(0, [1, 'two', null, true, 0.1, new Uint8Array([1, 2])])
  const m = new Y.Map(); a.insert(2, [m]); m.set('inner', 'v'); const ia = new Y.Array(); m.set('list', ia); ia.push([1, 2, 3])
  const t = new Y.Text('pre'); a.push([t]); t.insert(3, '-post')
  a.delete(0, 2); a.insert(1, [{ deep: { x: [1] } }, [1, [2]]])
  add('array_nested', d)
}
{
  const d = newDoc(9); const f = d.getXmlFragment('f')
  const p = new Y.XmlElement('p'); f.insert(0, [p]); p.setAttribute('class', 'c')
  const tx = new Y.XmlText(); p.insert(0, [tx]); tx.insert(0, 'hi'); tx.format(0, 1, { b: true })
  const h = new Y.XmlHook('hook'); f.push([h]); h.set('k', 'v'); f.push([new Y.XmlElement('p'), new Y.XmlElement('div')])
  f.delete(2, 1)
  add('xml', d)
}
{
  const d = newDoc(11); const m = d.getMap('docs')
  m.set('a', new Y.Doc({ guid: 'sub-a' })); m.set('b', new Y.Doc({ guid: 'sub-b', gc: false, autoLoad: true, meta: { m: 1 } }))
  m.set('c', new Y.Doc({ guid: 'sub-c', meta: 'x' })); m.delete('a')
  add('subdoc', d)
}
for (const gc of [true, false]) {
  const d = newDoc(4, { gc }); const t = d.getText('t'); const a = d.getArray('arr')
  t.insert(0, 'abcdefghij'); t.delete(2, 3); t.insert(1, 'XY'); t.delete(0, 4)
  const m = new Y.Map(); a.push([m]); m.set('x', 1); m.set('y', new Y.Array()); a.delete(0, 1)
  add('deletes_gc_' + gc, d)
}
{
  const d = newDoc(5); const t = d.getText('t')
  t.insert(0, '中文😀abc🎉'); t.insert(3, 'é'); t.delete(7, 2); t.insert(0, '👍🏽')
  add('emoji_cjk', d)
}
{
  const d = newDoc(6); const t = d.getText('t')
  t.insert(0, 'a😀b'); t.insert(2, 'x') // splits the surrogate pair: both halves become U+FFFD
  add('surrogate_split', d)
}
{
  const a = newDoc(100); const b = newDoc(200); const c = newDoc(4000000000)
  a.getText('t').insert(0, 'hello'); sync(a, b); b.getText('t').insert(5, ' world'); a.getText('t').insert(0, '>')
  c.getMap('m').set('who', 'c'); sync(a, c); sync(b, c); a.getText('t').delete(1, 3); sync(a, b)
  add('multi_client', [a, b, c])
}
{ const d = newDoc(8); add('empty', d) }
for (let s = 1; s <= 12; s++) {
  seed = s * 7919
  const gc = s % 2 === 0
  const peers = [newDoc(10 + s, { gc }), newDoc(1000 + s, { gc }), newDoc(2 ** 31 + s, { gc })]
  for (let step = 0; step < 25; step++) {
    const d = pick(peers); const op = rint(10)
    const t = d.getText('text'); const arr = d.getArray('arr'); const m = d.getMap('map')
    if (op < 3) {
      t.insert(rint(t.length + 1), pick(['a', 'bc', 'xyz', '中', '😀', 'héllo']), rint(3) === 0 ? { bold: true } : undefined)
    } else if (op < 4 && t.length > 0) {
      const i = rint(t.length); t.delete(i, Math.min(1 + rint(3), t.length - i))
    } else if (op < 5 && t.length > 0) {
      const i = rint(t.length); t.format(i, 1 + rint(t.length - i), { italic: rint(2) ? true : null })
    } else if (op < 7) {
      arr.insert(rint(arr.length + 1), [pick([1, 'v', { o: rint(100) }, [rint(5)], new Uint8Array([rint(256)]), 2 ** 33 + 0.5])])
    } else if (op < 8 && arr.length > 0) {
      arr.delete(rint(arr.length), 1)
    } else if (op < 9) {
      m.set(pick(['a', 'b', 'c']), pick([rint(1000), 'str', null, true]))
    } else {
      const x = pick(peers); const y = pick(peers); if (x !== y) sync(x, y)
    }
  }
  add('random_' + s, peers)
}

// Legacy ContentJSON (ref 2) cannot be produced through the API: hand-written v1 bytes.
const legacyJson = (() => {
  const e = encoding.createEncoder()
  const w = (...b) => b.forEach(x => encoding.writeUint8(e, x))
  w(1, 2, 5, 0) // 1 client, 2 structs, client 5, clock 0
  w(2); encoding.writeVarUint(e, 1); encoding.writeVarString(e, 'j') // JSON, root "j"
  encoding.writeVarUint(e, 3); ['{"a":1,"b":[true,null]}', 'undefined', '"s\\u0000"'].forEach(s => encoding.writeVarString(e, s))
  w(0x82); encoding.writeVarUint(e, 5); encoding.writeVarUint(e, 2) // JSON with origin (5,2)
  encoding.writeVarUint(e, 1); encoding.writeVarString(e, '1.5e-7')
  w(1, 5, 1, 0, 1) // delete set: client 5: [0,1)
  return encoding.toUint8Array(e)
})()

const out = []
const svHex = u => hex(Y.encodeStateVectorFromUpdate(u))
for (const { name, docs } of scenarios) {
  const doc = docs[0]
  const v1 = Y.encodeStateAsUpdate(doc)
  const v2 = Y.encodeStateAsUpdateV2(doc)
  const txns = docs.flatMap(d => d.txns)
  const rec = { name, v1: hex(v1), v2: hex(v2), sv: hex(Y.encodeStateVector(doc)), txns_v1: txns.map(hex) }
  rec.txns_v2 = txns.map(u => hex(Y.convertUpdateFormatV1ToV2(u)))
  rec.sv_from_v1 = svHex(v1)
  rec.sv_from_v2 = hex(Y.encodeStateVectorFromUpdateV2(v2))
  rec.conv_v1_v2 = hex(Y.convertUpdateFormatV1ToV2(v1))
  rec.conv_v2_v1 = hex(Y.convertUpdateFormatV2ToV1(v2))
  // Merges of subsets of the per-transaction updates (orders, gaps, overlaps).
  const subsets = []
  if (txns.length > 0) {
    subsets.push(txns.map((_, i) => i))
    subsets.push(txns.map((_, i) => txns.length - 1 - i))
    subsets.push(txns.map((_, i) => i).filter(i => i % 2 === 0))
    subsets.push([0, txns.length - 1])
    if (txns.length > 2) subsets.push([1, 0, 2])
  }
  rec.merges = subsets.map(idx => {
    const us = idx.map(i => txns[i])
    return { idx, v1: hex(Y.mergeUpdates(us)), v2: hex(Y.mergeUpdatesV2(us.map(u => Y.convertUpdateFormatV1ToV2(u)))) }
  })
  // A merge that overlaps a full state with partial ones.
  if (txns.length > 1) {
    const us = [v1, txns[txns.length - 1], txns[0]]
    rec.merges.push({ idx: [-1, txns.length - 1, 0], v1: hex(Y.mergeUpdates(us)), v2: hex(Y.mergeUpdatesV2(us.map(u => Y.convertUpdateFormatV1ToV2(u)))) })
  }
  // Diffs against the state after each prefix of transactions, and a hand-made SV.
  const svs = [new Uint8Array([0])]
  for (let k = 1; k < txns.length; k += Math.max(1, Math.floor(txns.length / 4))) {
    svs.push(Y.encodeStateVectorFromUpdate(Y.mergeUpdates(txns.slice(0, k))))
  }
  const decodedSv = Y.decodeStateVector(Y.encodeStateVector(doc))
  const halfSv = new Map([...decodedSv].map(([c, k]) => [c, Math.floor(k / 2)]))
  const e = encoding.createEncoder(); encoding.writeVarUint(e, halfSv.size); halfSv.forEach((k, c) => { encoding.writeVarUint(e, c); encoding.writeVarUint(e, k) })
  svs.push(encoding.toUint8Array(e))
  rec.diffs = svs.map(sv => ({ sv: hex(sv), v1: hex(Y.diffUpdate(v1, sv)), v2: hex(Y.diffUpdateV2(v2, sv)) }))
  // Diffs of merged updates (these contain Skips when transactions are missing).
  if (txns.length > 2) {
    const gappy = Y.mergeUpdates(txns.filter((_, i) => i % 2 === 0))
    rec.gappy = hex(gappy)
    rec.gappy_sv = svHex(gappy)
    rec.gappy_conv = hex(Y.convertUpdateFormatV1ToV2(gappy))
    rec.gappy_diffs = svs.map(sv => ({ sv: hex(sv), v1: hex(Y.diffUpdate(gappy, sv)) }))
  }
  out.push(rec)
}
{
  const u = legacyJson
  out.push({
    name: 'legacy_json', v1: hex(u), v2: hex(Y.convertUpdateFormatV1ToV2(u)), sv: svHex(u), txns_v1: [hex(u)],
    txns_v2: [hex(Y.convertUpdateFormatV1ToV2(u))], sv_from_v1: svHex(u),
    sv_from_v2: hex(Y.encodeStateVectorFromUpdateV2(Y.convertUpdateFormatV1ToV2(u))),
    conv_v1_v2: hex(Y.convertUpdateFormatV1ToV2(u)), conv_v2_v1: hex(Y.convertUpdateFormatV2ToV1(Y.convertUpdateFormatV1ToV2(u))),
    merges: [], diffs: [{ sv: '010501', v1: hex(Y.diffUpdate(u, new Uint8Array([1, 5, 1]))), v2: hex(Y.diffUpdateV2(Y.convertUpdateFormatV1ToV2(u), new Uint8Array([1, 5, 1]))) }]
  })
}

writeFileSync(join(here, 'lib0.jsonl'), lib0.map(x => JSON.stringify(x)).join('\n') + '\n')
writeFileSync(join(here, 'updates.jsonl'), out.map(x => JSON.stringify(x)).join('\n') + '\n')
console.log(`lib0: ${lib0.length} cases, updates: ${out.length} scenarios`)
