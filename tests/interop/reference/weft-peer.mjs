#!/usr/bin/env node
// Reference `weft-peer` on top of yjs: the line protocol the C++ test peer
// speaks, implemented with the same op mix as the yjs peers (ops.mjs). It
// proves the weft->yjs driver (WEFT_PEER_BIN=reference/weft-peer.mjs); it is
// not Weft.
//
//   weft-peer --client ID --seed S
//   apply <hex>   apply a v1 update; answers `update <hex>` for any local
//                 transaction this caused (Y.Text formatting cleanup), then ok
//   ops <n>       n random local transactions; one `update <hex>` each, then ok
//   state         `state <hex>` (encodeStateAsUpdate v1), ok
//   sv            `sv <hex>`, ok
//   json          `json <canonical json>` of roots m, a, t, x; ok
//   errors: a single line `error <message>`

import * as Y from 'yjs'
import readline from 'node:readline'
import { canonicalJson, DEFAULT_TYPES } from '../canonical.mjs'
import { declareRoots, randomTransaction } from '../ops.mjs'
import { createRng } from '../rng.mjs'

const argv = process.argv.slice(2)
const opt = name => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}
const client = Number(opt('--client'))
const seed = Number(opt('--seed') ?? 0)
if (!Number.isSafeInteger(client) || client < 0) {
  process.stderr.write('usage: weft-peer --client ID --seed S\n')
  process.exit(2)
}

const REMOTE = Symbol('remote')
const doc = new Y.Doc()
doc.clientID = client
declareRoots(doc)
const rng = createRng(seed)
let guids = 0
const ctx = { subdocs: true, guid: () => `peer-${client}-${guids++}` }
let emitted = []
doc.on('update', (u, origin) => { if (origin !== REMOTE) emitted.push(u) })

const hex = b => Buffer.from(b).toString('hex')
const out = lines => process.stdout.write(lines.map(l => l + '\n').join(''))

const handle = line => {
  const [cmd, arg] = line.trim().split(' ')
  emitted = []
  switch (cmd) {
    case 'apply': {
      if (!/^([0-9a-f]{2})*$/.test(arg ?? '')) throw new Error('apply needs hex')
      Y.applyUpdate(doc, new Uint8Array(Buffer.from(arg, 'hex')), REMOTE)
      return emitted.map(u => `update ${hex(u)}`)
    }
    case 'ops': {
      const n = Number(arg)
      if (!Number.isInteger(n) || n < 0) throw new Error('ops needs a count')
      for (let i = 0; i < n; i++) randomTransaction(rng, doc, ctx)
      return emitted.map(u => `update ${hex(u)}`)
    }
    case 'state': return [`state ${hex(Y.encodeStateAsUpdate(doc))}`]
    case 'sv': return [`sv ${hex(Y.encodeStateVector(doc))}`]
    case 'json': return [`json ${canonicalJson(doc, DEFAULT_TYPES)}`]
    default: throw new Error(`unknown command ${cmd}`)
  }
}

readline.createInterface({ input: process.stdin }).on('line', line => {
  if (line.trim() === '') return
  try {
    out([...handle(line), 'ok'])
  } catch (e) {
    out([`error ${String(e?.message ?? e).split('\n')[0]}`])
  }
})
