// The dashboard's screen (Ink + React, without JSX: Node's type stripping has none). Every line
// is cut to the terminal width so nothing wraps; the space is shared out by the terminal height
// (80×24 shows a few transfers, a 3-line block map and a few peers; a larger terminal shows more).
import React, { useCallback, useEffect, useState, useSyncExternalStore } from 'react'
import { Box, Text, useApp, useInput, useWindowSize } from 'ink'
import type { TransferDetail, TransferInfo, TransferState } from '../../src/node/transfers/transfers.ts'
import type { DashboardData, DashboardSource } from './source.ts'
import { bar, cell, formatEta, percent, shortBytes, shortRate, wrapMap } from './format.ts'
import { t } from '../i18n/index.ts'

const h = React.createElement
const TAG_BYTES = 16

type Mode = { kind: 'list' } | { kind: 'help' } | { kind: 'confirmCancel', id: string } | { kind: 'files', id: string, cursor: number, priorities: Record<string, string> }

export interface DashboardProps {
  source: DashboardSource
  /** Terminal size; the real terminal's when omitted. */
  width?: number
  height?: number
  onQuit?: () => void
}

export interface Layout { listRows: number, mapRows: number, peerRows: number }

/**
 * How the height is shared: header 2, table head 1, transfers, map title 1, block map, peer
 * head 1, peers, footer 1. The map may take up to `maxMapRows` (its cells are asked for that
 * size) but uses only the lines its blocks need; the peers get the rest.
 */
export function layoutFor (height: number, transfers: number, mapCells?: number, mapWidth = 78): Layout & { maxMapRows: number } {
  const rest = Math.max(3, height - 6)
  const listRows = Math.max(1, Math.min(Math.max(1, transfers), Math.max(3, Math.floor(rest * 0.4))))
  const maxMapRows = Math.max(1, Math.min(rest - listRows - 1, Math.floor(rest * 0.4)))
  const mapRows = mapCells == null || mapCells === 0 ? Math.min(maxMapRows, 1) : Math.max(1, Math.min(maxMapRows, Math.ceil(mapCells / Math.max(1, mapWidth))))
  const peerRows = Math.max(1, rest - listRows - mapRows)
  return { listRows, mapRows, peerRows, maxMapRows }
}

interface Columns { name: number, size: number, bar: number, pct: number, down: number, up: number, eta: number, peers: number, state: number }

export function columnsFor (width: number): Columns {
  const size = 8
  const pct = 4
  const down = 10
  const up = width >= 100 ? 10 : 0
  const eta = 7
  const peers = 3
  const state = 9
  const barW = width >= 70 ? Math.min(30, 8 + Math.floor((width - 70) / 4)) : 0
  const separators = 2 + 7 + (up > 0 ? 1 : 0) + (barW > 0 ? 1 : 0)
  const name = Math.max(6, width - separators - size - pct - down - up - eta - peers - state - barW)
  return { name, size, bar: barW, pct, down, up, eta, peers, state }
}

const STATE_COLOR: Record<TransferState, string> = { fetching: 'cyan', paused: 'yellow', seeding: 'green', complete: 'green', failed: 'red', cancelled: 'gray' }

function transferRow (tr: TransferInfo, c: Columns): string {
  const done = tr.state === 'complete' || tr.state === 'seeding'
  const frac = tr.bytesTotal > 0 ? tr.bytesDone / tr.bytesTotal : done ? 1 : 0
  const parts = [
    cell(tr.name ?? tr.shareId.slice(0, 16), c.name),
    cell(tr.bytesTotal > 0 ? shortBytes(tr.bytesTotal) : '?', c.size, 'right'),
    ...(c.bar > 0 ? [bar(frac, c.bar)] : []),
    cell(tr.bytesTotal > 0 || done ? percent(done ? 1 : tr.bytesDone, done ? 1 : tr.bytesTotal) : '  -', c.pct, 'right'),
    cell(tr.state === 'fetching' ? shortRate(tr.downRate) : '-', c.down, 'right'),
    ...(c.up > 0 ? [cell(tr.state === 'fetching' || tr.state === 'seeding' ? shortRate(tr.upRate) : '-', c.up, 'right')] : []),
    cell(tr.state === 'fetching' ? formatEta(tr.etaSeconds) : '-', c.eta, 'right'),
    cell(String(tr.peerCount), c.peers, 'right'),
    cell(t(tr.kind === 'stream' && tr.state === 'fetching' ? 'dashboard.state.streaming' : `dashboard.state.${tr.state}`), c.state)
  ]
  return parts.join(' ')
}

