// `weft update merge` of many inputs against Y.mergeUpdates(V2), byte for byte:
// 10-130 one-character updates of one client beside a state in which those
// items are garbage-collected (so GC and Item heads meet at one id: where
// Yjs's decoder comparator is inconsistent and the merge order depends on how
// V8 sorts) or only deleted, in recorded, reversed and seeded shuffled order,
// with duplicates, and a second client's edits.
//
//   node --test merge_many.test.mjs        (WEFT_BIN as in yjs_to_weft.test.mjs)
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

/**
 * Client 7: a Y.Text nested in root map `m`, then n one-character inserts into
 * it (one update each, v1 and v2). Client 9 then replaces the map entry (all of
 * 7's text items become GC structs in its state) or, with `keep`, only deletes
 * some characters (Items with deleted content).
 */
const makeInputs = (n, keep, seed) => {
  const g = createRng(seed)
  const d = new Y.Doc({ gc: true })
  d.clientID = 7
  const ups = []
  d.on('update', u => ups.push({ v1: u, v2: Y.convertUpdateFormatV1ToV2(u) }))
  const t = d.getMap('m').set('k', new Y.Text())
  for (let i = 0; i < n; i++) t.insert(g.int(0, t.length), g.pick(['a', 'é', '中', '😀']))
  const other = new Y.Doc({ gc: true })
  other.clientID = 9
  Y.applyUpdate(other, Y.encodeStateAsUpdate(d))
  const theirs = []
  other.on('update', u => theirs.push({ v1: u, v2: Y.convertUpdateFormatV1ToV2(u) }))
  if (keep) {
    const ot = other.getMap('m').get('k')
    ot.delete(0, ot.length >> 1)
    ot.insert(g.int(0, ot.length), 'x🎉')
  } else {
    other.getMap('m').set('k', 'gone')
  }
  const state = { v1: Y.encodeStateAsUpdate(other), v2: Y.encodeStateAsUpdateV2(other) }
  // The state from clock 1 of client 7 on: its first head (GC or Item) sits at
  // the id of the second one-character update's Item.
  const sv = Y.encodeStateVector(new Map([[7, 1]]))
  const tail = { v1: Y.diffUpdate(state.v1, sv), v2: Y.diffUpdateV2(state.v2, sv) }
  return { ups, theirs, state, tail }
}

test('merge of many updates with GC/Item heads at one id = yjs', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-merge-many-'))
  const problems = []
  let cases = 0
  for (const n of [10, 63, 64, 70, 130]) {
    for (const seed of [1, 2]) {
      const { ups, theirs, state, tail } = makeInputs(n, seed === 2, n * 100 + seed)
      const g = createRng(seed)
      const base = [tail, state, ...ups, ...theirs]
      const orders = {
        recorded: base,
        reversed: [...base].reverse(),
        shuffled: g.shuffle(base),
        duplicated: g.shuffle([...base, ...base.slice(0, 5), state])
      }
      for (const [name, list] of Object.entries(orders)) {
        for (const fmt of ['v1', 'v2']) {
          const files = list.map((u, i) => {
            const p = path.join(dir, `in${i}.${fmt}.bin`)
            fs.writeFileSync(p, u[fmt])
            return p
          })
          const out = path.join(dir, 'out.bin')
          execFileSync(WEFT, ['update', 'merge', ...(fmt === 'v2' ? ['--v2'] : []), ...files, '-o', out])
          const expected = (fmt === 'v2' ? Y.mergeUpdatesV2 : Y.mergeUpdates)(list.map(u => u[fmt]))
          cases++
          if (Buffer.compare(fs.readFileSync(out), Buffer.from(expected)) !== 0) {
            problems.push(`n=${n} seed=${seed} ${name} ${fmt} (${list.length} inputs): bytes differ from yjs`)
          }
        }
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true })
  assert.deepEqual(problems, [], `${problems.length} of ${cases} merges differ`)
})
