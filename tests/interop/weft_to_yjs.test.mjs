// Weft -> Yjs: `weft-peer` processes edit at random; yjs must accept what they
// send and agree with them. (a) weft-only sessions checked by fresh Y.Docs;
// (b) mixed sessions, 2 weft peers + 2 yjs peers, converging after a full sync.
//
//   node --test weft_to_yjs.test.mjs
//   INTEROP_PEER_SEEDS=500 node --test weft_to_yjs.test.mjs        long run
//   INTEROP_PEER_SEED_LIST=17 node --test weft_to_yjs.test.mjs     reproduce
//
// Env: WEFT_PEER_BIN (default build/tests/interop/weft-peer of this checkout),
// INTEROP_PEER_SEEDS (sessions of each kind, default 20),
// INTEROP_PEER_SEED_START (default 0), INTEROP_PEER_SEED_LIST.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { canonicalJson, DEFAULT_TYPES, firstDifference } from './canonical.mjs'
import { normalisedDeleteSet } from './gen.mjs'
import { WeftPeer, YjsPeer, toHex } from './peers.mjs'
import { createRng } from './rng.mjs'
import { WEFT_PEER as BIN } from './server_process.mjs'

const START = Number(process.env.INTEROP_PEER_SEED_START ?? 0)
const SEEDS = process.env.INTEROP_PEER_SEED_LIST
  ? process.env.INTEROP_PEER_SEED_LIST.split(',').map(Number)
  : [...Array(Number(process.env.INTEROP_PEER_SEEDS ?? 20)).keys()].map(i => START + i)

const binMissing = () => {
  try {
    fs.accessSync(BIN, fs.constants.X_OK)
    return false
  } catch {
    return `weft-peer not found or not executable at ${BIN} (build it, or set WEFT_PEER_BIN)`
  }
}

const LARGE_IDS = [Number.MAX_SAFE_INTEGER, 2 ** 32, 2 ** 40 + 5, 2 ** 52 + 1]
const clientIds = (rng, n) => {
  const large = rng.chance(0.1)
  const ids = new Set()
  while (ids.size < n) ids.add(large && rng.chance(0.5) ? rng.pick(LARGE_IDS) : rng.int(1, 0xffffffff))
  return [...ids]
}

const freshDoc = updates => {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc
}
const isPending = doc => doc.store.pendingStructs !== null || doc.store.pendingDs !== null
const jsonDiff = (a, b) => {
  try { return firstDifference(JSON.parse(a), JSON.parse(b)) ?? 'texts differ' } catch (e) { return `not JSON: ${e.message}` }
}

/** Sends x's missing state to y (sv + diff); returns updates y reports. */
const syncPair = async (x, y) => y.apply(Y.diffUpdate(await x.state(), await y.sv()))

/**
 * Full sync until every peer has the same state vector and delete set
 * (formatting cleanup on a Y.Text makes deletes without advancing the SV).
 */
const fullSync = async (peers, onUpdates) => {
  for (let round = 1; round <= 8; round++) {
    for (const x of peers) for (const y of peers) if (x !== y) onUpdates(y, await syncPair(x, y))
    const states = await Promise.all(peers.map(p => p.state()))
    const svs = states.map(s => toHex(Y.encodeStateVectorFromUpdate(s)))
    const dss = states.map(s => normalisedDeleteSet(s))
    if (svs.every(s => s === svs[0]) && dss.every(d => d === dss[0])) return round
  }
  return -1
}

/** Failure report with everything needed to reproduce. */
const report = (kind, seed, peers, problems) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `weft-peer-${kind}-${seed}-`))
  const lines = [`${kind} session seed ${seed}: ${problems.length} problem(s)`, ...problems.slice(0, 15).map(p => `- ${p}`)]
  lines.push(`rerun: INTEROP_PEER_SEED_LIST=${seed} node --test weft_to_yjs.test.mjs`)
  for (const p of peers) {
    if (p.kind !== 'weft') { lines.push(`  ${p.describe()}`); continue }
    const f = path.join(dir, `weft-peer-${p.client}.transcript`)
    fs.writeFileSync(f, p.transcript.join('\n') + '\n')
    lines.push(`  ${p.describe()}   transcript (> sent, < received): ${f}`)
  }
  return lines.join('\n')
}

