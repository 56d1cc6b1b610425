// Peers with one async interface for the weft->yjs suite:
//   WeftPeer: a `weft-peer` child process driven over its line protocol;
//   YjsPeer:  an in-process Y.Doc with the same op mix (ops.mjs).
// Both: ops(n) -> [update], apply(update) -> [update caused locally],
// state(), sv(), json(), close(). Updates are v1 Uint8Arrays.

import { spawn } from 'node:child_process'
import readline from 'node:readline'
import * as Y from 'yjs'
import { canonicalJson, DEFAULT_TYPES } from './canonical.mjs'
import { declareRoots, randomTransaction } from './ops.mjs'
import { createRng } from './rng.mjs'

export const toHex = b => Buffer.from(b).toString('hex')
export const fromHex = h => new Uint8Array(Buffer.from(h, 'hex'))

const COMMAND_TIMEOUT_MS = 30000

export class WeftPeer {
  /**
   * @param {string} bin path of weft-peer
   * @param {number} client client id
   * @param {number} seed
   */
  constructor (bin, client, seed) {
    this.kind = 'weft'
    this.client = client
    this.seed = seed
    this.argv = [bin, '--client', String(client), '--seed', String(seed)]
    /** Every line sent (`> `) and received (`< `), for failure reports. */
    this.transcript = []
    this.stderr = ''
    this.exited = null
    this.waiting = [] // FIFO of {lines, resolve, reject, timer}
    this.proc = spawn(bin, this.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
    this.proc.stderr.on('data', d => { this.stderr += d })
    this.proc.stdin.on('error', () => {}) // reported through 'exit'
    this.proc.on('error', e => this._failAll(new Error(`weft-peer ${client}: ${e.message}`)))
    this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal }
      this._failAll(new Error(`weft-peer ${client} exited (code ${code}, signal ${signal}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`))
    })
    readline.createInterface({ input: this.proc.stdout }).on('line', line => this._line(line))
  }

  _line (line) {
    this.transcript.push('< ' + line)
    const w = this.waiting[0]
    if (!w) {
      this.transcript.push('!! unexpected line (no command pending)')
      return
    }
    if (line === 'ok' || line.startsWith('error')) {
      this.waiting.shift()
      clearTimeout(w.timer)
      if (line === 'ok') w.resolve(w.lines)
      else w.reject(new Error(`weft-peer ${this.client}: ${w.cmd.slice(0, 40)}: ${line}`))
    } else {
      w.lines.push(line)
    }
  }

  _failAll (err) {
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer)
      w.reject(err)
    }
  }

  /** Sends one command; resolves with the answer lines before `ok`. */
  command (cmd) {
    if (this.exited) return Promise.reject(new Error(`weft-peer ${this.client} is not running`))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.findIndex(w => w.timer === timer)
        if (i >= 0) this.waiting.splice(i, 1)
        reject(new Error(`weft-peer ${this.client}: no answer to '${cmd.slice(0, 40)}' within ${COMMAND_TIMEOUT_MS} ms`))
      }, COMMAND_TIMEOUT_MS)
      this.waiting.push({ cmd, lines: [], resolve, reject, timer })
      this.transcript.push('> ' + cmd)
      this.proc.stdin.write(cmd + '\n')
    })
  }

  _tagged (lines, tag) {
    return lines.map(l => {
      if (!l.startsWith(tag + ' ')) throw new Error(`weft-peer ${this.client}: expected '${tag} ...', got '${l.slice(0, 80)}'`)
      return l.slice(tag.length + 1)
    })
  }

  _one (lines, tag) {
    const v = this._tagged(lines, tag)
    if (v.length !== 1) throw new Error(`weft-peer ${this.client}: expected one '${tag}' line, got ${v.length}`)
    return v[0]
  }

  async ops (n) { return this._tagged(await this.command(`ops ${n}`), 'update').map(fromHex) }
  /** Returns updates the peer reports for local transactions the apply caused (optional in the protocol). */
  async apply (update) { return this._tagged(await this.command(`apply ${toHex(update)}`), 'update').map(fromHex) }
  async state () { return fromHex(this._one(await this.command('state'), 'state')) }
  async sv () { return fromHex(this._one(await this.command('sv'), 'sv')) }
  async json () { return this._one(await this.command('json'), 'json') }

  async close () {
    if (this.exited) return
    const done = new Promise(resolve => this.proc.once('exit', resolve))
    this.proc.stdin.end()
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000)
    await done
    clearTimeout(t)
  }

  describe () { return this.argv.join(' ') }
}

const SYNC = Symbol('sync')

export class YjsPeer {
  constructor (client, seed, { gc = true } = {}) {
    this.kind = 'yjs'
    this.client = client
    this.seed = seed
    this.doc = new Y.Doc({ gc })
    this.doc.clientID = client
    declareRoots(this.doc)
    this.rng = createRng(seed)
    let guids = 0
    this.ctx = { subdocs: true, guid: () => `yjs-${client}-${guids++}` }
    this.emitted = []
    this.doc.on('update', (u, origin) => { if (origin !== SYNC) this.emitted.push(u) })
  }

  _take (f) {
    this.emitted = []
    f()
    const out = this.emitted
    this.emitted = []
    return out
  }

  async ops (n) { return this._take(() => { for (let i = 0; i < n; i++) randomTransaction(this.rng, this.doc, this.ctx) }) }
  async apply (update) { return this._take(() => Y.applyUpdate(this.doc, update, SYNC)) }
  async state () { return Y.encodeStateAsUpdate(this.doc) }
  async sv () { return Y.encodeStateVector(this.doc) }
  async json () { return canonicalJson(this.doc, DEFAULT_TYPES) }
  pending () { return this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null }
  async close () { this.doc.destroy() }
  describe () { return `yjs peer client ${this.client} seed ${this.seed}` }
}
