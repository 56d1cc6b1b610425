#!/usr/bin/env node
// Weft beside its peers, in one run (bench/README.md, "Peers"):
//
//   node bench/peers/run.mjs traces    [options]   every trace in bench/traces: Weft, yjs, ywasm, loro, json-joy
//   node bench/peers/run.mjs workloads [options]   B1-B3 and large map / array workloads: Weft and yjs, N = 1e3..1e6
//
// Options:
//   --quick             smoke test: 1 run, the two smallest traces / N = 1000 only
//   --runs K            runs per figure; the table shows the minimum (default 3)
//   --weft PATH         the weft binary (default $WEFT_BIN or build/apps/weft)
//   --peers a,b         traces: peers to run (default yjs,ywasm,loro,json-joy)
//   --traces a,b        traces: names without .json.gz (default all)
//   --workloads a,b     workloads: names (default all; see workloads_yjs.mjs)
//   --sizes a,b         workloads: sizes (default 1000,10000,100000,1000000)
//   --runs-large K      workloads: runs at N >= 1e5 (default 1)
//   --cap N             workloads: largest N for the random-position workloads (default 1e5)
//   --no-caps           workloads: no such limit
//   --cpu               show process CPU time instead of wall time (use on a loaded machine)
//   --timeout S         seconds per process before it counts as a timeout (default 600)
//   --json FILE         write every raw result line to FILE
//   --markdown FILE     write the tables as markdown (for bench/RESULTS.md) to FILE
//   --from-json FILE    run nothing: rebuild the tables from a --json FILE of an earlier run (same options)
//
// Every figure comes from a fresh process (one engine, one trace or workload,
// one size), so memory figures start clean and engines cannot disturb each
// other; runs of different engines are interleaved so machine load hits all
// of them alike.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '../..')
const TRACES_DIR = path.join(ROOT, 'bench/traces')
const ALL_PEERS = ['yjs', 'ywasm', 'loro', 'json-joy']
const ALL_SIZES = [1e3, 1e4, 1e5, 1e6]
// Random-position workloads cost O(N) per operation in yjs' position search
// (Weft's is O(log N)); above 1e5 a full run would take yjs many minutes
// (--no-caps lifts this).
const SIZE_CAPS = { 'b1.4': 1e5, 'b1.5': 1e5, 'b1.7': 1e5, 'b1.11': 1e5, 'b2.2': 1e5, 'b2.3': 1e5, 'b2.4': 1e5, 'array.insert-middle': 1e5 }
const SUPERLINEAR = 1.3 // growth exponent above which a curve is flagged
const log = s => process.stderr.write(s + '\n')

function parseArgs (argv) {
  const o = { mode: argv[0], runs: 3, runsLarge: 1, timeout: 600, caps: true }
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]
    const val = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i] }
    const list = () => val().split(',').filter(Boolean)
    if (a === '--quick') o.quick = true
    else if (a === '--runs') o.runs = Number(val())
    else if (a === '--runs-large') o.runsLarge = Number(val())
    else if (a === '--weft') o.weft = val()
    else if (a === '--peers') o.peers = list()
    else if (a === '--traces') o.traces = list()
    else if (a === '--workloads') o.workloads = list()
    else if (a === '--sizes') o.sizes = list().map(Number)
    else if (a === '--no-caps') o.caps = false
    else if (a === '--cap') o.cap = Number(val())
    else if (a === '--cpu') o.cpu = true
    else if (a === '--timeout') o.timeout = Number(val())
    else if (a === '--json') o.json = val()
    else if (a === '--from-json') o.fromJson = val()
    else if (a === '--markdown') o.markdown = val()
    else throw new Error(`unknown option ${a}`)
  }
  if (o.mode !== 'traces' && o.mode !== 'workloads') throw new Error('usage: run.mjs traces|workloads [options] (see the header of run.mjs)')
  if (o.quick && !argv.includes('--runs')) o.runs = 1
  o.time = key => o.cpu ? key.replace(/Ms$/, 'CpuMs') : key // which timing field the tables show
  o.unit = o.cpu ? 'CPU ms' : 'ms'
  o.weft = o.weft ?? process.env.WEFT_BIN ?? path.join(ROOT, 'build/apps/weft')
  if (!fs.existsSync(o.weft) && !argv.includes('--from-json')) throw new Error(`no weft binary at ${o.weft} (scripts/build.sh release, or --weft PATH)`)
  return o
}

