// The real `weft serve` binary as a child process, for the node suites
// (serve, auth, signaling, kill9): start, read /metrics, kill -9, restart.
//
// Env: WEFT_BIN (default build/apps/weft of this checkout), WEFT_PEER_BIN (default
// build/tests/interop/weft-peer).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const repoRoot = new URL('../../', import.meta.url).pathname
export const WEFT = process.env.WEFT_BIN || path.join(repoRoot, 'build/apps/weft')
export const WEFT_PEER = process.env.WEFT_PEER_BIN || path.join(repoRoot, 'build/tests/interop/weft-peer')

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Polls `cond` (which may return a promise) until it holds; returns its value.
export const waitFor = async (what, cond, timeoutMs = 10000) => {
  const end = Date.now() + timeoutMs
  let value
  while (!(value = await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
  return value
}

// A fresh folder under the OS temp dir, removed when this test file's process
// exits cleanly (kept after a failure, or always with WEFT_KEEP_TMP=1, to look
// at the data folder and the server's files).
const madeDirs = []
process.on('exit', (code) => {
  if (code !== 0 || process.exitCode || process.env.WEFT_KEEP_TMP) return
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true })
})
export const tmpDir = (prefix) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  madeDirs.push(dir)
  return dir
}

// One `weft serve` process on `dataDir`. `port` 0 picks a free port; a
// restart passes the previous port so that clients reconnect to the same URL.
// `args` are more flags, `env` more environment variables.
export class WeftServer {
  constructor (dataDir, { port = 0, args = [], env = {} } = {}) {
    this.dataDir = dataDir
    this.port = port
    this.args = args
    this.env = env
    this.log = ''
  }

  async start () {
    const portFile = path.join(this.dataDir, `port-${process.pid}-${Date.now()}`)
    this.proc = spawn(WEFT, ['serve', '--port', String(this.port), '--port-file', portFile, '--data', this.dataDir,
      ...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } })
    this.proc.stdout.on('data', (d) => { this.log += d })
    this.proc.stderr.on('data', (d) => { this.log += d })
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })))
    await waitFor('the port file', () => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`weft serve exited (${this.proc.exitCode ?? this.proc.signalCode}): ${this.log}`)
      }
      return fs.existsSync(portFile)
    })
    this.port = Number(fs.readFileSync(portFile, 'utf8').trim())
    fs.rmSync(portFile)
    this.url = `ws://127.0.0.1:${this.port}`
    this.http = `http://127.0.0.1:${this.port}`
    return this
  }

  /** One sample of GET /metrics (`name` may carry labels); NaN when absent. */
  async metric (name) {
    const text = await (await fetch(`${this.http}/metrics`)).text()
    const m = text.match(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm'))
    return m ? Number(m[1]) : NaN
  }

  /** True while the process has not exited. */
  get running () { return this.proc.exitCode === null && this.proc.signalCode === null }

  async kill (signal = 'SIGKILL') {
    if (this.running) this.proc.kill(signal)
    return this.exited
  }

  /** The last `n` lines of the server's output, for failure messages. */
  tail (n = 40) { return this.log.split('\n').slice(-n).join('\n') }
}
