#!/usr/bin/env node
// Reference implementation of the `weft` CLI contract on top of yjs. It exists
// to prove the interop harness (WEFT_BIN=reference/weft.mjs must pass every
// check) and to document the contract executably; it is not Weft.
//
//   weft doc json UPDATE... [--type NAME=map|array|text|xml]... [--v2]
//   weft doc encode UPDATE... -o OUT [--v2]
//   weft update merge UPDATE... -o OUT [--v2]
//   weft update diff UPDATE --state-vector SV -o OUT [--v2]
//   weft update state-vector UPDATE... -o OUT [--v2]
//   weft update convert --to v1|v2 UPDATE -o OUT

import * as Y from 'yjs'
import fs from 'node:fs'
import { canonicalJson } from '../canonical.mjs'

const fail = msg => {
  process.stderr.write(`weft: ${msg}\n`)
  process.exit(1)
}

const parse = argv => {
  const a = { pos: [], types: {}, v2: false, out: null, sv: null, to: null }
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]
    if (x === '--v2') a.v2 = true
    else if (x === '-o') a.out = argv[++i]
    else if (x === '--state-vector') a.sv = argv[++i]
    else if (x === '--to') a.to = argv[++i]
    else if (x === '--type') {
      const m = /^([^=]*)=(map|array|text|xml)$/.exec(argv[++i] ?? '')
      if (!m) fail(`bad --type ${argv[i]}`)
      a.types[m[1]] = m[2]
    } else if (x.startsWith('-')) fail(`unknown option ${x}`)
    else a.pos.push(x)
  }
  return a
}

const read = p => {
  try { return new Uint8Array(fs.readFileSync(p)) } catch (e) { fail(`cannot read ${p}: ${e.code}`) }
}
const write = (p, bytes) => {
  if (!p) fail('missing -o OUT')
  fs.writeFileSync(p, bytes)
}

const main = argv => {
  const [group, cmd, ...rest] = argv
  const a = parse(rest)
  const inputs = a.pos.map(read)
  const apply = a.v2 ? Y.applyUpdateV2 : Y.applyUpdate
  const merge = a.v2 ? Y.mergeUpdatesV2 : Y.mergeUpdates
  try {
    if (group === 'doc' && (cmd === 'json' || cmd === 'encode')) {
      const doc = new Y.Doc()
      for (const u of inputs) apply(doc, u)
      if (cmd === 'json') process.stdout.write(canonicalJson(doc, a.types) + '\n')
      else write(a.out, (a.v2 ? Y.encodeStateAsUpdateV2 : Y.encodeStateAsUpdate)(doc))
    } else if (group === 'update' && cmd === 'merge') {
      write(a.out, merge(inputs))
    } else if (group === 'update' && cmd === 'diff') {
      if (inputs.length !== 1 || !a.sv) fail('usage: weft update diff UPDATE --state-vector SV -o OUT')
      write(a.out, (a.v2 ? Y.diffUpdateV2 : Y.diffUpdate)(inputs[0], read(a.sv)))
    } else if (group === 'update' && cmd === 'state-vector') {
      write(a.out, (a.v2 ? Y.encodeStateVectorFromUpdateV2 : Y.encodeStateVectorFromUpdate)(merge(inputs)))
    } else if (group === 'update' && cmd === 'convert') {
      if (inputs.length !== 1) fail('usage: weft update convert --to v1|v2 UPDATE -o OUT')
      if (a.to === 'v2') write(a.out, Y.convertUpdateFormatV1ToV2(inputs[0]))
      else if (a.to === 'v1') write(a.out, Y.convertUpdateFormatV2ToV1(inputs[0]))
      else fail('--to must be v1 or v2')
    } else {
      fail(`unknown command ${group ?? ''} ${cmd ?? ''}`)
    }
  } catch (e) {
    fail(String(e?.message ?? e).split('\n')[0])
  }
}

main(process.argv.slice(2))
