// `weft serve` as a drop-in y-websocket server: real yjs + y-websocket
// (WebsocketProvider over the `ws` package) against the real binary.
//
// Env: WEFT_BIN (default build/apps/weft of this checkout).
// Run: node --test serve.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { Rng } from './rng.mjs'
import { client, close, synced } from './provider_clients.mjs'
import { WEFT, WeftServer, sleep, tmpDir, waitFor } from './server_process.mjs'

// Short idle timeout and compaction threshold, so the tests see both happen.
const SERVE_ARGS = ['--log-level', 'info', '--idle-timeout', '1', '--compact-after', '20']


// Opens a raw WebSocket; resolves with it once open, records its messages and close.
const rawSocket = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url)
  ws.binaryType = 'arraybuffer'
  ws.messages = []
  ws.closed = null
  ws.on('message', (data) => ws.messages.push(new Uint8Array(data)))
  ws.on('close', (code) => { ws.closed = code })
  ws.on('open', () => resolve(ws))
  ws.on('error', reject)
})

test('weft serve with y-websocket clients', async (t) => {
  if (!fs.existsSync(WEFT)) {
    t.skip(`weft binary not found at ${WEFT} (build it, or set WEFT_BIN)`)
    return
  }
  const dataDir = tmpDir('weft-serve-')
  let server = await new WeftServer(dataDir, { args: SERVE_ARGS }).start()
  t.after(() => server.proc.kill('SIGKILL'))

  await t.test('HTTP: healthz, metrics', async () => {
    assert.equal(await (await fetch(`${server.http}/healthz`)).text(), 'ok')
    const metrics = await (await fetch(`${server.http}/metrics`)).text()
    assert.match(metrics, /^weft_connections 0$/m)
    assert.match(metrics, /weft_store_commits_total/)
  })

  await t.test('two clients in one room converge; another room sees nothing', async () => {
    const a = client(server, 'room-1')
    const b = client(server, 'room-1')
    const other = client(server, 'room-2')
    await Promise.all([synced(a), synced(b), synced(other)])
    a.doc.getMap('m').set('from', 'a')
    b.doc.getText('t').insert(0, 'hello')
    await waitFor('convergence', () => a.doc.getText('t').toString() === 'hello' && b.doc.getMap('m').get('from') === 'a')
    assert.deepEqual(a.doc.getMap('m').toJSON(), b.doc.getMap('m').toJSON())
    assert.equal(b.doc.getText('t').toString(), a.doc.getText('t').toString())
    await sleep(200)
    assert.equal(other.doc.getMap('m').size, 0)
    assert.equal(other.doc.getText('t').toString(), '')
    close(a, b, other)
  })

  await t.test('a reconnect that brings nothing new stores nothing', async () => {
    const a = client(server, 'reconnect')
    await synced(a)
    a.doc.getText('t').insert(0, 'hello world')
    a.doc.getText('t').delete(0, 6) // a delete set the client resends on every connect
    const stored = async () => (await (await fetch(`${server.http}/api/rooms`)).json()).find((r) => r.room === 'reconnect')
    await waitFor('stored', async () => (await stored())?.log_count === 2)
    const redundant = () => server.metric('weft_updates_redundant_total')
    const before = await redundant()
    for (let i = 0; i < 3; i++) {
      a.provider.disconnect()
      a.provider.connect()
      await waitFor('resynced', () => a.provider.wsconnected && a.provider.synced)
    }
    await waitFor('redundant step 2 counted', async () => (await redundant()) >= before + 3)
    assert.equal((await stored()).log_count, 2)
    close(a)
  })

  await t.test('HTTP API shows the stored room', async () => {
    const rooms = await (await fetch(`${server.http}/api/rooms`)).json()
    const room = rooms.find((r) => r.room === 'room-1')
    assert.ok(room, JSON.stringify(rooms))
    assert.ok(room.bytes > 0)
    const json = await (await fetch(`${server.http}/api/rooms/room-1?type=m:map,t:text`)).json()
    assert.deepEqual(json, { m: { from: 'a' }, t: 'hello' })
    const bytes = new Uint8Array(await (await fetch(`${server.http}/api/rooms/room-1/update`)).arrayBuffer())
    const doc = new Y.Doc()
    Y.applyUpdate(doc, bytes)
    assert.equal(doc.getText('t').toString(), 'hello')
    // A diff against the full state vector holds no structs.
    const sv = Buffer.from(Y.encodeStateVector(doc)).toString('hex')
    const diff = new Uint8Array(await (await fetch(`${server.http}/api/rooms/room-1/update?sv=${sv}`)).arrayBuffer())
    const decoded = Y.decodeUpdate(diff)
    assert.equal(decoded.structs.length, 0)
    assert.equal((await fetch(`${server.http}/api/rooms/nope`)).status, 404)
  })

  await t.test('awareness appears at the other client and is removed on disconnect', async () => {
    const a = client(server, 'aw')
    const b = client(server, 'aw')
    await Promise.all([synced(a), synced(b)])
    a.provider.awareness.setLocalStateField('user', { name: 'Ann' })
    await waitFor('awareness at b', () => b.provider.awareness.getStates().get(a.doc.clientID)?.user?.name === 'Ann')
    // Cut a's connection without its goodbye: the server must announce the removal.
    a.provider.shouldConnect = false
    a.provider.ws.terminate()
    await waitFor('removal at b', () => !b.provider.awareness.getStates().has(a.doc.clientID))
    close(a, b)
  })

  await t.test('a malformed binary frame closes only that connection', async () => {
    const good = client(server, 'bad-frames')
    await synced(good)
    const bad = await rawSocket(`${server.url}/bad-frames`)
    bad.send(new Uint8Array([0, 2, 50, 1, 2, 3]))
    await waitFor('bad connection closed', () => bad.closed !== null)
    const text = await rawSocket(`${server.url}/bad-frames`)
    text.send('hello')
    await waitFor('text connection closed', () => text.closed !== null)
    // A well-framed update that is not a valid Yjs update.
    const junk = await rawSocket(`${server.url}/bad-frames`)
    junk.send(new Uint8Array([0, 2, 4, 0xff, 0xff, 0xff, 0x0f]))
    await waitFor('junk connection closed', () => junk.closed !== null)
    good.doc.getArray('a').push(['still here'])
    const check = client(server, 'bad-frames')
    await synced(check)
    await waitFor('good connection still syncs', () => check.doc.getArray('a').length === 1)
    assert.equal(good.provider.wsconnected, true)
    const metrics = await (await fetch(`${server.http}/metrics`)).text()
    assert.match(metrics, /weft_rejected_messages_total\{reason="malformed_message"\} [1-9]/)
    assert.match(metrics, /weft_rejected_messages_total\{reason="text_frame"\} [1-9]/)
    assert.match(metrics, /weft_rejected_messages_total\{reason="malformed_update"\} [1-9]/)
    close(good, check)
  })

  await t.test('concurrent editors converge and the store holds it all', async () => {
    const clients = Array.from({ length: 5 }, () => client(server, 'busy'))
    await Promise.all(clients.map(synced))
    await Promise.all(clients.map(async (c, k) => {
      for (let i = 0; i < 20; i++) {
        c.doc.getArray('a').push([`${k}-${i}`])
        c.doc.getMap('m').set(`k${i % 4}`, k)
        if (i % 5 === 0) await sleep(1)
      }
    }))
    await waitFor('convergence', () => clients.every((c) => c.doc.getArray('a').length === 100))
    const expected = JSON.stringify(clients[0].doc.getArray('a').toJSON())
    for (const c of clients) {
      assert.equal(JSON.stringify(c.doc.getArray('a').toJSON()), expected)
      assert.deepEqual(c.doc.getMap('m').toJSON(), clients[0].doc.getMap('m').toJSON())
    }
    const stored = await (await fetch(`${server.http}/api/rooms/busy?type=a:array,m:map`)).json()
    assert.equal(JSON.stringify(stored.a), expected)
    assert.deepEqual(stored.m, clients[0].doc.getMap('m').toJSON())
    close(...clients)
  })

  // Seeded sessions: 3 rooms x 3 clients; each step one client edits (text
  // with emoji / CJK / surrogate pairs, array, map) or drops / regains its
  // connection, editing offline meanwhile. At the end every room converges
  // and the store holds exactly what its clients hold.
  const SESSION_SEEDS = (process.env.SERVE_SEEDS || '1,2,3').split(',').map(Number)
  for (const seed of SESSION_SEEDS) {
    await t.test(`seeded session ${seed}: rooms converge through disconnects and offline edits`, async () => {
      const rng = new Rng(seed)
      const pieces = ['a', 'hello ', '世界', '😀', '👍🏽', 'é', '\n', '漢字かな']
      const rooms = [0, 1, 2].map((r) => `session-${seed}-${r}`)
      const clients = rooms.flatMap((room) => [0, 1, 2].map(() => ({ room, ...client(server, room) })))
      await Promise.all(clients.map(synced))
      try {
        for (let step = 0; step < 120; step++) {
          const c = rng.pick(clients)
          const r = rng.next()
          if (r < 0.1) {
            if (c.provider.shouldConnect) c.provider.disconnect()
            else c.provider.connect()
            continue
          }
          const text = c.doc.getText('t')
          if (r < 0.55) {
            let i = rng.int(0, text.length)
            const s = text.toString()
            while (i > 0 && i < s.length && s.charCodeAt(i) >= 0xdc00 && s.charCodeAt(i) <= 0xdfff) i--
            text.insert(i, rng.pick(pieces))
          } else if (r < 0.7 && text.length > 2) {
            const s = text.toString()
            let i = rng.int(0, s.length - 2)
            while (i > 0 && s.charCodeAt(i) >= 0xdc00 && s.charCodeAt(i) <= 0xdfff) i--
            let n = rng.int(1, 2)
            if (s.charCodeAt(i + n - 1) >= 0xd800 && s.charCodeAt(i + n - 1) <= 0xdbff) n++
            text.delete(i, n)
          } else if (r < 0.85) {
            c.doc.getArray('a').push([`${seed}-${step}`])
          } else {
            c.doc.getMap('m').set(`k${rng.int(0, 3)}`, step)
          }
          if (rng.chance(0.2)) await sleep(rng.int(1, 20))
        }
        for (const c of clients) if (!c.provider.shouldConnect) c.provider.connect()
        for (const room of rooms) {
          const inRoom = clients.filter((c) => c.room === room)
          // Map keys sorted: their JS order depends on each client's history.
          const sorted = (m) => Object.fromEntries(Object.entries(m).sort(([x], [y]) => (x < y ? -1 : 1)))
          const state = (c) => JSON.stringify([c.doc.getText('t').toString(), c.doc.getArray('a').toJSON(), sorted(c.doc.getMap('m').toJSON())])
          await waitFor(`room ${room} to converge (seed ${seed})`, () => inRoom.every((c) => c.provider.synced && state(c) === state(inRoom[0])), 20000)
            .catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(inRoom.map((c) => ({ synced: c.provider.synced, connected: c.provider.wsconnected, state: state(c) })))}`) })
          const [t, a, m] = JSON.parse(state(inRoom[0]))
          await waitFor(`room ${room} stored (seed ${seed})`, async () => {
            const stored = await (await fetch(`${server.http}/api/rooms/${room}?type=t:text,a:array,m:map`)).json()
            return stored.t === t && JSON.stringify(stored.a) === JSON.stringify(a) && JSON.stringify(sorted(stored.m)) === JSON.stringify(m)
          })
          assert.equal(new Set(a).size, a.length, `seed ${seed}: an array entry is doubled`)
        }
      } finally {
        close(...clients)
      }
    })
  }

  const metric = (name) => server.metric(name)

  await t.test('the log is compacted past --compact-after updates', async () => {
    const a = client(server, 'compact')
    const b = client(server, 'compact')
    await Promise.all([synced(a), synced(b)])
    const arr = a.doc.getArray('a')
    for (let i = 0; i < 30; i++) arr.push([i])
    await waitFor('b has 30 items', () => b.doc.getArray('a').length === 30)
    let room
    await waitFor('compaction', async () => {
      const rooms = await (await fetch(`${server.http}/api/rooms`)).json()
      room = rooms.find((r) => r.room === 'compact')
      return room && room.snapshot_bytes > 0
    })
    assert.ok(room.log_count < 30, JSON.stringify(room))
    const json = await (await fetch(`${server.http}/api/rooms/compact?type=a:array`)).json()
    assert.deepEqual(json.a, [...Array(30).keys()])
    close(a, b)
  })

  await t.test('idle rooms are evicted and reload with their state', async () => {
    await waitFor('evictions', async () => (await metric('weft_rooms_loaded')) === 0)
    assert.ok(await metric('weft_room_evictions_total') >= 1)
    const c = client(server, 'compact')
    await synced(c)
    assert.equal(c.doc.getArray('a').length, 30)
    close(c)
  })

  await t.test('kill -9, restart on the same data: a new client gets the full state', async () => {
    const a = client(server, 'durable')
    await synced(a)
    const text = a.doc.getText('t')
    for (let i = 0; i < 50; i++) text.insert(text.length, `${i},`)
    const expected = text.toString()
    // The echo of the last update means the server committed it.
    const b = client(server, 'durable')
    await synced(b)
    await waitFor('b has everything', () => b.doc.getText('t').toString() === expected)
    close(a, b)
    await server.kill('SIGKILL')
    server = await new WeftServer(dataDir, { args: SERVE_ARGS }).start()
    const c = client(server, 'durable')
    await synced(c)
    assert.equal(c.doc.getText('t').toString(), expected)
    const d = client(server, 'room-1')
    const e = client(server, 'compact')
    await Promise.all([synced(d), synced(e)])
    assert.equal(d.doc.getText('t').toString(), 'hello')
    assert.deepEqual(e.doc.getArray('a').toJSON(), [...Array(30).keys()])
    close(c, d, e)
  })

  await t.test('SIGTERM stops cleanly', async () => {
    const { code } = await server.kill('SIGTERM')
    assert.equal(code, 0, server.stderr)
  })
})
