#!/usr/bin/env node
// Seeded random yjs sessions and the expectations the weft CLI must meet.
//
//   node gen.mjs --seed 17 --out /tmp/s17     write session 17 (inputs, expected
//                                               outputs, checks.sh) to a directory
//   node gen.mjs --self-check --seeds 0..199    prove the harness against yjs alone
//
// Module use: generateSession(seed) -> session; sessionFiles(session) ->
// { files, checks }; selfCheck(session) -> { problems, stats }.
//
// Expectations are computed the way a server sees the data: a fresh Y.Doc
// that applies the updates without declaring any root (so no Y.Text
// formatting cleanup runs, yjs-compat 7.3), encoded with encodeStateAsUpdate;
// JSON is read from such a doc, declaring the roots only after applying.

import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import fs from 'node:fs'
import path from 'node:path'
import { canonicalJson, canonicalJsonOfUpdates, typeArgs, DEFAULT_TYPES } from './canonical.mjs'
import { declareRoots, randomTransaction } from './ops.mjs'
import { createRng } from './rng.mjs'
import { WEFT } from './server_process.mjs'

const SYNC = Symbol('sync') // origin of remote applications inside a session
const int = (g, min, max) => g.int(min, max)
const chance = (g, p) => g.chance(p)
const shuffle = (g, arr) => g.shuffle(arr)

const LARGE_IDS = [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 3, 2 ** 31, 2 ** 52]

const clientIds = (g, n, large) => {
  const ids = new Set()
  while (ids.size < n) {
    if (large && chance(g, 0.6)) ids.add(chance(g, 0.5) ? LARGE_IDS[int(g, 0, LARGE_IDS.length - 1)] : int(g, 2 ** 32, Number.MAX_SAFE_INTEGER))
    else ids.add(int(g, 1, 0xffffffff))
  }
  return [...ids]
}

/**
 * Runs one random session.
 * @param {number} seed
 * @param {{steps?: number}} [opts]
 */