// Every result line, appended to --json FILE as it arrives (a long run that is
// stopped still leaves its results for --from-json).
const raw = []
let jsonFile = null
function saveRaw (res) {
  raw.push(res)
  if (jsonFile) fs.appendFileSync(jsonFile, JSON.stringify(res) + '\n')
}

// Results of an earlier run (--from-json), by engine|trace-or-workload|n, in run order.
let replay = null
const replayKey = r => `${r.engine}|${r.trace ?? r.workload}|${r.n ?? ''}`
function replayed (key) {
  const list = replay.get(key)
  return list?.length ? list.shift() : { ok: false, error: 'not in the --from-json file' }
}

// Runs one child; returns its JSON line, or { ok: false, error } (timeouts included).
function child (cmd, args, timeoutS) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] })
  if (res.error?.code === 'ETIMEDOUT' || res.signal === 'SIGTERM') return { ok: false, timeout: true, error: `timeout after ${timeoutS} s` }
  const line = (res.stdout ?? '').trim().split('\n').filter(l => l.startsWith('{')).pop()
  if (res.status !== 0 || !line) return { ok: false, error: `exit ${res.status}: ${(res.stderr ?? '').trim().split('\n').pop()}` }
  return JSON.parse(line)
}
const nodeChild = (script, args, timeoutS) => child(process.execPath, ['--expose-gc', path.join(HERE, script), ...args], timeoutS)

// Minimum over runs of every numeric field ending in Ms or MemBytes / memBytes;
// other fields from the first run; ok only if every run was ok.
function minimum (runs) {
  const out = { ...runs[0], runs: runs.length }
  for (const r of runs.slice(1)) {
    for (const [k, v] of Object.entries(r)) {
      if (typeof v === 'number' && /(Ms|[mM]emBytes)$/.test(k) && typeof out[k] === 'number') out[k] = Math.min(out[k], v)
    }
    out.ok = out.ok && r.ok
    if (!r.ok && !out.error) out.error = r.error
  }
  return out
}

// ---------- formatting ----------
const fmtMs = v => v == null ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)
const fmtBytes = v => v == null ? '–' : v < 0 ? '~0' : v >= 10 << 20 ? (v / (1 << 20)).toFixed(1) + ' MB' : v >= 10 << 10 ? (v / 1024).toFixed(0) + ' kB' : v + ' B'
const fmtR = r => r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)
const fmtRatio = (a, b) => (a == null || b == null || b <= 0 || a < 0) ? '' : `${fmtR(a / b)}x`
const geomean = xs => xs.length === 0 ? null : Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length)

function textTable (title, head, rows) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map(r => String(r[i]).length)))
  const line = r => r.map((c, i) => i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i])).join('  ')
  return [title, line(head), w.map(n => '-'.repeat(n)).join('  '), ...rows.map(line), ''].join('\n')
}
function mdTable (title, head, rows) {
  return [`**${title}**`, '', `| ${head.join(' | ')} |`, `| ${head.map((_, i) => i === 0 ? ':--' : '--:').join(' | ')} |`,
    ...rows.map(r => `| ${r.join(' | ')} |`), ''].join('\n')
}

function machine (o) {
  const cpus = os.cpus()
  return `${cpus.length} x ${cpus[0]?.model ?? '?'}, load average ${os.loadavg().map(x => x.toFixed(1)).join(' ')} at the end, ` +
    `node ${process.version}, ${o.runs} run(s) per figure${o.mode === 'workloads' ? ` (${Math.min(o.runs, o.runsLarge)} at N >= 1e5)` : ''}, minimum shown`
}

