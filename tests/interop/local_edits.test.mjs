// Weft's own API against Yjs's, edit for edit: a weft-peer and a Y.Doc with
// the same client id make the same local edits (and apply the same remote
// updates from a third, yjs-only peer); every transaction's update must be
// byte-identical, and so must the final state. This is what makes updates
// from Weft indistinguishable from a Yjs peer's. On even seeds both sides
// also observe the text: every transaction's YTextEvent.delta (attributes
// included) must match. Odd seeds run unobserved, as most documents do (the
// core's typing and backspace fast paths only run on texts nobody observes), and seeds
// 1 mod 4 never format the text (the fast path also needs a text that was
// never formatted).
//   node --test local_edits.test.mjs        (INTEROP_EDIT_SEEDS, default 40)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import * as Y from 'yjs'
import { WeftPeer, toHex } from './peers.mjs'
import { Rng } from './rng.mjs'
import { WEFT_PEER as PEER_BIN } from './server_process.mjs'
import { PIECES, safeIndex, randomEdit, applyToYjs } from './edits.mjs'

const SEEDS = Number(process.env.INTEROP_EDIT_SEEDS || 40)

const runSeed = async seed => {
  const rng = new Rng(seed)
  const client = 1000 + seed
  const ydoc = new Y.Doc(); ydoc.clientID = client
  const other = new Y.Doc(); other.clientID = 1 + rng.int(0, 2000) // sometimes below, sometimes above
  for (const d of [ydoc, other]) { d.getText('t'); d.getArray('a'); d.getMap('m'); d.getXmlFragment('x') }
  const peer = new WeftPeer(PEER_BIN, client, seed)
  const log = []
  let yEvents = []
  const observed = seed % 2 === 0
  let typingAt = null
  const plainText = e => seed % 4 !== 1 ? e : e.op === 'tf' ? { op: 'ti', i: e.i, s: 'p' } : e.op === 'ti' ? { ...e, a: undefined } : e
  if (observed) ydoc.getText('t').observe(e => {
    yEvents.push(JSON.stringify(e.delta.map(op => op.insert instanceof Y.AbstractType ? { ...op, insert: '<type>' } : op)))
  })
  // The deltas of the yjs doc and the weft-peer since the last call must be equal.
  const checkEvents = (lines, what) => {
    const got = lines.filter(l => l.startsWith('event ')).map(l => l.slice(6))
    assert.deepEqual(got, yEvents, `text event deltas of ${what} differ`)
    yEvents = []
  }
  try {
    if (observed) await peer.command('observe')
    for (let step = 0; step < 60; step++) {
      if (rng.chance(0.2)) {
        // A remote edit from `other`, then both sides receive it.
        Y.applyUpdate(other, Y.encodeStateAsUpdate(ydoc, Y.encodeStateVector(other)))
        applyToYjs(other, randomEdit(rng, other))
        const u = Y.encodeStateAsUpdate(other, Y.encodeStateVector(ydoc))
        log.push(`remote ${toHex(u)}`)
        Y.applyUpdate(ydoc, u, 'remote')
        checkEvents(await peer.command(`apply ${toHex(u)}`), `remote update ${step}`)
        continue
      }
      // Typing runs: often the next insert goes right after the previous one
      // (the pattern the core's typing fast path serves), and backspace runs
      // delete just before the previous edit (the backspace fast path).
      const text = ydoc.getText('t').toString()
      let e
      if (typingAt !== null && typingAt > 0 && typingAt <= text.length && rng.chance(0.35)) {
        let i = Math.max(0, typingAt - rng.int(1, 2))
        while (i > 0 && text.charCodeAt(i) >= 0xdc00 && text.charCodeAt(i) <= 0xdfff) i--
        e = { op: 'td', i, n: typingAt - i }
      } else if (typingAt !== null && typingAt <= text.length && rng.chance(0.4)) {
        e = { op: 'ti', i: typingAt, s: PIECES[rng.int(0, PIECES.length - 1)] }
      } else {
        e = plainText(randomEdit(rng, ydoc))
      }
      typingAt = e.op === 'ti' && !e.a ? e.i + e.s.length : e.op === 'td' ? e.i : null
      log.push(`edit ${JSON.stringify(e)}`)
      const expected = []
      const h = u => expected.push(toHex(u))
      ydoc.on('update', h)
      applyToYjs(ydoc, e)
      ydoc.off('update', h)
      const lines = await peer.command(`edit ${JSON.stringify(e)}`)
      const got = lines.filter(l => l.startsWith('update ')).map(l => l.slice(7))
      assert.deepEqual(got, expected, `update of edit ${step} differs`)
      checkEvents(lines, `edit ${step}`)
    }
    assert.equal(toHex(await peer.state()), toHex(Y.encodeStateAsUpdate(ydoc)), 'final state differs')
  } catch (err) {
    const file = `/tmp/weft-local-edits-${seed}.log`
    fs.writeFileSync(file, log.join('\n') + '\n')
    err.message = `seed ${seed}: ${err.message}\n  edits so far: ${file}\n  rerun: INTEROP_EDIT_SEED_LIST=${seed} node --test local_edits.test.mjs`
    throw err
  } finally {
    await peer.close()
  }
}

const seeds = process.env.INTEROP_EDIT_SEED_LIST
  ? process.env.INTEROP_EDIT_SEED_LIST.split(',').map(Number)
  : Array.from({ length: SEEDS }, (_, i) => i)

test(`weft local edits = yjs local edits, byte for byte (${seeds.length} seeds)`, { skip: !fs.existsSync(PEER_BIN) && `no ${PEER_BIN}` }, async t => {
  for (const seed of seeds) await t.test(`seed ${seed}`, () => runSeed(seed))
})