export const generateSession = (seed, opts = {}) => {
  const g = createRng(seed)
  const nPeers = int(g, 3, 5)
  const gc = !chance(g, 0.25)
  const largeIds = chance(g, 0.1)
  const subdocs = chance(g, 0.3)
  const ids = clientIds(g, nPeers, largeIds)
  let guidCounter = 0
  const ctx = { subdocs, guid: () => `sub-${seed}-${guidCounter++}` }

  /** @type {Array<{peer:number, v1:Uint8Array, v2:Uint8Array|null, local:boolean}>} */
  const log = []
  const peers = ids.map((id, i) => {
    const doc = new Y.Doc({ gc })
    doc.clientID = id
    declareRoots(doc)
    const v2Queue = []
    doc.on('update', (u, origin) => {
      const e = { peer: i, v1: u, v2: null, local: origin !== SYNC }
      log.push(e); v2Queue.push(e)
    })
    doc.on('updateV2', u => { v2Queue.shift().v2 = u })
    return { doc, online: true }
  })

  const apply = (to, u, v2) => (v2 ? Y.applyUpdateV2 : Y.applyUpdate)(peers[to].doc, u, SYNC)
  const syncPair = (x, y) => {
    const v2 = chance(g, 0.3)
    const sv = Y.encodeStateVector(peers[y].doc)
    apply(y, (v2 ? Y.encodeStateAsUpdateV2 : Y.encodeStateAsUpdate)(peers[x].doc, sv), v2)
  }
  const onlinePeers = () => peers.map((p, i) => i).filter(i => peers[i].online)

  const midSVs = []
  const nSteps = opts.steps ?? int(g, 10, 24)
  for (let step = 0; step < nSteps; step++) {
    if (step === (nSteps >> 1)) midSVs.push(Y.encodeStateVector(peers[int(g, 0, nPeers - 1)].doc))
    const r = g.next()
    if (r < 0.5) { // a peer edits, online or not
      const p = int(g, 0, nPeers - 1)
      for (let n = int(g, 1, 3); n > 0; n--) randomTransaction(g, peers[p].doc, ctx)
    } else if (r < 0.7) { // partial sync x -> y
      const on = onlinePeers()
      if (on.length >= 2) {
        const [x, y] = shuffle(g, on)
        syncPair(x, y)
      }
    } else if (r < 0.85) { // deliver some of x's own updates to y, out of order
      const on = onlinePeers()
      if (on.length >= 2) {
        const [x, y] = shuffle(g, on)
        const mine = log.filter(e => e.local && e.peer === x)
        const some = shuffle(g, mine).slice(0, int(g, 0, mine.length))
        for (const e of some) apply(y, e.v1, false)
      }
    } else if (r < 0.95) { // offline phase starts or ends
      const p = int(g, 0, nPeers - 1)
      if (!peers[p].online) peers[p].online = true
      else if (onlinePeers().length > 2) peers[p].online = false
    } else {
      midSVs.push(Y.encodeStateVector(peers[int(g, 0, nPeers - 1)].doc))
    }
  }

  // Final full sync: repeat until state vectors agree and a whole round
  // produced no local transaction (formatting cleanup on typed Y.Text peers).
  peers.forEach(p => { p.online = true })
  let rounds = 0
  for (;;) {
    const before = log.filter(e => e.local).length
    for (let x = 0; x < nPeers; x++) for (let y = 0; y < nPeers; y++) if (x !== y) syncPair(x, y)
    rounds++
    const svs = peers.map(p => Buffer.from(Y.encodeStateVector(p.doc)).toString('hex'))
    if (svs.every(s => s === svs[0]) && log.filter(e => e.local).length === before) break
    if (rounds > 20) throw new Error(`seed ${seed}: final sync does not converge`)
  }

  const session = {
    seed,
    meta: { nPeers, gc, largeIds, subdocs, clientIds: ids, steps: nSteps, syncRounds: rounds },
    types: { ...DEFAULT_TYPES },
    updates: log.filter(e => e.local).map(({ peer, v1, v2 }) => ({ peer, v1, v2 })),
    remoteUpdates: log.filter(e => !e.local).map(({ peer, v1, v2 }) => ({ peer, v1, v2 })),
    peerStates: peers.map(p => ({ v1: Y.encodeStateAsUpdate(p.doc), v2: Y.encodeStateAsUpdateV2(p.doc) })),
    peerJson: peers.map(p => canonicalJson(p.doc, DEFAULT_TYPES)),
    peerSV: peers.map(p => Y.encodeStateVector(p.doc)),
    peerPending: peers.map(p => p.doc.store.pendingStructs !== null || p.doc.store.pendingDs !== null),
    midSV: midSVs[int(g, 0, midSVs.length - 1)]
  }
  // Delivery orders, as references into updates (u) and remoteUpdates (r).
  const n = session.updates.length
  const recorded = [...Array(n).keys()].map(i => ['u', i])
  const shuffled = shuffle(g, recorded)
  const duplicated = []
  for (const ref of shuffled) {
    duplicated.push(ref)
    if (chance(g, 0.3)) duplicated.push(duplicated[int(g, 0, duplicated.length - 1)])
    if (session.remoteUpdates.length > 0 && chance(g, 0.2)) duplicated.push(['r', int(g, 0, session.remoteUpdates.length - 1)])
  }
  session.orders = { recorded, shuffled, duplicated }
  session.partial = shuffled.slice(0, n >> 1) // for a state vector with gaps
  peers.forEach(p => p.doc.destroy())
  return session
}

const pad = i => String(i).padStart(4, '0')
export const refPath = ([kind, i], fmt) => `${kind}/${pad(i)}.${fmt}.bin`
const refBytes = (s, [kind, i], fmt) => (kind === 'u' ? s.updates : s.remoteUpdates)[i][fmt]

/** Fresh, undeclared doc after applying `updates`: what `weft doc encode` models. */
export const freshDoc = (updates, v2 = false) => {
  const doc = new Y.Doc()
  for (const u of updates) (v2 ? Y.applyUpdateV2 : Y.applyUpdate)(doc, u)
  return doc
}
const encodeFresh = (updates, v2) => {
  const doc = freshDoc(updates, v2)
  const out = (v2 ? Y.encodeStateAsUpdateV2 : Y.encodeStateAsUpdate)(doc)
  doc.destroy()
  return out
}

