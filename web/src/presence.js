// Presence through awareness: each client publishes
//   { user: { name, color }, editing: null | 'notes' | 'task:<id>' }
// and this module shows everyone in the room (header list) and lets the
// user rename themselves. Board cards and the notes pane show `editing`.

const NAMES = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Margaret', 'Niklaus', 'Radia']
const COLORS = ['#e5484d', '#f76b15', '#ffb224', '#30a46c', '#12a594', '#0090ff', '#3e63dd', '#8e4ec6', '#d6409f', '#978365']

export function localUser () {
  let name = localStorage.getItem('weft:name')
  let color = localStorage.getItem('weft:color')
  if (!name) {
    name = NAMES[Math.floor(Math.random() * NAMES.length)]
    localStorage.setItem('weft:name', name)
  }
  if (!color) {
    color = COLORS[Math.floor(Math.random() * COLORS.length)]
    localStorage.setItem('weft:color', color)
  }
  return { name, color }
}

// The awareness states of everyone in the room, this client first.
export function peopleHere (awareness) {
  const out = []
  awareness.getStates().forEach((state, clientId) => {
    if (state && state.user) out.push({ clientId, self: clientId === awareness.clientID, ...state })
  })
  return out.sort((a, b) => (b.self - a.self) || a.user.name.localeCompare(b.user.name))
}

export function initials (name) {
  return name.trim().split(/\s+/).map((w) => w[0]).join('').slice(0, 2).toUpperCase() || '?'
}

export function avatar (person, small = false) {
  const el = document.createElement('span')
  el.className = small ? 'avatar small' : 'avatar'
  el.style.background = person.user.color
  el.textContent = initials(person.user.name)
  el.title = person.self ? `${person.user.name} (you)` : person.user.name
  return el
}

function describe (editing) {
  if (!editing) return 'here'
  if (editing === 'notes') return 'editing notes'
  if (editing.startsWith('task:')) return 'editing a task'
  return 'here'
}

export function mountPresence ({ awareness, user }) {
  const list = document.querySelector('[data-testid=presence-list]')
  const nameInput = document.querySelector('[data-testid=user-name]')
  const swatch = document.querySelector('[data-testid=my-color]')
  nameInput.value = user.name
  swatch.style.background = user.color

  nameInput.addEventListener('input', () => {
    const name = nameInput.value.trim() || 'Anonymous'
    localStorage.setItem('weft:name', name)
    awareness.setLocalStateField('user', { ...awareness.getLocalState().user, name })
  })

  const render = () => {
    list.replaceChildren(...peopleHere(awareness).map((p) => {
      const li = document.createElement('li')
      li.dataset.testid = 'presence-user'
      li.dataset.name = p.user.name
      li.append(avatar(p))
      const label = document.createElement('span')
      label.className = 'who'
      label.innerHTML = '<b></b><small></small>'
      label.querySelector('b').textContent = p.self ? `${p.user.name} (you)` : p.user.name
      label.querySelector('small').textContent = describe(p.editing)
      li.append(label)
      return li
    }))
  }
  awareness.on('change', render)
  render()
}
