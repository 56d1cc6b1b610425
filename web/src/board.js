// The task board. Model: doc.getArray('tasks'), a Y.Array of Y.Map, each
//   { id, title, status: 'todo' | 'doing' | 'done', assignee, done, rank }
// A column shows its tasks sorted by rank (a number; ties broken by id).
// Moving a task (drag and drop, or the arrow buttons) only sets its status
// and a rank between its new neighbours: the map itself never moves, so two
// people moving the same task at once end with one task (last move wins),
// and an edit to its title made meanwhile is kept. Tasks stored without a
// rank (older boards) rank by their array index.
//
// Rendering is keyed by task id: cards and their inputs are reused, so an
// input being typed in keeps its focus and caret while others edit.
import * as Y from 'yjs'
import { peopleHere, avatar } from './presence.js'

export const COLUMNS = [
  { id: 'todo', title: 'To do' },
  { id: 'doing', title: 'Doing' },
  { id: 'done', title: 'Done' }
]

const FIELDS = ['id', 'title', 'status', 'assignee', 'done', 'rank']

function newId () {
  return Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4)
}

function makeTask (fields) {
  const m = new Y.Map()
  for (const k of FIELDS) if (fields[k] !== undefined) m.set(k, fields[k])
  return m
}

function indexOfTask (tasks, id) {
  let i = 0
  for (const t of tasks) {
    if (t.get('id') === id) return i
    i++
  }
  return -1
}

