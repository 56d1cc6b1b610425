// The B1-B3 shaped and large map / array workloads for yjs: the same
// operations, random stream (xorshift32, seed 42) and client ids as Weft's
// bench/workloads.cc, so both must end with byte-identical documents.
//   node --expose-gc bench/peers/workloads_yjs.mjs NAME N   -> one JSON line on stdout
// (after one untimed warm-up run at min(N, 1000); WEFT_BENCH_NO_WARMUP=1 skips it)
// Definitions and output fields: bench/README.md, "Workloads".
import crypto from 'node:crypto'
import * as Y from 'yjs'

const now = () => performance.now()
const round = x => Math.round(x * 1000) / 1000
// Process CPU time (all threads, so GC helper threads count): hardly moves with machine load.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const stopwatch = () => ({ w: now(), c: cpu() })
// Writes <phase>Ms (wall) and <phase>CpuMs.
const record = (r, phase, t) => { r[phase + 'Ms'] = round(now() - t.w); r[phase + 'CpuMs'] = round(cpu() - t.c) }
const sha = b => crypto.createHash('sha256').update(b).digest('hex')
const gc = () => { if (global.gc) { global.gc(); global.gc() } }
const heap = () => { gc(); return process.memoryUsage().heapUsed }

class Rng {
  constructor () { this.x = 42 }
  next () {
    let x = this.x
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    this.x = x
    return x
  }
  below (k) { return this.next() % k }
  word (min, max) {
    const len = min + this.below(max - min + 1)
    let w = ''
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + this.below(26))
    return w
  }
}

const letter = (i, first = 97) => String.fromCharCode(first + (i % 26))
const letters = (n, first) => { let s = ''; for (let i = 0; i < n; i++) s += letter(i, first); return s }

const newDoc = clientID => { const d = new Y.Doc(); if (clientID != null) d.clientID = clientID; return d }
const readContent = (doc, root) => {
  if (root === 'text') { const t = doc.getText('text'); t.toString(); return t.length }
  if (root === 'array') return doc.getArray('array').toArray().length
  return doc.getMap('map').size
}

function encodeAndLoad (r, doc, root, expected) {
  let t0 = stopwatch()
  const v1 = Y.encodeStateAsUpdate(doc)
  record(r, 'encode', t0)
  t0 = stopwatch()
  const v2 = Y.encodeStateAsUpdateV2(doc)
  record(r, 'encodeV2', t0)
  r.docBytes = v1.length
  r.docBytesV2 = v2.length
  r.docSha256 = sha(v1)
  r.docV2Sha256 = sha(v2)
  const h0 = heap()
  t0 = stopwatch()
  const loaded = newDoc()
  Y.applyUpdate(loaded, v1)
  const len = readContent(loaded, root)
  record(r, 'load', t0)
  r.loadMemBytes = heap() - h0
  if (len !== expected) r.fail(`loaded length ${len} != ${expected}`)
  loaded.destroy()
}

const sameState = (a, b) => Buffer.from(Y.encodeStateAsUpdate(a)).equals(Buffer.from(Y.encodeStateAsUpdate(b)))

function runSingle (r, root, n, ops) {
  const rng = new Rng()
  let updates = []
  let updateBytes = 0
  const doc = newDoc(1)
  doc.on('updateV2', u => { updateBytes += u.length; updates.push(u) })
  let t0 = stopwatch()
  const expected = ops(doc, rng, n)
  const len = readContent(doc, root)
  record(r, 'ops', t0)
  if (len !== expected) r.fail(`length ${len} != expected ${expected}`)
  r.updateCount = updates.length
  r.updateBytes = updateBytes
  const remote = newDoc(2)
  t0 = stopwatch()
  for (const u of updates) Y.applyUpdateV2(remote, u)
  const rlen = readContent(remote, root)
  record(r, 'remote', t0)
  if (rlen !== expected) r.fail('remote length differs')
  if (!sameState(doc, remote)) r.fail('remote state differs')
  remote.destroy()
  updates = null
  encodeAndLoad(r, doc, root, expected)
}

