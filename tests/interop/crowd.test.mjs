// Many concurrent clients at one place, against the real yjs, byte for byte.
// K clients edit the same few places of a shared base (text and array inserts
// near the start, a set of one map key) in rounds; before each round a client
// sees what three random others had, so its items have other
// clients' concurrent items as origins (the second case of YATA's conflict
// scan). The updates reach yjs and `weft doc encode`
// in one seeded shuffled order (dependencies may arrive late), one by one and
// merged into one update; the encoded states must be equal. With K = 150 a
// scan passes more than a hundred concurrent items.
//
//   node --test crowd.test.mjs        (WEFT_BIN as in yjs_to_weft.test.mjs)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { createRng } from './rng.mjs'

const WEFT = process.env.WEFT_BIN || path.join(import.meta.dirname, '..', '..', 'build', 'apps', 'weft')
const skip = !fs.existsSync(WEFT) && `no ${WEFT}`
const PIECES = ['a', 'xy', 'é', '中文', '😀', 'b😀c']
const ROUNDS = 3

const makeSession = (clients, seed) => {
  const g = createRng(seed)
  const base = new Y.Doc()
  base.clientID = 1
  base.getText('t').insert(0, 'base')
  base.getArray('a').insert(0, [0])
  base.getMap('m').set('k', 'base')
  const baseState = Y.encodeStateAsUpdate(base)
  const ids = new Set([1])
  const docs = []
  const updates = []
  for (let i = 0; i < clients; i++) {
    const d = new Y.Doc()
    let id
    do id = g.int(2, 0xffffffff); while (ids.has(id))
    ids.add(id)
    d.clientID = id
    Y.applyUpdate(d, baseState)
    d.on('update', (u) => updates.push(u))
    docs.push(d)
  }
  // Rounds: each client first sees what a few others had at the end of the
  // last round, then edits near the start, where everyone edits.
  for (let round = 0; round < ROUNDS; round++) {
    const seen = docs.map((d) => Y.encodeStateAsUpdate(d))
    docs.forEach((d, i) => {
      if (round > 0) for (let k = 0; k < 3; k++) Y.applyUpdate(d, g.pick(seen))
      const t = d.getText('t')
      const a = d.getArray('a')
      d.transact(() => {
        t.insert(g.int(1, Math.min(t.length, 6)), g.pick(PIECES))
        a.insert(g.int(0, Math.min(a.length, 3)), [i])
        d.getMap('m').set('k', i)
      })
    })
  }
  for (const d of docs) d.destroy()
  return { baseState, updates: g.shuffle(updates) }
}

const yjsState = (inputs) => {
  const d = new Y.Doc()
  for (const u of inputs) Y.applyUpdate(d, u)
  const state = Y.encodeStateAsUpdate(d)
  d.destroy()
  return state
}

const weftState = (dir, inputs) => {
  const files = inputs.map((u, i) => {
    const f = path.join(dir, `u${i}.bin`)
    fs.writeFileSync(f, u)
    return f
  })
  const out = path.join(dir, 'out.bin')
  execFileSync(WEFT, ['doc', 'encode', ...files, '-o', out], { maxBuffer: 64 << 20 })
  return new Uint8Array(fs.readFileSync(out))
}

for (const [clients, seeds] of [[40, [1, 2, 3]], [150, [4, 5, 6]]]) {
  for (const seed of seeds) {
    test(`${clients} concurrent clients at one place, seed ${seed}`, { skip }, () => {
      const { baseState, updates } = makeSession(clients, seed)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-crowd-'))
      try {
        const oneByOne = [baseState, ...updates]
        const merged = [Y.mergeUpdates(oneByOne)]
        for (const [name, inputs] of [['one by one', oneByOne], ['merged', merged]]) {
          const expected = yjsState(inputs)
          const got = weftState(dir, inputs)
          assert.ok(Buffer.compare(Buffer.from(got), Buffer.from(expected)) === 0,
            `seed ${seed}, ${name}: weft's state (${got.length} bytes) differs from yjs's (${expected.length} bytes); ` +
            `rerun: node --test --test-name-pattern='seed ${seed}$' crowd.test.mjs`)
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    })
  }
}