// The tasks of column `status` in board order, as { id, rank, task }.
export function columnTasks (tasks, status) {
  const out = []
  tasks.forEach((task, index) => {
    if ((task.get('status') || 'todo') !== status) return
    const rank = task.get('rank')
    out.push({ id: task.get('id'), rank: typeof rank === 'number' ? rank : index, task })
  })
  return out.sort((x, y) => x.rank - y.rank || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
}

function lastRank (tasks) {
  let max = 0
  tasks.forEach((task, index) => {
    const rank = task.get('rank')
    max = Math.max(max, typeof rank === 'number' ? rank : index)
  })
  return max
}

export function addTask (tasks, { title, status = 'todo', assignee = '' }) {
  const task = makeTask({ id: newId(), title, status, assignee, done: status === 'done', rank: lastRank(tasks) + 1 })
  tasks.push([task])
  return task.get('id')
}

// Moves task `id` to column `status`, before task `beforeId` (or to the end
// of that column when beforeId is null).
export function moveTask (tasks, id, status, beforeId = null) {
  if (id === beforeId) return
  tasks.doc.transact(() => {
    const index = indexOfTask(tasks, id)
    if (index < 0) return
    const task = tasks.get(index)
    const column = columnTasks(tasks, status).filter((t) => t.id !== id)
    let at = beforeId ? column.findIndex((t) => t.id === beforeId) : -1
    if (at < 0) at = column.length
    const prev = column[at - 1]
    const next = column[at]
    const rank = prev && next ? (prev.rank + next.rank) / 2 : prev ? prev.rank + 1 : next ? next.rank - 1 : lastRank(tasks) + 1
    const wasDone = task.get('status') === 'done'
    task.set('status', status)
    task.set('rank', rank)
    if (status === 'done') task.set('done', true)
    else if (wasDone) task.set('done', false)
  })
}

export function mountBoard ({ tasks, awareness }) {
  const columnsEl = document.querySelector('[data-testid=columns]')
  const form = document.querySelector('[data-testid=new-task-form]')
  const titleInput = document.querySelector('[data-testid=new-task-title]')
  const columnSelect = document.querySelector('[data-testid=new-task-column]')
  const cards = new Map() // task id -> card element
  const lists = {}

  for (const col of COLUMNS) {
    const section = document.createElement('div')
    section.className = 'column'
    section.dataset.column = col.id
    section.dataset.testid = `column-${col.id}`
    section.innerHTML = '<h2><span class="title"></span><span class="count"></span></h2><ul class="cards"></ul>'
    section.querySelector('.title').textContent = col.title
    const list = section.querySelector('.cards')
    list.dataset.testid = `cards-${col.id}`
    lists[col.id] = list
    wireDrop(list, col.id)
    columnsEl.append(section)
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const title = titleInput.value.trim()
    if (!title) return
    addTask(tasks, { title, status: columnSelect.value })
    titleInput.value = ''
  })

  function wireDrop (list, status) {
    list.addEventListener('dragover', (e) => {
      if (!e.dataTransfer.types.includes('application/x-weft-task')) return
      e.preventDefault()
      e.dataTransfer.dropEffect = 'move'
      list.classList.add('drop-target')
      const before = cardBelow(list, e.clientY)
      for (const c of list.children) c.classList.toggle('insert-before', c === before)
    })
    list.addEventListener('dragleave', (e) => {
      if (!list.contains(e.relatedTarget)) clearDropMarks()
    })
    list.addEventListener('drop', (e) => {
      e.preventDefault()
      const id = e.dataTransfer.getData('application/x-weft-task')
      const before = cardBelow(list, e.clientY)
      clearDropMarks()
      if (id) moveTask(tasks, id, status, before ? before.dataset.taskId : null)
    })
  }

  function clearDropMarks () {
    for (const list of Object.values(lists)) {
      list.classList.remove('drop-target')
      for (const c of list.children) c.classList.remove('insert-before')
    }
  }

  // The first card whose middle is below y (the drop goes before it).
  function cardBelow (list, y) {
    for (const card of list.children) {
      if (card.classList.contains('dragging')) continue
      const r = card.getBoundingClientRect()
      if (y < r.top + r.height / 2) return card
    }
    return null
  }

  function setField (id, key, value) {
    const i = indexOfTask(tasks, id)
    if (i >= 0 && tasks.get(i).get(key) !== value) tasks.get(i).set(key, value)
  }

  function createCard (id) {
    const li = document.createElement('li')
    li.className = 'card'
    li.draggable = true
    li.dataset.testid = 'task'
    li.dataset.taskId = id
    li.innerHTML = `
      <div class="card-top">
        <input type="checkbox" data-testid="task-done" aria-label="Done" />
        <textarea class="task-title" data-testid="task-title" aria-label="Title" maxlength="200" rows="1"></textarea>
        <button type="button" class="icon" data-testid="task-delete" title="Delete task">✕</button>
      </div>
      <div class="card-bottom">
        <label class="assignee">@<input data-testid="task-assignee" placeholder="unassigned" aria-label="Assignee" maxlength="40" /></label>
        <span class="editors" data-testid="task-editors"></span>
        <span class="moves">
          <button type="button" class="icon" data-testid="task-left" title="Move to the previous column">←</button>
          <button type="button" class="icon" data-testid="task-right" title="Move to the next column">→</button>
        </span>
      </div>`
    const q = (t) => li.querySelector(`[data-testid=${t}]`)
    // A title is one line: Enter finishes editing (the textarea only wraps long titles).
    q('task-title').addEventListener('input', (e) => setField(id, 'title', e.target.value.replace(/\n/g, ' ')))
    q('task-title').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault()
        e.target.blur()
      }
    })
    q('task-assignee').addEventListener('input', (e) => setField(id, 'assignee', e.target.value))
    q('task-done').addEventListener('change', (e) => setField(id, 'done', e.target.checked))
    q('task-delete').addEventListener('click', () => {
      const i = indexOfTask(tasks, id)
      if (i >= 0) tasks.delete(i, 1)
    })
    const step = (d) => {
      const i = indexOfTask(tasks, id)
      if (i < 0) return
      const at = COLUMNS.findIndex((c) => c.id === tasks.get(i).get('status'))
      const next = COLUMNS[at + d]
      if (next) moveTask(tasks, id, next.id)
    }
    q('task-left').addEventListener('click', () => step(-1))
    q('task-right').addEventListener('click', () => step(1))
    li.addEventListener('focusin', () => awareness.setLocalStateField('editing', `task:${id}`))
    li.addEventListener('focusout', (e) => {
      if (!li.contains(e.relatedTarget)) awareness.setLocalStateField('editing', null)
    })
    li.addEventListener('dragstart', (e) => {
      if (e.target !== li) return
      e.dataTransfer.setData('application/x-weft-task', id)
      e.dataTransfer.effectAllowed = 'move'
      li.classList.add('dragging')
    })
    li.addEventListener('dragend', () => {
      li.classList.remove('dragging')
      clearDropMarks()
    })
    return li
  }

  function updateInput (input, value) {
    // The focused input is the user's: a remote value replaces it, but the
    // caret stays where it was (clamped).
    if (input.value === value) return
    if (document.activeElement === input) {
      const { selectionStart: s, selectionEnd: e } = input
      input.value = value
      input.setSelectionRange(Math.min(s, value.length), Math.min(e, value.length))
    } else {
      input.value = value
    }
  }

  function render () {
    const seen = new Set()
    const byColumn = Object.fromEntries(COLUMNS.map((c) => [c.id, []]))
    const ordered = []
    tasks.forEach((t, index) => {
      const rank = t.get('rank')
      ordered.push({ t, rank: typeof rank === 'number' ? rank : index, id: t.get('id') })
    })
    ordered.sort((x, y) => x.rank - y.rank || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    ordered.forEach(({ t }) => {
      const id = t.get('id')
      if (!id || seen.has(id)) return
      seen.add(id)
      const status = byColumn[t.get('status')] ? t.get('status') : 'todo'
      let card = cards.get(id)
      if (!card) {
        card = createCard(id)
        cards.set(id, card)
      }
      updateInput(card.querySelector('[data-testid=task-title]'), t.get('title') || '')
      updateInput(card.querySelector('[data-testid=task-assignee]'), t.get('assignee') || '')
      card.querySelector('[data-testid=task-done]').checked = !!t.get('done')
      card.classList.toggle('is-done', !!t.get('done'))
      card.dataset.status = status
      card.dataset.title = t.get('title') || ''
      card.querySelector('[data-testid=task-left]').disabled = status === COLUMNS[0].id
      card.querySelector('[data-testid=task-right]').disabled = status === COLUMNS[COLUMNS.length - 1].id
      byColumn[status].push(card)
    })
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.remove()
        cards.delete(id)
      }
    }
    for (const col of COLUMNS) {
      const list = lists[col.id]
      const want = byColumn[col.id]
      // Move only what is out of place, so focused inputs stay in the DOM.
      want.forEach((card, i) => {
        if (list.children[i] !== card) list.insertBefore(card, list.children[i] || null)
      })
      while (list.children.length > want.length) list.lastElementChild.remove()
      list.closest('.column').querySelector('.count').textContent = String(want.length)
      list.classList.toggle('empty', want.length === 0)
    }
    renderEditors()
  }

  function renderEditors () {
    const byTask = new Map()
    for (const p of peopleHere(awareness)) {
      if (p.self || !p.editing || !p.editing.startsWith('task:')) continue
      const id = p.editing.slice(5)
      if (!byTask.has(id)) byTask.set(id, [])
      byTask.get(id).push(p)
    }
    for (const [id, card] of cards) {
      const people = byTask.get(id) || []
      card.querySelector('[data-testid=task-editors]').replaceChildren(...people.map((p) => avatar(p, true)))
      card.classList.toggle('being-edited', people.length > 0)
      card.style.setProperty('--editor-color', people[0] ? people[0].user.color : 'transparent')
    }
    const notesEditors = peopleHere(awareness).filter((p) => !p.self && p.editing === 'notes')
    const el = document.querySelector('[data-testid=notes-editors]')
    el.replaceChildren(...notesEditors.map((p) => avatar(p, true)))
    if (notesEditors.length) {
      el.append(` ${notesEditors.map((p) => p.user.name).join(', ')} ${notesEditors.length === 1 ? 'is' : 'are'} typing`)
    }
  }

  tasks.observeDeep(render)
  awareness.on('change', renderEditors)
  render()
}
