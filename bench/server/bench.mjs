// Server load benchmark: `weft serve` beside the reference y-websocket server
// and Hocuspocus, one server at a time, the same client code, the same
// workloads. Prints one table with all and the ratios weft/other. See
// bench/README.md.
//
//   node bench.mjs [--servers weft,y-websocket,hocuspocus] [--workloads latency,throughput,idle,sync]
//                  [--rooms 10] [--clients 50] [--writers 2] [--rate 20] [--seconds 10]
//                  [--window 64] [--idle 4000] [--doc-mb 10] [--deflate on|off] [--repeat 1] [--json FILE]
// Env: WEFT_BIN (default ../../build/apps/weft).
import { parseArgs } from 'node:util'
import fs from 'node:fs'
import os from 'node:os'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { HocuspocusProvider } from '@hocuspocus/provider'
import WebSocket from 'ws'
import { RawClient, checkEntryUpdates, entry, entriesOf, entryUpdate, openMany, scanEntries } from './clients.mjs'
import { SERVERS, WEFT, cpuSeconds, rssBytes } from './servers.mjs'

const { values: opt } = parseArgs({
  options: {
    servers: { type: 'string', default: 'weft,y-websocket,hocuspocus' },
    workloads: { type: 'string', default: 'latency,throughput,idle,sync' },
    rooms: { type: 'string', default: '10' },
    clients: { type: 'string', default: '50' },
    writers: { type: 'string', default: '2' }, // per room
    rate: { type: 'string', default: '20' }, // updates/s per writer (latency)
    seconds: { type: 'string', default: '10' }, // measured window
    window: { type: 'string', default: '64' }, // updates in flight per writer (throughput)
    idle: { type: 'string', default: '4000' },
    'doc-mb': { type: 'string', default: '10' },
    deflate: { type: 'string', default: 'on' }, // off: the sync workload skips its deflate-offering clients
    repeat: { type: 'string', default: '1' },
    json: { type: 'string' }
  }
})
const ROOMS = Number(opt.rooms)
const PER_ROOM = Math.floor(Number(opt.clients) / ROOMS)
const WRITERS = Number(opt.writers)
const SECONDS = Number(opt.seconds)

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a)
const waitFor = async (what, cond, timeoutMs = 30000) => {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}
const quantile = (sorted, q) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN

// R rooms of PER_ROOM clients; the first WRITERS of each room write entries
// into a Y.Array `log` of their own Y.Doc and send each transaction's update.
// Every client records the entries it receives from the others: `received`
// (writer -> count), `lastSeq` (writer -> seq) to catch duplicates and gaps.
class Room {
  constructor (server, name, writerBase, onEntry) {
    this.name = name
    this.writers = []
    this.clients = []
    this.writerBase = writerBase
    this.onEntry = onEntry
    this.errors = []
    this.server = server
  }

  async open () {
    for (let k = 0; k < PER_ROOM; k++) {
      const id = k < WRITERS ? this.writerBase + k : -1
      const doc = id >= 0 ? new Y.Doc() : null
      const rec = { id, doc, received: new Map(), lastSeq: new Map(), sampled: 0 }
      rec.client = new RawClient(this.server.url, this.name, {
        doc,
        framing: this.server.framing,
        onUpdate: (payload, now) => {
          const found = scanEntries(payload)
          // Check the byte scan against a real decode on a sample.
          if ((++rec.sampled & 255) === 1) {
            const decoded = entriesOf(payload)
            if (decoded.length !== found.length || decoded.some((e, i) => e !== entry(found[i].writer, found[i].seq, found[i].t))) {
              this.errors.push(`${this.name}: scan disagrees with yjs decode`)
            }
          }
          for (const e of found) {
            if (e.writer === id) continue // the echo of its own update
            const last = rec.lastSeq.get(e.writer) ?? -1
            if (e.seq !== last + 1) this.errors.push(`${this.name}: writer ${e.writer} seq ${e.seq} after ${last}`)
            rec.lastSeq.set(e.writer, e.seq)
            rec.received.set(e.writer, (rec.received.get(e.writer) ?? 0) + 1)
            this.onEntry(e, now, rec)
          }
        }
      })
      if (doc) {
        rec.seq = 0
        rec.inFlight = 0
        this.writers.push(rec)
      }
      this.clients.push(rec)
    }
    await Promise.all(this.clients.map((c) => c.client.syncedPromise))
  }

  // What w.doc.getArray('log').push([entry]) would send (entryUpdate, checked
  // against yjs at startup); the writer's doc itself stays empty.
  write (w) {
    w.client.sendUpdate(entryUpdate(w.doc.clientID, w.seq, entry(w.id, w.seq, performance.now())))
    w.seq++
  }

