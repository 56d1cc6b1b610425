// Lightweight load-generator clients: raw `ws` sockets speaking the
// y-websocket protocol (y-protocols framing) without a WebsocketProvider, so
// one node process can drive thousands of connections.
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

const MSG_SYNC = 0
const STEP1 = 0
const STEP2 = 1
const UPDATE = 2

const syncMessage = (kind, payload) => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MSG_SYNC)
  encoding.writeVarUint(e, kind)
  encoding.writeVarUint8Array(e, payload)
  return encoding.toUint8Array(e)
}

const EMPTY_SV = Y.encodeStateVector(new Y.Doc())
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc())

/** Entries (ContentAny elements) carried by a v1 update, in struct order (full decode: slow). */
export const entriesOf = (update) => {
  const out = []
  for (const s of Y.decodeUpdate(update).structs) {
    if (s.content && s.content.arr) out.push(...s.content.arr)
  }
  return out
}

// The load generators write entries `E|writer|seq|sendTime|` (ASCII) into a
// Y.Array; a full Y.decodeUpdate costs ~50 us, so receivers find the entries
// by scanning the update bytes for the marker instead. The benchmark checks
// the scan against entriesOf on a sample and the final state with real yjs.
export const entry = (writer, seq, t) => `E|${writer}|${seq}|${t}|`
export const scanEntries = (update) => {
  const buf = Buffer.from(update.buffer, update.byteOffset, update.byteLength)
  const out = []
  let i = buf.indexOf('E|')
  while (i !== -1) {
    const a = buf.indexOf(124, i + 2) // '|'
    const b = buf.indexOf(124, a + 1)
    const c = buf.indexOf(124, b + 1)
    if (a < 0 || b < 0 || c < 0) break
    out.push({ writer: Number(buf.latin1Slice(i + 2, a)), seq: Number(buf.latin1Slice(a + 1, b)), t: Number(buf.latin1Slice(b + 1, c)) })
    i = buf.indexOf('E|', c + 1)
  }
  return out
}

// Hocuspocus frames every message as [varString document][type]...: the
// same y-protocols sync messages behind the document name, a SyncReply type
// (4) treated as sync, and an Auth message (type 2, Token 0) the client must
// send first. SyncStatus acks (8) and the rest are ignored here.
const HP_SYNC = 0
const HP_AUTH = 2
const HP_SYNC_REPLY = 4
const nameOf = (room) => {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, room)
  return encoding.toUint8Array(e)
}

