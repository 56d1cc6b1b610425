// Takes the README's screenshot (docs/img/app.png): two people in one room
// of the web app, served by the real `weft serve`. Not a test.
// Run: node screenshot.mjs [OUT.png]   (after the builds)
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { WeftServer, launchBrowser, openApp, waitSynced, addTask, task, converge, sleep } from './harness.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const out = process.argv[2] || path.resolve(here, '../../docs/img/app.png')

const server = await new WeftServer().start()
const browser = await launchBrowser()
try {
  const room = 'team-weekly'
  const a = await openApp(browser, server, room, { name: 'Ada Lovelace', params: '' })
  const b = await openApp(browser, server, room, { name: 'Grace Hopper', params: '' })
  await Promise.all([waitSynced(a.page), waitSynced(b.page)])
  const tasks = [
    ['Draft the storage RFC', 'done', 'ada'],
    ['Benchmark group commit', 'done', 'grace'],
    ['WebRTC signaling on /signaling', 'doing', 'grace'],
    ['Offline edits survive reload', 'doing', 'ada'],
    ['Auth tokens per room', 'todo', ''],
    ['Rate limits', 'todo', 'linus'],
    ['Write the release notes', 'todo', '']
  ]
  for (const [title, column, who] of tasks) {
    await addTask(a.page, title, column)
    if (who) await task(a.page, title).getByTestId('task-assignee').fill(who)
  }
  const notes = b.page.getByTestId('notes')
  await notes.focus()
  await b.page.keyboard.type('Weekly sync — agenda\n\n1. Storage: group commit lands this week\n' +
    '2. Browser app: try it offline, then reconnect\n3. P2P: y-webrtc through weft serve\n\nDecisions:\n- ')
  await task(a.page, 'Rate limits').getByTestId('task-title').focus()
  await converge([a.page, b.page])
  await a.page.getByTestId('new-task-column').selectOption('todo')
  await sleep(500) // awareness round trip for the "editing" markers
  await a.page.setViewportSize({ width: 1360, height: 640 })
  await a.page.screenshot({ path: out })
  console.log(`wrote ${out}`)
} finally {
  await browser.close()
  await server.cleanup()
}