  /** True once every client holds every entry of every other writer. */
  complete () {
    return this.clients.every((c) => this.writers.every((w) => w === c || (c.received.get(w.id) ?? 0) === w.seq))
  }

  /** Entries still missing somewhere. */
  missing () {
    let n = 0
    for (const c of this.clients) for (const w of this.writers) if (w !== c) n += w.seq - (c.received.get(w.id) ?? 0)
    return n
  }

  /** A fresh yjs doc synced from the server holds each entry exactly once. */
  async verifyState () {
    const doc = new Y.Doc()
    const c = new RawClient(this.server.url, this.name, { doc, framing: this.server.framing, onUpdate: (u) => Y.applyUpdate(doc, u) })
    await c.syncedPromise
    c.close()
    const entries = doc.getArray('log').toArray()
    const want = this.writers.reduce((n, w) => n + w.seq, 0)
    if (entries.length !== want || new Set(entries).size !== want) {
      this.errors.push(`${this.name}: stored ${entries.length} entries (${new Set(entries).size} distinct), sent ${want}`)
    }
  }

  close () { for (const c of this.clients) c.client.close() }
}

const openRooms = async (server, onEntry) => {
  const rooms = Array.from({ length: ROOMS }, (_, r) => new Room(server, `bench-${r}`, r * WRITERS, onEntry))
  for (const r of rooms) await r.open()
  return rooms
}

const finish = async (rooms) => {
  await waitFor('every entry delivered', () => rooms.every((r) => r.complete()), 30000)
    .catch((e) => rooms[0].errors.push(`${e.message}: ${rooms.reduce((n, r) => n + r.missing(), 0)} deliveries missing`))
  for (const r of rooms) await r.verifyState()
  const errors = rooms.flatMap((r) => r.errors)
  for (const r of rooms) r.close()
  if (errors.length) throw new Error(`incorrect deliveries: ${errors.slice(0, 5).join('; ')} (${errors.length} errors)`)
}

// Writers at a fixed rate; latency = receive time - send time at every other
// client of the room (same process, same clock).
const latency = async (server) => {
  const lat = []
  let measuring = false
  const rooms = await openRooms(server, (e, now) => { if (measuring) lat.push(now - e.t) })
  const period = 1000 / Number(opt.rate)
  const writers = rooms.flatMap((r) => r.writers.map((w) => [r, w]))
  // Spread the writers' ticks over the period.
  const timers = writers.map(([r, w], i) => setTimeout(() => { w.timer = setInterval(() => r.write(w), period) }, (i * period) / writers.length))
  await sleep(2000)
  measuring = true
  const cpu0 = cpuSeconds(server.pid)
  await sleep(SECONDS * 1000)
  measuring = false
  const cpu = (cpuSeconds(server.pid) - cpu0) / SECONDS
  timers.forEach(clearTimeout)
  for (const [, w] of writers) clearInterval(w.timer)
  await finish(rooms)
  lat.sort((a, b) => a - b)
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), samples: lat.length, serverCpu: cpu }
}

// Writers as fast as the server takes them: each keeps `--window` updates in
// flight (acknowledged when the room's last client, a reader, receives them);
// deliveries = entries received by clients other than their writer.
const throughput = async (server) => {
  const win = Number(opt.window)
  let delivered = 0
  let sent = 0
  let running = true
  let rooms = null
  const pump = (r, w) => {
    while (running && w.inFlight < win) { w.inFlight++; sent++; r.write(w) }
  }
  rooms = await openRooms(server, (e, now, rec) => {
    delivered++
    const r = rooms[Math.floor(e.writer / WRITERS)]
    if (rec === r.clients[r.clients.length - 1]) {
      const w = r.writers[e.writer % WRITERS]
      w.inFlight--
      pump(r, w)
    }
  })
  for (const r of rooms) for (const w of r.writers) pump(r, w)
  await sleep(2000)
  const d0 = delivered
  const s0 = sent
  const cpu0 = cpuSeconds(server.pid)
  const clientCpu0 = process.cpuUsage()
  await sleep(SECONDS * 1000)
  const perSec = (delivered - d0) / SECONDS
  const writesPerSec = (sent - s0) / SECONDS
  const cpu = (cpuSeconds(server.pid) - cpu0) / SECONDS
  const cu = process.cpuUsage(clientCpu0)
  running = false
  await finish(rooms)
  return { delivered: perSec, writes: writesPerSec, serverCpu: cpu, clientCpu: (cu.user + cu.system) / 1e6 / SECONDS }
}

