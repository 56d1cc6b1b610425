// One peer engine on one editing trace, in its own process:
//   node --expose-gc bench/peers/trace_peer.mjs ENGINE TRACE   -> one JSON line on stdout
// ENGINE: yjs | ywasm | loro | json-joy. The phases and output fields are those
// of `weft bench trace` (bench/bench_trace.cc), so run.mjs can put them side by
// side: one transaction per trace patch (delete, then insert), client id
// 1234567890, root text "text".
import crypto from 'node:crypto'
import fs from 'node:fs'
import zlib from 'node:zlib'

export const CLIENT_ID = 1234567890

// WebAssembly linear memory is invisible to process.memoryUsage(): remember
// every Memory a wasm engine instantiates (both wasm peers build their
// instance with `new WebAssembly.Instance`), so its growth can be counted.
const wasmMemories = []
const OrigInstance = WebAssembly.Instance
WebAssembly.Instance = class extends OrigInstance {
  constructor (module, imports) {
    super(module, imports)
    for (const v of Object.values(this.exports)) if (v instanceof WebAssembly.Memory) wasmMemories.push(v)
  }
}
const memNow = () => {
  if (global.gc) { global.gc(); global.gc() }
  return process.memoryUsage().heapUsed + wasmMemories.reduce((n, m) => n + m.buffer.byteLength, 0)
}

// Adapters: create(), apply(d, pos, del, ins) as one transaction, text(d),
// free(d), encode: [primary, alternate?] -> bytes, load(bytes) -> handle,
// observe(d, onUpdate), applyUpdate(d, bytes).
const ADAPTERS = {
  async yjs () {
    const Y = await import('yjs')
    const wrap = doc => ({ doc, t: doc.getText('text') })
    return {
      create () { const doc = new Y.Doc(); doc.clientID = CLIENT_ID; return wrap(doc) },
      apply (d, pos, del, ins) {
        d.doc.transact(() => {
          if (del > 0) d.t.delete(pos, del)
          if (ins.length > 0) d.t.insert(pos, ins)
        })
      },
      text: d => d.t.toString(),
      free: d => d.doc.destroy(),
      encodings: ['update v1', 'update v2'],
      encode: [d => Y.encodeStateAsUpdate(d.doc), d => Y.encodeStateAsUpdateV2(d.doc)],
      load: b => { const doc = new Y.Doc(); Y.applyUpdate(doc, b); return wrap(doc) },
      observe: (d, f) => d.doc.on('update', f),
      empty: () => wrap(new Y.Doc()),
      applyUpdate: (d, u) => Y.applyUpdate(d.doc, u)
    }
  },
  async ywasm () {
    const Y = await import('ywasm')
    const wrap = doc => ({ doc, t: doc.getText('text') })
    return {
      create: () => wrap(new Y.YDoc({ clientID: CLIENT_ID })),
      apply (d, pos, del, ins) {
        const txn = d.doc.beginTransaction(null)
        try {
          if (del > 0) d.t.delete(pos, del, txn)
          if (ins.length > 0) d.t.insert(pos, ins, undefined, txn)
        } finally { txn.free() }
      },
      text: d => d.t.toString(undefined),
      free: d => d.doc.free(),
      encodings: ['update v1', 'update v2'],
      encode: [d => Y.encodeStateAsUpdate(d.doc), d => Y.encodeStateAsUpdateV2(d.doc)],
      load: b => { const doc = new Y.YDoc({}); Y.applyUpdate(doc, b, null); return wrap(doc) },
      observe: (d, f) => { d.sub = d.doc.onUpdate(f) },
      empty: () => wrap(new Y.YDoc({})),
      applyUpdate: (d, u) => Y.applyUpdate(d.doc, u, null)
    }
  },
  async loro () {
    const { LoroDoc } = await import('loro-crdt')
    const wrap = doc => ({ doc, t: doc.getText('text') })
    return {
      create () { const doc = new LoroDoc(); doc.setPeerId(CLIENT_ID); return wrap(doc) },
      apply (d, pos, del, ins) {
        if (del > 0) d.t.delete(pos, del)
        if (ins.length > 0) d.t.insert(pos, ins)
        d.doc.commit()
      },
      text: d => d.t.toString(),
      free: d => d.doc.free(),
      encodings: ['snapshot', 'update'],
      encode: [d => d.doc.export({ mode: 'snapshot' }), d => d.doc.export({ mode: 'update' })],
      load: b => wrap(LoroDoc.fromSnapshot(b)),
      observe: (d, f) => { d.sub = d.doc.subscribeLocalUpdates(f) },
      empty: () => wrap(new LoroDoc()),
      applyUpdate: (d, u) => d.doc.import(u)
    }
  },
  async 'json-joy' () {
    const { Model } = await import('json-joy/lib/json-crdt/index.js')
    const { Patch } = await import('json-joy/lib/json-crdt-patch/index.js')
    const wrap = m => ({ m, t: m.api.str(['text']) })
    const create = () => {
      const m = Model.create(undefined, CLIENT_ID)
      m.api.set({ text: '' })
      m.api.flush()
      return wrap(m)
    }
    return {
      create,
      apply (d, pos, del, ins) {
        if (del > 0) d.t.del(pos, del)
        if (ins.length > 0) d.t.ins(pos, ins)
        const patch = d.m.api.flush() // json-joy's unit of change
        if (d.onPatch && patch.ops.length > 0) d.onPatch(patch.toBinary())
      },
      text: d => d.t.view(),
      free: () => {},
      encodings: ['binary'],
      encode: [d => d.m.toBinary()],
      load: b => wrap(Model.fromBinary(b)),
      observe: (d, f) => { d.onPatch = f },
      // The remote is a replica of the freshly created model (its root `set` is not a patch here).
      empty: () => wrap(Model.fromBinary(create().m.toBinary())),
      applyUpdate: (d, u) => d.m.applyPatch(Patch.fromBinary(u))
    }
  }
}
export const PEERS = Object.keys(ADAPTERS)