/**
 * Files of a session and the CLI checks over them. Paths are relative to the
 * session directory; checks run with that directory as cwd.
 * A check: { name, args, out: relpath|null (null = stdout),
 *            expect: {file: relpath} | {json: string}, semantic?: 'v1'|'v2' }
 */
export const sessionFiles = s => {
  const files = new Map()
  const checks = []
  const T = typeArgs(s.types)
  for (const fmt of ['v1', 'v2']) {
    s.updates.forEach((u, i) => files.set(refPath(['u', i], fmt), u[fmt]))
    s.remoteUpdates.forEach((u, i) => files.set(refPath(['r', i], fmt), u[fmt]))
    s.peerStates.forEach((p, i) => files.set(`peer${i}.${fmt}.bin`, p[fmt]))
  }
  files.set('mid.sv.bin', s.midSV)
  const merged = { v1: Y.mergeUpdates(s.updates.map(u => u.v1)), v2: Y.mergeUpdatesV2(s.updates.map(u => u.v2)) }
  files.set('merged.v1.bin', merged.v1)
  files.set('merged.v2.bin', merged.v2)

  const expectBytes = (name, bytes) => {
    const rel = `expected/${name}.bin`
    files.set(rel, bytes)
    return { file: rel }
  }
  const add = (name, args, expect, semantic) => {
    const out = expect.file ? `out/${name}.bin` : null
    checks.push({ name, args: out ? [...args, '-o', out] : args, out, expect, semantic })
  }

  for (const fmt of ['v1', 'v2']) {
    const v2 = fmt === 'v2'
    const V = v2 ? ['--v2'] : []
    const inputs = {
      ...Object.fromEntries(Object.entries(s.orders).map(([k, refs]) => [k, refs.map(r => refPath(r, fmt))])),
      merged: [`merged.${fmt}.bin`]
    }
    // A session whose peers changed nothing has no updates to deliver: the
    // CLI takes at least one input, so only merged.* (Yjs's merge of none)
    // and the peers' states are checked then.
    const anyUpdates = inputs.recorded.length > 0
    for (const [order, paths] of Object.entries(inputs)) {
      if (paths.length === 0) continue
      // One fresh doc per order: encode first, then declare the roots for JSON.
      const doc = freshDoc(paths.map(p => files.get(p)), v2)
      add(`encode-${order}.${fmt}`, ['doc', 'encode', ...V, ...paths],
        expectBytes(`encode-${order}.${fmt}`, (v2 ? Y.encodeStateAsUpdateV2 : Y.encodeStateAsUpdate)(doc)), fmt)
      if (!v2 || order === 'recorded') {
        add(`json-${order}.${fmt}`, ['doc', 'json', ...V, ...paths, ...T], { json: canonicalJson(doc, s.types) })
      }
      doc.destroy()
    }
    s.peerStates.forEach((p, i) => {
      if (i === 0 || !v2) add(`encode-peer${i}.${fmt}`, ['doc', 'encode', ...V, `peer${i}.${fmt}.bin`], expectBytes(`encode-peer${i}.${fmt}`, encodeFresh([p[fmt]], v2)), fmt)
    })
    const mergeFn = v2 ? Y.mergeUpdatesV2 : Y.mergeUpdates
    const diffFn = v2 ? Y.diffUpdateV2 : Y.diffUpdate
    const svFn = v2 ? Y.encodeStateVectorFromUpdateV2 : Y.encodeStateVectorFromUpdate
    if (anyUpdates) {
      add(`merge-recorded.${fmt}`, ['update', 'merge', ...V, ...inputs.recorded], expectBytes(`merge-recorded.${fmt}`, merged[fmt]))
      add(`merge-duplicated.${fmt}`, ['update', 'merge', ...V, ...inputs.duplicated],
        expectBytes(`merge-duplicated.${fmt}`, mergeFn(inputs.duplicated.map(p => files.get(p)))))
    }
    add(`diff-merged.${fmt}`, ['update', 'diff', ...V, `merged.${fmt}.bin`, '--state-vector', 'mid.sv.bin'],
      expectBytes(`diff-merged.${fmt}`, diffFn(merged[fmt], s.midSV)))
    add(`diff-peer0.${fmt}`, ['update', 'diff', ...V, `peer0.${fmt}.bin`, '--state-vector', 'mid.sv.bin'],
      expectBytes(`diff-peer0.${fmt}`, diffFn(s.peerStates[0][fmt], s.midSV)))
    if (anyUpdates) {
      add(`sv-recorded.${fmt}`, ['update', 'state-vector', ...V, ...inputs.recorded],
        expectBytes(`sv-recorded.${fmt}`, svFn(mergeFn(inputs.recorded.map(p => files.get(p))))))
    }
    const partial = s.partial.map(r => refPath(r, fmt))
    if (partial.length > 0) {
      add(`sv-partial.${fmt}`, ['update', 'state-vector', ...V, ...partial],
        expectBytes(`sv-partial.${fmt}`, svFn(mergeFn(partial.map(p => files.get(p))))))
    }
  }
  addRandomMergeChecks(s, files, add, expectBytes)
  add('convert-merged.to-v2', ['update', 'convert', '--to', 'v2', 'merged.v1.bin'], expectBytes('convert-merged.to-v2', Y.convertUpdateFormatV1ToV2(merged.v1)))
  add('convert-merged.to-v1', ['update', 'convert', '--to', 'v1', 'merged.v2.bin'], expectBytes('convert-merged.to-v1', Y.convertUpdateFormatV2ToV1(merged.v2)))
  add('convert-peer0.to-v2', ['update', 'convert', '--to', 'v2', 'peer0.v1.bin'], expectBytes('convert-peer0.to-v2', Y.convertUpdateFormatV1ToV2(s.peerStates[0].v1)))
  add('convert-peer0.to-v1', ['update', 'convert', '--to', 'v1', 'peer0.v2.bin'], expectBytes('convert-peer0.to-v1', Y.convertUpdateFormatV2ToV1(s.peerStates[0].v2)))
  files.set('expected/doc.json', Buffer.from((checks.find(c => c.name === 'json-recorded.v1') ?? checks.find(c => c.name === 'json-merged.v1')).expect.json + '\n'))
  return { files, checks }
}

