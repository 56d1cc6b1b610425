// The web app (web/dist) in Debian's headless chromium, driven by
// playwright-core, against the real `weft serve`. Each test starts its own
// server (free port, temp data dir); each person is a browser context with
// its own storage (IndexedDB). Screenshots go to tests/e2e/artifacts/.
//
// Run: node --test app.test.mjs   (after scripts/build.sh and `npm run build` in web/)
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  WeftServer, launchBrowser, openApp, uniqueRoom, waitSynced, addTask, task, converge, boardState, docState,
  screenshot, waitFor, sleep, WEFT
} from './harness.mjs'

let browser
before(async () => { browser = await launchBrowser() })
after(async () => { await browser?.close() })

// Runs `body` with a fresh server; stops it and the contexts afterwards.
async function withServer (body, serverOptions) {
  const server = await new WeftServer(serverOptions).start()
  const contexts = []
  const open = async (room, opts) => {
    const p = await openApp(browser, server, room, opts)
    contexts.push(p.context)
    return p
  }
  try {
    await body(server, open)
  } catch (e) {
    console.error(`weft serve log:\n${server.log.split('\n').slice(-30).join('\n')}`)
    throw e
  } finally {
    for (const c of contexts) await c.close().catch(() => {})
    await server.cleanup()
  }
}

const noErrors = (...pages) => {
  for (const p of pages) assert.deepEqual(p.errors || [], [], 'uncaught errors in the page')
}

// Types `text` at `pos` of the notes through the keyboard (real input events).
async function typeInNotes (page, pos, text) {
  const notes = page.getByTestId('notes')
  await notes.focus()
  await notes.evaluate((el, p) => el.setSelectionRange(p, p), pos)
  await page.keyboard.type(text)
}

test('two people edit the same room (tasks, notes, presence) and converge', async () => {
  await withServer(async (server, open) => {
    const room = uniqueRoom('two')
    const a = await open(room, { name: 'Ada' })
    const b = await open(room, { name: 'Grace' })
    await Promise.all([waitSynced(a.page), waitSynced(b.page)])

    await addTask(a.page, 'Write the spec')
    await addTask(a.page, 'Fix the build', 'doing')
    await addTask(b.page, 'Review the PR')
    await task(b.page, 'Write the spec').waitFor()

    // B edits A's task; A edits B's; A ticks one done.
    await task(b.page, 'Write the spec').getByTestId('task-assignee').fill('grace')
    await task(a.page, 'Review the PR').getByTestId('task-title').fill('Review the PR carefully')
    await task(a.page, 'Fix the build').getByTestId('task-done').check()

    // Drag "Review the PR carefully" above "Write the spec", then move a task right with its button.
    await task(b.page, 'Review the PR carefully').waitFor()
    await task(b.page, 'Review the PR carefully').dragTo(task(b.page, 'Write the spec'), {
      targetPosition: { x: 40, y: 4 }
    })
    const todoTitles = (page) => page.locator('[data-testid=cards-todo] [data-testid=task]')
      .evaluateAll((cards) => cards.map((c) => c.dataset.title))
    await waitFor('the drag to reach A', async () =>
      JSON.stringify(await todoTitles(a.page)) === '["Review the PR carefully","Write the spec"]')
    await task(a.page, 'Write the spec').getByTestId('task-right').click()

    // Both type into the notes at the same time, at opposite ends.
    await typeInNotes(a.page, 0, 'Agenda: ')
    await Promise.all([typeInNotes(a.page, 8, 'ship v1.'), typeInNotes(b.page, 0, '[draft] ')])

    const state = await converge([a.page, b.page])
    assert.deepEqual(state.columns.todo.map((t) => t.title), ['Review the PR carefully'])
    assert.deepEqual(state.columns.doing, [
      { title: 'Fix the build', assignee: '', done: true },
      { title: 'Write the spec', assignee: 'grace', done: false }
    ])
    assert.equal(state.notes.length, 'Agenda: ship v1.[draft] '.length)
    assert.ok(state.notes.includes('[draft] '), state.notes)
    assert.ok(state.notes.includes('ship v1.'), state.notes)

    // Presence: each sees the other, and what they edit.
    await a.page.locator('[data-testid=presence-user][data-name=Grace]').waitFor()
    await b.page.locator('[data-testid=presence-user][data-name=Ada]').waitFor()
    await b.page.getByTestId('notes').focus()
    await a.page.getByTestId('notes-editors').getByText('Grace is typing').waitFor()
    await b.page.getByTestId('task-title').first().focus()
    await a.page.locator('[data-testid=task].being-edited').waitFor()

    // The server stored exactly what the pages show.
    const models = await Promise.all([docState(a.page), docState(b.page)])
    assert.deepEqual(models[0], models[1])
    await waitFor('the store to hold the notes', async () => (await server.stored(room))?.notes === state.notes)
    const stored = await server.stored(room)
    assert.deepEqual(stored.tasks.map(({ id, ...rest }) => rest), models[0].tasks)
    await screenshot(a.page, 'two-people-ada')
    await screenshot(b.page, 'two-people-grace')
    noErrors(a.page, b.page)
  })
})