const closeAll = peers => Promise.all(peers.map(p => p.close().catch(() => {})))

// (a) Weft-only peers; fresh Y.Docs check what they produced.
const weftOnlySession = async seed => {
  const rng = createRng(seed)
  const peers = clientIds(rng, rng.int(2, 3)).map(id => new WeftPeer(BIN, id, rng.int(0, 2 ** 31 - 1)))
  const problems = []
  try {
    const log = [] // {from, u}
    const record = (p, ups) => ups.forEach(u => log.push({ from: p, u }))
    for (let step = rng.int(6, 14); step > 0; step--) {
      const r = rng.next()
      const [x, y] = rng.shuffle(peers)
      if (r < 0.5) record(x, await x.ops(rng.int(1, 5)))
      else if (r < 0.8) { // some of x's updates to y, out of order
        const mine = rng.shuffle(log.filter(e => e.from === x))
        for (const e of mine.slice(0, rng.int(0, mine.length))) record(y, await y.apply(e.u))
      } else record(y, await syncPair(x, y))
    }
    const rounds = await fullSync(peers, record)
    if (rounds < 0) problems.push('weft peers did not converge (state vector / delete set) after 8 full-sync rounds')
    const states = await Promise.all(peers.map(p => p.state()))
    const jsons = await Promise.all(peers.map(p => p.json()))
    const svs = await Promise.all(peers.map(p => p.sv()))

    // 1. All updates the peers emitted, shuffled, into one fresh doc.
    let doc
    try {
      doc = freshDoc(rng.shuffle(log).map(e => e.u))
    } catch (e) {
      problems.push(`yjs throws applying the weft updates: ${e.message}`)
    }
    if (doc) {
      if (isPending(doc)) problems.push(`updates leave pending data in yjs (missing structs or deletes): pendingStructs=${!!doc.store.pendingStructs} pendingDs=${!!doc.store.pendingDs}`)
      const j = canonicalJson(doc, DEFAULT_TYPES)
      jsons.forEach((pj, i) => { if (pj !== j) problems.push(`weft peer ${peers[i].client} json != yjs doc of all updates: ${jsonDiff(pj, j)}`) })
      // Reported updates + final states must make the same doc as each state.
      states.forEach(s => Y.applyUpdate(doc, s))
      if (isPending(doc)) problems.push('updates + states leave pending data in yjs')
      const all = Y.encodeStateAsUpdate(doc)
      states.forEach((s, i) => { if (!sameOrGcBoundary(all, s)) problems.push(`weft peer ${peers[i].client} state bytes != yjs doc of all updates and states`) })
      doc.destroy()
    }
    // 2. Each peer's full state on its own.
    states.forEach((s, i) => {
      const who = `weft peer ${peers[i].client}`
      let d
      try { d = freshDoc([s]) } catch (e) { problems.push(`${who}: yjs throws on its state: ${e.message}`); return }
      if (isPending(d)) problems.push(`${who}: its state leaves pending data in yjs`)
      const j = canonicalJson(d, DEFAULT_TYPES)
      if (j !== jsons[i]) problems.push(`${who}: json != yjs reading its state: ${jsonDiff(jsons[i], j)}`)
      if (!sameOrGcBoundary(Y.encodeStateAsUpdate(d), s)) problems.push(`${who}: Y.encodeStateAsUpdate(yjs doc of its state) != its state bytes`)
      if (Buffer.compare(Y.encodeStateVector(d), svs[i]) !== 0) problems.push(`${who}: sv ${toHex(svs[i])} != yjs ${toHex(Y.encodeStateVector(d))}`)
      d.destroy()
    })
    if (!states.every(s => sameOrGcBoundary(s, states[0]))) problems.push('converged weft peers have different state bytes')
    // 3. Yjs fed what each weft peer saw, in the order it saw it (its own
    // updates and those it applied, from its transcript): the peer's state
    // must be that doc's, byte for byte. The checks above compare docs with
    // other histories, where Yjs itself may leave a collected range of a
    // client split into GC blocks or joined (DEVELOPERS.md): there, and only
    // there, such a difference is allowed.
    states.forEach((s, i) => {
      if (Buffer.compare(yjsReplay(peers[i].transcript), s) !== 0) problems.push(`weft peer ${peers[i].client} state bytes != yjs fed the same updates in the same order`)
    })
  } catch (e) {
    problems.push(`driver: ${e.message}`)
  } finally {
    await closeAll(peers)
  }
  if (problems.length) assert.fail(report('weft-only', seed, peers, problems))
}

