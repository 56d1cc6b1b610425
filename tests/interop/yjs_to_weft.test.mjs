// Yjs -> Weft: random yjs sessions (gen.mjs) replayed through the `weft` CLI.
//
//   node --test yjs_to_weft.test.mjs                       200 seeds (default)
//   INTEROP_SEEDS=5000 node --test yjs_to_weft.test.mjs    long run
//   INTEROP_SEED_LIST=17,42 node --test yjs_to_weft.test.mjs   reproduce seeds
//
// Env: WEFT_BIN (default build/apps/weft of this checkout), INTEROP_SEEDS,
// INTEROP_SEED_START (default 0), INTEROP_SEED_LIST, INTEROP_JOBS (concurrent
// sessions, default 2), INTEROP_KEEP=1 (keep passing session dirs),
// INTEROP_MAX_FAILED (stop after this many failing seeds, default 10),
// INTEROP_SELF_SEEDS (harness self-check seeds, default 10).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { generateSession, sessionFiles, writeSession, semanticDiff, selfCheck, commandLine } from './gen.mjs'
import { firstDifference } from './canonical.mjs'
import { WEFT } from './server_process.mjs'

const START = Number(process.env.INTEROP_SEED_START ?? 0)
const SEEDS = process.env.INTEROP_SEED_LIST
  ? process.env.INTEROP_SEED_LIST.split(',').map(Number)
  : [...Array(Number(process.env.INTEROP_SEEDS ?? 200)).keys()].map(i => START + i)
const JOBS = Number(process.env.INTEROP_JOBS ?? 2)
const KEEP = process.env.INTEROP_KEEP === '1'
const MAX_FAILED = Number(process.env.INTEROP_MAX_FAILED ?? 10)
const SELF_SEEDS = Number(process.env.INTEROP_SELF_SEEDS ?? 10)
const TIMEOUT_MS = 30000

const weftMissing = () => {
  try {
    fs.accessSync(WEFT, fs.constants.X_OK)
    return false
  } catch {
    return `weft binary not found or not executable at ${WEFT} (build it, or set WEFT_BIN)`
  }
}

const run = (args, cwd) => new Promise(resolve => {
  execFile(WEFT, args, { cwd, timeout: TIMEOUT_MS, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
    resolve({ code: err ? (err.code ?? err.signal ?? 'error') : 0, stdout, stderr })
  })
})

const firstByteDiff = (a, b) => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return n
}

/** Runs one check; returns null or a failure description. */
const runCheck = async (dir, files, check) => {
  const r = await run(check.args, dir)
  if (r.code !== 0) return `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}`
  if (check.expect.json !== undefined) {
    const got = r.stdout.trim()
    if (got === check.expect.json) return null
    let detail
    try {
      detail = firstDifference(JSON.parse(got), JSON.parse(check.expect.json)) ?? 'same value, different text (key order, spacing or number format)'
    } catch (e) {
      detail = `output is not JSON (${e.message}): ${got.slice(0, 200)}`
    }
    fs.writeFileSync(path.join(dir, 'out', `${check.name}.json`), r.stdout)
    return `canonical JSON differs: ${detail}`
  }
  let actual
  try {
    actual = new Uint8Array(fs.readFileSync(path.join(dir, check.out)))
  } catch {
    return `no output file ${check.out}`
  }
  const expected = files.get(check.expect.file)
  if (Buffer.compare(actual, expected) === 0) return null
  const at = firstByteDiff(actual, expected)
  let msg = `bytes differ from ${check.expect.file}: ${actual.length} vs ${expected.length} bytes, first difference at offset ${at}`
  if (check.semantic) {
    // The convergence oracle: is it at least the same document?
    const sem = semanticDiff(actual, expected, check.semantic === 'v2')
    msg += sem.length ? `; semantic: ${sem.join('; ')}` : '; semantically equal (same JSON, state vector, delete set, nothing pending)'
  }
  return msg
}

let failedSeeds = 0

const runSeed = async seed => {
  const s = generateSession(seed)
  const fc = sessionFiles(s)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `weft-interop-seed-${seed}-`))
  writeSession(dir, s, fc, WEFT)
  const failures = []
  for (const check of fc.checks) {
    const f = await runCheck(dir, fc.files, check)
    if (f) failures.push({ check, f })
  }
  if (failures.length === 0) {
    if (!KEEP) fs.rmSync(dir, { recursive: true, force: true })
    return
  }
  failedSeeds++
  const lines = [
    `seed ${seed} failed ${failures.length}/${fc.checks.length} checks (session ${JSON.stringify(s.meta)})`,
    `files kept in ${dir} (all commands: sh ${dir}/checks.sh)`,
    `regenerate: node ${path.join(import.meta.dirname ?? '.', 'gen.mjs')} --seed ${seed} --out DIR ; rerun: INTEROP_SEED_LIST=${seed} node --test yjs_to_weft.test.mjs`
  ]
  for (const { check, f } of failures.slice(0, 12)) {
    lines.push(`- ${check.name}: ${f}`)
    lines.push(`    cd ${dir} && ${commandLine(WEFT, check).slice(0, 600)}`)
  }
  if (failures.length > 12) lines.push(`- ... ${failures.length - 12} more`)
  assert.fail(lines.join('\n'))
}

test('harness self-check: expectations are consistent in yjs itself', () => {
  for (let seed = 0; seed < SELF_SEEDS; seed++) {
    const s = generateSession(100000 + seed)
    const { problems } = selfCheck(s)
    assert.deepEqual(problems, [], `self-check seed ${100000 + seed}`)
  }
})

test(`yjs -> weft: ${SEEDS.length} random sessions through ${WEFT}`, { skip: weftMissing(), concurrency: JOBS }, async t => {
  await Promise.all(SEEDS.map(seed => t.test(`seed ${seed}`, async st => {
    if (failedSeeds >= MAX_FAILED) return st.skip(`stopped after ${MAX_FAILED} failing seeds (INTEROP_MAX_FAILED)`)
    await runSeed(seed)
  })))
})
