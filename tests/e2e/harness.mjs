// Shared parts of the end-to-end tests: a real `weft serve` process serving
// the built app (web/dist), Debian's chromium driven by playwright-core, and
// helpers that read the app's state through its data-testid elements.
//
// Env: WEFT_BIN (see ../interop/server_process.mjs), CHROMIUM (default /usr/bin/chromium),
// WEFT_STATIC (default ../../web/dist).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { WeftServer as ServeProcess, waitFor as waitForBase } from '../interop/server_process.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../..')
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
export const STATIC = process.env.WEFT_STATIC || path.join(root, 'web/dist')
export const ARTIFACTS = path.join(here, 'artifacts')

export { WEFT, sleep } from '../interop/server_process.mjs'

// Browser-paced waits get a longer default timeout than the interop suites.
export const waitFor = (what, cond, timeoutMs = 15000) => waitForBase(what, cond, timeoutMs)

// `weft serve` on a fresh data directory, serving the built app.
export class WeftServer extends ServeProcess {
  // `args`: extra `weft serve` flags; `env`: extra environment.
  constructor ({ args = [], env = {} } = {}) {
    super(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-')),
      { args: ['--static', STATIC, '--log-level', 'info', ...args], env })
  }

  // Starts on `this.port` (0 the first time: a free one); a restart reuses it.
  async start () {
    await super.start()
    this.origin = this.http
    return this
  }

  async stop (signal = 'SIGTERM') {
    if (this.proc) return this.kill(signal)
  }

  async cleanup () {
    await this.stop('SIGKILL')
    fs.rmSync(this.dataDir, { recursive: true, force: true })
  }

  // The stored document of `room` as canonical JSON (the HTTP API reads the store).
  async stored (room) {
    const res = await fetch(`${this.origin}/api/rooms/${room}?type=tasks:array,notes:text`)
    return res.status === 200 ? res.json() : null
  }
}

// Flags from the machine notes: no sandbox as root, and no background
// networking (this machine's network is closed). WebRTC host candidates
// as plain IPs (no mDNS names, which nothing here resolves).
export async function launchBrowser () {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns']
  })
}

let roomCounter = 0
export const uniqueRoom = (name) => `${name}-${process.pid}-${Date.now().toString(36)}-${roomCounter++}`

// One person: a browser context (own storage, own IndexedDB) with the app open.
export async function openApp (browser, server, room, { name, params = 'rtc=0' } = {}) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 820 } })
  if (name) {
    await context.addInitScript((n) => {
      if (!localStorage.getItem('weft:name')) localStorage.setItem('weft:name', n)
    }, name)
  }
  const page = await context.newPage()
  page.on('pageerror', (e) => { page.errors = [...(page.errors || []), String(e)] })
  await gotoApp(page, server, room, params)
  return { context, page }
}

export async function gotoApp (page, server, room, params = 'rtc=0') {
  await page.goto(`${server.origin}/?room=${room}&${params}`)
  await page.waitForSelector('[data-testid=local-status][data-state=ok]')
}

export const waitSynced = (page) =>
  page.waitForSelector('[data-testid=sync-status][data-state=ok]', { timeout: 15000 })

export const task = (page, title) => page.locator(`[data-testid=task][data-title="${title}"]`)

export async function addTask (page, title, column = 'todo') {
  await page.getByTestId('new-task-column').selectOption(column)
  await page.getByTestId('new-task-title').fill(title)
  await page.getByTestId('new-task-title').press('Enter')
  await task(page, title).waitFor()
}

// What the page shows: columns of tasks (title, assignee, done) and the notes text.
export async function boardState (page) {
  return page.evaluate(() => {
    const out = { columns: {}, notes: document.querySelector('[data-testid=notes]').value }
    for (const col of document.querySelectorAll('[data-testid^=column-]')) {
      out.columns[col.dataset.column] = [...col.querySelectorAll('[data-testid=task]')].map((card) => ({
        title: card.querySelector('[data-testid=task-title]').value,
        assignee: card.querySelector('[data-testid=task-assignee]').value,
        done: card.querySelector('[data-testid=task-done]').checked
      }))
    }
    return out
  })
}

// The Y.Doc of the page, as JSON (the model behind what it shows).
export const docState = (page) => page.evaluate(() => ({
  tasks: window.weft.doc.getArray('tasks').toJSON().map(({ id, ...rest }) => rest),
  notes: window.weft.doc.getText('notes').toString()
}))

// Waits until every page shows the same board and notes; returns that state.
export async function converge (pages, what = 'pages to converge', timeoutMs = 15000) {
  let states
  await waitFor(what, async () => {
    states = await Promise.all(pages.map(boardState))
    const first = JSON.stringify(states[0])
    return states.every((s) => JSON.stringify(s) === first)
  }, timeoutMs).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(states, null, 1)}`)
  })
  return states[0]
}

export async function screenshot (page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  const file = path.join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path: file })
  return file
}
