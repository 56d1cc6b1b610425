// The status bar: network, server connection, sync, WebRTC peers, local copy.
// Each pill carries data-state for styling and tests.

function set (testid, state, text) {
  const el = document.querySelector(`[data-testid=${testid}]`)
  el.dataset.state = state
  el.textContent = text
}

export function mountStatus ({ ws, rtc, local, useWs, useRtc }) {
  const net = () => navigator.onLine ? set('net-status', 'ok', 'online') : set('net-status', 'bad', 'offline')
  window.addEventListener('online', net)
  window.addEventListener('offline', net)
  net()

  if (ws) {
    const status = (s) => {
      const text = { connected: 'server', connecting: 'connecting…', disconnected: 'server unreachable' }
      set('ws-status', s === 'connected' ? 'ok' : s === 'connecting' ? 'wait' : 'bad', text[s] || s)
      if (s !== 'connected') set('sync-status', 'wait', 'not synced')
    }
    ws.on('status', ({ status: s }) => status(s))
    ws.on('sync', (synced) => set('sync-status', synced ? 'ok' : 'wait', synced ? 'synced' : 'syncing…'))
    status(ws.wsconnected ? 'connected' : 'connecting')
    set('sync-status', 'wait', 'syncing…')
  } else {
    set('ws-status', 'off', useWs ? '' : 'server off')
    set('sync-status', 'off', 'no server sync')
  }

  if (rtc) {
    let peers = 0
    const render = () => {
      const signaling = rtc.signalingConns.some((c) => c.connected)
      set('rtc-status', peers > 0 ? 'ok' : signaling ? 'wait' : 'bad',
        `P2P ${peers} peer${peers === 1 ? '' : 's'}${signaling ? '' : ' (no signaling)'}`)
      document.querySelector('[data-testid=rtc-status]').dataset.peers = String(peers)
    }
    rtc.on('peers', ({ webrtcPeers }) => { peers = webrtcPeers.length; render() })
    setInterval(render, 1000)
    render()
  } else {
    set('rtc-status', 'off', useRtc ? '' : 'P2P off')
  }

  set('local-status', 'wait', 'loading local copy…')
  local.whenSynced.then(() => set('local-status', 'ok', 'saved locally'))
}
