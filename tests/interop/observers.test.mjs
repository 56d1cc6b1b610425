// Observer calls, Weft against Yjs: a weft-peer and a Y.Doc make the same
// transactions (batches of local edits over the four roots and the types
// nested in them, and remote updates of a third, yjs-only peer that made
// several edits in one transaction), with every type of each document
// observed, shallow and deep. Each transaction's observer calls must come in
// the same order with the same events: a type's own observers in the order
// the transaction first changed each type, then the deep observers in the
// order an event first reached each type (yjs 13.6.33 cleanupTransactions and
// callTypeObservers: JS Maps, insertion-ordered), each with its events sorted
// by path length, stably; each event's keys in the order the transaction
// first changed them (YEvent.keys). The updates must be byte-identical too.
//   node --test observers.test.mjs        (INTEROP_OBSERVER_SEEDS, default 100)
//   INTEROP_OBSERVER_SEED_LIST=3,7 node --test observers.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import * as Y from 'yjs'
import { WeftPeer, toHex } from './peers.mjs'
import { Rng } from './rng.mjs'
import { WEFT_PEER as PEER_BIN } from './server_process.mjs'
import { randomEdit, randomNestedEdit, applyToYjs } from './edits.mjs'

const SEEDS = Number(process.env.INTEROP_OBSERVER_SEEDS || 100)
const STEPS = 40

const valueJson = v => v instanceof Y.AbstractType ? '<type>' : v

// weft-peer's `watch` (peer/weft_peer.cc class Watcher) on a Y.Doc: every
// type numbered in the order a walk finds it, observed shallow and deep;
// each call logs the line the peer prints for it.
class Watcher {
  constructor (doc) {
    this.doc = doc
    this.labels = new Map()
    this.lines = []
  }

  scan () {
    const d = this.doc
    for (const root of [d.getMap('m'), d.getArray('a'), d.getText('t'), d.getXmlFragment('x')]) this.visit(root)
  }

  visit (type) {
    if (!this.labels.has(type)) {
      const label = this.labels.size
      this.labels.set(type, label)
      type.observe(e => this.lines.push(`obs ${label} ${JSON.stringify(this.event(e))}`))
      type.observeDeep(events => this.lines.push(`deep ${label} ${JSON.stringify(events.map(e => this.event(e)))}`))
    }
    if (type instanceof Y.Map) {
      for (const k of [...type.keys()].sort()) this.child(type.get(k))
    } else if (type instanceof Y.Array || type instanceof Y.XmlFragment) {
      type.forEach(v => this.child(v))
    }
  }

  child (v) { if (v instanceof Y.AbstractType) this.visit(v) }

  event (e) {
    const text = e.target instanceof Y.Text // Y.XmlText too
    const delta = (text ? e.delta : e.changes.delta).map(op => {
      if (op.insert === undefined) return op
      const insert = Array.isArray(op.insert) ? op.insert.map(valueJson) : valueJson(op.insert)
      return { ...op, insert }
    })
    const keys = [...e.keys].map(([k, c]) => c.oldValue === undefined ? [k, c.action] : [k, c.action, valueJson(c.oldValue)])
    const t = this.labels.get(e.target)
    return { t: t === undefined ? -1 : t, p: e.path, k: keys, d: delta }
  }
}

// 1-4 edits, of the roots or of nested types, made in one transaction;
// each is chosen on the document as the previous ones left it.
const randomBatch = (rng, doc) => {
  const edits = []
  const n = rng.int(1, 4)
  doc.transact(() => {
    for (let i = 0; i < n; i++) {
      const e = (rng.chance(0.5) && randomNestedEdit(rng, doc)) || randomEdit(rng, doc)
      applyToYjs(doc, e)
      edits.push(e)
    }
  })
  return { op: 'batch', edits }
}

const runSeed = async seed => {
  const rng = new Rng(seed)
  const client = 5000 + seed
  const ydoc = new Y.Doc(); ydoc.clientID = client
  const other = new Y.Doc()
  other.clientID = 1 + rng.int(0, 10000) // sometimes below, sometimes above
  if (other.clientID === client) other.clientID++
  for (const d of [ydoc, other]) { d.getText('t'); d.getArray('a'); d.getMap('m'); d.getXmlFragment('x') }
  const watcher = new Watcher(ydoc)
  const peer = new WeftPeer(PEER_BIN, client, seed)
  const log = []
  const check = (lines, what) => {
    watcher.scan()
    const got = lines.filter(l => l.startsWith('obs ') || l.startsWith('deep '))
    assert.deepEqual(got, watcher.lines, `observer calls of ${what} differ`)
    watcher.lines = []
  }
  try {
    await peer.command('watch')
    watcher.scan()
    for (let step = 0; step < STEPS; step++) {
      if (rng.chance(0.3)) {
        // `other` catches up, makes a batch, and both sides receive it.
        Y.applyUpdate(other, Y.encodeStateAsUpdate(ydoc, Y.encodeStateVector(other)))
        randomBatch(rng, other)
        const u = Y.encodeStateAsUpdate(other, Y.encodeStateVector(ydoc))
        log.push(`remote ${toHex(u)}`)
        Y.applyUpdate(ydoc, u, 'remote')
        check(await peer.command(`apply ${toHex(u)}`), `remote update ${step}`)
        continue
      }
      // The batch is chosen edit by edit inside ydoc's transaction.
      const expected = []
      const h = u => expected.push(toHex(u))
      ydoc.on('update', h)
      const e = randomBatch(rng, ydoc)
      ydoc.off('update', h)
      log.push(`edit ${JSON.stringify(e)}`)
      const lines = await peer.command(`edit ${JSON.stringify(e)}`)
      assert.deepEqual(lines.filter(l => l.startsWith('update ')).map(l => l.slice(7)), expected, `update of edit ${step} differs`)
      check(lines, `edit ${step}`)
    }
    assert.equal(toHex(await peer.state()), toHex(Y.encodeStateAsUpdate(ydoc)), 'final state differs')
  } catch (err) {
    const file = `/tmp/weft-observers-${seed}.log`
    fs.writeFileSync(file, log.join('\n') + '\n')
    err.message = `seed ${seed}: ${err.message}\n  edits so far: ${file}\n  rerun: INTEROP_OBSERVER_SEED_LIST=${seed} node --test observers.test.mjs`
    throw err
  } finally {
    await peer.close()
  }
}

const seeds = process.env.INTEROP_OBSERVER_SEED_LIST
  ? process.env.INTEROP_OBSERVER_SEED_LIST.split(',').map(Number)
  : Array.from({ length: SEEDS }, (_, i) => i)

test(`weft observer calls = yjs observer calls (${seeds.length} seeds)`, { skip: !fs.existsSync(PEER_BIN) && `no ${PEER_BIN}` }, async t => {
  for (const seed of seeds) await t.test(`seed ${seed}`, () => runSeed(seed))
})