function runTwo (r, n, ops) {
  const rng = new Rng()
  const a = newDoc(1); const b = newDoc(2)
  const start = rng.word(100, 100)
  a.getText('text').insert(0, start)
  const startState = Y.encodeStateAsUpdate(a)
  Y.applyUpdate(b, startState)
  let ua, ub
  a.on('updateV2', (u, _o, _d, tr) => { if (tr.local) ua = u })
  b.on('updateV2', (u, _o, _d, tr) => { if (tr.local) ub = u })
  const la = { len: start.length }; const lb = { len: start.length }
  let t0 = stopwatch()
  a.transact(() => ops(a, rng, n, la, 1))
  b.transact(() => ops(b, rng, n, lb, 2))
  Y.applyUpdateV2(b, ua)
  Y.applyUpdateV2(a, ub)
  const ta = a.getText('text').toString()
  const tb = b.getText('text').toString()
  record(r, 'ops', t0)
  if (ta !== tb) r.fail('texts differ after the exchange')
  const expected = a.getText('text').length // concurrent deletes may overlap
  r.updateCount = 2
  r.updateBytes = ua.length + ub.length
  const remote = newDoc(3)
  Y.applyUpdate(remote, startState)
  t0 = stopwatch()
  Y.applyUpdateV2(remote, ua)
  Y.applyUpdateV2(remote, ub)
  const tr = remote.getText('text').toString()
  record(r, 'remote', t0)
  if (tr !== ta) r.fail('fresh peer differs')
  if (!sameState(a, b)) r.fail('states differ after the exchange')
  encodeAndLoad(r, a, 'text', expected)
}

function runMany (r, root, n, change, oneEntry) {
  const m = 20 * Math.floor(Math.sqrt(n))
  const updates = []
  let updateBytes = 0
  let t0 = stopwatch()
  for (let i = 1; i <= m; i++) {
    const d = newDoc(i)
    d.on('updateV2', u => { updateBytes += u.length; updates.push(u) })
    change(d, i)
    d.destroy()
  }
  record(r, 'ops', t0)
  r.clients = m
  r.updateCount = updates.length
  r.updateBytes = updateBytes
  const receiver = newDoc(m + 1)
  t0 = stopwatch()
  receiver.transact(() => { for (const u of updates) Y.applyUpdateV2(receiver, u) })
  const len = readContent(receiver, root)
  record(r, 'remote', t0)
  if ((oneEntry && len !== 1) || len === 0) r.fail(`unexpected content length ${len}`)
  encodeAndLoad(r, receiver, root, len)
}

const text = d => d.getText('text')
const array = d => d.getArray('array')

