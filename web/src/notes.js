// Two-way binding of a Y.Text and a <textarea>.
//
// Local input: the change is the difference between the text before and
// after (common prefix and suffix), applied as one delete + insert.
// Remote changes: the event's delta is applied to the textarea's value and
// to the caret and selection, so a colleague typing elsewhere never moves
// your cursor. Indices are UTF-16 code units on both sides.

const LOCAL = Symbol('textarea')

// `pos` after `delta` (retain / insert / delete ops). An insert exactly at
// `pos` goes after it when `stick` is 'after' (a selection end), before it
// otherwise.
export function transformPosition (pos, delta, stick = 'before') {
  let oldIndex = 0 // where the op applies, in the text before the change
  let shift = 0
  let replacing = false // the previous op deleted the text just before `pos`
  for (const op of delta) {
    if (oldIndex > pos) break
    if (op.retain !== undefined) {
      oldIndex += op.retain
      replacing = false
    } else if (op.insert !== undefined) {
      const n = typeof op.insert === 'string' ? op.insert.length : 1
      // Text replacing what was just before the caret goes before it.
      if (oldIndex < pos || (oldIndex === pos && (stick === 'after' || replacing))) shift += n
    } else if (op.delete !== undefined) {
      if (pos > oldIndex) shift -= Math.min(op.delete, pos - oldIndex)
      oldIndex += op.delete
      replacing = oldIndex === pos
    }
  }
  return pos + shift
}

export function bindTextarea ({ ytext, textarea, awareness }) {
  textarea.value = ytext.toString()

  textarea.addEventListener('input', () => {
    const before = ytext.toString()
    const after = textarea.value
    let start = 0
    while (start < before.length && start < after.length && before[start] === after[start]) start++
    let endBefore = before.length
    let endAfter = after.length
    while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
      endBefore--
      endAfter--
    }
    ytext.doc.transact(() => {
      if (endBefore > start) ytext.delete(start, endBefore - start)
      if (endAfter > start) ytext.insert(start, after.slice(start, endAfter))
    }, LOCAL)
  })

  ytext.observe((event, tr) => {
    if (tr.origin === LOCAL) return
    const focused = document.activeElement === textarea
    const { selectionStart, selectionEnd, selectionDirection } = textarea
    const collapsed = selectionStart === selectionEnd
    const start = transformPosition(selectionStart, event.delta, 'before')
    const end = collapsed ? start : transformPosition(selectionEnd, event.delta, 'after')
    const scroll = textarea.scrollTop
    textarea.value = ytext.toString()
    if (focused) textarea.setSelectionRange(start, end, selectionDirection)
    textarea.scrollTop = scroll
  })

  textarea.addEventListener('focus', () => awareness.setLocalStateField('editing', 'notes'))
  textarea.addEventListener('blur', () => awareness.setLocalStateField('editing', null))
}