function headerRow (c: Columns): string {
  return [
    cell(t('dashboard.col.name'), c.name),
    cell(t('dashboard.col.size'), c.size, 'right'),
    ...(c.bar > 0 ? [cell(t('dashboard.col.progress'), c.bar)] : []),
    cell('%', c.pct, 'right'),
    cell(t('dashboard.col.down'), c.down, 'right'),
    ...(c.up > 0 ? [cell(t('dashboard.col.up'), c.up, 'right')] : []),
    cell(t('dashboard.col.eta'), c.eta, 'right'),
    cell(t('dashboard.col.peers'), c.peers, 'right'),
    cell(t('dashboard.col.state'), c.state)
  ].join(' ')
}

function peerLines (d: TransferDetail, width: number, rows: number, transport: string): string[] {
  const idW = 12
  const kindW = 5
  const rateW = 10
  const givenW = 7
  const flightW = 4
  const stateW = Math.max(8, width - 2 - idW - kindW - rateW * 2 - givenW - flightW - 6)
  const head = '  ' + [cell(t('dashboard.peer.id'), idW), cell(t('dashboard.peer.kind'), kindW), cell(t('dashboard.col.down'), rateW, 'right'), cell(t('dashboard.col.up'), rateW, 'right'),
    cell(t('dashboard.peer.given'), givenW, 'right'), cell(t('dashboard.peer.inflight'), flightW, 'right'), cell(t('dashboard.peer.state'), stateW)].join(' ')
  const blockBytes = d.blockSize > 0 ? d.blockSize + TAG_BYTES : 0
  const peers = [...d.peerList].sort((a, b) => b.downRate - a.downRate || b.received - a.received)
  const lines = peers.slice(0, rows).map(p => {
    const flags = [p.banned ? t('dashboard.peer.banned') : null, p.peerChoking ? t('dashboard.peer.chokesUs') : null, p.amChoking ? t('dashboard.peer.choked') : t('dashboard.peer.unchoked')].filter(x => x != null).join(',')
    return '  ' + [cell(p.id.slice(0, idW), idW), cell(transport, kindW), cell(shortRate(p.downRate), rateW, 'right'), cell(shortRate(p.upRate), rateW, 'right'),
      cell(blockBytes > 0 ? String(Math.round(p.received / blockBytes)) : '-', givenW, 'right'), cell(String(p.inflight), flightW, 'right'), cell(flags, stateW)].join(' ')
  })
  if (peers.length > rows && lines.length > 0) lines[lines.length - 1] = `  ${t('dashboard.peer.more', { count: peers.length - rows + 1 })}`
  for (const id of d.bannedPeers) {
    if (lines.length >= rows) break
    if (!d.peerList.some(p => p.id === id)) lines.push('  ' + [cell(id.slice(0, idW), idW), cell(transport, kindW), cell(t('dashboard.peer.banned'), rateW * 2 + givenW + flightW + stateW + 4)].join(' '))
  }
  if (lines.length === 0) lines.push(`  ${t('dashboard.peer.none')}`)
  return [head, ...lines]
}

function statusLine (data: DashboardData): string {
  const st = data.status
  if (st == null) return t('dashboard.connecting')
  const parts = [t('dashboard.node', { id: st.nodeId.slice(0, 12) })]
  parts.push(st.address != null ? t('dashboard.listening', { transport: st.transport ?? '?', address: st.address }) : t('dashboard.notListening'))
  if (st.tor != null) parts.push(t('dashboard.tor', { percent: st.tor.bootstrap }))
  if (st.dht != null) parts.push(t('dashboard.dht', { nodes: st.dht.nodes }))
  if (st.broken != null && st.broken.length > 0) parts.push(t('dashboard.broken', { names: st.broken.map(b => b.name).join(', ') }))
  return parts.join('  ')
}