const WORKLOADS = {
  'b1.1': r => runSingle(r, 'text', r.n, (d, _g, n) => { const t = text(d); for (let i = 0; i < n; i++) t.insert(i, letter(i)); return n }),
  'b1.2': r => runSingle(r, 'text', r.n, (d, _g, n) => { text(d).insert(0, letters(n, 97)); return n }),
  'b1.3': r => runSingle(r, 'text', r.n, (d, _g, n) => { const t = text(d); for (let i = 0; i < n; i++) t.insert(0, letter(i)); return n }),
  'b1.4': r => runSingle(r, 'text', r.n, (d, g, n) => { const t = text(d); for (let i = 0; i < n; i++) t.insert(g.below(i + 1), letter(i)); return n }),
  'b1.5': r => runSingle(r, 'text', r.n, (d, g, n) => {
    const t = text(d); let len = 0
    for (let i = 0; i < n; i++) { const pos = g.below(len + 1); const w = g.word(2, 10); t.insert(pos, w); len += w.length }
    return len
  }),
  'b1.6': r => runSingle(r, 'text', r.n, (d, _g, n) => { const t = text(d); t.insert(0, letters(n, 97)); t.delete(0, n); return 0 }),
  'b1.7': r => runSingle(r, 'text', r.n, (d, g, n) => {
    const t = text(d); let len = 0
    for (let i = 0; i < n; i++) {
      if (len === 0 || g.below(2) === 0) {
        const pos = g.below(len + 1); const w = g.word(2, 10); t.insert(pos, w); len += w.length
      } else {
        const pos = g.below(len); const del = Math.min(1 + g.below(8), len - pos); t.delete(pos, del); len -= del
      }
    }
    return len
  }),
  'b1.8': r => runSingle(r, 'array', r.n, (d, _g, n) => { const a = array(d); for (let i = 0; i < n; i++) a.insert(i, [i]); return n }),
  'b1.9': r => runSingle(r, 'array', r.n, (d, _g, n) => { const v = []; for (let i = 0; i < n; i++) v.push(i); array(d).insert(0, v); return n }),
  'b1.10': r => runSingle(r, 'array', r.n, (d, _g, n) => { const a = array(d); for (let i = 0; i < n; i++) a.insert(0, [i]); return n }),
  'b1.11': r => runSingle(r, 'array', r.n, (d, g, n) => { const a = array(d); for (let i = 0; i < n; i++) a.insert(g.below(i + 1), [i]); return n }),
  'b2.1': r => runTwo(r, r.n, (d, _g, n, l, client) => { text(d).insert(0, letters(n, client === 1 ? 97 : 65)); l.len += n }),
  'b2.2': r => runTwo(r, r.n, (d, g, n, l) => { const t = text(d); for (let i = 0; i < n; i++) t.insert(g.below(l.len + 1 + i), letter(i)); l.len += n }),
  'b2.3': r => runTwo(r, r.n, (d, g, n, l) => {
    const t = text(d)
    for (let i = 0; i < n; i++) { const pos = g.below(l.len + 1); const w = g.word(3, 9); t.insert(pos, w); l.len += w.length }
  }),
  'b2.4': r => runTwo(r, r.n, (d, g, n, l) => {
    const t = text(d)
    const insertWord = () => { const pos = g.below(l.len + 1); const w = g.word(3, 9); t.insert(pos, w); l.len += w.length }
    for (let i = 0; i < n; i++) {
      insertWord()
      if (g.below(2) === 0) insertWord()
      else { const pos = g.below(l.len); const del = Math.min(1 + g.below(8), l.len - pos); t.delete(pos, del); l.len -= del }
    }
  }),
  'b3.1': r => runMany(r, 'map', r.n, (d, i) => d.getMap('map').set('v', i), true),
  'b3.2': r => runMany(r, 'map', r.n, (d, i) => d.getMap('map').set('v', { name: 'client ' + i, address: 'street ' + i }), true),
  'b3.3': r => runMany(r, 'map', r.n, (d, i) => d.getMap('map').set('v', String(i).repeat(100)), true),
  'b3.4': r => runMany(r, 'array', r.n, (d, i) => d.getArray('array').insert(0, ['client ' + i]), false),
  'b3.5': r => runMany(r, 'text', r.n, (d, i) => d.getText('text').insert(0, 'client ' + i), false),
  'map.set': r => runSingle(r, 'map', r.n, (d, _g, n) => { const m = d.getMap('map'); for (let i = 0; i < n; i++) m.set('k' + i, i); return n }),
  'map.overwrite': r => runSingle(r, 'map', r.n, (d, _g, n) => {
    const m = d.getMap('map'); const keys = Math.floor(Math.sqrt(n))
    for (let i = 0; i < n; i++) m.set('k' + (i % keys), i)
    return keys
  }),
  'array.insert-middle': r => runSingle(r, 'array', r.n, (d, _g, n) => { const a = array(d); for (let i = 0; i < n; i++) a.insert(Math.floor(i / 2), [i]); return n })
}

export const WORKLOAD_NAMES = Object.keys(WORKLOADS)

export function runWorkload (name, n) {
  const r = { engine: 'yjs', workload: name, n, ok: true }
  Object.defineProperty(r, 'fail', {
    enumerable: false,
    value: what => { if (r.ok) r.error = what; r.ok = false; process.stderr.write(`yjs workload: ${what}\n`) }
  })
  WORKLOADS[name](r)
  return r
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [name, nArg] = process.argv.slice(2)
  if (!WORKLOADS[name] || !(Number(nArg) > 0)) {
    process.stderr.write(`usage: workloads_yjs.mjs NAME N (NAME: ${WORKLOAD_NAMES.join(', ')})\n`)
    process.exit(2)
  }
  // Warm the JIT up with one untimed run at N <= 1000 first (Weft is compiled
  // ahead of time; a cold process would otherwise charge yjs its warm-up).
  if (!process.env.WEFT_BENCH_NO_WARMUP) runWorkload(name, Math.min(Number(nArg), 1000))
  process.stdout.write(JSON.stringify(runWorkload(name, Number(nArg))) + '\n')
}