// N idle synced connections over R rooms: RSS growth per connection, and how
// many still answer a SyncStep1 once all are open.
const idle = async (server) => {
  const n = Number(opt.idle)
  await sleep(500)
  const before = rssBytes(server.pid)
  const t0 = performance.now()
  const clients = await openMany(n, (i) => new RawClient(server.url, `idle-${i % 100}`, { framing: server.framing }))
  const failed = n - clients.length
  const connectS = (performance.now() - t0) / 1000
  await sleep(2000)
  const after = rssBytes(server.pid)
  const alive = clients.filter((c) => !c.closed)
  let answered = 0
  for (let i = 0; i < alive.length; i += 500) {
    const res = await Promise.all(alive.slice(i, i + 500).map((c) => Promise.race([c.ping(), sleep(10000).then(() => null)])))
    answered += res.filter((x) => x !== null).length
  }
  for (const c of clients) c.close()
  return { held: answered, of: n, failed, perConnKiB: (after - before) / n / 1024, rssMiB: after / 2 ** 20, connectS }
}

// A ~`--doc-mb` MB document stored through one client; then a fresh
// WebsocketProvider is timed from construction to `synced` with the content.
const sync = async (server) => {
  const mb = Number(opt['doc-mb'])
  const doc = new Y.Doc()
  const text = doc.getText('t')
  const chunk = 'abcdefghij'.repeat(1000) // 10 kB
  for (let i = 0; i < mb * 100; i++) text.insert(text.length, chunk)
  doc.getMap('meta').set('chunks', mb * 100)
  const update = Y.encodeStateAsUpdate(doc)
  const writer = new RawClient(server.url, 'big', { doc, framing: server.framing })
  await writer.syncedPromise // it answers the server's SyncStep1 with the whole document
  // Stored once another client receives it all.
  const probeDoc = new Y.Doc()
  const probe = new RawClient(server.url, 'big', { framing: server.framing, onUpdate: (u) => Y.applyUpdate(probeDoc, u) })
  await probe.syncedPromise
  await waitFor('the big document stored', () => probeDoc.getText('t').length === text.length, 60000)
  probe.close()
  // A fresh provider per try, the first offering permessage-deflate (as
  // browsers and ws do), the second not; three tries each, the median.
  const timeSync = async (WebSocketPolyfill) => {
    const d = new Y.Doc()
    const t0 = performance.now()
    let p
    if (server.framing === 'hocuspocus') {
      p = new HocuspocusProvider({ url: server.url, name: 'big', document: d, WebSocketPolyfill, quiet: true })
      await new Promise((resolve) => p.on('synced', resolve))
    } else {
      p = new WebsocketProvider(server.url, 'big', d, { WebSocketPolyfill, disableBc: true })
      await new Promise((resolve) => p.on('sync', (s) => s && resolve()))
    }
    const ms = performance.now() - t0
    if (d.getText('t').length !== text.length) throw new Error(`synced ${d.getText('t').length} chars of ${text.length}`)
    p.destroy()
    d.destroy()
    return ms
  }
  const offered = []
  const plain = []
  for (let i = 0; i < 3; i++) {
    if (opt.deflate !== 'off') offered.push(await timeSync(WebSocket))
    plain.push(await timeSync(PlainWebSocket))
  }
  writer.close()
  const mid = (xs) => xs.length ? xs.sort((a, b) => a - b)[(xs.length - 1) >> 1] : undefined
  return { ms: mid(offered), msPlain: mid(plain), bytes: update.length }
}

// A `ws` client that does not offer permessage-deflate (ws offers it by
// default, as browsers do).
class PlainWebSocket extends WebSocket {
  constructor (url, protocols) { super(url, protocols, { perMessageDeflate: false }) }
}

// weft's store figures from /metrics: commits (one fsync each) and their latency.
const weftStore = async (server) => {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()
  const m = (name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1])
  const commits = m('weft_store_commits_total')
  return {
    commits,
    updatesPerCommit: m('weft_store_updates_persisted_total') / commits,
    meanCommitMs: (m('weft_store_commit_latency_seconds_sum') / commits) * 1000,
    maxCommitMs: m('weft_store_commit_latency_max_seconds') * 1000,
    checkpoints: m('weft_store_checkpoints_total'),
    inlineCommits: m('weft_store_inline_commits_total')
  }
}

const WORKLOADS = { latency, throughput, idle, sync }

