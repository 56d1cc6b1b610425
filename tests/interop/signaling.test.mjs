// `weft serve` as the y-webrtc signaling server on /signaling, with raw `ws`
// clients speaking the JSON protocol of y-webrtc's bin/server.js
// (yjs-compat.md 10.1), and the real lib0 WebsocketClient/y-webrtc
// message shapes.
//
// Env: WEFT_BIN (default build/apps/weft of this checkout).
// Run: node --test signaling.test.mjs
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import WebSocket from 'ws'
import { WEFT, WeftServer, sleep, tmpDir, waitFor } from './server_process.mjs'

let server, url
const dataDir = tmpDir('weft-signaling-')

before(async () => {
  server = await new WeftServer(dataDir, { args: ['--static', dataDir] }).start()
  url = `${server.url}/signaling`
})

after(async () => {
  await server.kill('SIGTERM')
  fs.rmSync(dataDir, { recursive: true, force: true })
})

// A raw client: records text messages (parsed) and its close code.
const connect = (to = url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(to)
  ws.received = []
  ws.binaryFrames = 0
  ws.closeCode = null
  ws.on('message', (data, isBinary) => {
    if (isBinary) ws.binaryFrames++
    else ws.received.push(JSON.parse(data.toString()))
  })
  ws.on('close', (code) => { ws.closeCode = code })
  ws.on('open', () => resolve(ws))
  ws.on('error', reject)
})
const send = (ws, msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg))
const closed = (ws) => waitFor('the close', () => ws.closeCode !== null)
// Round trip: once the pong is back, everything sent before it was handled.
const roundTrip = async (ws) => {
  const n = ws.received.filter((m) => m.type === 'pong').length
  send(ws, { type: 'ping' })
  await waitFor('pong', () => ws.received.filter((m) => m.type === 'pong').length > n)
}

test('publish reaches every subscriber of the topic, the sender included, with "clients"', async () => {
  const [a, b, c] = await Promise.all([connect(), connect(), connect()])
  send(a, { type: 'subscribe', topics: ['room-1'] })
  send(b, { type: 'subscribe', topics: ['room-1', 'room-2'] })
  send(c, { type: 'subscribe', topics: ['room-2'] })
  await Promise.all([a, b, c].map(roundTrip))

  // What y-webrtc sends when it joins a room.
  const announce = { type: 'publish', topic: 'room-1', data: { type: 'announce', from: 'peer-a' } }
  send(a, announce)
  await waitFor('both subscribers', () => a.received.length === 2 && b.received.length === 2)
  for (const ws of [a, b]) {
    assert.deepEqual(ws.received.filter((m) => m.type === 'publish'), [{ ...announce, clients: 2 }])
  }
  await roundTrip(c)
  assert.deepEqual(c.received.filter((m) => m.type === 'publish'), [])

  // A signal (offer) to one peer still goes to every subscriber; peers filter on `to`.
  const signal = { type: 'publish', topic: 'room-2', data: { type: 'signal', from: 'peer-c', to: 'peer-b', token: 0.5, signal: { type: 'offer', sdp: 'v=0\r\n…' } } }
  send(c, signal)
  await waitFor('room-2 subscribers', () =>
    b.received.some((m) => m.topic === 'room-2') && c.received.some((m) => m.topic === 'room-2'))
  assert.deepEqual(b.received.find((m) => m.topic === 'room-2'), { ...signal, clients: 2 })
  // Not subscribed: publishing still reaches the topic's subscribers (as the reference server).
  send(a, { type: 'publish', topic: 'room-2', data: 'from outside' })
  await waitFor('the outside publish', () => c.received.some((m) => m.data === 'from outside'))
  for (const ws of [a, b, c]) ws.close()
})

test('unsubscribe and close remove subscriptions', async () => {
  const [a, b] = await Promise.all([connect(), connect()])
  send(a, { type: 'subscribe', topics: ['t'] })
  send(b, { type: 'subscribe', topics: ['t'] })
  await Promise.all([a, b].map(roundTrip))
  send(b, { type: 'unsubscribe', topics: ['t'] })
  await roundTrip(b)
  send(a, { type: 'publish', topic: 't', n: 1 })
  await waitFor('the echo', () => a.received.some((m) => m.n === 1))
  assert.equal(a.received.find((m) => m.n === 1).clients, 1)
  await roundTrip(b)
  assert.equal(b.received.filter((m) => m.type === 'publish').length, 0)

  send(b, { type: 'subscribe', topics: ['t'] })
  await roundTrip(b)
  a.close()
  await closed(a)
  await sleep(50)
  send(b, { type: 'publish', topic: 't', n: 2 })
  await waitFor('the echo', () => b.received.some((m) => m.n === 2))
  assert.equal(b.received.find((m) => m.n === 2).clients, 1)
  b.close()
})

