// `weft serve --auth-secret-file`: tokens, read-only connections and limits,
// with real yjs + y-websocket (WebsocketProvider over `ws`) against the real
// binary. Tokens are made two ways: by `weft token`, and by an independent
// implementation of the documented format (docs/server.md, "Auth") with
// node's crypto, which also makes the expired and forged ones.
//
// Env: WEFT_BIN (default build/apps/weft of this checkout).
// Run: node --test auth.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { WEFT, WeftServer, sleep, tmpDir, waitFor } from './server_process.mjs'

const SECRET = 'interop-test-secret-0123456789'

// v1.<base64url(access:expiry:pattern)>.<base64url(HMAC-SHA256(secret, "v1.<payload>"))>
const makeToken = ({ secret = SECRET, access = 'rw', expires = Math.floor(Date.now() / 1000) + 600, room }) => {
  const signed = 'v1.' + Buffer.from(`${access}:${expires}:${room}`).toString('base64url')
  return signed + '.' + crypto.createHmac('sha256', secret).update(signed).digest('base64url')
}

const client = (server, room, token) => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(server.url, room, doc,
    { WebSocketPolyfill: WebSocket, disableBc: true, params: token ? { token } : {} })
  // Record y-protocols auth messages (the provider only console.warns them).
  provider.denied = []
  provider.messageHandlers[2] = (_encoder, decoder) => { provider.denied.push(decoder.arr.slice(decoder.pos)) }
  provider.opens = 0
  provider.on('status', ({ status }) => { if (status === 'connected') provider.opens++ })
  return { doc, provider }
}

const synced = (c) => waitFor('sync', () => c.provider.synced)
const close = (...clients) => { for (const c of clients) { c.provider.destroy(); c.doc.destroy() } }

// The HTTP status of a WebSocket upgrade: 101, or the refusal's status.
const upgradeStatus = (url, headers = {}) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { headers })
  ws.on('open', () => { ws.terminate(); resolve(101) })
  ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode); res.resume(); ws.terminate() })
  ws.on('error', (e) => { if (!/Unexpected server response/.test(e.message)) reject(e) })
})

const rawSocket = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url)
  ws.binaryType = 'arraybuffer'
  ws.closed = null
  ws.on('close', (code) => { ws.closed = code })
  ws.on('open', () => resolve(ws))
  ws.on('error', reject)
})