export function readTrace (file) {
  let raw = fs.readFileSync(file)
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = zlib.gunzipSync(raw)
  const j = JSON.parse(raw.toString('utf8'))
  const patches = []
  for (const txn of j.txns) for (const p of txn.patches) patches.push(p)
  return { start: j.startContent ?? '', end: j.endContent, patches }
}

const now = () => performance.now()
const round = x => Math.round(x * 1000) / 1000
// Process CPU time (all threads, so GC helper threads count): hardly moves with machine load.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const stopwatch = () => ({ w: now(), c: cpu() })
// Writes <field> (wall ms) and the CPU ms as <field minus "Ms">CpuMs.
const record = (out, field, t) => { out[field] = round(now() - t.w); out[field.replace(/Ms$/, 'CpuMs')] = round(cpu() - t.c) }
const sha = b => crypto.createHash('sha256').update(b).digest('hex')

async function run (engine, file) {
  const E = await ADAPTERS[engine]()
  const trace = readTrace(file)
  const out = { engine, ok: true }
  const fail = what => { if (out.ok) out.error = what; out.ok = false; process.stderr.write(`${engine}: ${what}\n`) }
  const replay = (d, field) => {
    if (trace.start) E.apply(d, 0, 0, trace.start)
    const t0 = stopwatch()
    for (const [pos, del, ins] of trace.patches) E.apply(d, pos, del, ins)
    record(out, field, t0)
  }

  // apply, memory after apply, encode (primary and alternate encoding).
  let bytes
  {
    const m0 = memNow()
    const d = E.create()
    replay(d, 'applyMs')
    out.memBytes = memNow() - m0
    if (E.text(d) !== trace.end) fail('text after apply differs from endContent')
    out.encoding = E.encodings[0]
    let t0 = stopwatch()
    bytes = E.encode[0](d)
    record(out, 'encodeMs', t0)
    out.docBytes = bytes.length
    out.docSha256 = sha(bytes)
    if (E.encode[1]) {
      t0 = stopwatch()
      const b2 = E.encode[1](d)
      record(out, 'encodeV2Ms', t0)
      out.encodingV2 = E.encodings[1]
      out.docBytesV2 = b2.length
      out.docV2Sha256 = sha(b2)
    }
    E.free(d)
  }
  // load: a fresh doc from the primary encoding, text read once.
  {
    const t0 = stopwatch()
    const d = E.load(bytes)
    const text = E.text(d)
    record(out, 'loadMs', t0)
    if (text !== trace.end) fail('text after load differs from endContent')
    E.free(d)
  }
  // apply with an update listener, then a fresh peer applies those updates one by one.
  {
    const updates = []
    const d = E.create()
    E.observe(d, u => updates.push(u))
    replay(d, 'applyEmitMs')
    out.updateCount = updates.length
    out.updateBytes = updates.reduce((n, u) => n + u.length, 0)
    const r = E.empty()
    const t0 = stopwatch()
    for (const u of updates) E.applyUpdate(r, u)
    const text = E.text(r)
    record(out, 'updateApplyMs', t0)
    if (text !== trace.end) fail('text after remote apply differs')
    E.free(d)
    E.free(r)
  }
  return out
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [engine, file] = process.argv.slice(2)
  if (!ADAPTERS[engine] || !file) {
    process.stderr.write(`usage: trace_peer.mjs ENGINE TRACE (ENGINE: ${PEERS.join(', ')})\n`)
    process.exit(2)
  }
  process.stdout.write(JSON.stringify(await run(engine, file)) + '\n')
}
