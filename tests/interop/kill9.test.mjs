// Durability under kill -9, and idle clients kept alive; the two run at the
// same time (one describe with concurrency) so the 65 s idle wait overlaps
// the kill -9 run. Real `weft serve`, real yjs + y-websocket providers.
//
// Kill -9 witness: writers in two rooms insert uniquely tagged entries (one
// transaction pushes the tag to the array `log` and sets it in the map
// `tags`). One observer per room writes every entry it receives to a witness
// file (append + fsync) before counting it as recorded. The server is killed
// with SIGKILL at seeded random moments under that load and restarted on the
// same data directory and port. Receiving an entry means the server committed
// it (docs/durability.md), so at the end every recorded entry must be stored.
//   room `k9-strict`: writers and observer are discarded at every kill and
//     replaced by fresh clients (new client ids), so nothing the server lost
//     can come back from a client: a recorded entry that is missing was lost.
//   room `k9-replay`: two long-lived writers keep writing while the server is
//     down and resend their state on every reconnect: the store must not
//     double anything replayed.
// Checks after a last kill -9 and restart (state from disk only), through a
// fresh client and GET /api/rooms/ROOM: every recorded entry present, each tag
// at most once in `log`, `log` and `tags` hold the same tags (one transaction
// each), and the replay room equals its writers' documents.
//
// Env: WEFT_BIN, KILL9_SEED (default below), KILL9_KILLS (default 6).
// Run: node --test kill9.test.mjs
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { createRng } from './rng.mjs'
import { WEFT, WeftServer, sleep, tmpDir, waitFor } from './server_process.mjs'

const SEED = Number(process.env.KILL9_SEED ?? 20261125)
const KILLS = Number(process.env.KILL9_KILLS ?? 6)
const IDLE_MS = 65000

const client = (url, room) => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
  return { doc, provider }
}

// Destroying the doc also stops its Awareness timer, which would keep node alive.
const close = (...clients) => {
  for (const c of clients) {
    if (c.closed) continue
    c.closed = true
    c.provider.destroy()
    c.doc.destroy()
  }
}

// Writes one transaction every `periodMs`: 1-3 tags `${name}-${seq}`, each
// pushed to `log` and set in `tags`, connected or not.
class Writer {
  constructor (url, room, name, rng, periodMs = 12) {
    this.c = client(url, room)
    this.name = name
    this.seq = 0
    this.timer = setInterval(() => {
      const n = rng.int(1, 3)
      this.c.doc.transact(() => {
        for (let i = 0; i < n; i++) {
          const tag = `${this.name}-${this.seq++}`
          this.c.doc.getArray('log').push([tag])
          this.c.doc.getMap('tags').set(tag, this.seq)
        }
      })
    }, periodMs)
  }

  stop () { clearInterval(this.timer) }
  close () { this.stop(); close(this.c) }
}

// Records every entry that arrives in its (never written) doc into the
// witness file: lines `room\tlog|tags\ttag`, fsynced before they count.
class Observer {
  constructor (url, room, witness) {
    this.c = client(url, room)
    this.pending = []
    this.recorded = 0
    this.c.doc.getArray('log').observe((e) => {
      for (const d of e.changes.delta) for (const tag of d.insert ?? []) this.pending.push(`${room}\tlog\t${tag}\n`)
      this.flush()
    })
    this.c.doc.getMap('tags').observe((e) => {
      for (const key of e.keysChanged) this.pending.push(`${room}\ttags\t${key}\n`)
      this.flush()
    })
    this.witness = witness
  }

  flush () {
    // A provider can still deliver a message that was already buffered when
    // it was destroyed: after close nothing more is recorded.
    if (this.closed) { this.pending = []; return }
    if (this.pending.length === 0) return
    fs.appendFileSync(this.witness, this.pending.join(''))
    fs.fsyncSync(this.witness)
    this.recorded += this.pending.length
    this.pending = []
  }

  close () {
    this.flush()
    this.closed = true
    close(this.c)
  }
}

const roomJson = async (server, room) => {
  const res = await fetch(`${server.http}/api/rooms/${room}?type=log:array,tags:map`)
  assert.equal(res.status, 200, `GET /api/rooms/${room}`)
  return res.json()
}

// Each tag at most once in `log`, and `log` and `tags` hold the same tags.
const checkNoDuplicates = (what, log, tags) => {
  const seen = new Set()
  for (const tag of log) {
    assert.ok(!seen.has(tag), `${what}: ${tag} twice in log`)
    seen.add(tag)
  }
  const keys = Object.keys(tags)
  assert.equal(keys.length, seen.size, `${what}: log has ${seen.size} tags, tags ${keys.length}`)
  for (const key of keys) assert.ok(seen.has(key), `${what}: ${key} in tags only`)
}

