// yjs on the tombstone document of `weft bench tombstones-gen N FILE`: loads
// FILE into a fresh Y.Doc (gc on, its default), reads the text, re-encodes the
// state (v1), and prints one JSON line with the times and the peak RSS
// (process.resourceUsage().maxRSS). Run it in its own process:
//   node --max-old-space-size=16000 bench/tombstones_yjs.mjs FILE
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '..', 'tests', 'interop', 'package.json'))
const Y = require('yjs')

const path = process.argv[2]
if (!path) {
  console.error('usage: node bench/tombstones_yjs.mjs FILE')
  process.exit(2)
}
const bytes = readFileSync(path)
const rssInput = process.resourceUsage().maxRSS / 1024
const doc = new Y.Doc()
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const t0 = performance.now()
const cpu0 = cpuMs()
Y.applyUpdate(doc, bytes)
const textLength = doc.getText('text').toString().length
const loadMs = performance.now() - t0
const loadCpuMs = cpuMs() - cpu0
const rssLoad = process.resourceUsage().maxRSS / 1024
const t1 = performance.now()
const cpu1 = cpuMs()
const encoded = Y.encodeStateAsUpdate(doc)
const encodeMs = performance.now() - t1
const encodeCpuMs = cpuMs() - cpu1
console.log(JSON.stringify({
  engine: 'yjs',
  inputBytes: bytes.length,
  textLength,
  loadMs: Math.round(loadMs * 10) / 10,
  loadCpuMs: Math.round(loadCpuMs * 10) / 10,
  encodeMs: Math.round(encodeMs * 10) / 10,
  encodeCpuMs: Math.round(encodeCpuMs * 10) / 10,
  encodedBytes: encoded.length,
  peakRssInputMB: Math.round(rssInput * 10) / 10,
  peakRssAfterLoadMB: Math.round(rssLoad * 10) / 10,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024 * 10) / 10
}))
