// The web UI's one script (served as /assets/app.js; compiled by `npm run build`). It only
// enhances pages that work without it: live transfer rows over the daemon's WebSocket, the
// per-peer table and block map of a transfer refreshed, copy buttons. It talks to the daemon's
// API under /api on this origin, with the session cookie; it loads nothing from anywhere else.

interface Progress { type: 'transfer:progress', id: string, bytesDone: number, bytesTotal: number, peers: number, downRate: number, upRate: number, etaSeconds: number | null }
interface Peer { id: string, received: number, served: number, inflight: number, rttMs: number | null, downRate: number, upRate: number, banned: boolean }
type ApiEvent = Progress | { type: 'transfer:state' | 'transfer:added' | 'transfer:removed' | 'transfer:metadata' | 'hello' | 'swarm', id?: string } | { type: string, id?: string }
/** Events that change the contacts pages: a request, an acceptance, a message, a receipt, presence. */
const PEOPLE_EVENTS = new Set(['contact-request', 'contact-accepted', 'message', 'receipt', 'contact-online', 'contact-offline', 'mailbox-ready', 'introduction'])

const messages = JSON.parse(document.getElementById('oht-messages')?.textContent ?? '{}') as Record<string, string>
const msg = (key: string): string => messages[key] ?? key

function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`
}
const formatRate = (r: number): string => r < 1 ? '-' : `${formatBytes(Math.round(r))}/s`
function formatEta (seconds: number | null): string {
  if (seconds == null || !Number.isFinite(seconds)) return '-'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s % 3600 / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d${Math.floor(s % 86400 / 3600)}h`
}
const percent = (done: number, total: number): string => total <= 0 ? '-' : `${Math.floor(Math.min(1, done / total) * 100)}%`

function setText (row: Element, field: string, text: string): void {
  const el = row.querySelector(`[data-f="${field}"]`)
  if (el != null && el.textContent !== text) el.textContent = text
}

function onProgress (e: Progress): void {
  const row = document.querySelector(`tr[data-transfer="${CSS.escape(e.id)}"]`)
  if (row == null) return
  const bar = row.querySelector<HTMLProgressElement>('[data-f="bar"]')
  if (bar != null) { bar.max = Math.max(1, e.bytesTotal); bar.value = e.bytesDone }
  setText(row, 'percent', percent(e.bytesDone, e.bytesTotal))
  setText(row, 'bytes', `${formatBytes(e.bytesDone)} / ${formatBytes(e.bytesTotal)}`)
  setText(row, 'down', formatRate(e.downRate))
  setText(row, 'up', formatRate(e.upRate))
  setText(row, 'eta', formatEta(e.etaSeconds))
  setText(row, 'peers', String(e.peers))
}

// A form the user has begun to change (a file unticked, a field typed in) is marked, so that a
// refresh keeps it instead of its fresh copy: an event arriving meanwhile must not undo the edit.
const markDirty = (e: Event): void => { (e.target as Element | null)?.closest?.('form')?.setAttribute('data-dirty', '') }
document.addEventListener('input', markDirty)
document.addEventListener('change', markDirty)

/**
 * The page as the server renders it now, swapped in: states, buttons and new rows in one go.
 * `part` limits the swap to one element (the contacts pages keep a message being typed).
 */
let refreshing: Promise<void> | undefined
let again = false
function refresh (part = 'main'): void {
  if (refreshing != null) { again = true; return }
  refreshing = (async () => {
    const answer = await fetch(location.pathname + location.search, { credentials: 'same-origin' })
    if (!answer.ok) return
    const next = new DOMParser().parseFromString(await answer.text(), 'text/html').querySelector(part)
    const current = document.querySelector(part)
    if (next == null || current == null) return
    for (const dirty of current.querySelectorAll('form[data-dirty]')) {
      const action = dirty.getAttribute('action')
      next.querySelector(`form[action="${CSS.escape(action ?? '')}"]`)?.replaceWith(dirty)
    }
    current.replaceWith(next)
  })().catch(() => {}).finally(() => {
    refreshing = undefined
    if (again) { again = false; refresh(part) }
  })
}

function peerRow (p: Peer): HTMLTableRowElement {
  const tr = document.createElement('tr')
  if (p.banned) tr.className = 'banned'
  const cells = [p.id.slice(0, 16), formatRate(p.downRate), formatRate(p.upRate), formatBytes(p.received), formatBytes(p.served), String(p.inflight), p.rttMs != null ? `${Math.round(p.rttMs)} ms` : '-']
  cells.forEach((text, i) => {
    const td = document.createElement('td')
    if (i === 0) { const code = document.createElement('code'); code.textContent = text; td.append(code) } else { td.className = 'num'; td.textContent = text }
    tr.append(td)
  })
  return tr
}

/** A transfer's detail page: its peers and block map, asked for every second. */
function pollDetail (id: string): void {
  const tick = async (): Promise<void> => {
    const answer = await fetch(`/api/v0/transfers/${encodeURIComponent(id)}?cells=256`, { credentials: 'same-origin' })
    if (!answer.ok) return
    const { transfer } = await answer.json() as { transfer: { blockMap: string, peerList: Peer[] } }
    const map = document.getElementById('blockmap')
    if (map != null && map.textContent !== transfer.blockMap) map.textContent = transfer.blockMap
    const body = document.querySelector('#peers tbody')
    if (body == null) return
    if (transfer.peerList.length === 0) {
      const tr = document.createElement('tr')
      const td = document.createElement('td')
      td.colSpan = 7
      td.textContent = msg('transfers.noPeers')
      tr.append(td)
      body.replaceChildren(tr)
    } else body.replaceChildren(...transfer.peerList.map(peerRow))
  }
  setInterval(() => { void tick().catch(() => {}) }, 1000)
}

function live (): void {
  const table = document.querySelector<HTMLElement>('[data-live]')
  if (table == null) return
  const id = table.dataset.live === 'one' ? table.dataset.id : undefined
  const connect = (delay: number): void => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v0/events${id != null ? `?transfer=${encodeURIComponent(id)}` : ''}`)
    document.body.dataset.live = 'connecting'
    ws.onopen = () => { document.body.dataset.live = 'open'; delay = 1000 }
    ws.onmessage = m => {
      const e = JSON.parse(String(m.data)) as ApiEvent
      if (e.type === 'transfer:progress') onProgress(e as Progress)
      else if (e.type === 'transfer:state' || e.type === 'transfer:added' || e.type === 'transfer:removed' || e.type === 'transfer:metadata') refresh()
      else if (table.dataset.live === 'people' && PEOPLE_EVENTS.has(e.type)) refresh('[data-live="people"]')
      else if (table.dataset.live === 'channels' && e.type.startsWith('channel-')) refresh('[data-live="channels"]')
    }
    ws.onclose = () => { document.body.dataset.live = 'closed'; setTimeout(() => { connect(Math.min(delay * 2, 30_000)) }, delay) }
  }
  connect(1000)
  if (id != null) pollDetail(id)
}

function copyButtons (): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.copy[data-copy]')) {
    button.hidden = false
    button.addEventListener('click', () => {
      const text = button.dataset.copy ?? ''
      const done = (): void => { button.textContent = msg('shares.copied'); button.dataset.copied = 'true' }
      if (navigator.clipboard != null) navigator.clipboard.writeText(text).then(done, () => {})
    })
  }
}

copyButtons()
live()

export {}
