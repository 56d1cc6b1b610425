// The servers under test, each a child process started fresh per workload:
//   weft         `weft serve` (durable: SQLite in a temp folder, WAL, fsync before broadcast)
//   y-websocket  the reference server from npm (@y/websocket-server), documents in memory
//   y-websocket-leveldb  the same with YPERSISTENCE (LevelDB; not in the default set)
//   weft-tmpfs   `weft serve` with its data in /dev/shm: every fsync is free, so
//                beside `weft` it shows what the disk's flushes cost (a
//                diagnostic, not a configuration: nothing survives a reboot;
//                not in the default set)
//   hocuspocus   @hocuspocus/server with its defaults, documents in memory; its
//                messages carry the document name first (`framing`)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const WEFT = process.env.WEFT_BIN || path.resolve(here, '../../build/apps/weft')
// Extra `weft serve` flags, e.g. WEFT_ARGS='--deflate-level 1'.
const WEFT_ARGS = (process.env.WEFT_ARGS || '').split(/\s+/).filter(Boolean)
const REFERENCE = path.join(here, 'node_modules/@y/websocket-server/src/server.js')
const HOCUSPOCUS = path.join(here, 'hocuspocus-server.mjs')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer()
  s.on('error', reject)
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
})

const accepts = (port) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1')
  s.on('connect', () => { s.destroy(); resolve(true) })
  s.on('error', () => resolve(false))
})

/** Resident set size of a process in bytes (VmRSS). */
export const rssBytes = (pid) => {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)
  return Number(m[1]) * 1024
}

/** CPU seconds (user + system) a process has used so far. */
export const cpuSeconds = (pid) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ 100)
}

class ServerProcess {
  constructor (name, cmd, args, env, cleanup, framing = 'y-websocket') {
    Object.assign(this, { name, cmd, args, env, cleanup, framing })
    this.log = ''
  }

  async start () {
    this.port = await freePort()
    this.proc = spawn(this.cmd, this.args(this.port), { env: { ...process.env, ...this.env(this.port) }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc.stdout.on('data', (d) => { this.log = (this.log + d).slice(-4000) })
    this.proc.stderr.on('data', (d) => { this.log = (this.log + d).slice(-4000) })
    this.exited = new Promise((resolve) => this.proc.on('exit', resolve))
    const end = Date.now() + 15000
    while (!(await accepts(this.port))) {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited: ${this.log}`)
      if (Date.now() > end) throw new Error(`${this.name} did not listen: ${this.log}`)
      await sleep(50)
    }
    this.url = `ws://127.0.0.1:${this.port}`
    this.pid = this.proc.pid
    return this
  }

  async stop () {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL')
    await this.exited
    this.cleanup?.()
  }
}

const weftServer = (name, parent) => {
  const dir = fs.mkdtempSync(path.join(parent, 'weft-bench-'))
  return new ServerProcess(name, WEFT,
    // The reference server has no limits; the load generator sends faster than
    // one client should (--message-rate) and opens thousands of connections
    // from one address (--max-connections-per-ip): both off here.
    (port) => ['serve', '--host', '127.0.0.1', '--port', String(port), '--data', dir, '--log-level', 'warn',
      '--message-rate', '0', '--max-connections-per-ip', '0', ...WEFT_ARGS],
    () => ({}), () => fs.rmSync(dir, { recursive: true, force: true }))
}

export const SERVERS = {
  weft: () => weftServer('weft', os.tmpdir()),
  'weft-tmpfs': () => weftServer('weft-tmpfs', '/dev/shm'),
  'y-websocket': () => new ServerProcess('y-websocket', process.execPath, () => [REFERENCE],
    (port) => ({ HOST: '127.0.0.1', PORT: String(port) })),
  hocuspocus: () => new ServerProcess('hocuspocus', process.execPath, () => [HOCUSPOCUS],
    (port) => ({ HOST: '127.0.0.1', PORT: String(port) }), null, 'hocuspocus'),
  // The reference server with its optional LevelDB persistence (y-leveldb):
  // writes are not synced before the broadcast, so it is not durable either.
  'y-websocket-leveldb': () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ywss-bench-'))
    return new ServerProcess('y-websocket-leveldb', process.execPath, () => [REFERENCE],
      (port) => ({ HOST: '127.0.0.1', PORT: String(port), YPERSISTENCE: dir }),
      () => fs.rmSync(dir, { recursive: true, force: true }))
  }
}