test('edits made offline sync when the network returns', async () => {
  await withServer(async (server, open) => {
    const room = uniqueRoom('offline')
    const a = await open(room, { name: 'Ada' })
    const b = await open(room, { name: 'Grace' })
    await Promise.all([waitSynced(a.page), waitSynced(b.page)])
    await addTask(a.page, 'Shared before')
    await typeInNotes(a.page, 0, 'online line\n')
    await converge([a.page, b.page])

    await a.context.setOffline(true)
    await a.page.locator('[data-testid=ws-status][data-state=bad]').waitFor()
    await a.page.locator('[data-testid=net-status][data-state=bad]').waitFor()
    await addTask(a.page, 'Made offline')
    await task(a.page, 'Shared before').getByTestId('task-assignee').fill('ada-offline')
    await typeInNotes(a.page, 'online line\n'.length, 'offline line\n')
    // Meanwhile B keeps working online.
    await addTask(b.page, 'Made online', 'doing')
    await typeInNotes(b.page, 0, 'B: ')
    await sleep(500)
    assert.equal(await task(b.page, 'Made offline').count(), 0, 'an offline edit reached B')
    await screenshot(a.page, 'offline-ada')

    await a.context.setOffline(false)
    await waitSynced(a.page)
    const state = await converge([a.page, b.page])
    assert.deepEqual(state.columns.todo.map((t) => t.title).sort(), ['Made offline', 'Shared before'])
    assert.deepEqual(state.columns.doing.map((t) => t.title), ['Made online'])
    assert.equal(state.columns.todo.find((t) => t.title === 'Shared before').assignee, 'ada-offline')
    assert.equal(state.notes, 'B: online line\noffline line\n')
    await screenshot(b.page, 'offline-back-grace')
    noErrors(a.page, b.page)
  })
})

test('two people move the same task at once: still one task, and an edit made meanwhile is kept', async () => {
  await withServer(async (server, open) => {
    const room = uniqueRoom('move')
    const a = await open(room, { name: 'Ada' })
    const b = await open(room, { name: 'Grace' })
    await Promise.all([waitSynced(a.page), waitSynced(b.page)])
    await addTask(a.page, 'Contested')
    await addTask(a.page, 'Other')
    await converge([a.page, b.page])

    await a.context.setOffline(true)
    await a.page.locator('[data-testid=ws-status][data-state=bad]').waitFor()
    await task(a.page, 'Contested').getByTestId('task-right').click() // to doing
    await task(a.page, 'Contested').getByTestId('task-assignee').fill('ada')
    await task(b.page, 'Contested').getByTestId('task-right').click() // to doing
    await task(b.page, 'Contested').getByTestId('task-right').click() // to done
    await task(b.page, 'Other').getByTestId('task-right').click()

    await a.context.setOffline(false)
    await waitSynced(a.page)
    const state = await converge([a.page, b.page])
    const all = Object.values(state.columns).flat()
    assert.equal(all.filter((t) => t.title === 'Contested').length, 1, JSON.stringify(state.columns))
    assert.equal(all.find((t) => t.title === 'Contested').assignee, 'ada')
    assert.deepEqual(state.columns.doing.map((t) => t.title).filter((t) => t === 'Other'), ['Other'])
    assert.equal((await docState(a.page)).tasks.length, 2)
    noErrors(a.page, b.page)
  })
})