// Pairs of peers whose states differed only in GC block boundaries.
const gcBoundaryDifferences = { yjs: 0, mixed: 0, weft: 0 }

/** Decoded structs with adjacent GC blocks of a client joined. */
const gcNormalisedStructs = state => {
  const out = []
  for (const s of Y.decodeUpdate(state).structs) {
    const last = out[out.length - 1]
    if (s.constructor.name === 'GC' && last && last.gc && last.client === s.id.client && last.clock + last.len === s.id.clock) {
      last.len += s.length
      continue
    }
    out.push({ gc: s.constructor.name === 'GC', client: s.id.client, clock: s.id.clock, len: s.length, content: s.content ? JSON.stringify(s.content) : null, origin: s.origin, rightOrigin: s.rightOrigin })
  }
  return JSON.stringify(out)
}

/** Equal bytes, or equal but for where adjacent GC blocks of a client meet (counted). */
const sameOrGcBoundary = (a, b) => {
  if (Buffer.compare(a, b) === 0) return true
  if (gcNormalisedStructs(a) !== gcNormalisedStructs(b) || normalisedDeleteSet(a) !== normalisedDeleteSet(b)) return false
  gcBoundaryDifferences.weft++
  return true
}

/** The state of a Y.Doc fed a weft peer's updates and applied updates in transcript order. */
const yjsReplay = transcript => {
  const d = new Y.Doc({ gc: true })
  d.clientID = 1 // no weft peer's id: yjs would change it on seeing its own id arrive
  for (const line of transcript) {
    const [dir, kind, hex] = line.split(' ')
    if ((dir === '<' && kind === 'update') || (dir === '>' && kind === 'apply')) Y.applyUpdate(d, Buffer.from(hex, 'hex'))
  }
  const state = Y.encodeStateAsUpdate(d)
  d.destroy()
  return state
}

/** Convergence check of a mixed session (testHelper.js compare(), over bytes). */
const checkConverged = async (peers, label) => {
  const problems = []
  const jsons = await Promise.all(peers.map(p => p.json()))
  const svs = (await Promise.all(peers.map(p => p.sv()))).map(toHex)
  const states = await Promise.all(peers.map(p => p.state()))
  const name = i => `${peers[i].kind} ${peers[i].client}`
  for (let i = 1; i < peers.length; i++) {
    if (jsons[i] !== jsons[0]) problems.push(`${label}: json of ${name(i)} != ${name(0)}: ${jsonDiff(jsons[i], jsons[0])}`)
    if (svs[i] !== svs[0]) problems.push(`${label}: sv of ${name(i)} ${svs[i]} != ${name(0)} ${svs[0]}`)
    if (normalisedDeleteSet(states[i]) !== normalisedDeleteSet(states[0])) problems.push(`${label}: delete set of ${name(i)} != ${name(0)}`)
  }
  // State bytes: every pair. Yjs itself splits a garbage-collected range into
  // GC blocks depending on the order updates arrived in (two Yjs peers of one
  // session can differ there, DEVELOPERS.md), so a pair may differ only in
  // where adjacent GC blocks of one client meet; anything else fails.
  for (let a = 0; a < peers.length; a++) {
    for (let b = a + 1; b < peers.length; b++) {
      if (Buffer.compare(states[a], states[b]) === 0) continue
      if (gcNormalisedStructs(states[a]) !== gcNormalisedStructs(states[b])) {
        problems.push(`${label}: state bytes of ${name(a)} != ${name(b)}`)
      } else if (peers[a].kind === 'yjs' && peers[b].kind === 'yjs') {
        gcBoundaryDifferences.yjs++
      } else {
        gcBoundaryDifferences.mixed++
      }
    }
  }
  peers.forEach((p, i) => { if (p.kind === 'yjs' && p.pending()) problems.push(`${label}: ${name(i)} has pending data`) })
  // A doc rebuilt from the merged states agrees too.
  try {
    const d = freshDoc([Y.mergeUpdates(states)])
    if (isPending(d)) problems.push(`${label}: merged states leave pending data`)
    const j = canonicalJson(d, DEFAULT_TYPES)
    if (j !== jsons[0]) problems.push(`${label}: json of the doc rebuilt from merged states != ${name(0)}: ${jsonDiff(j, jsons[0])}`)
    d.destroy()
  } catch (e) {
    problems.push(`${label}: yjs throws on merged states: ${e.message}`)
  }
  return problems
}

