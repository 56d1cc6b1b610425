// yjs beside weft_benchmarks' BM_KeystrokeAmongClients: a text that N
// clients typed one character each into (a client per session), then 20,000
// one-character inserts near its start by one more client, one transaction
// each. Prints one JSON line per N with the time per insert:
//   node bench/keystroke_among_clients_yjs.mjs 1 1000 10000
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '..', 'tests', 'interop', 'package.json'))
const Y = require('yjs')

const sizes = process.argv.slice(2).map(Number)
if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 0)) {
  console.error('usage: node bench/keystroke_among_clients_yjs.mjs N [N ...]')
  process.exit(2)
}
for (const clients of sizes) {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  for (let c = 0; c < clients; c++) {
    doc.clientID = 1000 + c
    text.insert(text.length, 'x')
  }
  doc.clientID = 5
  const inserts = 20000
  const t0 = performance.now()
  for (let i = 0; i < inserts; i++) text.insert(i % 7, 'y')
  const us = ((performance.now() - t0) * 1000) / inserts
  console.log(JSON.stringify({ engine: 'yjs', clients, inserts, usPerInsert: Number(us.toFixed(3)) }))
}
