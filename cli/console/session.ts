// The console without its screen: the output lines, the commands running (each with its own
// AbortController, so the prompt never waits for one), the daemon's events, the status figures
// and tab completion. The view (view.ts) draws it and feeds it keys; tests drive it directly.
import { listAccounts } from '../../src/node/identity/accounts.ts'
import { AdminApiClient, ApiDhtService, type ApiEvent, type DaemonClient, type EventSubscription } from '../../src/node/index.ts'
import { PeopleApiClient } from '../../src/node/api/people-client.ts'
import { errorText } from '../context.ts'
import { t } from '../i18n/index.ts'
import { complete, pathCandidates, type Completion } from './completion.ts'
import type { CommandContext, Tone } from './spec.ts'
import { eventLine } from './events.ts'
import type { History, HistoryFile } from './history.ts'
import { parseLine } from './parser.ts'
import type { CompletionSource, ConsoleCommand } from './spec.ts'

export interface ConsoleLine { id: number, text: string, tone: Tone }

export interface StatusFigures {
  nodeId?: string
  transport?: string | null
  address?: string | null
  dhtNodes?: number
  transfers: number
  downRate: number
  upRate: number
  connected: boolean
}

export interface SessionOptions {
  client: DaemonClient
  table: readonly ConsoleCommand[]
  dataDir: string
  cwd: string
  embedded: boolean
  history: History
  historyFile?: HistoryFile
  onQuit: () => void
  openDashboard: () => Promise<void>
}

/** Lines kept in the output pane (older ones scroll away for good). */
const MAX_LINES = 2000
const STATUS_EVERY_MS = 2000
const RECONNECT_MS = 2000
const CLAIM_WAIT_MS = 1000

export class ConsoleSession {
  readonly #o: SessionOptions
  readonly #dht: ApiDhtService
  readonly #api: AdminApiClient
  #lines: ConsoleLine[] = []
  #nextLine = 0
  readonly #running = new Map<number, { text: string, controller: AbortController }>()
  #nextRun = 0
  readonly #listeners = new Set<() => void>()
  readonly #eventListeners = new Set<(e: ApiEvent) => void>()
  readonly #claimed = new Set<string>()
  readonly #names = new Map<string, string>()
  readonly #refs: string[] = []
  #status: StatusFigures = { transfers: 0, downRate: 0, upRate: 0, connected: false }
  #totals?: { at: number, up: number, down: number }
  #events?: EventSubscription
  #timer?: NodeJS.Timeout
  #closed = false
  #historySaving: Promise<void> = Promise.resolve()
  #version = 0

  constructor (options: SessionOptions) {
    this.#o = options
    this.#dht = new ApiDhtService(options.client)
    this.#api = new AdminApiClient(options.client)
  }

