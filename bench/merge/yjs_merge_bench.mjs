// yjs' Y.mergeUpdates(V2) / Y.diffUpdate(V2) on the inputs of bench/merge_bench.cc,
// printed beside weft's figures.
//
//   build/bench/weft_merge_benchmarks            # builds the inputs once, writes weft's outputs
//   node bench/merge/yjs_merge_bench.mjs [DIR] [--runs N] [--filter REGEX] [--max-inputs N]
//
// Throughput is in MiB/s (2^20 bytes), the unit of Google Benchmark's bytes_per_second.
// DIR defaults to $WEFT_MERGE_BENCH_DIR or /tmp/weft-merge-bench. Throughput is
// input bytes (the sum of the merged updates, or the diffed update) per second of
// the fastest of N runs (default 5). For each case the output is compared with
// weft's (DIR/out/*.bin, when present; batched merges as the concatenation of
// the batches' outputs): "same" means byte-identical. Merges of more than
// --max-inputs updates in one call (default 100000) are skipped: yjs filters
// and re-sorts all decoders for every struct it writes, which is quadratic.
// yjs comes from tests/interop/node_modules (yjs 13.6.33).
import { createRequire } from 'node:module'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '..', '..', 'tests', 'interop', 'package.json'))
const Y = require('yjs')

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  if (i < 0) return dflt
  const v = args[i + 1]
  args.splice(i, 2)
  return v
}
const runs = Number(opt('--runs', '5'))
const filter = new RegExp(opt('--filter', '.'))
const maxInputs = Number(opt('--max-inputs', '100000'))
const dir = args[0] ?? process.env.WEFT_MERGE_BENCH_DIR ?? '/tmp/weft-merge-bench'
if (!existsSync(join(dir, 'complete'))) {
  console.error(`no inputs in ${dir}: run build/bench/weft_merge_benchmarks first`)
  process.exit(2)
}

const readList = name => {
  const buf = readFileSync(join(dir, name))
  const out = []
  for (let pos = 0; pos + 4 <= buf.length;) {
    const len = buf.readUInt32LE(pos)
    pos += 4
    out.push(new Uint8Array(buf.buffer, buf.byteOffset + pos, len))
    pos += len
  }
  return out
}

// Fastest of `runs` runs, by CPU time (user + system of this process, as
// Google Benchmark's CPU column) and by wall time.
const time = fn => {
  let best = Infinity
  let bestWall = Infinity
  let result
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    result = fn()
    const wall = Number(process.hrtime.bigint() - t0) / 1e6
    const c = process.cpuUsage(c0)
    best = Math.min(best, (c.user + c.system) / 1000)
    bestWall = Math.min(bestWall, wall)
  }
  return { ms: best, wallMs: bestWall, result }
}

const compare = (outName, bytes) => {
  const p = join(dir, 'out', outName)
  if (!existsSync(p)) return 'no weft output'
  return Buffer.compare(readFileSync(p), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)) === 0 ? 'same' : 'DIFFERENT'
}

const rows = []
const report = (label, inBytes, outBytes, { ms, wallMs }, same) => {
  const mibs = inBytes / 1048576 / (ms / 1000)
  rows.push({ label, inBytes, outBytes, ms, wallMs, mibs, same })
  console.log(`${label.padEnd(34)} ${String(inBytes).padStart(9)} B  cpu ${ms.toFixed(1).padStart(9)} ms  wall ${wallMs.toFixed(1).padStart(9)} ms  ${mibs.toFixed(1).padStart(7)} MiB/s (cpu)  out ${outBytes} B  weft bytes: ${same}`)
}

for (const fmt of ['v1', 'v2']) {
  const merge = fmt === 'v1' ? Y.mergeUpdates : Y.mergeUpdatesV2
  const diff = fmt === 'v1' ? Y.diffUpdate : Y.diffUpdateV2
  const T = fmt.toUpperCase()
  for (const [name, batch] of [['log-automerge', 0], ['log-automerge', 1000], ['log-automerge', 100],
    ['log-3clients', 0], ['log-3clients', 100], ['state+incr', 0]]) {
    const label = `Merge${T}/${name}/${batch ? 'batch' + batch : 'all'}`
    if (!filter.test(label)) continue
    const updates = readList(`${name}.${fmt}.lst`)
    const inBytes = updates.reduce((s, u) => s + u.length, 0)
    const n = batch || updates.length
    if (n > maxInputs) {
      console.log(`${label.padEnd(34)} skipped: ${n} inputs in one call (yjs re-sorts all of them per struct; --max-inputs)`)
      continue
    }
    const t = time(() => {
      const outs = []
      for (let i = 0; i < updates.length; i += n) outs.push(merge(updates.slice(i, i + n)))
      return Buffer.concat(outs)
    })
    const outName = `merge-${name}.${fmt}${batch ? '.batch' + batch : ''}.bin`
    report(label, inBytes, t.result.length, t, compare(outName, t.result))
  }
  for (const sv of ['sv80', 'empty']) {
    const label = `Diff${T}/final/${sv}`
    if (!filter.test(label)) continue
    const update = new Uint8Array(readFileSync(join(dir, `final.${fmt}.bin`)))
    const svBytes = sv === 'empty' ? new Uint8Array([0]) : new Uint8Array(readFileSync(join(dir, `${sv}.bin`)))
    const t = time(() => diff(update, svBytes))
    report(label, update.length, t.result.length, t, compare(`diff-${sv}.${fmt}.bin`, t.result))
  }
}
if (rows.some(r => r.same === 'DIFFERENT')) process.exitCode = 1
