// Seeded random local edits on a yjs peer: the op mix of the interop suites.
// Roots: map "m", array "a", text "t", xml fragment "x" (same as weft-peer).
//
// Text positions never fall inside a surrogate pair (yjs-compat 6.8): a split
// pair turns into U+FFFD on the splitting peer only, and byte equality between
// peers would no longer hold. Every text index below goes through safeIndex().

import * as Y from 'yjs'

export const ROOTS = { m: 'map', a: 'array', t: 'text', x: 'xml' }

/** Declares the four roots on a peer doc (peers are typed, like real clients). */
export const declareRoots = doc => {
  doc.getMap('m'); doc.getArray('a'); doc.getText('t'); doc.getXmlFragment('x')
}

// g: a Rng from rng.mjs
const int = (g, min, max) => g.int(min, max)
const chance = (g, p) => g.chance(p)
const pick = (g, arr) => g.pick(arr)

const WORDS = ['a', 'hello', 'yjs ', 'Weft', 'x', ' ', '\n', 'é', 'ß', 'q"\\', 'tab\t']
const CJK = ['漢字', '中文', '日本語', '한국어', '字']
const EMOJI = ['😀', '👍🏽', '🇩🇪', '🎉', '𝄞', '👩‍💻']

/** 1-4 pieces of ASCII / CJK / emoji. */
export const randString = g => {
  let s = ''
  const n = int(g, 1, 4)
  for (let i = 0; i < n; i++) {
    const r = g.next()
    s += r < 0.5 ? pick(g, WORDS) : r < 0.75 ? pick(g, CJK) : pick(g, EMOJI)
  }
  return s
}

const KEYS = ['a', 'b', 'c', 'key', 'k2', '数', '2', '10', '', 'é']

/** Plain Any values, including JSON edge cases the C++ printer must match. */
export const randAny = (g, depth = 0) => {
  const r = int(g, 0, 15)
  switch (r) {
    case 0: return null
    case 1: return chance(g, 0.5)
    case 2: return int(g, -100, 100)
    case 3: return int(g, -(2 ** 31), 2 ** 31 - 1)
    case 4: return pick(g, [2 ** 31, 2 ** 40 + 7, -(2 ** 33), Number.MAX_SAFE_INTEGER, 1e21, -0])
    case 5: return pick(g, [0.5, -3.25, 0.1, 1 / 3, 1e-7, 123456.789, 5e-324, 1.7976931348623157e308])
    case 6: return randString(g)
    case 7: return pick(g, ['', 'ctrl\u0001\u001f', 'quote"back\\slash', '</script>', 'line\nbreak'])
    case 8: return undefined
    case 9:
    case 10: {
      if (depth > 1) return int(g, 0, 9)
      const a = []
      for (let i = int(g, 0, 3); i > 0; i--) a.push(randAny(g, depth + 1))
      return a
    }
    default: {
      if (depth > 1) return randString(g)
      const o = {}
      for (let i = int(g, 0, 3); i > 0; i--) o[pick(g, KEYS)] = randAny(g, depth + 1)
      return o
    }
  }
}

// Y.Array.insert throws on a top-level undefined (it may still occur nested
// inside an object or array value, and as a map value).
const arrayElement = v => v === undefined ? null : v

const randBytes = g => {
  const b = new Uint8Array(int(g, 0, 6))
  for (let i = 0; i < b.length; i++) b[i] = int(g, 0, 255)
  return b
}

const TEXT_ATTRS = [
  { bold: true }, { italic: true }, { bold: null }, { italic: null }, { color: '#ff0000' },
  { color: null }, { link: { href: 'https://example.org/' } }, { bold: true, color: 'blue' }, { size: 12 }
]
const XML_TEXT_ATTRS = [{ bold: {} }, { italic: {} }, { bold: null }, { a: { href: 'x' } }, { a: null }, { em: { class: 'c' } }]
const EMBEDS = [{ image: 'a.png' }, { formula: 'e=mc^2' }, { mention: { id: 7 } }]
const XML_NAMES = ['p', 'div', 'span', 'Heading', 'li']

