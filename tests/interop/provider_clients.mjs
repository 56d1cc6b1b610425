// y-websocket clients (real yjs + WebsocketProvider over the `ws` package) for
// the suites that run against a real `weft serve`.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { waitFor } from './server_process.mjs'

// A fresh doc connected to `room` on `server` (a WeftServer).
export const client = (server, room) => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(server.url, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
  return { doc, provider }
}

export const synced = (c) => waitFor('sync', () => c.provider.synced)

// Destroying the doc also stops its Awareness timer, which would keep node alive.
export const close = (...clients) => { for (const c of clients) { c.provider.destroy(); c.doc.destroy() } }