// One connection to `url/room`. Completes the handshake (answers the
// server's SyncStep1, sends its own) and calls `onUpdate(bytes, now)` for
// every update (SyncStep2 or Update) after it. `doc` (optional) is what it
// answers SyncStep1 with; without one it claims an empty document.
// `framing`: 'y-websocket' (room in the URL) or 'hocuspocus' (room in
// every message).
export class RawClient {
  constructor (url, room, { doc = null, onUpdate = null, framing = 'y-websocket' } = {}) {
    this.doc = doc
    this.onUpdate = onUpdate
    this.prefix = framing === 'hocuspocus' ? nameOf(room) : null
    this.synced = false
    this.closed = false
    this.updates = 0
    // OFFER_DEFLATE=1: offer permessage-deflate, as browsers do (weft accepts;
    // the reference servers decline).
    this.ws = new WebSocket(`${url}/${room}`, { perMessageDeflate: process.env.OFFER_DEFLATE === '1' })
    this.ws.binaryType = 'nodebuffer'
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', resolve)
      this.ws.on('error', reject)
    })
    // Rejects if the connection fails or closes before the handshake ends.
    this.syncedPromise = new Promise((resolve, reject) => { this._onSynced = resolve; this._onFailed = reject })
    this.syncedPromise.catch(() => {})
    this.ws.on('error', (e) => this._onFailed(e))
    this.ws.on('close', (code) => { this.closed = true; this._onFailed(new Error(`closed ${code} before sync`)) })
    this.ws.on('open', () => {
      if (this.prefix) this.ws.send(Buffer.concat([this.prefix, Uint8Array.of(HP_AUTH, 0, 0)])) // Token, empty
      this._send(syncMessage(STEP1, this.doc ? Y.encodeStateVector(this.doc) : EMPTY_SV))
    })
    this.ws.on('message', (data) => this._message(data))
  }

  _send (message) { this.ws.send(this.prefix ? Buffer.concat([this.prefix, message]) : message) }

  _message (data) {
    const now = performance.now()
    const d = decoding.createDecoder(data)
    if (this.prefix) {
      decoding.readVarString(d)
      const type = decoding.readVarUint(d)
      if (type !== HP_SYNC && type !== HP_SYNC_REPLY) return
    } else if (decoding.readVarUint(d) !== MSG_SYNC) {
      return // awareness, query-awareness, auth
    }
    const kind = decoding.readVarUint(d)
    const payload = decoding.readVarUint8Array(d)
    if (kind === STEP1) {
      const diff = this.doc ? Y.encodeStateAsUpdate(this.doc, payload) : EMPTY_UPDATE
      this._send(syncMessage(STEP2, diff))
      return
    }
    if (kind === STEP2 && !this.synced) {
      this.synced = true
      this._onSynced()
    }
    this.updates++
    this.onUpdate?.(payload, now)
  }

  sendUpdate (update) { this._send(syncMessage(UPDATE, update)) }

  /** Sends a SyncStep1 and resolves with the time its SyncStep2 answer took. */
  ping () {
    return new Promise((resolve) => {
      const start = performance.now()
      const prev = this.onUpdate
      this.onUpdate = (payload, now) => { this.onUpdate = prev; resolve(now - start) }
      this._send(syncMessage(STEP1, this.doc ? Y.encodeStateVector(this.doc) : EMPTY_SV))
    })
  }

  close () { this.ws.terminate() }
}

/** Opens `n` clients with at most `parallel` handshakes in flight; returns those that synced. */
export const openMany = async (n, make, parallel = 200) => {
  const clients = []
  for (let i = 0; i < n; i += parallel) {
    const batch = []
    for (let j = i; j < Math.min(n, i + parallel); j++) batch.push(make(j))
    const res = await Promise.allSettled(batch.map((c) => c.syncedPromise))
    batch.forEach((c, k) => { if (res[k].status === 'fulfilled') clients.push(c); else c.close() })
  }
  return clients
}

// The update a Y.Doc emits when its client `client` pushes `text` at the end
// of its Y.Array 'log' holding only its own `clock` earlier entries (one
// ContentAny item, origin = its previous entry; the first has the root type
// as parent). Built directly so that a writer costs a few hundred
// nanoseconds instead of a yjs transaction; checkEntryUpdates() compares it
// with yjs at startup.
export const entryUpdate = (client, clock, text) => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // clients
  encoding.writeVarUint(e, 1) // structs of that client
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, clock)
  if (clock === 0) {
    encoding.writeUint8(e, 8) // ContentAny, no origins: parent follows
    encoding.writeVarUint(e, 1) // parent is a root type, by name
    encoding.writeVarString(e, 'log')
  } else {
    encoding.writeUint8(e, 8 | 0x80) // ContentAny, left origin
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, clock - 1)
  }
  encoding.writeVarUint(e, 1) // one element
  encoding.writeUint8(e, 119) // any: string
  encoding.writeVarString(e, text)
  encoding.writeVarUint(e, 0) // empty delete set
  return encoding.toUint8Array(e)
}

export const checkEntryUpdates = () => {
  const doc = new Y.Doc()
  const got = []
  doc.on('update', (u) => got.push(u))
  for (let k = 0; k < 3; k++) {
    const text = entry(7, k, 1234.5 + k)
    doc.getArray('log').push([text])
    const mine = entryUpdate(doc.clientID, k, text)
    if (Buffer.compare(Buffer.from(got[k]), Buffer.from(mine)) !== 0) {
      throw new Error(`entryUpdate(${k}) differs from yjs: ${Buffer.from(mine).toString('hex')} vs ${Buffer.from(got[k]).toString('hex')}`)
    }
  }
}