/** Index text of a Y.Text: strings as is, every embed/type as one code unit. */
const textUnits = ytext => ytext.toDelta().map(d => typeof d.insert === 'string' ? d.insert : '\u0000').join('')

const isHigh = c => c >= 0xd800 && c <= 0xdbff
const isLow = c => c >= 0xdc00 && c <= 0xdfff
/** Moves i left until it is not between the halves of a surrogate pair. */
const safeIndex = (s, i) => (i > 0 && i < s.length && isHigh(s.charCodeAt(i - 1)) && isLow(s.charCodeAt(i))) ? i - 1 : i
/** End index moved right out of a pair (deleting/formatting the whole emoji). */
const safeEnd = (s, i) => (i > 0 && i < s.length && isHigh(s.charCodeAt(i - 1)) && isLow(s.charCodeAt(i))) ? i + 1 : i

/** A new prelim type to insert as a nested value. */
const randNestedType = (g, ctx, allowXml = false) => {
  const r = int(g, 0, allowXml ? 4 : 2)
  if (r === 0) {
    const m = new Y.Map()
    for (let i = int(g, 0, 2); i > 0; i--) m.set(pick(g, KEYS), randAny(g, 1))
    return m
  }
  if (r === 1) {
    const vals = []
    for (let i = int(g, 0, 3); i > 0; i--) vals.push(arrayElement(randAny(g, 1)))
    return Y.Array.from(vals)
  }
  if (r === 2) return new Y.Text(chance(g, 0.8) ? randString(g) : undefined)
  if (r === 3) return newXmlElement(g, 1)
  return new Y.XmlText(randString(g))
}

const newXmlElement = (g, depth) => {
  const el = new Y.XmlElement(pick(g, XML_NAMES))
  for (let i = int(g, 0, 2); i > 0; i--) el.setAttribute(pick(g, ['class', 'id', 'data-x', 'lang']), randString(g))
  if (depth < 2 && chance(g, 0.5)) el.insert(0, [chance(g, 0.5) ? new Y.XmlText(randString(g)) : newXmlElement(g, depth + 1)])
  return el
}

/**
 * A value for an array insert or map set.
 * @param ctx {{subdocs: boolean, guid: () => string}}
 */
const randValue = (g, ctx, forMap) => {
  const r = g.next()
  if (r < 0.55) return randAny(g)
  if (r < 0.65) return randBytes(g)
  if (forMap && ctx.subdocs && r < 0.68) {
    const opts = { guid: ctx.guid() }
    if (chance(g, 0.3)) opts.autoLoad = true
    if (chance(g, 0.3)) opts.meta = { name: randString(g) }
    if (chance(g, 0.2)) opts.gc = false
    return new Y.Doc(opts)
  }
  return randNestedType(g, ctx, chance(g, 0.15))
}

/** All live shared types of a doc: the roots and every nested type reachable. */
export const collectTypes = doc => {
  const out = []
  const visit = t => {
    out.push(t)
    if (t instanceof Y.XmlFragment) { // includes XmlElement
      t.toArray().forEach(c => { if (!(c instanceof Y.XmlHook)) visit(c) })
    } else if (t instanceof Y.Array) {
      t.toArray().forEach(v => { if (v instanceof Y.AbstractType) visit(v) })
    } else if (t instanceof Y.Map) {
      for (const v of t.values()) if (v instanceof Y.AbstractType) visit(v)
    } else if (t instanceof Y.Text) { // includes XmlText; embedded types
      t.toDelta().forEach(d => { if (d.insert instanceof Y.AbstractType) visit(d.insert) })
    }
  }
  visit(doc.getMap('m')); visit(doc.getArray('a')); visit(doc.getText('t')); visit(doc.getXmlFragment('x'))
  return out
}

