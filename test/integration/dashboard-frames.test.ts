// Rendered dashboard frames (ink-testing-library): empty, one and many transfers, 80×24 and a
// larger terminal, German, and key handling. The data comes from a fixed DashboardSource that
// records the actions the keys ask for; the real daemon path is dashboard-tmux.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import React from 'react'
import { render } from 'ink-testing-library'
import { Dashboard } from '../../cli/dashboard/view.ts'
import type { DashboardData, DashboardSource } from '../../cli/dashboard/source.ts'
import type { TransferDetail, TransferInfo } from '../../src/node/transfers/transfers.ts'
import { setLocale } from '../../cli/i18n/index.ts'

const h = React.createElement

/**
 * Waits for what the view does next (an effect ran, a frame was drawn), polled every few ms; the
 * deadline only catches a view that never does it, a slow machine only takes longer.
 */
async function until<T> (what: string, probe: () => T | undefined | false, detail: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const v = probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** Ink draws a frame on every commit (debug mode): the first frame after `count` is the key's. */
async function nextFrame (app: ReturnType<typeof render>, count: number): Promise<string> {
  return await until('the next frame', () => app.frames.length > count ? app.lastFrame()! : undefined)
}

/** Fixed data, and a log of the actions the view asked for. */
class FixedSource implements DashboardSource {
  data: DashboardData
  readonly actions: string[] = []
  readonly #listeners = new Set<() => void>()
  focused?: { id: string | undefined, cells: number }
  constructor (data: DashboardData) { this.data = data }
  get (): DashboardData { return this.data }
  subscribe (l: () => void): () => void { this.#listeners.add(l); return () => { this.#listeners.delete(l) } }
  focus (id: string | undefined, cells: number): void { this.focused = { id, cells } }
  async pause (id: string): Promise<void> { this.actions.push(`pause ${id}`) }
  async resume (id: string): Promise<void> { this.actions.push(`resume ${id}`) }
  async cancel (id: string): Promise<void> { this.actions.push(`cancel ${id}`) }
  async setFilePriorities (id: string, p: Record<string, string>): Promise<void> { this.actions.push(`files ${id} ${JSON.stringify(p)}`) }
  close (): void {}
  set (data: DashboardData): void { this.data = data; for (const l of this.#listeners) l() }
}

const status = { nodeId: 'ab'.repeat(32), address: 'tcp:127.0.0.1:4001', transport: 'tcp', daemon: true, swarms: [] }

function transfer (i: number, over: Partial<TransferInfo> = {}): TransferInfo {
  return {
    id: `t${i}`, shareId: `bafyreishare${i}`, name: `film-${i}.mkv`, output: '/tmp/out', peers: [], state: 'fetching',
    bytesDone: 512 * 1024 * 1024, bytesTotal: 1024 * 1024 * 1024, blocksHeld: 2048, blocksWanted: 4096,
    downRate: 3 * 1024 * 1024, upRate: 200 * 1024, etaSeconds: 171, peerCount: 3, resumedBlocks: 0,
    files: [{ path: `film-${i}.mkv`, bytes: 1024 * 1024 * 1024, priority: 'normal' }], addedAt: 0, ...over
  }
}

function detail (tr: TransferInfo, cells: number): TransferDetail {
  const map = Array.from({ length: cells }, (_, i) => i < cells / 2 ? '#' : i < cells / 2 + 3 ? '>' : '.').join('')
  return {
    ...tr, blockMap: map, blockCount: 4096, blockSize: 256 * 1024, bannedPeers: ['ee'.repeat(32)],
    peerList: [
      { id: 'aa'.repeat(32), received: 100 * (256 * 1024 + 16), served: 0, inflight: 8, rttMs: 40, amChoking: true, peerChoking: false, peerInterested: false, downRate: 2 * 1024 * 1024, upRate: 0, banned: false },
      { id: 'bb'.repeat(32), received: 20 * (256 * 1024 + 16), served: 5 * 1024 * 1024, inflight: 2, rttMs: 90, amChoking: false, peerChoking: true, peerInterested: true, downRate: 1024 * 1024, upRate: 200 * 1024, banned: false }
    ]
  }
}

function frameLines (frame: string | undefined): string[] {
  return (frame ?? '').split('\n')
}

/** Every line fits the width (no wrapping), and the frame is exactly `height` lines. */
function assertFits (frame: string | undefined, width: number, height: number): void {
  const lines = frameLines(frame)
  assert.equal(lines.length, height, `frame has ${lines.length} lines:\n${frame ?? ''}`)
  // eslint-disable-next-line no-control-regex
  for (const l of lines) assert.ok(l.replace(/\x1b\[[0-9;]*m/g, '').length <= width, `line wider than ${width}: ${JSON.stringify(l)}`)
}

test('empty: says how to add a transfer, shows the node', async t => {
  setLocale('en')
  const source = new FixedSource({ status, transfers: [], connected: true })
  const app = render(h(Dashboard, { source, width: 80, height: 24 }))
  t.after(() => { app.unmount() })
  const frame = app.lastFrame()
  assertFits(frame, 80, 24)
  assert.match(frame!, /node abababababab… {2}tcp tcp:127\.0\.0\.1:4001/)
  assert.match(frame!, /0 transfers \(0 active\)/)
  assert.match(frame!, /no transfers yet: oht fetch <link> --peer <address> adds one/)
  assert.match(frame!, /q quit/)
  assert.doesNotMatch(frame!, /Tor|DHT/, 'absent fields are not shown')
})

test('one transfer: row, block map and peer table in 80×24', async t => {
  setLocale('en')
  const tr = transfer(1)
  const source = new FixedSource({ status: { ...status, tor: { bootstrap: 85, summary: 'loading relay descriptors' }, dht: { nodes: 42 } }, transfers: [tr], connected: true })
  const app = render(h(Dashboard, { source, width: 80, height: 24 }))
  t.after(() => { app.unmount() })
  await until('the detail to be asked for', () => source.focused)
  assert.equal(source.focused?.id, 't1', 'the only transfer is selected and its detail asked for')
  const cells = source.focused!.cells
  assert.ok(cells >= 78 && cells % 78 === 0, `map cells fill whole lines: ${cells}`)
  const drawn = app.frames.length
  source.set({ ...source.data, detail: detail(tr, cells) })
  const frame = await nextFrame(app, drawn)
  assertFits(frame, 80, 24)
  assert.match(frame, /Tor 85%/)
  assert.match(frame, /DHT 42 nodes/)
  assert.match(frame, /> film-1\.mkv +1\.00GiB \[#+-+\] +50% +3\.00MiB\/s +2m51s +3 fetching/)
  assert.match(frame, /blocks of film-1\.mkv \(4096\)/)
  assert.match(frame, /^ {2}#{39}>>>\.+$/m)
  assert.match(frame, /aaaaaaaaaaaa tcp +2\.00MiB\/s +- +100 +8 choked/)
  assert.match(frame, /bbbbbbbbbbbb tcp +1\.00MiB\/s +200KiB\/s +20 +2 chokes us,unchoked/)
  assert.match(frame, /eeeeeeeeeeee tcp +banned/)
})

test('many transfers: a window that follows the selection; a large terminal shows more', async t => {
  setLocale('en')
  const transfers = Array.from({ length: 30 }, (_, i) => transfer(i, i % 3 === 1 ? { state: 'paused' } : i % 3 === 2 ? { state: 'complete', bytesDone: 1024 * 1024 * 1024 } : {}))
  const source = new FixedSource({ status, transfers, connected: false })
  const small = render(h(Dashboard, { source, width: 80, height: 24 }))
  t.after(() => { small.unmount() })
  let frame = small.lastFrame()!
  assertFits(frame, 80, 24)
  assert.match(frame, /30 transfers \(10 active\)/)
  assert.match(frame, /reconnecting/)
  const shown = frameLines(frame).filter(l => /film-\d+\.mkv +1\.00GiB/.test(l)).length
  assert.ok(shown >= 3 && shown < 30, `a window of the list: ${shown} rows`)
  assert.match(frame, /> film-0\.mkv/)
  for (let i = 0; i < 20; i++) small.stdin.write('j')
  frame = await until('the selection to reach film-20', () => { const f = small.lastFrame()!; return f.includes('> film-20.mkv') ? f : undefined }, () => small.lastFrame()!)
  await until('the detail of t20 to be asked for', () => source.focused?.id === 't20')
  assert.match(frame, /> film-20\.mkv/, 'the window follows the selection')
  assert.doesNotMatch(frame, /film-0\.mkv/)
  assert.equal(source.focused?.id, 't20')

  const large = render(h(Dashboard, { source, width: 160, height: 50 }))
  t.after(() => { large.unmount() })
  const big = large.lastFrame()!
  assertFits(big, 160, 50)
  const bigRows = frameLines(big).filter(l => /film-\d+\.mkv +1\.00GiB/.test(l)).length
  assert.ok(bigRows > shown, `more rows in a larger terminal: ${bigRows} vs ${shown}`)
  assert.match(big, / UP /, 'an upload column when there is room')
  assert.match(big, /paused/)
  assert.match(big, /done/)
})

test('keys: select, pause/resume, cancel asks first, file priorities, help, quit', async t => {
  setLocale('en')
  const a = transfer(1)
  const b = transfer(2, { state: 'paused', files: [{ path: 'album/a.flac', bytes: 1000, priority: 'normal' }, { path: 'album/b.flac', bytes: 2000, priority: 'normal' }] })
  const source = new FixedSource({ status, transfers: [a, b], connected: true })
  let quit = false
  const app = render(h(Dashboard, { source, width: 80, height: 24, onQuit: () => { quit = true } }))
  t.after(() => { app.unmount() })
  // Every key below changes what is shown (a mode, the selection, a message): wait for its frame.
  const key = async (k: string): Promise<string> => { const drawn = app.frames.length; app.stdin.write(k); return await nextFrame(app, drawn) }

  await key('p')
  assert.deepEqual(source.actions, ['pause t1'])
  await key('\u001B[B') // arrow down
  assert.equal(source.focused?.id, 't2')
  await key('p')
  assert.deepEqual(source.actions.slice(-1), ['resume t2'])

  let frame = await key('c')
  assert.match(frame, /cancel film-2\.mkv\? y = yes/)
  await key('n')
  assert.equal(source.actions.filter(x => x.startsWith('cancel')).length, 0, 'n keeps it')
  await key('c')
  await key('j') // "down" elsewhere: never a yes
  assert.equal(source.actions.filter(x => x.startsWith('cancel')).length, 0, 'j keeps it')
  await key('c')
  await key('y')
  assert.deepEqual(source.actions.slice(-1), ['cancel t2'])

  frame = await key('f')
  assert.match(frame, /\[x\] +1000B +album\/a\.flac/)
  await key('j')
  frame = await key(' ')
  assert.match(frame, /\[ \] +2\.0KiB +album\/b\.flac|\[ \] +1\.95KiB +album\/b\.flac/)
  await key('\r')
  assert.deepEqual(source.actions.slice(-1), ['files t2 {"album/b.flac":"skip"}'])

  frame = await key('?')
  assert.match(frame, /oht dashboard: keys/)
  frame = await key('x')
  assert.doesNotMatch(frame, /oht dashboard: keys/)
  await key('k')
  assert.equal(source.focused?.id, 't1')
  app.stdin.write('q') // quits: no frame to wait for
  await until('the quit callback', () => quit)
})

test('German frame', async t => {
  setLocale('de')
  t.after(() => { setLocale('en') })
  const source = new FixedSource({ status, transfers: [transfer(1, { state: 'paused' })], connected: true })
  const app = render(h(Dashboard, { source, width: 80, height: 24 }))
  t.after(() => { app.unmount() })
  const frame = app.lastFrame()!
  assertFits(frame, 80, 24)
  assert.match(frame, /1 Übertragung \(0 aktiv\)/)
  assert.match(frame, /pausiert/)
  assert.match(frame, /p Pause\/weiter/)
})