test('weft serve with auth tokens and limits', async (t) => {
  if (!fs.existsSync(WEFT)) {
    t.skip(`weft binary not found at ${WEFT} (build it, or set WEFT_BIN)`)
    return
  }
  const dataDir = tmpDir('weft-auth-')
  const secretFile = path.join(dataDir, 'secret')
  fs.writeFileSync(secretFile, SECRET + '\n')
  const server = await new WeftServer(dataDir,
    { args: ['--log-level', 'info', '--auth-secret-file', secretFile, '--message-rate', '100', '--message-burst', '300'] }).start()
  t.after(() => server.proc.kill('SIGKILL'))

  const cliToken = (room, access) =>
    execFileSync(WEFT, ['token', '--secret-file', secretFile, '--room', room, '--access', access]).toString().trim()

  await t.test('weft token and the documented format agree', () => {
    const tok = cliToken('docs/*', 'read')
    const [v, payload, mac] = tok.split('.')
    assert.equal(v, 'v1')
    const [access, expires, ...pattern] = Buffer.from(payload, 'base64url').toString().split(':')
    assert.equal(access, 'r')
    assert.equal(pattern.join(':'), 'docs/*')
    assert.ok(Math.abs(Number(expires) - (Date.now() / 1000 + 3600)) < 60, expires)
    assert.equal(makeToken({ access, expires, room: 'docs/*' }), tok)
    assert.equal(mac.length, 43)
  })

  await t.test('refusals before the upgrade: 401 missing/malformed/forged/expired, 403 wrong room', async () => {
    const url = `${server.url}/secret-room`
    const past = Math.floor(Date.now() / 1000) - 5
    assert.equal(await upgradeStatus(url), 401)
    assert.equal(await upgradeStatus(`${url}?token=garbage`), 401)
    assert.equal(await upgradeStatus(`${url}?token=${makeToken({ secret: 'another-secret-16+bytes', room: '*' })}`), 401)
    assert.equal(await upgradeStatus(`${url}?token=${makeToken({ room: '*', expires: past })}`), 401)
    assert.equal(await upgradeStatus(`${url}?token=${makeToken({ room: 'other-*' })}`), 403)
    assert.equal(await upgradeStatus(`${url}?token=${makeToken({ room: 'secret-*' })}`), 101)
    assert.equal(await upgradeStatus(url, { Authorization: `Bearer ${makeToken({ room: 'secret-room' })}` }), 101)
    assert.equal(await server.metric('weft_auth_failures_total{reason="missing"}'), 1)
    assert.equal(await server.metric('weft_auth_failures_total{reason="malformed"}'), 1)
    assert.equal(await server.metric('weft_auth_failures_total{reason="bad_mac"}'), 1)
    assert.equal(await server.metric('weft_auth_failures_total{reason="expired"}'), 1)
    assert.equal(await server.metric('weft_auth_failures_total{reason="wrong_room"}'), 1)
    // One warning per refusal, and no token in the log.
    assert.equal((server.log.match(/refusing upgrade of room 'secret-room'/g) || []).length, 5, server.log)
    assert.ok(!server.log.includes('v1.'), server.log)
  })

  await t.test('read-only and read-write clients converge on the writer; read-only edits go nowhere', async () => {
    const room = 'ro-doc'
    const writer = client(server, room, cliToken(room, 'read-write'))
    const reader = client(server, room, cliToken('ro-*', 'read'))
    await Promise.all([synced(writer), synced(reader)])
    writer.doc.getText('t').insert(0, 'written')
    writer.doc.getMap('m').set('k', 1)
    await waitFor('reader sees the writer',
      () => reader.doc.getText('t').toString() === 'written' && reader.doc.getMap('m').get('k') === 1)

    // Presence from viewers is relayed.
    reader.provider.awareness.setLocalStateField('user', { name: 'viewer' })
    await waitFor('writer sees the viewer',
      () => writer.provider.awareness.getStates().get(reader.doc.clientID)?.user?.name === 'viewer')

    const refusedBefore = await server.metric('weft_rejected_messages_total{reason="read_only"}')
    reader.doc.getText('t').insert(0, 'RO ')
    reader.doc.getMap('m').set('ro', true)
    await waitFor('permission denied', () => reader.provider.denied.length === 1)
    writer.doc.getText('t').insert(7, '!')
    await waitFor('reader gets the next write', () => reader.doc.getText('t').toString().includes('written!'))
    assert.ok(await server.metric('weft_rejected_messages_total{reason="read_only"}') >= refusedBefore + 2)
    assert.equal(writer.doc.getText('t').toString(), 'written!')
    assert.equal(writer.doc.getMap('m').get('ro'), undefined)
    // The store never saw it...
    const api = `${server.http}/api/rooms/${room}?type=t:text,m:map`
    const stored = await (await fetch(api, { headers: { Authorization: `Bearer ${cliToken(room, 'read')}` } })).json()
    assert.deepEqual(stored, { t: 'written!', m: { k: 1 } })
    // ...nor does a client that joins now, even after the reader reconnects
    // and sends its whole state in SyncStep2.
    reader.provider.ws.close()
    await waitFor('reader back', () => reader.provider.opens >= 2 && reader.provider.synced)
    const late = client(server, room, cliToken(room, 'read-write'))
    await synced(late)
    await sleep(200)
    assert.equal(late.doc.getText('t').toString(), 'written!')
    assert.equal(late.doc.getMap('m').get('ro'), undefined)
    // The reader stayed connected the whole time (no refusal loop): two opens, one of them ours.
    assert.equal(reader.provider.opens, 2)
    assert.equal(reader.provider.wsconnected, true)
    close(writer, reader, late)
  })

  await t.test('the HTTP API needs a token; health, metrics and static files do not', async () => {
    const room = 'ro-doc'
    assert.equal((await fetch(`${server.http}/healthz`)).status, 200)
    assert.equal((await fetch(`${server.http}/metrics`)).status, 200)
    assert.equal((await fetch(`${server.http}/api/rooms/${room}`)).status, 401)
    assert.equal((await fetch(`${server.http}/api/rooms/${room}/update`)).status, 401)
    assert.equal((await fetch(`${server.http}/api/rooms`)).status, 401)
    assert.equal((await fetch(`${server.http}/api/rooms/${room}?token=${makeToken({ room: 'nope' })}`)).status, 403)
    assert.equal((await fetch(`${server.http}/api/rooms/${room}/update?token=${makeToken({ room })}`)).status, 200)
    // A token lists only the rooms its pattern covers.
    const listed = await (await fetch(`${server.http}/api/rooms?token=${makeToken({ room: 'ro-*', access: 'r' })}`)).json()
    assert.deepEqual(listed.map((r) => r.room), ['ro-doc'])
  })

  await t.test('an open connection is closed when its token expires; a fresh token gets back in', async () => {
    const room = 'expiring'
    const stay = client(server, room, makeToken({ room }))
    // Expires within 2-3 s: time to sync and edit first.
    const expiring = client(server, room, makeToken({ room, expires: Math.floor(Date.now() / 1000) + 3 }))
    await Promise.all([synced(stay), synced(expiring)])
    expiring.doc.getText('t').insert(0, 'before expiry ✓')
    await waitFor('stay sees it', () => stay.doc.getText('t').toString() === 'before expiry ✓')
    const refusedBefore = await server.metric('weft_auth_failures_total{reason="expired"}')

    // Told (y-protocols permission denied), closed with 1008 within a tick of the expiry.
    await waitFor('expiry closes it', () => expiring.provider.denied.length === 1 && !expiring.provider.wsconnected,
      8000)
    assert.equal(Buffer.from(expiring.provider.denied[0]).toString().includes('token expired'), true)
    assert.equal(await server.metric('weft_rejected_messages_total{reason="token_expired"}'), 1)
    // Its reconnects are refused before the upgrade while it holds the old token.
    await waitFor('reconnect refused', async () =>
      (await server.metric('weft_auth_failures_total{reason="expired"}')) > refusedBefore, 8000)
    assert.equal(expiring.provider.opens, 1)
    // Offline edits meanwhile, then a fresh token: back in, both sides converge.
    expiring.doc.getText('t').insert(0, '离线 🙂 ')
    stay.doc.getText('t').insert(stay.doc.getText('t').length, ' (stay)')
    expiring.provider.params = { token: makeToken({ room }) }
    await waitFor('reconnected', () => expiring.provider.opens === 2 && expiring.provider.synced, 10000)
    const want = '离线 🙂 before expiry ✓ (stay)'
    await waitFor('converged', () =>
      stay.doc.getText('t').toString() === want && expiring.doc.getText('t').toString() === want)
    // The connection with a long token stayed open throughout.
    assert.equal(stay.provider.opens, 1)
    close(stay, expiring)
  })

  await t.test('a flooding connection is closed by the rate limit; the room keeps working', async () => {
    const room = 'flood'
    const token = makeToken({ room })
    const a = client(server, room, token)
    const b = client(server, room, token)
    await Promise.all([synced(a), synced(b)])
    const flood = await rawSocket(`${server.url}/${room}?token=${token}`)
    const empty = new Uint8Array([0, 2, 2, 0, 0]) // an update message with an empty update
    for (let i = 0; i < 2000 && flood.readyState === WebSocket.OPEN; i++) flood.send(empty)
    await waitFor('flood closed', () => flood.closed !== null)
    assert.equal(flood.closed, 1008)
    assert.equal(await server.metric('weft_rejected_messages_total{reason="rate_limited"}'), 1)
    a.doc.getArray('x').push(['after the flood'])
    await waitFor('b still gets updates', () => b.doc.getArray('x').length === 1)
    assert.equal(a.provider.opens, 1)
    assert.equal(b.provider.opens, 1)
    close(a, b)
  })
})

test('weft serve --max-connections-per-ip answers 429 past the cap', async (t) => {
  if (!fs.existsSync(WEFT)) {
    t.skip(`weft binary not found at ${WEFT}`)
    return
  }
  const dataDir = tmpDir('weft-auth-ip-')
  const server = await new WeftServer(dataDir, { args: ['--log-level', 'info', '--max-connections-per-ip', '3'] }).start()
  t.after(() => server.proc.kill('SIGKILL'))
  // Every TCP connection counts (fetch's keep-alive ones too), so the
  // metric is read only after the sockets are gone.
  const open = await Promise.all([1, 2, 3].map(() => rawSocket(`${server.url}/ip-room`)))
  assert.equal(await upgradeStatus(`${server.url}/ip-room`), 429)
  open[0].close()
  await waitFor('a slot is free again', async () => (await upgradeStatus(`${server.url}/ip-room`)) === 101)
  for (const ws of open) ws.terminate()
  await sleep(200)
  assert.ok(await server.metric('weft_rejected_messages_total{reason="too_many_connections_per_ip"}') >= 1)
  assert.match(server.log, /max_connections_per_ip 3 reached/)
})
