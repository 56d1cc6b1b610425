// Hocuspocus (@hocuspocus/server) with its default configuration: documents
// in memory, no extensions (no persistence), no auth hooks. HOST and PORT
// from the environment, as the reference y-websocket server takes them.
import { Server } from '@hocuspocus/server'

const server = new Server({ address: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT || 1234), quiet: true })
await server.listen()
