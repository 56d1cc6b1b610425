#!/usr/bin/env node
// Protocol vectors from the real y-protocols, for src/sync/vectors_test.cc.
//
//   node sync_vectors.mjs                 print the vectors (JSON)
//   node sync_vectors.mjs --out FILE      write them (tests/vectors/sync.json)
//   node sync_vectors.mjs --check FILE    exit 1 if FILE differs from what y-protocols gives now
//
// Sync: SyncStep1 / SyncStep2 / Update frames as y-protocols writes and
// answers them (readSyncMessage, the reference server's path). Awareness: a
// room's awareness driven through a script of updates and removals, with
// the 'update' event of each step and the frame the reference server
// broadcasts for it (y-websocket-server utils.js: added, updated, removed
// concatenated), plus the frame a new connection gets (all states).
//
// y-protocols is pinned in package.json (the version y-websocket 3.0.0 installs).

import * as Y from 'yjs'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as authProtocol from 'y-protocols/auth'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import fs from 'node:fs'
import { createRequire } from 'node:module'

const hex = (u8) => Buffer.from(u8).toString('hex').replace(/(..)(?!$)/g, '$1 ')
const frame = (fn) => {
  const enc = encoding.createEncoder()
  fn(enc)
  return hex(encoding.toUint8Array(enc))
}

// --- sync -------------------------------------------------------------------

const sync = []
{
  const empty = new Y.Doc()
  sync.push({ name: 'step1 of an empty doc', kind: 'step1', payload: hex(Y.encodeStateVector(empty)),
    frame: frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeSyncStep1(e, empty) }) })

  const doc = new Y.Doc()
  doc.clientID = 1
  doc.getText('t').insert(0, 'hello wörld 🙂')
  const early = Y.encodeStateAsUpdate(doc)
  doc.getMap('m').set('k', { nested: [1, 'two', null] })
  doc.getText('t').delete(1, 3)
  const other = new Y.Doc()
  other.clientID = 300
  other.getArray('a').insert(0, [1, 2, 3])
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))

  const remote = new Y.Doc()
  Y.applyUpdate(remote, early)
  for (const [name, peer] of [['empty peer', new Y.Doc()], ['peer with an early state', remote]]) {
    const sv = Y.encodeStateVector(peer)
    const step1 = frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeSyncStep1(e, peer) })
    // What the reference server replies: readSyncMessage after messageSync.
    const reply = frame((e) => {
      encoding.writeVarUint(e, 0)
      syncProtocol.readSyncMessage(decoding.createDecoder(Buffer.from(step1.replace(/ /g, ''), 'hex').subarray(1)), e, doc, null)
    })
    sync.push({ name: `step2 answer to ${name}`, kind: 'answer', doc: hex(Y.encodeStateAsUpdate(doc)),
      sv: hex(sv), step1, frame: reply })
  }
  sync.push({ name: 'step2 of a doc', kind: 'step2', payload: hex(Y.encodeStateAsUpdate(doc)),
    frame: frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeSyncStep2(e, doc) }) })
  const upd = Y.encodeStateAsUpdate(other)
  sync.push({ name: 'update', kind: 'update', payload: hex(upd),
    frame: frame((e) => { encoding.writeVarUint(e, 0); syncProtocol.writeUpdate(e, upd) }) })
  sync.push({ name: 'permission denied', kind: 'auth', reason: 'read-only 🙂',
    frame: frame((e) => { encoding.writeVarUint(e, 2); authProtocol.writePermissionDenied(e, 'read-only 🙂') }) })
}

// --- awareness --------------------------------------------------------------

// A raw awareness update: entries [client, clock, jsonText] (text as given).
const rawUpdate = (entries) => {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, entries.length)
  for (const [client, clock, text] of entries) {
    encoding.writeVarUint(enc, client)
    encoding.writeVarUint(enc, clock)
    encoding.writeVarString(enc, text)
  }
  return encoding.toUint8Array(enc)
}

const script = [
  { apply: [[1, 0, '{}']] },                                        // clock 0 of an unknown client: ignored
  { apply: [[1, 1, '{"user":{"name":"Bo"}}']] },
  { apply: [[2, 1, ' { "b" : 1.50, "a":[ 1e2, -0 ], "2":0, "1":"x", "a":"dup" } ']] },
  { apply: [[1, 1, '{"user":{"name":"Al"}}']] },                    // equal clock: ignored
  { apply: [[1, 2, '{"user":{"name":"Bo"}}']] },                    // renewal: updated
  { apply: [[3, 4, 'false'], [4, 1, '0'], [5, 1, '""'], [6, 1, '"s"'], [7, 1, '[]']] },
  { states: true },
  { apply: [[1, 2, 'null']] },                                      // equal clock null: removed
  { apply: [[1, 2, 'null']] },                                      // again: ignored
  { apply: [[1, 3, '{"back":true}'], [8, 2, 'null'], [2, 2, '{"b":2}'], [2, 3, 'null'], [9, 1, '{}']] },
  { states: true },
  { apply: [[2, 4, '{"again":1}'], [2, 5, '{"again":2}']] },
  { remove: [9, 3, 3, 77] },
  { states: true },
  { apply: [[3, 4, 'null'], [3, 5, 'null']] },                      // no state: equal ignored, higher removed
  { remove: [1, 2, 4, 5, 6, 7] },
  { states: true },
]

const doc = new Y.Doc()
doc.clientID = 999999
const awareness = new awarenessProtocol.Awareness(doc)
awareness.setLocalState(null) // as the reference server does
const awarenessSteps = []
let last = null
awareness.on('update', ({ added, updated, removed }) => {
  const changed = added.concat(updated, removed)
  last = { added, updated, removed,
    broadcast: frame((e) => {
      encoding.writeVarUint(e, 1)
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, changed))
    }) }
})
for (const step of script) {
  last = null
  if (step.apply) {
    const update = rawUpdate(step.apply)
    awarenessProtocol.applyAwarenessUpdate(awareness, update, 'conn')
    awarenessSteps.push({ apply: hex(update), event: last })
  } else if (step.remove) {
    awarenessProtocol.removeAwarenessStates(awareness, step.remove, null)
    awarenessSteps.push({ remove: step.remove, event: last })
  } else {
    const clients = Array.from(awareness.getStates().keys())
    awarenessSteps.push({ states: clients.length === 0 ? null : frame((e) => {
      encoding.writeVarUint(e, 1)
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, clients))
    }) })
  }
}
awareness.destroy()

const require = createRequire(import.meta.url)
const version = (p) => require(`${p}/package.json`).version
const out = JSON.stringify({
  generator: 'tests/interop/sync_vectors.mjs',
  versions: { yjs: version('yjs'), 'y-protocols': version('y-protocols'), lib0: version('lib0') },
  sync,
  awareness: awarenessSteps,
}, null, 1) + '\n'

const arg = process.argv[2]
if (arg === '--out') {
  fs.writeFileSync(process.argv[3], out)
} else if (arg === '--check') {
  const have = fs.readFileSync(process.argv[3], 'utf8')
  if (have !== out) {
    console.error(`${process.argv[3]} differs from what y-protocols produces now`)
    process.exit(1)
  }
  console.log('ok')
} else {
  process.stdout.write(out)
}