/** A state vector with a random clock in [0, clock] per client of `sv` (cuts inside items and surrogate pairs). */
const randomCutSV = (g, sv) => {
  const cut = new Map()
  for (const [client, clock] of Y.decodeStateVector(sv)) if (chance(g, 0.8)) cut.set(client, int(g, 0, clock))
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, cut.size)
  for (const [client, clock] of cut) { encoding.writeVarUint(enc, client); encoding.writeVarUint(enc, clock) }
  return encoding.toUint8Array(enc)
}

/**
 * merge_updates / diff_update on random inputs, byte for byte against yjs:
 * pieces of peer states cut at random clocks (inside items and surrogate
 * pairs, with GC'd and non-GC'd copies of the same items), local and remote
 * updates and partial merges, shuffled, with duplicates; and diffs of those
 * against random cut state vectors. Seeded by the session seed.
 */
const addRandomMergeChecks = (s, files, add, expectBytes) => {
  const g = createRng(s.seed * 7919 + 17)
  for (const fmt of ['v1', 'v2']) {
    const v2 = fmt === 'v2'
    const V = v2 ? ['--v2'] : []
    const mergeFn = v2 ? Y.mergeUpdatesV2 : Y.mergeUpdates
    const diffFn = v2 ? Y.diffUpdateV2 : Y.diffUpdate
    const pool = [] // [path, bytes]
    s.updates.forEach((u, i) => pool.push([refPath(['u', i], fmt), u[fmt]]))
    s.remoteUpdates.forEach((u, i) => pool.push([refPath(['r', i], fmt), u[fmt]]))
    s.peerStates.forEach((p, i) => pool.push([`peer${i}.${fmt}.bin`, p[fmt]]))
    const nPieces = int(g, 3, 6)
    for (let i = 0; i < nPieces; i++) {
      const peer = s.peerStates[int(g, 0, s.peerStates.length - 1)]
      const piece = diffFn(peer[fmt], randomCutSV(g, s.peerSV[int(g, 0, s.peerSV.length - 1)]))
      const rel = `x/piece${i}.${fmt}.bin`
      files.set(rel, piece)
      pool.push([rel, piece])
    }
    const partial = shuffle(g, pool).slice(0, int(g, 2, Math.max(2, pool.length >> 1)))
    const rel = `x/partial.${fmt}.bin`
    files.set(rel, mergeFn(partial.map(p => p[1])))
    pool.push([rel, files.get(rel)])
    for (let k = 0; k < 2; k++) {
      const list = shuffle(g, pool).slice(0, int(g, 2, pool.length))
      for (let d = int(g, 0, 3); d > 0; d--) list.splice(int(g, 0, list.length), 0, list[int(g, 0, list.length - 1)])
      add(`merge-random${k}.${fmt}`, ['update', 'merge', ...V, ...list.map(p => p[0])],
        expectBytes(`merge-random${k}.${fmt}`, mergeFn(list.map(p => p[1]))))
    }
    for (let k = 0; k < 2; k++) {
      const [p, bytes] = pool[int(g, 0, pool.length - 1)]
      const sv = randomCutSV(g, s.peerSV[int(g, 0, s.peerSV.length - 1)])
      const svRel = `x/cut${k}.${fmt}.sv.bin`
      files.set(svRel, sv)
      add(`diff-random${k}.${fmt}`, ['update', 'diff', ...V, p, '--state-vector', svRel],
        expectBytes(`diff-random${k}.${fmt}`, diffFn(bytes, sv)))
    }
  }
}