const textOp = (g, t, ctx) => {
  const isXml = t instanceof Y.XmlText
  const attrsPool = isXml ? XML_TEXT_ATTRS : TEXT_ATTRS
  const s = textUnits(t)
  const r = g.next()
  if (s.length > 120 || (r < 0.25 && s.length > 0)) { // delete
    const i = safeIndex(s, int(g, 0, s.length - 1))
    const end = safeEnd(s, Math.min(s.length, i + int(g, 1, 6)))
    t.delete(i, end - i)
  } else if (r < 0.45 && s.length > 0) { // format
    const i = safeIndex(s, int(g, 0, s.length - 1))
    const end = safeEnd(s, Math.min(s.length, i + int(g, 1, 10)))
    t.format(i, end - i, pick(g, attrsPool))
  } else if (r < 0.5) { // embed
    const i = safeIndex(s, int(g, 0, s.length))
    if (!isXml && chance(g, 0.2)) t.insertEmbed(i, randNestedType(g, ctx)) // a type inside text
    else t.insertEmbed(i, pick(g, EMBEDS), chance(g, 0.3) ? pick(g, attrsPool) : undefined)
  } else if (r < 0.52 && !isXml) {
    t.setAttribute(pick(g, ['lang', 'dir']), randAny(g, 2)) // Y.Text's own attributes
  } else { // insert, sometimes formatted
    const i = safeIndex(s, int(g, 0, s.length))
    if (chance(g, 0.25)) t.insert(i, randString(g), pick(g, attrsPool))
    else t.insert(i, randString(g))
  }
}

const arrayOp = (g, a, ctx) => {
  const len = a.length
  if ((len > 25 || chance(g, 0.25)) && len > 0) {
    const i = int(g, 0, len - 1)
    a.delete(i, Math.min(len - i, int(g, 1, 3)))
    return
  }
  const i = int(g, 0, len)
  if (chance(g, 0.6)) {
    const vals = []
    for (let n = int(g, 1, 3); n > 0; n--) vals.push(arrayElement(randAny(g)))
    a.insert(i, vals)
  } else {
    a.insert(i, [arrayElement(randValue(g, ctx, false))])
  }
}

const mapOp = (g, m, ctx) => {
  const keys = Array.from(m.keys())
  if (keys.length > 0 && chance(g, 0.2)) m.delete(pick(g, keys))
  else m.set(pick(g, KEYS), randValue(g, ctx, true))
}

const xmlOp = (g, x, ctx) => {
  const len = x.length
  const r = g.next()
  if (x instanceof Y.XmlElement && r < 0.3) {
    const attrs = Object.keys(x.getAttributes())
    if (attrs.length > 0 && chance(g, 0.3)) x.removeAttribute(pick(g, attrs))
    else x.setAttribute(pick(g, ['class', 'id', 'data-x', 'lang']), randString(g))
    return
  }
  if (len > 0 && (len > 12 || r < 0.5)) {
    const i = int(g, 0, len - 1)
    x.delete(i, Math.min(len - i, int(g, 1, 2)))
    return
  }
  const i = int(g, 0, len)
  x.insert(i, [chance(g, 0.5) ? newXmlElement(g, 0) : new Y.XmlText(randString(g))])
}

/** One random op on a random live type of `doc`. */
export const randomOp = (g, doc, ctx) => {
  const types = collectTypes(doc)
  // Roots get half of the ops so that the four roots all grow.
  const t = chance(g, 0.5) ? types[int(g, 0, 3)] : pick(g, types)
  if (t instanceof Y.XmlText || t instanceof Y.Text) textOp(g, t, ctx)
  else if (t instanceof Y.XmlFragment) xmlOp(g, t, ctx) // includes XmlElement
  else if (t instanceof Y.Array) arrayOp(g, t, ctx)
  else if (t instanceof Y.Map) mapOp(g, t, ctx)
}

/** One transaction of 1-4 random ops. */
export const randomTransaction = (g, doc, ctx) => {
  doc.transact(() => {
    for (let n = int(g, 1, 4); n > 0; n--) randomOp(g, doc, ctx)
  })
}