function totalsLine (data: DashboardData): string {
  const active = data.transfers.filter(x => x.state === 'fetching')
  const down = active.reduce((n, x) => n + x.downRate, 0)
  const up = active.reduce((n, x) => n + x.upRate, 0)
  return [
    t('dashboard.totals', { count: data.transfers.length, active: active.length, down: shortRate(down), up: shortRate(up) }),
    data.connected ? t('dashboard.live') : t('dashboard.disconnected')
  ].join('  ')
}

export function Dashboard ({ source, width, height, onQuit }: DashboardProps): React.ReactElement {
  const subscribe = useCallback((listener: () => void) => source.subscribe(listener), [source])
  const data = useSyncExternalStore(subscribe, () => source.get())
  const size = useWindowSize()
  const W = Math.max(40, width ?? size.columns)
  const H = Math.max(12, height ?? size.rows)
  const { exit } = useApp()
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined)
  const [mode, setMode] = useState<Mode>({ kind: 'list' })
  const [message, setMessage] = useState<string | undefined>(undefined)

  const transfers = data.transfers
  const index = Math.max(0, transfers.findIndex(x => x.id === selectedId))
  const selected = transfers[index]
  const mapWidth = W - 2
  const shownDetail = data.detail?.id === selected?.id ? data.detail : undefined
  const layout = layoutFor(H, transfers.length, shownDetail?.blockMap.length, mapWidth)

  useEffect(() => { source.focus(selected?.id, mapWidth * layout.maxMapRows) }, [source, selected?.id, mapWidth, layout.maxMapRows])

  const quit = (): void => { onQuit?.(); exit() }

  useInput((input, key) => {
    if (mode.kind === 'help') { setMode({ kind: 'list' }); return }
    if (mode.kind === 'confirmCancel') {
      // Only y confirms, in every locale: j is also "down", and one stray key must not cancel.
      if (input === 'y' || input === 'Y') {
        setMessage(t('dashboard.cancelled'))
        void source.cancel(mode.id)
      }
      setMode({ kind: 'list' })
      return
    }
    if (mode.kind === 'files') {
      const files = selected?.files ?? []
      if (key.escape) { setMode({ kind: 'list' }); return }
      if (key.upArrow || input === 'k') { setMode({ ...mode, cursor: Math.max(0, mode.cursor - 1) }); return }
      if (key.downArrow || input === 'j') { setMode({ ...mode, cursor: Math.min(files.length - 1, mode.cursor + 1) }); return }
      if (input === ' ') {
        const f = files[mode.cursor]
        if (f == null) return
        const now = mode.priorities[f.path] ?? f.priority
        setMode({ ...mode, priorities: { ...mode.priorities, [f.path]: now === 'skip' ? 'normal' : 'skip' } })
        return
      }
      if (key.return) {
        if (Object.keys(mode.priorities).length > 0) void source.setFilePriorities(mode.id, mode.priorities)
        setMode({ kind: 'list' })
      }
      return
    }
    if (input === 'q') { quit(); return }
    if (input === '?') { setMode({ kind: 'help' }); return }
    // Updaters, not the rendered index: keys typed faster than frames must all count.
    const move = (delta: number): void => {
      setSelectedId(prev => {
        const list = source.get().transfers
        const at = Math.max(0, list.findIndex(x => x.id === prev))
        return list[Math.max(0, Math.min(list.length - 1, at + delta))]?.id ?? prev
      })
    }
    if (key.upArrow || input === 'k') { move(-1); return }
    if (key.downArrow || input === 'j') { move(+1); return }
    if (selected == null) return
    if (input === 'p') {
      if (selected.kind === 'stream') setMessage(t('dashboard.streamNoPause'))
      else if (selected.state === 'fetching') { setMessage(t('dashboard.pausing', { name: selected.name ?? selected.id })); void source.pause(selected.id) } else if (selected.state === 'paused' || selected.state === 'failed') { setMessage(t('dashboard.resuming', { name: selected.name ?? selected.id })); void source.resume(selected.id) }
      return
    }
    if (input === 'c') { setMode({ kind: 'confirmCancel', id: selected.id }); return }
    if (input === 'f') {
      if (selected.kind === 'stream') setMessage(t('dashboard.streamNoPause'))
      else if (selected.files.length === 0) setMessage(t('dashboard.filesUnknown'))
      else setMode({ kind: 'files', id: selected.id, cursor: 0, priorities: {} })
    }
  })

  const lines: React.ReactElement[] = []
  const line = (key: string, text: string, props: Record<string, unknown> = {}): void => {
    lines.push(h(Text, { key, wrap: 'truncate', ...props }, cell(text, W)))
  }

  line('status', statusLine(data), { bold: true })
  line('totals', totalsLine(data), { dimColor: true })

  if (mode.kind === 'help') {
    const help = t('dashboard.help').split('\n')
    for (let i = 0; i < H - 3; i++) line(`help${i}`, help[i] ?? '')
    line('footer', t('dashboard.helpClose'), { inverse: true })
    return h(Box, { flexDirection: 'column', width: W, height: H }, ...lines)
  }

  const cols = columnsFor(W)
  line('thead', `  ${headerRow(cols)}`, { underline: true })
  if (transfers.length === 0) {
    line('empty', `  ${t('dashboard.empty')}`)
    for (let i = 1; i < H - 4; i++) line(`pad${i}`, '')
  } else {
    // A window of rows that keeps the selection visible.
    const first = Math.max(0, Math.min(index - Math.floor(layout.listRows / 2), transfers.length - layout.listRows))
    for (let i = 0; i < layout.listRows; i++) {
      const tr = transfers[first + i]
      if (tr == null) { line(`row${i}`, ''); continue }
      const isSelected = first + i === index
      lines.push(h(Text, { key: `row${i}`, wrap: 'truncate', inverse: isSelected },
        cell(`${isSelected ? '>' : ' '} `, 2),
        h(Text, { color: STATE_COLOR[tr.state] }, transferRow(tr, cols).slice(0, W - 2))))
    }
    const d = shownDetail
    if (mode.kind === 'files' && selected != null) {
      const files = selected.files
      const rows = layout.mapRows + layout.peerRows + 2
      line('filesTitle', t('dashboard.filesTitle'), { bold: true })
      const first = Math.max(0, Math.min(mode.cursor - Math.floor((rows - 1) / 2), files.length - (rows - 1)))
      for (let i = 0; i < rows - 1; i++) {
        const f = files[first + i]
        if (f == null) { line(`file${i}`, ''); continue }
        const priority = mode.priorities[f.path] ?? f.priority
        line(`file${i}`, `${first + i === mode.cursor ? '>' : ' '} [${priority === 'skip' ? ' ' : 'x'}] ${cell(shortBytes(f.bytes), 9, 'right')}  ${f.path}`, { inverse: first + i === mode.cursor })
      }
    } else {
      line('mapTitle', t('dashboard.mapTitle', { name: selected?.name ?? selected?.shareId.slice(0, 16) ?? '', blocks: d?.blockCount ?? 0 }), { bold: true })
      const map = d != null && d.blockMap !== '' ? wrapMap(d.blockMap, mapWidth, layout.mapRows) : [t(selected?.state === 'fetching' ? 'dashboard.mapWaiting' : 'dashboard.mapNone')]
      for (let i = 0; i < layout.mapRows; i++) line(`map${i}`, map[i] != null ? `  ${map[i]!}` : '', { color: 'green' })
      const peers = d != null ? peerLines(d, W, layout.peerRows, data.status?.transport ?? '?') : [`  ${t('dashboard.peer.none')}`]
      for (let i = 0; i <= layout.peerRows; i++) line(`peer${i}`, peers[i] ?? '', i === 0 ? { underline: true } : {})
    }
  }

  let footer = t('dashboard.keys')
  if (mode.kind === 'confirmCancel') footer = t('dashboard.confirmCancel', { name: transfers.find(x => x.id === mode.id)?.name ?? mode.id })
  else if (mode.kind === 'files') footer = t('dashboard.filesKeys')
  else if (data.error != null) footer = t('dashboard.error', { error: data.error })
  else if (message != null) footer = message
  line('footer', footer, { inverse: true })
  return h(Box, { flexDirection: 'column', width: W, height: H }, ...lines.slice(0, H))
}
