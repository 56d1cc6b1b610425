// Compares Weft's encodeStateAsUpdate (v1) bytes with yjs' for one trace.
//
//   WEFT_BENCH_DUMP_UPDATE=/tmp/weft.bin build-bench/bench/trace_bench bench/traces/T.json.gz
//   node bench/compare_yjs.mjs bench/traces/T.json.gz /tmp/weft.bin
//
// Replays the trace with yjs from tests/interop/node_modules exactly as the
// peer harness does (client 1234567890, one transaction per patch: delete,
// then insert), then reports sizes, SHA-256, the first differing byte and the
// first differing struct / delete-set entry (Y.decodeUpdate of both).
import { createRequire } from 'node:module'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '..', 'tests', 'interop', 'package.json'))
const Y = require('yjs')

const [tracePath, weftPath] = process.argv.slice(2)
if (!tracePath || !weftPath) {
  console.error('usage: node bench/compare_yjs.mjs TRACE.json[.gz] WEFT_UPDATE.bin')
  process.exit(2)
}
let raw = readFileSync(tracePath)
if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw)
const trace = JSON.parse(raw.toString('utf8'))

const doc = new Y.Doc()
doc.clientID = 1234567890
const text = doc.getText('text')
for (const txn of trace.txns) {
  for (const [pos, del, ins] of txn.patches) {
    doc.transact(() => {
      if (del > 0) text.delete(pos, del)
      if (ins !== '') text.insert(pos, ins)
    })
  }
}
if (text.toString() !== trace.endContent) console.error('yjs: WRONG final text')
const yBytes = Y.encodeStateAsUpdate(doc)
const wBytes = new Uint8Array(readFileSync(weftPath))
const sha = b => createHash('sha256').update(b).digest('hex')
console.log(`yjs  ${yBytes.length} bytes sha256 ${sha(yBytes)}`)
console.log(`weft ${wBytes.length} bytes sha256 ${sha(wBytes)}`)

let i = 0
while (i < yBytes.length && i < wBytes.length && yBytes[i] === wBytes[i]) i++
if (i === yBytes.length && i === wBytes.length) {
  console.log('identical')
  process.exit(0)
}
const hex = (b, from) => Array.from(b.slice(from, from + 24), x => x.toString(16).padStart(2, '0')).join(' ')
const from = Math.max(0, i - 8)
console.log(`first differing byte at offset ${i}`)
console.log(`  yjs  @${from}: ${hex(yBytes, from)}`)
console.log(`  weft @${from}: ${hex(wBytes, from)}`)

const show = s => JSON.stringify(s, (k, v) => (k === 'doc' || k === 'parent' && v && typeof v === 'object' ? undefined : v))
const describe = s => `${s.constructor.name} id=${s.id.client}:${s.id.clock} len=${s.length}` +
  (s.origin ? ` origin=${s.origin.client}:${s.origin.clock}` : '') +
  (s.rightOrigin ? ` rightOrigin=${s.rightOrigin.client}:${s.rightOrigin.clock}` : '') +
  (s.content ? ` content=${s.content.constructor.name}${s.content.str !== undefined ? ' ' + JSON.stringify(s.content.str.slice(0, 40)) : ''}` : '')
try {
  const dy = Y.decodeUpdate(yBytes)
  const dw = Y.decodeUpdate(wBytes)
  console.log(`structs: yjs ${dy.structs.length}, weft ${dw.structs.length}`)
  const n = Math.min(dy.structs.length, dw.structs.length)
  let k = 0
  while (k < n && describe(dy.structs[k]) === describe(dw.structs[k]) && show(dy.structs[k].content) === show(dw.structs[k].content)) k++
  if (k < n || dy.structs.length !== dw.structs.length) {
    console.log(`first differing struct #${k}:`)
    for (let j = Math.max(0, k - 2); j < Math.min(k + 3, Math.max(dy.structs.length, dw.structs.length)); j++) {
      console.log(`  #${j} yjs : ${dy.structs[j] ? describe(dy.structs[j]) : '-'}`)
      console.log(`  #${j} weft: ${dw.structs[j] ? describe(dw.structs[j]) : '-'}`)
    }
  } else {
    console.log('structs identical')
  }
  const ds = d => [...d.ds.clients.entries()].map(([c, rs]) => `${c}:${rs.map(r => `${r.clock}+${r.len}`).join(',')}`)
  const dsy = ds(dy).join(' ')
  const dsw = ds(dw).join(' ')
  if (dsy === dsw) {
    console.log(`delete sets identical (${dsy.split(',').length} ranges)`)
  } else {
    const a = dsy.split(','), b = dsw.split(',')
    let m = 0
    while (m < a.length && m < b.length && a[m] === b[m]) m++
    console.log(`delete sets differ: yjs ${a.length} ranges, weft ${b.length}; first difference at range #${m}: yjs ${a[m]} / weft ${b[m]}`)
  }
} catch (e) {
  console.log(`decodeUpdate failed: ${e.message}`)
}