const shellQuote = a => /^[A-Za-z0-9_./=:-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`
export const commandLine = (bin, check) => [bin, ...check.args].map(shellQuote).join(' ')

/** Writes a session directory: inputs, expected/, out/, session.json, checks.sh. */
export const writeSession = (dir, s, { files, checks }, bin = WEFT) => {
  for (const [rel, bytes] of files) {
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), bytes)
  }
  fs.mkdirSync(path.join(dir, 'out'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'session.json'), JSON.stringify({
    seed: s.seed,
    meta: s.meta,
    types: s.types,
    updates: s.updates.map(u => u.peer),
    orders: s.orders,
    checks: checks.map(c => ({ name: c.name, args: c.args, expect: c.expect }))
  }, null, 1) + '\n')
  const lines = ['#!/bin/sh', `# weft interop session, seed ${s.seed}. Run in this directory; compare out/NAME.bin with expected/NAME.bin.`,
    `WEFT="\${WEFT_BIN:-${bin}}"`, 'set -x']
  for (const c of checks) {
    lines.push(`# ${c.name}: expect ${c.expect.file ? `the bytes of ${c.expect.file}` : 'this canonical JSON on stdout:'}`)
    if (c.expect.json) lines.push(`# ${c.expect.json}`)
    lines.push(['"$WEFT"', ...c.args.map(shellQuote)].join(' '))
  }
  fs.writeFileSync(path.join(dir, 'checks.sh'), lines.join('\n') + '\n', { mode: 0o755 })
}

// ---------------------------------------------------------------------------
// Semantic comparison of full-state updates (the testHelper.js compare()
// oracle, adapted to bytes): state vector, normalised delete set, canonical
// JSON of the doc it builds, nothing pending after applying it.

