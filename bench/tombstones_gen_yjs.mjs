// A tombstone-heavy document made by yjs itself (yjs issue #741's case): N
// one-character inserts, one transaction each, then the whole text deleted,
// written as yjs' v1 encoding of the state. Shapes:
//   front        one client types every character at the start of the text
//                (each item's right origin is the previous one: none merge)
//   alternating  two clients take turns appending (each item's origin is the
//                other client's last one: none merge)
// Then load it with `weft bench tombstones FILE` and bench/tombstones_yjs.mjs.
//   node --max-old-space-size=16000 bench/tombstones_gen_yjs.mjs front 10000000 /tmp/front-10m.bin
import { createRequire } from 'node:module'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '..', 'tests', 'interop', 'package.json'))
const Y = require('yjs')

const [shape, count, path] = process.argv.slice(2)
const n = Number(count)
if (!['front', 'alternating'].includes(shape) || !Number.isSafeInteger(n) || n < 0 || !path) {
  console.error('usage: node bench/tombstones_gen_yjs.mjs front|alternating N FILE')
  process.exit(2)
}
const doc = new Y.Doc() // gc on, yjs' default
const text = doc.getText('text')
const t0 = performance.now()
for (let i = 0; i < n; i++) {
  if (shape === 'front') {
    doc.clientID = 1
    text.insert(0, 'x')
  } else {
    doc.clientID = 1 + (i % 2)
    text.insert(text.length, 'x')
  }
}
text.delete(0, text.length)
const update = Y.encodeStateAsUpdate(doc)
writeFileSync(path, update)
console.log(JSON.stringify({ engine: 'yjs', shape, items: n, bytes: update.length, genMs: Math.round(performance.now() - t0) }))