test('a reload while offline keeps offline edits (y-indexeddb), which sync on reconnect', async () => {
  await withServer(async (server, open) => {
    const room = uniqueRoom('reload')
    const a = await open(room, { name: 'Ada' })
    await waitSynced(a.page)
    // The service worker has the app shell cached once it is ready.
    await a.page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
    await addTask(a.page, 'Before going offline')

    await a.context.setOffline(true)
    await a.page.locator('[data-testid=ws-status][data-state=bad]').waitFor()
    await addTask(a.page, 'Offline and reloaded')
    await typeInNotes(a.page, 0, 'written offline')
    // y-indexeddb stores each update asynchronously: let it land before the reload.
    await sleep(300)

    await a.page.reload()
    await a.page.locator('[data-testid=local-status][data-state=ok]').waitFor()
    await task(a.page, 'Offline and reloaded').waitFor()
    await task(a.page, 'Before going offline').waitFor()
    assert.equal(await a.page.getByTestId('notes').inputValue(), 'written offline')
    assert.equal(await a.page.getByTestId('net-status').getAttribute('data-state'), 'bad')
    await screenshot(a.page, 'reloaded-offline')

    await a.context.setOffline(false)
    await waitSynced(a.page)
    // A second person, with nothing local, gets it all from the server.
    const b = await open(room, { name: 'Grace' })
    await waitSynced(b.page)
    const state = await converge([a.page, b.page])
    assert.deepEqual(state.columns.todo.map((t) => t.title), ['Before going offline', 'Offline and reloaded'])
    assert.equal(state.notes, 'written offline')
    noErrors(a.page, b.page)
  })
})

test('a server restart (kill -9, then SIGTERM) loses nothing', async () => {
  await withServer(async (server, open) => {
    const room = uniqueRoom('restart')
    const a = await open(room, { name: 'Ada' })
    const b = await open(room, { name: 'Grace' })
    await Promise.all([waitSynced(a.page), waitSynced(b.page)])
    for (let i = 1; i <= 5; i++) await addTask(i % 2 ? a.page : b.page, `Task ${i}`)
    await typeInNotes(b.page, 0, 'survives restarts')
    let expected = await converge([a.page, b.page])

    let round = 0
    for (const signal of ['SIGKILL', 'SIGTERM']) {
      // Editors go offline first, so after the restart only the server can
      // tell a newcomer what was written: what it acknowledged must be durable.
      await Promise.all([a.context.setOffline(true), b.context.setOffline(true)])
      const { code, signal: got } = await server.stop(signal)
      assert.ok(signal === 'SIGKILL' ? got === 'SIGKILL' : code === 0, `exit ${code} ${got}`)
      await server.start() // same data dir, same port
      const c = await open(room, { name: `Newcomer ${++round}` })
      await waitSynced(c.page)
      let seen
      await waitFor('the newcomer to see everything', async () =>
        JSON.stringify(seen = await boardState(c.page)) === JSON.stringify(expected)).catch(() => {})
      assert.deepEqual(seen, expected, `after ${signal}`)
      await screenshot(c.page, `after-${signal}-newcomer`)
      await c.context.close()

      // The editors come back and keep editing.
      await Promise.all([a.context.setOffline(false), b.context.setOffline(false)])
      await Promise.all([waitSynced(a.page), waitSynced(b.page)])
      await addTask(a.page, `After ${signal}`, 'done')
      expected = await converge([a.page, b.page])
    }
    assert.deepEqual(expected.columns.done.map((t) => t.title), ['After SIGKILL', 'After SIGTERM'])
    await waitFor('the store to hold the last task', async () => (await server.stored(room))?.tasks.length === 7)
    const stored = await server.stored(room)
    assert.equal(stored.notes, 'survives restarts')
    noErrors(a.page, b.page)
  })
})