/** Delete set of an update as {client: [[clock, len], ...]} with merged ranges. */
export const normalisedDeleteSet = (update, v2 = false) => {
  const { ds } = (v2 ? Y.decodeUpdateV2 : Y.decodeUpdate)(update)
  const out = {}
  for (const [client, items] of [...ds.clients.entries()].sort((a, b) => a[0] - b[0])) {
    const sorted = items.map(d => [d.clock, d.len]).sort((a, b) => a[0] - b[0])
    const merged = []
    for (const [clock, len] of sorted) {
      const last = merged[merged.length - 1]
      if (last && last[0] + last[1] >= clock) last[1] = Math.max(last[1], clock + len - last[0])
      else if (len > 0) merged.push([clock, len])
    }
    if (merged.length > 0) out[client] = merged
  }
  return JSON.stringify(out)
}

const hex = b => Buffer.from(b).toString('hex')

/**
 * Differences between a full-state update produced by the implementation and
 * the expected one (empty array = semantically equal).
 */
export const semanticDiff = (actual, expected, v2, types = DEFAULT_TYPES) => {
  const problems = []
  let doc
  try {
    doc = freshDoc([actual], v2)
  } catch (e) {
    return [`yjs cannot apply the output: ${e.message}`]
  }
  if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) problems.push('output leaves pending structs/deletes in yjs')
  const svA = hex(Y.encodeStateVector(doc))
  const svE = hex((v2 ? Y.encodeStateVectorFromUpdateV2 : Y.encodeStateVectorFromUpdate)(expected))
  if (svA !== svE) problems.push(`state vector ${svA} != expected ${svE}`)
  const dsA = normalisedDeleteSet(actual, v2)
  const dsE = normalisedDeleteSet(expected, v2)
  if (dsA !== dsE) problems.push(`delete set ${dsA.slice(0, 300)} != expected ${dsE.slice(0, 300)}`)
  const jA = canonicalJson(doc, types)
  const jE = canonicalJsonOfUpdates([expected], types, v2)
  if (jA !== jE) problems.push(`JSON of output ${jA.slice(0, 300)} != expected ${jE.slice(0, 300)}`)
  doc.destroy()
  return problems
}

// ---------------------------------------------------------------------------
// Self-check: the harness against yjs alone.

/**
 * Checks that the recorded session and its expectations are consistent in
 * yjs itself. Returns hard problems (harness bugs) and soft stats (facts about
 * yjs worth knowing, e.g. whether byte equality held across orders).
 */
export const selfCheck = s => {
  const problems = []
  const stats = { ordersByteEqual: true, peerStatesByteEqual: true, peerStateReencodeEqual: true }
  const expectedJson = canonicalJsonOfUpdates(s.updates.map(u => u.v1), s.types)
  const expectedSV = hex(Y.encodeStateVectorFromUpdate(Y.mergeUpdates(s.updates.map(u => u.v1))))
  s.peerJson.forEach((j, i) => { if (j !== expectedJson) problems.push(`peer ${i} JSON differs from the recorded updates' JSON`) })
  s.peerSV.forEach((sv, i) => { if (hex(sv) !== expectedSV) problems.push(`peer ${i} state vector differs`) })
  s.peerPending.forEach((p, i) => { if (p) problems.push(`peer ${i} has pending data after the final sync`) })
  if (s.updates.some(u => !u.v2)) problems.push('an update event without its updateV2 twin')
  const dsOf = u => normalisedDeleteSet(u)
  // Not the union of the updates' delete sets: receivers also delete items
  // that land in deleted parents or lose a map-key race, and the full state
  // lists GC ranges (yjs-compat 12.10).
  const expectedDs = dsOf(encodeFresh(s.updates.map(u => u.v1), false))
  let firstEnc = null
  const orders = { ...s.orders, merged: null }
  for (const [name, refs] of Object.entries(orders)) {
    for (const fmt of ['v1', 'v2']) {
      const v2 = fmt === 'v2'
      const ups = refs ? refs.map(r => refBytes(s, r, fmt)) : [(v2 ? Y.mergeUpdatesV2 : Y.mergeUpdates)(s.updates.map(u => u[fmt]))]
      let doc
      try { doc = freshDoc(ups, v2) } catch (e) { problems.push(`${name}.${fmt}: apply throws ${e.message}`); continue }
      if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) problems.push(`${name}.${fmt}: pending data left`)
      const enc = Y.encodeStateAsUpdate(doc)
      if (hex(Y.encodeStateVector(doc)) !== expectedSV) problems.push(`${name}.${fmt}: state vector differs`)
      if (dsOf(enc) !== expectedDs) problems.push(`${name}.${fmt}: delete set differs`)
      if (canonicalJson(doc, s.types) !== expectedJson) problems.push(`${name}.${fmt}: JSON differs`)
      if (firstEnc === null) firstEnc = hex(enc)
      else if (hex(enc) !== firstEnc) stats.ordersByteEqual = false
      doc.destroy()
    }
  }
  const st0 = hex(s.peerStates[0].v1)
  for (const p of s.peerStates) {
    if (hex(p.v1) !== st0) stats.peerStatesByteEqual = false
    if (s.meta.gc && hex(encodeFresh([p.v1], false)) !== hex(p.v1)) stats.peerStateReencodeEqual = false // gc-off states are GCed by a fresh doc
    const problemsP = semanticDiff(p.v1, s.peerStates[0].v1, false, s.types)
    problemsP.forEach(x => problems.push(`peer state: ${x}`))
  }
  // A check's expected outputs must be valid updates in yjs too.
  const { checks, files } = sessionFiles(s)
  for (const c of checks) {
    if (!c.semantic) continue
    const p = semanticDiff(files.get(c.expect.file), files.get(`expected/encode-recorded.${c.semantic}.bin`) ?? files.get(`expected/encode-merged.${c.semantic}.bin`), c.semantic === 'v2', s.types)
    p.forEach(x => problems.push(`${c.name}: ${x}`))
  }
  return { problems, stats }
}