test('ping is answered with pong; unknown messages are ignored', async () => {
  const a = await connect()
  for (const m of ['[1,2]', '"text"', 'null', '{"type":"hello"}', '{"topics":["x"]}', '{"type":"publish"}']) send(a, m)
  await roundTrip(a)
  assert.deepEqual(a.received, [{ type: 'pong' }])
  assert.equal(a.closeCode, null)
  a.close()
})

test('malformed JSON closes only that connection; binary frames are refused', async () => {
  const [a, b, c] = await Promise.all([connect(), connect(), connect()])
  send(b, { type: 'subscribe', topics: ['m'] })
  await roundTrip(b)
  send(a, '{"type":"publish","topic":"m"')
  await closed(a)
  assert.equal(a.closeCode, 1002)
  c.send(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true })
  await closed(c)
  assert.equal(c.closeCode, 1003)
  assert.equal(c.binaryFrames, 0)
  await roundTrip(b)
  assert.equal(b.closeCode, null)
  b.close()
})

test('bounds: an oversized message closes with 1009, too many topics with 1008', async () => {
  const a = await connect()
  send(a, { type: 'publish', topic: 'big', data: 'x'.repeat(300 * 1024) })
  await closed(a)
  assert.equal(a.closeCode, 1009)

  const b = await connect()
  send(b, { type: 'subscribe', topics: Array.from({ length: 257 }, (_, i) => `topic-${i}`) })
  await closed(b)
  assert.equal(b.closeCode, 1008)
})

test('room connections are unaffected: /signaling is not a room, /signaling/x is refused', async () => {
  const res = await fetch(url.replace('ws:', 'http:').replace('/signaling', '/api/rooms'))
  assert.equal(res.status, 200)
  assert.ok(!(await res.json()).some((r) => r.room.startsWith('signaling')))
  const metrics = await (await fetch(url.replace('ws:', 'http:').replace('/signaling', '/metrics'))).text()
  assert.match(metrics, /^weft_signaling_publishes_total [1-9]/m)
  assert.match(metrics, /^weft_signaling_closed_total [1-9]/m)
  await assert.rejects(new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/x`)
    ws.on('open', resolve)
    ws.on('error', reject)
  }), /404/)
})

test('with --auth-secret: a read-write token is needed, and it limits the topics', async () => {
  const secret = 'signaling-secret-0123456789'
  const dir = tmpDir('weft-signaling-auth-')
  const authServer = await new WeftServer(dir, { args: ['--static', dir], env: { WEFT_AUTH_SECRET: secret } }).start()
  try {
    const base = `${authServer.url}/signaling`
    const token = (access) => execFileSync(WEFT, ['token', '--secret', secret, '--room', 'team-*', '--access', access],
      { encoding: 'utf8' }).trim()
    await assert.rejects(connect(base), /401/)
    await assert.rejects(connect(`${base}?token=${token('read')}`), /403/)
    const [a, b] = await Promise.all([connect(`${base}?token=${token('read-write')}`), connect(`${base}?token=${token('read-write')}`)])
    send(a, { type: 'subscribe', topics: ['team-1', 'other'] })
    send(b, { type: 'subscribe', topics: ['team-1', 'other'] })
    await Promise.all([a, b].map(roundTrip))
    send(a, { type: 'publish', topic: 'other', n: 1 })
    send(a, { type: 'publish', topic: 'team-1', n: 2 })
    await waitFor('the team-1 publish', () => b.received.some((m) => m.n === 2))
    await roundTrip(b)
    assert.deepEqual(b.received.filter((m) => m.type === 'publish').map((m) => [m.n, m.clients]), [[2, 2]])
    a.close()
    b.close()
  } finally {
    await authServer.kill('SIGTERM')
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