// ---------- traces ----------
function traceMode (o) {
  const peers = o.peers ?? ALL_PEERS
  let traces = o.traces ?? fs.readdirSync(TRACES_DIR).filter(f => f.endsWith('.json.gz')).map(f => f.replace(/\.json\.gz$/, ''))
  if (o.quick && !o.traces) {
    traces = traces.map(t => [t, fs.statSync(path.join(TRACES_DIR, t + '.json.gz')).size]).sort((a, b) => a[1] - b[1]).slice(0, 2).map(x => x[0])
  }
  const engines = ['weft', ...peers]
  const results = {} // trace -> engine -> minimum
  for (const t of traces) {
    const file = path.join(TRACES_DIR, t + '.json.gz')
    const runs = Object.fromEntries(engines.map(e => [e, []]))
    const timedOut = new Set()
    for (let r = 0; r < o.runs; r++) {
      for (const e of engines) {
        if (timedOut.has(e)) continue
        const res = replay ? replayed(`${e}|${t}|`)
          : e === 'weft' ? child(o.weft, ['bench', 'trace', file], o.timeout) : nodeChild('trace_peer.mjs', [e, file], o.timeout)
        res.engine = e
        res.trace = t
        saveRaw(res)
        runs[e].push(res)
        if (res.timeout) timedOut.add(e)
        log(`${t} ${e} run ${r + 1}: ${res.ok ? `apply ${fmtMs(res[o.time('applyMs')])} ${o.unit}` : 'FAILED ' + res.error}`)
      }
    }
    results[t] = Object.fromEntries(engines.map(e => [e, minimum(runs[e])]))
  }

  const tables = []
  const metric = (title, key, fmt) => {
    const head = ['trace', 'weft', ...peers.map(p => `${p} (weft/${p})`)]
    const rows = traces.map(t => {
      const w = results[t].weft[key]
      return [t, fmt(w), ...peers.map(p => {
        const v = results[t][p][key]
        return v == null ? '–' : `${fmt(v)} (${fmtRatio(w, v)})`
      })]
    })
    rows.push(['geometric mean of weft/peer', '', ...peers.map(p => {
      const g = geomean(traces.map(t => [results[t].weft[key], results[t][p][key]]).filter(([a, b]) => a > 0 && b > 0).map(([a, b]) => a / b))
      return g == null ? '–' : `${fmtR(g)}x`
    })])
    tables.push({ title, head, rows })
  }
  const u = o.unit
  metric(`apply, ${u} (one transaction per patch)`, o.time('applyMs'), fmtMs)
  metric(`apply + emit one update per transaction, ${u}`, o.time('applyEmitMs'), fmtMs)
  metric(`fresh peer applies those updates one by one, ${u}`, o.time('updateApplyMs'), fmtMs)
  metric(`load the encoded document (v1; loro snapshot; json-joy binary) and read the text, ${u}`, o.time('loadMs'), fmtMs)
  metric(`encode the document (v1; loro snapshot; json-joy binary), ${u}`, o.time('encodeMs'), fmtMs)
  metric('encoded size (update v1; loro snapshot; json-joy binary)', 'docBytes', fmtBytes)
  metric('encoded size (update v2; loro update)', 'docBytesV2', fmtBytes)
  metric('memory after apply (weft: malloc in use; node: JS heap + wasm memory growth, after GC)', 'memBytes', fmtBytes)
  // '–' when either side has no bytes (failed or timed out).
  const same = (a, b) => a == null || b == null ? '–' : a === b ? 'yes' : 'NO'
  tables.push({
    title: 'checks (ok = final text equals the trace\'s endContent after apply, load and remote apply)',
    head: ['trace', 'all ok', 'weft v1 = yjs v1', 'weft v2 = yjs v2', ...(peers.includes('ywasm') ? ['ywasm v1 = yjs v1'] : [])],
    rows: traces.map(t => {
      const R = results[t]
      return [t, engines.filter(e => !R[e].ok).map(e => e + ' FAILED').join(', ') || 'yes',
        same(R.weft.docSha256, R.yjs?.docSha256), same(R.weft.docV2Sha256, R.yjs?.docV2Sha256),
        ...(peers.includes('ywasm') ? [same(R.ywasm.docSha256, R.yjs?.docSha256)] : [])]
    })
  })
  return { tables, failed: traces.some(t => engines.some(e => !results[t][e].ok || (results[t].yjs && results[t].weft.docSha256 !== results[t].yjs.docSha256))) }
}