  get lines (): readonly ConsoleLine[] { return this.#lines }
  /** Grows on every change: the view's snapshot. */
  get version (): number { return this.#version }
  get status (): StatusFigures { return this.#status }
  get history (): History { return this.#o.history }
  /** Texts of the commands still running, oldest first. */
  get running (): string[] { return [...this.#running.values()].map(r => r.text) }

  subscribe (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  print (text: string, tone: Tone = 'normal'): void {
    for (const line of text.split('\n')) this.#lines.push({ id: this.#nextLine++, text: line, tone })
    if (this.#lines.length > MAX_LINES) this.#lines = this.#lines.slice(-MAX_LINES)
    this.#changed()
  }

  clear (): void { this.#lines = []; this.#changed() }

  /** Connects the event stream and starts the status polling. */
  async start (): Promise<void> {
    this.#connect()
    await this.#refreshStatus()
    this.#timer = setInterval(() => { void this.#refreshStatus() }, STATUS_EVERY_MS)
  }

  close (): void {
    this.#closed = true
    clearInterval(this.#timer)
    for (const r of this.#running.values()) r.controller.abort(new Error(t('console.closing')))
    this.#events?.close()
  }

  /** Resolves when the history file is written (after the last submit). */
  async flushHistory (): Promise<void> { await this.#historySaving }

  /** Runs a typed line: in the background; its output and its error come as lines. */
  submit (text: string): void {
    const line = text.trim()
    if (line === '') return
    this.#o.history.add(line)
    const file = this.#o.historyFile
    if (file != null) {
      const lines = [...this.#o.history.lines]
      this.#historySaving = this.#historySaving.then(async () => { await file.save(lines) }).catch((err: unknown) => { this.print(t('console.history.saveFailed', { reason: errorText(err) }), 'warn') })
    }
    this.print(`oht> ${line}`, 'dim')
    const parsed = parseLine(line, this.#o.table)
    if (parsed.kind === 'empty') return
    if (parsed.kind === 'error') {
      this.#error(t(`console.error.${parsed.code}`, parsed.params) + (parsed.code === 'unknown' && parsed.params.suggestion !== '' ? ' ' + t('console.error.didYouMean', { suggestion: parsed.params.suggestion! }) : ''))
      return
    }
    const id = this.#nextRun++
    const controller = new AbortController()
    this.#running.set(id, { text: line, controller })
    this.#changed()
    const ctx = this.#context(controller.signal)
    void parsed.command.run(ctx, parsed.input)
      .catch((err: unknown) => { this.#error(this.#errorText(err)) })
      .finally(() => { this.#running.delete(id); this.#changed() })
  }

  /** Ctrl-C: cancels the most recent running command; false when none runs. */
  cancel (): boolean {
    const last = [...this.#running.entries()].at(-1)
    if (last == null) return false
    last[1].controller.abort(new Error(t('console.cancelled')))
    this.print(t('console.cancelling', { command: last[1].text }), 'warn')
    return true
  }

  async complete (line: string, cursor: number): Promise<Completion> {
    return await complete(line, cursor, this.#o.table, async (source, prefix) => await this.#candidates(source, prefix))
  }

  #error (text: string): void { this.print(`${t('cli.errorPrefix')}${text}`, 'error') }

  /** An error in the user's words; a daemon that went away is said as such, not as a socket error. */
  #errorText (err: unknown): string {
    const code = (err as NodeJS.ErrnoException)?.code
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET') return t('console.daemonGone')
    return errorText(err)
  }

  #changed (): void { this.#version++; for (const l of this.#listeners) l() }

  #context (signal: AbortSignal): CommandContext {
    return {
      client: this.#o.client,
      dht: this.#dht,
      api: this.#api,
      print: (text, tone) => { this.print(text, tone) },
      signal,
      dataDir: this.#o.dataDir,
      cwd: this.#o.cwd,
      embedded: this.#o.embedded,
      table: this.#o.table,
      quit: () => { this.#o.onQuit() },
      clear: () => { this.clear() },
      openDashboard: this.#o.openDashboard,
      onEvent: listener => { this.#eventListeners.add(listener); return () => { this.#eventListeners.delete(listener) } },
      claim: id => { this.#claimed.add(id) },
      nameOf: id => this.#names.get(id) ?? id.slice(0, 8),
      remember: ref => { if (!this.#refs.includes(ref)) this.#refs.push(ref) }
    }
  }

  async #candidates (source: CompletionSource, prefix: string): Promise<string[]> {
    const c = this.#o.client
    switch (source) {
      case 'share': return (await c.list()).flatMap(s => [s.id, ...(s.link != null ? [s.link] : [])])
      case 'transfer': return (await c.transfers()).map(tr => tr.id)
      case 'path': return await pathCandidates(prefix, this.#o.cwd)
      case 'config-key': return Object.keys((await c.call('GET', '/config') as { keys: Record<string, unknown> }).keys)
      case 'account': return (await listAccounts(this.#o.dataDir, process.env.OHT_PASSPHRASE ?? '').catch(() => [])).map(a => a.id)
      case 'peer': return (await this.#dht.info()).peers.flatMap(p => [p.address, p.nodeId])
      case 'ref': return [...this.#refs]
      case 'contact': return (await new PeopleApiClient(c).overview()).contacts.map(x => x.petname)
      case 'request': return (await new PeopleApiClient(c).overview()).requests.map(x => x.account)
      case 'command': return this.#o.table.map(x => x.name)
      case 'none': return []
    }
  }

  #connect (): void {
    if (this.#closed) return
    const sub = this.#events = this.#o.client.events(e => { this.#onEvent(e) })
    sub.ready.then(() => { this.#status = { ...this.#status, connected: true }; this.#changed() }, () => {})
    void sub.closed.then(() => {
      if (this.#closed) return
      if (this.#status.connected) this.print(t('console.disconnected'), 'warn')
      this.#status = { ...this.#status, connected: false }
      this.#changed()
      setTimeout(() => { this.#connect() }, RECONNECT_MS).unref()
    })
  }

  #onEvent (e: ApiEvent): void {
    if (e.type === 'transfer:added' && e.transfer.name != null) this.#names.set(e.transfer.id, e.transfer.name)
    if (e.type === 'transfer:metadata') this.#names.set(e.id, e.name)
    for (const l of this.#eventListeners) l(e)
    // A transfer a command follows prints its own lines.
    if ('id' in e && typeof e.id === 'string' && this.#claimed.has(e.id)) return
    const line = eventLine(e, this.#names)
    // A transfer this console adds is announced before the command knows its id: wait a moment.
    if (e.type === 'transfer:added') {
      if (line != null) setTimeout(() => { if (!this.#claimed.has(e.transfer.id) && !this.#closed) this.print(line.text, line.tone) }, CLAIM_WAIT_MS).unref()
      return
    }
    if (line != null) this.print(line.text, line.tone)
  }

  async #refreshStatus (): Promise<void> {
    try {
      const st = await this.#o.client.status()
      const up = st.swarms.reduce((n, s) => n + s.uploaded, 0)
      const down = st.swarms.reduce((n, s) => n + s.downloaded, 0)
      const now = Date.now()
      const prev = this.#totals
      this.#totals = { at: now, up, down }
      const seconds = prev != null ? Math.max(0.001, (now - prev.at) / 1000) : 0
      this.#status = {
        ...this.#status,
        nodeId: st.nodeId,
        transport: st.transport,
        address: st.address,
        ...(st.dht != null ? { dhtNodes: st.dht.nodes } : {}),
        transfers: st.transfers ?? 0,
        // Totals per swarm can drop when a swarm closes: a negative difference is no rate.
        upRate: prev != null ? Math.max(0, (up - prev.up) / seconds) : 0,
        downRate: prev != null ? Math.max(0, (down - prev.down) / seconds) : 0
      }
      this.#changed()
    } catch { /* the event stream reports a lost daemon */ }
  }
}