// (b) 2 weft peers + 2 yjs peers, same op mix, random delivery.
const mixedSession = async seed => {
  const rng = createRng(seed + 1_000_003)
  const ids = clientIds(rng, 4)
  const peers = [
    new WeftPeer(BIN, ids[0], rng.int(0, 2 ** 31 - 1)),
    new WeftPeer(BIN, ids[1], rng.int(0, 2 ** 31 - 1)),
    new YjsPeer(ids[2], rng.int(0, 2 ** 31 - 1)),
    new YjsPeer(ids[3], rng.int(0, 2 ** 31 - 1))
  ]
  const problems = []
  try {
    const inbox = new Map(peers.map(p => [p, []]))
    const online = new Set(peers)
    const broadcast = (from, ups) => { for (const p of peers) if (p !== from) inbox.get(p).push(...ups) }
    const deliver = async (p, all) => {
      const box = rng.shuffle(inbox.get(p))
      const n = all ? box.length : rng.int(0, box.length)
      inbox.set(p, box.slice(n))
      for (const u of box.slice(0, n)) broadcast(p, await p.apply(u))
    }
    for (let phase = 1; phase <= 2; phase++) {
      for (let step = rng.int(6, 14); step > 0; step--) {
        const r = rng.next()
        const p = rng.pick(peers)
        if (r < 0.45) broadcast(p, await p.ops(rng.int(1, 3)))
        else if (r < 0.7) { if (online.has(p)) await deliver(p, false) }
        else if (r < 0.85) {
          const [x, y] = rng.shuffle([...online])
          if (y) broadcast(y, await syncPair(x, y))
        } else if (online.has(p) && online.size > 2) online.delete(p)
        else online.add(p)
      }
      peers.forEach(p => online.add(p))
      for (const p of rng.shuffle(peers)) await deliver(p, true)
      if (await fullSync(peers, broadcast) < 0) problems.push(`phase ${phase}: no convergence after 8 full-sync rounds`)
      problems.push(...await checkConverged(peers, `phase ${phase}`))
      if (problems.length) break
    }
  } catch (e) {
    problems.push(`driver: ${e.message}`)
  } finally {
    await closeAll(peers)
  }
  if (problems.length) assert.fail(report('mixed', seed, peers, problems))
}

const skip = binMissing()

test(`weft -> yjs (a): weft-only sessions read by fresh Y.Docs (${SEEDS.length} seeds)`, { skip }, async t => {
  for (const seed of SEEDS) await t.test(`seed ${seed}`, () => weftOnlySession(seed))
  if (gcBoundaryDifferences.weft > 0) t.diagnostic(`comparisons with other histories differing only in GC block boundaries: ${gcBoundaryDifferences.weft} (each peer equal byte for byte to yjs fed its own history)`)
})

test(`weft -> yjs (b): mixed sessions, 2 weft + 2 yjs peers (${SEEDS.length} seeds)`, { skip }, async t => {
  for (const seed of SEEDS) await t.test(`seed ${seed}`, () => mixedSession(seed))
  const { yjs, mixed } = gcBoundaryDifferences
  if (yjs + mixed > 0) t.diagnostic(`state pairs differing only in GC block boundaries: ${yjs} yjs/yjs, ${mixed} involving weft`)
})