test('a third person who joins late sees everything', async () => {
  await withServer(async (server, open) => {
    const room = uniqueRoom('late')
    const a = await open(room, { name: 'Ada' })
    const b = await open(room, { name: 'Grace' })
    await Promise.all([waitSynced(a.page), waitSynced(b.page)])
    await addTask(a.page, 'Plan', 'done')
    await addTask(b.page, 'Build', 'doing')
    await addTask(a.page, 'Test')
    await task(a.page, 'Build').getByTestId('task-assignee').fill('ada')
    await task(b.page, 'Test').waitFor()
    await task(b.page, 'Test').getByTestId('task-delete').click()
    await addTask(b.page, 'Release')
    await typeInNotes(a.page, 0, 'Decisions:\n- ship it\n')
    const state = await converge([a.page, b.page])

    const c = await open(room, { name: 'Linus' })
    await waitSynced(c.page)
    assert.deepEqual(await converge([a.page, b.page, c.page]), state)
    assert.deepEqual(state.columns, {
      todo: [{ title: 'Release', assignee: '', done: false }],
      doing: [{ title: 'Build', assignee: 'ada', done: false }],
      done: [{ title: 'Plan', assignee: '', done: true }]
    })
    await c.page.locator('[data-testid=presence-user]').nth(2).waitFor()
    assert.equal(await c.page.locator('[data-testid=presence-user]').count(), 3)
    await screenshot(c.page, 'late-joiner')
    noErrors(a.page, b.page, c.page)
  })
})

test('two pages sync peer to peer through /signaling with the WebSocket provider off', async () => {
  await withServer(async (server, open) => {
    const room = uniqueRoom('p2p')
    const a = await open(room, { name: 'Ada', params: 'ws=0' })
    const b = await open(room, { name: 'Grace', params: 'ws=0' })
    for (const p of [a.page, b.page]) {
      await p.locator('[data-testid=rtc-status][data-state=ok]').waitFor({ timeout: 20000 })
      assert.equal(await p.getByTestId('ws-status').getAttribute('data-state'), 'off')
    }
    await addTask(a.page, 'Sent over WebRTC')
    await typeInNotes(b.page, 0, 'no server in between')
    await task(b.page, 'Sent over WebRTC').getByTestId('task-assignee').fill('grace')
    const state = await converge([a.page, b.page])
    assert.equal(state.columns.todo[0].assignee, 'grace')
    assert.equal(state.notes, 'no server in between')
    // Nothing went through the server's rooms.
    assert.equal(await server.stored(room), null)
    await b.page.locator('[data-testid=presence-user][data-name=Ada]').waitFor()
    await screenshot(a.page, 'p2p-ada')
    noErrors(a.page, b.page)
  })
})

test('with --auth-secret, the app syncs with ?token= and stays out without one (WebRTC too)', async () => {
  const secret = 'e2e-secret-0123456789abcdef'
  await withServer(async (server, open) => {
    const room = uniqueRoom('auth')
    const token = execFileSync(WEFT, ['token', '--secret', secret, '--room', 'auth-*'], { encoding: 'utf8' }).trim()
    // Everyone with WebRTC on: a page without a token must not reach the others that way either.
    const a = await open(room, { name: 'Ada', params: `token=${token}` })
    const b = await open(room, { name: 'Mallory', params: '' })
    await waitSynced(a.page)
    await addTask(a.page, 'Only for token holders')
    const c = await open(room, { name: 'Grace', params: `token=${token}` })
    await waitSynced(c.page)
    await converge([a.page, c.page])
    await a.page.locator('[data-testid=rtc-status][data-state=ok]').waitFor({ timeout: 20000 })
    assert.equal(await a.page.getByTestId('rtc-status').getAttribute('data-peers'), '1')
    assert.notEqual(await b.page.getByTestId('ws-status').getAttribute('data-state'), 'ok')
    assert.equal(await task(b.page, 'Only for token holders').count(), 0)
    await screenshot(b.page, 'auth-no-token')
    noErrors(a.page, c.page)
  }, { env: { WEFT_AUTH_SECRET: secret } })
})