// ---------------------------------------------------------------------------
// CLI

const parseSeeds = spec => {
  if (/^\d+\.\.\d+$/.test(spec)) {
    const [a, b] = spec.split('..').map(Number)
    return [...Array(b - a + 1).keys()].map(i => a + i)
  }
  return spec.split(',').map(Number)
}

const main = argv => {
  const args = { seeds: null, out: null, selfCheck: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--seed' || a === '--seeds') args.seeds = parseSeeds(argv[++i])
    else if (a === '--out') args.out = argv[++i]
    else if (a === '--self-check') args.selfCheck = true
    else {
      console.error('usage: node gen.mjs --seed N [--out DIR] | --self-check --seeds A..B')
      process.exit(2)
    }
  }
  if (!args.seeds) args.seeds = args.selfCheck ? parseSeeds('0..49') : [0]
  let failed = 0
  const tally = { ordersByteEqual: 0, peerStatesByteEqual: 0, peerStateReencodeEqual: 0, updates: 0 }
  for (const seed of args.seeds) {
    const s = generateSession(seed)
    tally.updates += s.updates.length
    if (args.out) {
      const dir = args.seeds.length > 1 ? path.join(args.out, `seed-${seed}`) : args.out
      writeSession(dir, s, sessionFiles(s))
      console.log(`seed ${seed}: ${s.updates.length} updates, ${JSON.stringify(s.meta)} -> ${dir}`)
    }
    if (args.selfCheck) {
      const { problems, stats } = selfCheck(s)
      for (const k of Object.keys(stats)) if (stats[k]) tally[k]++
      if (problems.length > 0) {
        failed++
        console.log(`seed ${seed}: FAIL\n  ${problems.join('\n  ')}`)
      } else if (!stats.ordersByteEqual || !stats.peerStatesByteEqual || !stats.peerStateReencodeEqual) {
        console.log(`seed ${seed}: ok (note: ${JSON.stringify(stats)})`)
      }
    }
  }
  if (args.selfCheck) {
    const n = args.seeds.length
    console.log(`self-check: ${n - failed}/${n} sessions consistent; ${tally.updates} updates; ` +
      `orders byte-equal ${tally.ordersByteEqual}/${n}, peer states byte-equal ${tally.peerStatesByteEqual}/${n}, ` +
      `peer state re-encode equal ${tally.peerStateReencodeEqual}/${n}`)
    process.exit(failed ? 1 : 0)
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/gen.mjs')) main(process.argv.slice(2))