// ---------- workloads ----------
async function workloadMode (o) {
  const { WORKLOAD_NAMES } = await import('./workloads_yjs.mjs')
  const names = o.workloads ?? WORKLOAD_NAMES
  for (const n of names) if (!WORKLOAD_NAMES.includes(n)) throw new Error(`unknown workload ${n}`)
  const sizes = o.sizes ?? (o.quick ? [1e3] : ALL_SIZES)
  const engines = ['weft', 'yjs']
  const results = {} // name -> n -> engine -> minimum
  for (const name of names) {
    results[name] = {}
    const timedOut = new Set()
    for (const n of sizes) {
      if (o.caps && SIZE_CAPS[name] && n > (o.cap ?? SIZE_CAPS[name])) continue
      const runs = { weft: [], yjs: [] }
      for (let r = 0; r < (n >= 1e5 ? Math.min(o.runs, o.runsLarge) : o.runs); r++) {
        for (const e of engines) {
          if (timedOut.has(e)) continue
          const res = replay ? replayed(`${e}|${name}|${n}`)
            : e === 'weft' ? child(o.weft, ['bench', 'workload', name, String(n)], o.timeout)
              : nodeChild('workloads_yjs.mjs', [name, String(n)], o.timeout)
          res.engine = e
          res.workload = name
          res.n = n
          saveRaw(res)
          runs[e].push(res)
          if (res.timeout) timedOut.add(e)
          log(`${name} N=${n} ${e} run ${r + 1}: ${res.ok ? `ops ${fmtMs(res[o.time('opsMs')])} ${o.unit}` : 'FAILED ' + res.error}`)
        }
      }
      results[name][n] = Object.fromEntries(engines.filter(e => runs[e].length).map(e => [e, minimum(runs[e])]))
    }
  }

  const cell = (R, key, fmt) => {
    const w = R.weft?.[key]; const y = R.yjs?.[key]
    return `${fmt(w)} / ${fmt(y)}${w != null && y != null ? ` (${fmtRatio(w, y)})` : ''}`
  }
  const rows = []
  for (const name of names) {
    for (const n of Object.keys(results[name]).map(Number)) {
      const R = results[name][n]
      const status = ['weft', 'yjs'].map(e => R[e] && !R[e].ok ? `${e} ${R[e].timeout ? 'timeout' : 'FAILED'}` : '').filter(Boolean).join(', ')
      const same = R.weft && R.yjs ? (R.weft.docSha256 === R.yjs.docSha256 ? 'v1' : 'NO') + (R.weft.docV2Sha256 === R.yjs.docV2Sha256 ? '+v2' : ' (v2 NO)') : '–'
      rows.push([name, n.toLocaleString('en-US'), cell(R, o.time('opsMs'), fmtMs), cell(R, o.time('remoteMs'), fmtMs), cell(R, o.time('encodeMs'), fmtMs),
        cell(R, o.time('loadMs'), fmtMs), fmtBytes(R.weft?.docBytes ?? R.yjs?.docBytes), fmtBytes(R.weft?.docBytesV2 ?? R.yjs?.docBytesV2),
        cell(R, 'loadMemBytes', fmtBytes), status || same])
    }
  }
  const tables = [{
    title: 'workloads: weft / yjs (weft/yjs); ops = the workload\'s changes (B2: both transactions + exchange + check; B3: the clients\' changes), ' +
      'remote = a fresh peer applies the updates (B3: all in one transaction), load = v1 state into a fresh doc + read',
    head: ['workload', 'N', `ops ${o.unit}`, `remote ${o.unit}`, `encode v1 ${o.unit}`, `load ${o.unit}`, 'v1 size', 'v2 size', 'memory after load', 'same bytes as yjs'],
    rows
  }]

  // Scaling: growth exponent k between consecutive sizes (time ~ N^k), from the last pair whose times are
  // >= 5 ms (CPU time: >= 1 ms; it is steadier).
  const minTime = o.cpu ? 1 : 5
  const exponent = (name, e, key) => {
    const ns = Object.keys(results[name]).map(Number).filter(n => results[name][n][e]?.ok && results[name][n][e][key] >= minTime)
    if (ns.length < 2) return null
    const [a, b] = ns.slice(-2)
    // B3 grows with its client count m = 20 floor(sqrt(N)), not with N.
    const size = n => results[name][n][e].clients ?? n
    return Math.log(results[name][b][e][key] / results[name][a][e][key]) / Math.log(size(b) / size(a))
  }
  const srows = []
  for (const name of names) {
    const ns = Object.keys(results[name]).map(Number)
    if (ns.length < 2) continue
    for (const e of engines) {
      const ks = ['opsMs', 'remoteMs', 'loadMs'].map(k => exponent(name, e, o.time(k)))
      const flag = ks.some(k => k != null && k > SUPERLINEAR) ? 'SUPER-LINEAR' : ''
      srows.push([name, e, ...ns.map(n => { const r = results[name][n][e]; return r ? (r.ok ? fmtMs(r[o.time('opsMs')]) : r.timeout ? 'timeout' : 'failed') : '–' }),
        ...ks.map(k => k == null ? '–' : k.toFixed(2)), flag])
    }
  }
  if (srows.length) {
    const allN = [...new Set(names.flatMap(n => Object.keys(results[n]).map(Number)))].sort((a, b) => a - b)
    // Rows of workloads with fewer sizes are padded so the columns line up.
    for (const r of srows) {
      const ns = Object.keys(results[r[0]]).map(Number)
      const times = r.slice(2, 2 + ns.length)
      const padded = allN.map(n => ns.includes(n) ? times[ns.indexOf(n)] : '–')
      r.splice(2, ns.length, ...padded)
    }
    tables.push({
      title: `scaling: ops ${o.unit} at each N; k = growth exponent over the largest pair of sizes with times >= ${minTime} ms (time ~ N^k; b3: time ~ m^k, m clients); flagged when k > ${SUPERLINEAR}`,
      head: ['workload', 'engine', ...allN.map(n => `N=${n.toLocaleString('en-US')}`), 'k ops', 'k remote', 'k load', ''],
      rows: srows
    })
  }
  const failed = names.some(name => Object.values(results[name]).some(R => (R.weft && !R.weft.ok && !R.weft.timeout) || (R.yjs && !R.yjs.ok && !R.yjs.timeout) ||
    (R.weft?.ok && R.yjs?.ok && R.weft.docSha256 !== R.yjs.docSha256)))
  return { tables, failed }
}

// ---------- main ----------
let o
try {
  o = parseArgs(process.argv.slice(2))
} catch (e) {
  log(`run.mjs: ${e.message}`)
  process.exit(2)
}
if (o.fromJson) {
  replay = new Map()
  for (const line of fs.readFileSync(o.fromJson, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(line)
    const k = replayKey(r)
    if (!replay.has(k)) replay.set(k, [])
    replay.get(k).push(r)
  }
}
if (o.json) { jsonFile = o.json; fs.writeFileSync(jsonFile, '') }
const { tables, failed } = o.mode === 'traces' ? traceMode(o) : await workloadMode(o)
const where = machine(o)
process.stdout.write(`\n${where}\n\n` + tables.map(t => textTable(t.title, t.head, t.rows)).join('\n'))
if (o.markdown) {
  fs.writeFileSync(o.markdown, `Machine: ${where}. Command: \`bench/peers/run.sh ${process.argv.slice(2).join(' ')}\`.\n\n` +
    tables.map(t => mdTable(t.title, t.head, t.rows)).join('\n'))
  log(`markdown written to ${o.markdown}`)
}
if (failed) { log('run.mjs: some runs failed or Weft\'s bytes differ from yjs\' (see the tables)'); process.exit(1) }