// Each workload runs `--repeat` times per server, the servers alternating;
// the table shows the median of each figure.
const main = async () => {
  checkEntryUpdates()
  const runs = {}
  const servers = opt.servers.split(',')
  const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ')
  log(`machine: ${os.cpus().length} cores (${os.cpus()[0].model}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ` +
    `node ${process.version}; weft ${WEFT}; load average ${load()}`)
  for (let rep = 0; rep < Number(opt.repeat); rep++) {
    for (const wl of opt.workloads.split(',')) {
      for (const name of servers) {
        const server = await SERVERS[name]().start()
        log(`${wl} on ${name} (pid ${server.pid}, port ${server.port}), run ${rep + 1}`)
        let res
        try {
          res = await WORKLOADS[wl](server)
          if (name.startsWith('weft') && (wl === 'latency' || wl === 'throughput')) res.store = await weftStore(server)
          log(JSON.stringify(res))
        } catch (e) {
          res = { error: e.message }
          log(`FAILED: ${e.message}\n${server.log}`)
        } finally {
          await server.stop()
        }
        ;(runs[`${wl}/${name}`] ??= []).push(res)
        await sleep(1000)
      }
    }
  }
  log(`load average at the end: ${load()}`)
  const median = (xs) => { const v = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b); return v.length ? v[(v.length - 1) >> 1] : undefined }
  const results = {}
  for (const [k, rs] of Object.entries(runs)) {
    const failed = rs.find((r) => r.error)
    if (failed) { results[k] = failed; continue }
    results[k] = {}
    for (const key of Object.keys(rs[0])) {
      results[k][key] = key === 'store'
        ? Object.fromEntries(Object.keys(rs[0].store).map((sk) => [sk, median(rs.map((r) => r.store[sk]))]))
        : median(rs.map((r) => r[key]))
    }
  }
  printTable(results, servers)
  if (opt.json) fs.writeFileSync(opt.json, JSON.stringify({ date: new Date().toISOString(), opt, loadavg: os.loadavg(), runs, results }, null, 2))
}

const ROWS = [
  ['latency', 'p50', 'propagation latency p50 (ms)', 2, 'lower'],
  ['latency', 'p99', 'propagation latency p99 (ms)', 2, 'lower'],
  ['latency', 'serverCpu', 'server CPU at that rate (cores)', 2, 'lower'],
  ['throughput', 'delivered', 'updates delivered/s at saturation', 0, 'higher'],
  ['throughput', 'writes', 'updates accepted/s at saturation', 0, 'higher'],
  ['throughput', 'serverCpu', 'server CPU at saturation (cores)', 2, ''],
  ['throughput', 'clientCpu', 'client CPU at saturation (cores)', 2, ''],
  ['idle', 'held', 'idle connections held', 0, 'higher'],
  ['idle', 'perConnKiB', 'server memory per connection (KiB)', 1, 'lower'],
  ['idle', 'rssMiB', 'server RSS with them (MiB)', 1, 'lower'],
  ['sync', 'ms', 'new client syncs the big doc (ms), client offers deflate', 0, 'lower'],
  ['sync', 'msPlain', 'same, client offers no deflate (ms)', 0, 'lower'],
  ['sync', 'bytes', 'big doc size (bytes)', 0, '']
]

// Ratios: the first server (weft) over each other one.
const printTable = (results, servers) => {
  const fmt = (v, digits) => typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-'
  const others = servers.slice(1)
  const lines = [`| figure | ${servers.join(' | ')} |${others.map((o) => ` ${servers[0]}/${o} |`).join('')} better |`,
    `| :-- |${servers.map(() => ' --: |').join('')}${others.map(() => ' --: |').join('')} :-- |`]
  for (const [wl, key, label, digits, better] of ROWS) {
    const vals = servers.map((s) => results[`${wl}/${s}`])
    if (vals.every((v) => v === undefined)) continue
    const cells = vals.map((v) => v?.error ? 'failed' : fmt(v?.[key], digits))
    const ratios = vals.slice(1).map((b) => {
      const [x, y] = [vals[0]?.[key], b?.[key]]
      return typeof x === 'number' && typeof y === 'number' && y !== 0 ? (x / y).toFixed(2) : '-'
    })
    lines.push(`| ${label} | ${cells.join(' | ')} |${ratios.map((r) => ` ${r} |`).join('')} ${better} |`)
  }
  for (const wl of ['latency', 'throughput']) for (const name of servers.filter((n) => n.startsWith('weft'))) {
    const st = results[`${wl}/${name}`]?.store
    if (st) {
      lines.push('', `${name} store during ${wl}: ${st.commits} commits (fsyncs), ${st.updatesPerCommit.toFixed(1)} updates per commit, ` +
        `commit latency mean ${st.meanCommitMs.toFixed(2)} ms, max ${st.maxCommitMs.toFixed(1)} ms, ${st.checkpoints} WAL checkpoint rounds`)
    }
  }
  console.log(lines.join('\n'))
  for (const [k, v] of Object.entries(results)) if (v.error) console.log(`${k}: ${v.error}`)
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1) })
