// The notes pane's caret transform (web/src/notes.js) against real Y.Text
// deltas from yjs: a remote edit never moves the local caret relative to
// the text around it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from '../../web/node_modules/yjs/dist/yjs.mjs'
import { transformPosition } from '../../web/src/notes.js'

// Applies `edit` to a copy of `text` and returns [delta, new text].
function remoteEdit (text, edit) {
  const doc = new Y.Doc()
  const ytext = doc.getText('t')
  ytext.insert(0, text)
  let delta = []
  ytext.observe((e) => { delta = e.delta })
  doc.transact(() => edit(ytext))
  return [delta, ytext.toString()]
}

test('caret keeps its neighbours through remote inserts and deletes (seeded)', () => {
  let seed = 12345
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  for (let round = 0; round < 500; round++) {
    const text = 'abcdefghijklmnopqrstuvwxyz'.slice(0, 5 + rand(20))
    const caret = rand(text.length + 1)
    const at = rand(text.length + 1)
    const del = rand(Math.min(4, text.length - at) + 1)
    const ins = ['', 'X', 'YZ😀'][rand(3)]
    const [delta, after] = remoteEdit(text, (t) => { t.delete(at, del); if (ins) t.insert(at, ins) })
    const moved = transformPosition(caret, delta)
    const msg = `seed round ${round}: "${text}" caret ${caret}, delete ${del} and insert "${ins}" at ${at}`
    if (caret <= at) {
      assert.equal(moved, caret, msg) // before the edit (an insert at the caret goes after it)
    } else if (caret >= at + del) {
      assert.equal(moved, caret - del + ins.length, msg) // after it: shifted
      assert.equal(after.slice(moved), text.slice(caret), msg)
    } else {
      assert.equal(moved, at, msg) // inside the deleted range: collapses to its start
    }
  }
})

test('a selection end sticks after text inserted at it', () => {
  const [delta] = remoteEdit('hello', (t) => t.insert(5, '!'))
  assert.equal(transformPosition(5, delta, 'before'), 5)
  assert.equal(transformPosition(5, delta, 'after'), 6)
})
