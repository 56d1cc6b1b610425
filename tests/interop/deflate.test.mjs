// permessage-deflate against the real `weft serve`, with clients that offer
// it as browsers do (`ws`, y-websocket's default transport in node): large
// messages travel compressed both ways, small ones plain, and everything
// round-trips. The server answers with no context takeover each way.
//
// Env: WEFT_BIN (default build/apps/weft of this checkout).
// Run: node --test deflate.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { Rng } from './rng.mjs'
import { client, close, synced } from './provider_clients.mjs'
import { WEFT, WeftServer, tmpDir, waitFor } from './server_process.mjs'

// Bytes the client's TCP socket has read / written so far (ws keeps it as _socket).
const wireIn = (c) => c.provider.ws._socket.bytesRead
const wireOut = (c) => c.provider.ws._socket.bytesWritten

// Text that compresses like prose (a few thousand distinct words), seeded.
const prose = (rng, chars) => {
  const words = Array.from({ length: 3000 }, () => Array.from({ length: 3 + rng.int(0, 6) }, () => String.fromCharCode(97 + rng.int(0, 25))).join(''))
  let s = ''
  while (s.length < chars) s += rng.pick(words) + ' '
  return s.slice(0, chars)
}

test('permessage-deflate with browser-like clients', async (t) => {
  if (!fs.existsSync(WEFT)) {
    t.skip(`weft binary not found at ${WEFT} (build it, or set WEFT_BIN)`)
    return
  }
  const seed = 20261126
  const rng = new Rng(seed)
  const server = await new WeftServer(tmpDir('weft-deflate-')).start()
  t.after(() => server.proc.kill('SIGKILL'))

  const a = client(server, 'deflate')
  const b = client(server, 'deflate')
  t.after(() => close(a, b))
  await synced(a)
  await synced(b)
  assert.match(a.provider.ws.extensions, /permessage-deflate/, `seed ${seed}`)

  // Small edits both ways: plain frames, content intact.
  for (let i = 0; i < 20; i++) {
    const [from, to] = i % 2 ? [a, b] : [b, a]
    from.doc.getText('t').insert(0, `e${i};`)
    await waitFor(`small edit ${i}`, () => to.doc.getText('t').toString() === from.doc.getText('t').toString())
  }

  // A 600 kB edit: compressed by the client (ws compresses from 1 KiB), inflated
  // by the server, compressed again on the way to b.
  const big = prose(rng, 600000) // under --deflate-max-bytes (1 MiB)
  const outBefore = wireOut(a)
  const inBefore = wireIn(b)
  a.doc.getText('t').insert(0, big)
  await waitFor('the big edit at b', () => b.doc.getText('t').length === a.doc.getText('t').length, 30000)
  assert.equal(b.doc.getText('t').toString(), a.doc.getText('t').toString(), `seed ${seed}`)
  const sentBytes = wireOut(a) - outBefore
  const gotBytes = wireIn(b) - inBefore
  assert.ok(sentBytes < big.length / 2, `client sent ${sentBytes} bytes for ${big.length} (seed ${seed})`)
  assert.ok(gotBytes < big.length / 2, `b read ${gotBytes} bytes for ${big.length} (seed ${seed})`)

  // New clients of the big document: the whole state arrives compressed
  // (the second from the server's cache of the compressed state).
  for (let i = 0; i < 2; i++) {
    const c = client(server, 'deflate')
    await synced(c)
    await waitFor('the new client has it all', () => c.doc.getText('t').length === a.doc.getText('t').length, 30000)
    assert.equal(c.doc.getText('t').toString(), a.doc.getText('t').toString())
    assert.ok(wireIn(c) < big.length / 2, `new client ${i} read ${wireIn(c)} bytes (seed ${seed})`)
    // And it can still talk in small messages.
    c.doc.getText('t').insert(0, `new${i}`)
    await waitFor('its edit at a', () => a.doc.getText('t').toString().startsWith(`new${i}`))
    close(c)
  }

  // A client that declines deflate gets the same bytes, uncompressed.
  class PlainWebSocket extends WebSocket {
    constructor (url, protocols) { super(url, protocols, { perMessageDeflate: false }) }
  }
  const plainDoc = new Y.Doc()
  const plain = { doc: plainDoc, provider: new WebsocketProvider(server.url, 'deflate', plainDoc, { WebSocketPolyfill: PlainWebSocket, disableBc: true }) }
  await synced(plain)
  await waitFor('the plain client has it all', () => plainDoc.getText('t').length === a.doc.getText('t').length, 30000)
  assert.equal(plain.provider.ws.extensions, '')
  assert.ok(wireIn(plain) > big.length, `plain client read ${wireIn(plain)} bytes`)
  close(plain)
})
