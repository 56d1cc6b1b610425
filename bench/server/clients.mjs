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

// One connection to `url/room`. Completes the handshake (answers the
// server's SyncStep1, sends its own) and calls `onUpdate(bytes, now)` for
// every update (SyncStep2 or Update) after it. `doc` (optional) is what it
// answers SyncStep1 with; without one it claims an empty document.
export class RawClient {
  constructor (url, room, { doc = null, onUpdate = null } = {}) {
    this.doc = doc
    this.onUpdate = onUpdate
    this.synced = false
    this.closed = false
    this.updates = 0
    this.ws = new WebSocket(`${url}/${room}`, { perMessageDeflate: false })
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
    this.ws.on('open', () => this.ws.send(syncMessage(STEP1, this.doc ? Y.encodeStateVector(this.doc) : EMPTY_SV)))
    this.ws.on('message', (data) => this._message(data))
  }

  _message (data) {
    const now = performance.now()
    const d = decoding.createDecoder(data)
    if (decoding.readVarUint(d) !== MSG_SYNC) return // awareness, query-awareness, auth
    const kind = decoding.readVarUint(d)
    const payload = decoding.readVarUint8Array(d)
    if (kind === STEP1) {
      const diff = this.doc ? Y.encodeStateAsUpdate(this.doc, payload) : EMPTY_UPDATE
      this.ws.send(syncMessage(STEP2, diff))
      return
    }
    if (kind === STEP2 && !this.synced) {
      this.synced = true
      this._onSynced()
    }
    this.updates++
    this.onUpdate?.(payload, now)
  }

  sendUpdate (update) { this.ws.send(syncMessage(UPDATE, update)) }

  /** Sends a SyncStep1 and resolves with the time its SyncStep2 answer took. */
  ping () {
    return new Promise((resolve) => {
      const start = performance.now()
      const prev = this.onUpdate
      this.onUpdate = (payload, now) => { this.onUpdate = prev; resolve(now - start) }
      this.ws.send(syncMessage(STEP1, this.doc ? Y.encodeStateVector(this.doc) : EMPTY_SV))
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
