// The random local edits of the edit-for-edit suites (local_edits.test.mjs,
// observers.test.mjs) and how a Y.Doc applies them; weft-peer's `edit`
// command (peer/weft_peer.cc apply_edit) applies the same JSON.
import * as Y from 'yjs'

export const PIECES = ['a', 'hello', 'xyz ', '世界', '漢字かな', '😀', 'é', '👍🏽', '\n', 'Ünï']

// A UTF-16 index that does not split a surrogate pair.
export const safeIndex = (rng, s) => {
  let i = rng.int(0, s.length)
  while (i > 0 && i < s.length && s.charCodeAt(i) >= 0xdc00 && s.charCodeAt(i) <= 0xdfff) i--
  return i
}

export const randomEdit = (rng, doc) => {
  const t = doc.getText('t').toString()
  const alen = doc.getArray('a').length
  const attrsPool = [null, { bold: true }, { italic: true }, { bold: null }, { bold: true, italic: true }, { href: 'x' }]
  const xlen = doc.getXmlFragment('x').length
  switch (rng.int(0, 13)) {
    case 10: return { op: 'xe', i: rng.int(0, xlen), s: PIECES[rng.int(0, PIECES.length - 1)] }
    case 11: return xlen > 0 ? { op: 'xd', i: rng.int(0, xlen - 1), n: 1 } : { op: 'xe', i: 0, s: 'p' }
    case 12: return { op: 'at', i: rng.int(0, alen), s: PIECES[rng.int(0, PIECES.length - 1)] }
    case 13: return { op: 'mt', k: 'k' + rng.int(0, 4), s: PIECES[rng.int(0, PIECES.length - 1)] }
    case 0: case 1: case 2: {
      const a = attrsPool[rng.int(0, attrsPool.length - 1)]
      return { op: 'ti', i: safeIndex(rng, t), s: PIECES[rng.int(0, PIECES.length - 1)], ...(a ? { a } : {}) }
    }
    case 3: {
      if (t.length === 0) return { op: 'ti', i: 0, s: 'seed' }
      let i = safeIndex(rng, t); let j = safeIndex(rng, t); if (i > j) [i, j] = [j, i]
      return { op: 'td', i, n: j - i }
    }
    case 4: {
      if (t.length === 0) return { op: 'te', i: 0, v: { image: 'x.png' } }
      let i = safeIndex(rng, t); let j = safeIndex(rng, t); if (i > j) [i, j] = [j, i]
      return { op: 'tf', i, n: j - i, a: attrsPool[rng.int(1, attrsPool.length - 1)] }
    }
    case 5: return { op: 'ai', i: rng.int(0, alen), v: [rng.int(0, 100), 'v' + rng.int(0, 9), { k: [1.5, null] }] }
    case 6: return alen > 0 ? { op: 'ad', i: rng.int(0, alen - 1), n: 1 } : { op: 'am', i: 0 }
    case 7: return { op: 'ms', k: 'k' + rng.int(0, 4), v: rng.chance(0.5) ? rng.int(0, 1000) : { nested: 'x' } }
    case 8: return { op: 'mm', k: 'k' + rng.int(0, 4) }
    default: return { op: 'md', k: 'k' + rng.int(0, 4) }
  }
}

export const applyToYjs = (doc, e) => {
  const t = doc.getText('t'); const a = doc.getArray('a'); const m = doc.getMap('m'); const x = doc.getXmlFragment('x')
  const nested = () => e.mk !== undefined ? m.get(e.mk) : e.ai !== undefined ? a.get(e.ai) : x.get(e.xi)
  switch (e.op) {
    case 'batch': return doc.transact(() => { for (const one of e.edits) applyToYjs(doc, one) })
    case 'ns': return nested().set(e.j, e.v)
    case 'nt': return nested().insert(e.i, e.s)
    case 'na': return nested().setAttribute('data', e.v)
    case 'nx': return nested().get(0).insert(e.i, e.s)
    case 'xe': { const el = new Y.XmlElement('p'); x.insert(e.i, [el]); el.setAttribute('class', 'c'); const tx = new Y.XmlText(); el.insert(0, [tx]); tx.insert(0, e.s, { b: {} }); return }
    case 'xd': return x.delete(e.i, e.n)
    case 'at': { const nt = new Y.Text(); a.insert(e.i, [nt]); nt.insert(0, e.s); return }
    case 'mt': { const nt = new Y.Text(); m.set(e.k, nt); nt.insert(0, e.s); return }
    case 'ti': return t.insert(e.i, e.s, e.a)
    case 'te': return t.insertEmbed(e.i, e.v, e.a)
    case 'td': return t.delete(e.i, e.n)
    case 'tf': return t.format(e.i, e.n, e.a)
    case 'ai': return a.insert(e.i, e.v)
    case 'ad': return a.delete(e.i, e.n)
    case 'am': return a.insert(e.i, [new Y.Map()])
    case 'ms': return m.set(e.k, e.v)
    case 'mm': return m.set(e.k, new Y.Map())
    case 'md': return m.delete(e.k)
  }
}

// The text of a Y.Text / Y.XmlText as index space (embeds one unit).
const plain = t => t.toDelta().map(op => typeof op.insert === 'string' ? op.insert : '\ufffc').join('')

// An edit of a type nested in a root, if there is one: a key of a map or
// an index of a text at a key of `m` or an index of `a`, the attribute or
// the text of an element of `x` (ops ns, nt, na, nx; weft_peer.cc).
export const randomNestedEdit = (rng, doc) => {
  const found = []
  const m = doc.getMap('m')
  for (const k of [...m.keys()].sort()) found.push([{ mk: k }, m.get(k)])
  doc.getArray('a').forEach((v, i) => found.push([{ ai: i }, v]))
  doc.getXmlFragment('x').forEach((v, i) => found.push([{ xi: i }, v]))
  const usable = found.filter(([, v]) => v instanceof Y.Map || v instanceof Y.Text || v instanceof Y.XmlElement)
  if (usable.length === 0) return null
  const [at, v] = usable[rng.int(0, usable.length - 1)]
  const piece = PIECES[rng.int(0, PIECES.length - 1)]
  if (v instanceof Y.Map) return { op: 'ns', ...at, j: 'j' + rng.int(0, 2), v: rng.int(0, 100) }
  if (v instanceof Y.Text) return { op: 'nt', ...at, i: safeIndex(rng, plain(v)), s: piece }
  const text = v.get(0)
  if (rng.chance(0.3) || !(text instanceof Y.XmlText)) return { op: 'na', ...at, v: rng.int(0, 100) }
  return { op: 'nx', ...at, i: safeIndex(rng, plain(text)), s: piece }
}