describe('weft serve under stress', { concurrency: true }, () => {
  const missing = !fs.existsSync(WEFT) && `weft binary not found at ${WEFT} (build it, or set WEFT_BIN)`

  it(`kill -9 under load loses and doubles nothing (seed ${SEED})`, { skip: missing, timeout: 120000 }, async (t) => {
    // The kill schedule has its own stream; each writer one of its own.
    const rng = createRng(SEED)
    let streams = 0
    const writerRng = () => createRng(SEED + 1 + streams++)
    const dataDir = tmpDir('weft-kill9-')
    const witnessDir = tmpDir('weft-kill9-witness-')
    const witness = fs.openSync(path.join(witnessDir, 'received.tsv'), 'a')
    const args = ['--log-level', 'info', '--compact-after', '100']
    let server = await new WeftServer(dataDir, { args }).start()
    const fail = (e) => {
      throw new Error(`${e.message}\nseed ${SEED} (KILL9_SEED=${SEED} to reproduce); server output:\n${server.tail()}`,
        { cause: e })
    }
    const replay = [0, 1].map((k) => new Writer(server.url, 'k9-replay', `r${k}`, writerRng()))
    let strict = []
    let observers = []
    try {
      for (let gen = 0; gen <= KILLS; gen++) {
        strict = [0, 1].map((k) => new Writer(server.url, 'k9-strict', `s${k}.g${gen}`, writerRng()))
        observers = ['k9-strict', 'k9-replay'].map((room) => new Observer(server.url, room, witness))
        await sleep(rng.int(800, 2500))
        if (gen === KILLS) break
        const { signal } = await server.kill('SIGKILL')
        assert.equal(signal, 'SIGKILL', 'the server died before it was killed')
        // Nothing of the discarded clients may reach the next server.
        for (const c of [...strict, ...observers]) c.close()
        await sleep(rng.int(0, 400))
        server = await new WeftServer(dataDir, { port: server.port, args }).start()
      }
      for (const w of [...strict, ...replay]) w.stop()
      // Let the replay writers' last edits reach the store.
      await waitFor('the replay room to hold its writers\' entries', async () => {
        const stored = await roomJson(server, 'k9-replay')
        return replay.every((w) => w.c.doc.getArray('log').toArray().every((tag) => tag in stored.tags))
      }, 20000)
      const logOf = (w) => JSON.stringify(w.c.doc.getArray('log').toJSON())
      await waitFor('the replay writers to converge', () => logOf(replay[0]) === logOf(replay[1]))
      const replayLog = replay[0].c.doc.getArray('log').toJSON()
      await sleep(300)
      for (const c of [...strict, ...observers, ...replay]) c.close()

      // State from disk only: one more kill -9 with no client connected.
      await server.kill('SIGKILL')
      server = await new WeftServer(dataDir, { port: server.port, args }).start()

      fs.closeSync(witness)
      const recorded = { 'k9-strict': { log: new Set(), tags: new Set() }, 'k9-replay': { log: new Set(), tags: new Set() } }
      for (const line of fs.readFileSync(path.join(witnessDir, 'received.tsv'), 'utf8').split('\n')) {
        if (!line) continue
        const [room, kind, tag] = line.split('\t')
        recorded[room][kind].add(tag)
      }
      t.diagnostic(`${KILLS + 1} kills; entries recorded: k9-strict ${recorded['k9-strict'].log.size}, ` +
        `k9-replay ${recorded['k9-replay'].log.size}`)
      for (const room of ['k9-strict', 'k9-replay']) {
        // Enough happened for the test to mean something.
        assert.ok(recorded[room].log.size > 200, `${room}: only ${recorded[room].log.size} entries recorded`)
        const fresh = client(server.url, room)
        await waitFor(`${room}: fresh client synced`, () => fresh.provider.synced)
        const viaClient = { log: fresh.doc.getArray('log').toJSON(), tags: fresh.doc.getMap('tags').toJSON() }
        close(fresh)
        const states = [[`${room} via a client`, viaClient], [`${room} via HTTP`, null]]
        for (const entry of states) {
          if (!entry[1]) entry[1] = await roomJson(server, room)
          const [what, state] = entry
          checkNoDuplicates(what, state.log, state.tags)
          const log = new Set(state.log)
          const lostLog = [...recorded[room].log].filter((tag) => !log.has(tag))
          const lostTags = [...recorded[room].tags].filter((tag) => !(tag in state.tags))
          assert.equal(lostLog.length, 0, `${what}: ${lostLog.length} recorded log entries lost: ${lostLog.slice(0, 10)}`)
          assert.equal(lostTags.length, 0, `${what}: ${lostTags.length} recorded map entries lost: ${lostTags.slice(0, 10)}`)
        }
        assert.deepEqual(states[1][1].log, viaClient.log, `${room}: HTTP and client disagree`)
        if (room === 'k9-replay') assert.deepEqual(viaClient.log, replayLog, 'k9-replay: store differs from its writers')
      }
    } catch (e) {
      fail(e)
    } finally {
      await server.kill('SIGKILL')
      for (const c of [...strict, ...observers, ...replay]) c.close() // idempotent, never throws
    }
  })

  it('an idle client stays connected for over 60 s (default settings)', { skip: missing, timeout: IDLE_MS + 30000 }, async () => {
    const server = await new WeftServer(tmpDir('weft-idle-')).start()
    const idle = client(server.url, 'idle-room')
    try {
      await waitFor('sync', () => idle.provider.synced)
      const ws = idle.provider.ws
      const events = []
      let messages = 0
      ws.addEventListener('message', () => { messages++ })
      idle.provider.on('status', (e) => events.push(`status ${e.status}`))
      idle.provider.on('connection-close', (e) => events.push(`close ${e?.code}`))
      idle.provider.on('connection-error', () => events.push('error'))
      await sleep(IDLE_MS)
      assert.deepEqual(events, [], 'the idle client lost its connection')
      assert.equal(idle.provider.ws, ws, 'the idle client reconnected')
      assert.equal(idle.provider.wsconnected, true)
      // y-websocket closes a connection that hears nothing for 30 s: something
      // (the awareness echo) must have arrived at least every 30 s.
      assert.ok(messages >= 2, `only ${messages} messages in ${IDLE_MS} ms`)
      const metrics = await (await fetch(`${server.http}/metrics`)).text()
      assert.match(metrics, /^weft_connections 1$/m)
    } catch (e) {
      throw new Error(`${e.message}\nserver output:\n${server.tail()}`, { cause: e })
    } finally {
      close(idle)
      await server.kill('SIGKILL')
    }
  })
})
