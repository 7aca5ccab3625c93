// Where the dashboard's data comes from: the daemon's API only (HTTP + WebSocket on its unix
// socket). Events keep the transfer list current; the selected transfer's detail (peers, block
// map) is polled twice a second; listeners are told at most twice a second.
import type { DaemonClient, DaemonStatus, EventSubscription } from '../../src/node/api/client.ts'
import type { ApiEvent } from '../../src/node/api/protocol.ts'
import type { TransferDetail, TransferInfo } from '../../src/node/transfers/transfers.ts'

export interface DashboardData {
  status?: DaemonStatus
  transfers: TransferInfo[]
  /** Detail of the selected transfer (peers, block map), when one is selected. */
  detail?: TransferDetail
  /** The last failure talking to the daemon (cleared by the next success). */
  error?: string
  connected: boolean
}

/** What the dashboard view needs: data to show and the actions its keys trigger. */
export interface DashboardSource {
  get: () => DashboardData
  subscribe: (listener: () => void) => () => void
  /** Which transfer's detail to fetch, and how many block-map cells fit on screen. */
  focus: (id: string | undefined, mapCells: number) => void
  pause: (id: string) => Promise<void>
  resume: (id: string) => Promise<void>
  cancel: (id: string) => Promise<void>
  setFilePriorities: (id: string, priorities: Record<string, string>) => Promise<void>
  close: () => void
}

/** Redraws at most twice a second: enough to watch, cheap on CPU (Ink lays out every line). */
const NOTIFY_EVERY_MS = 500
const DETAIL_EVERY_MS = 500
const LIST_EVERY_MS = 3000
const STATUS_EVERY_MS = 5000

export class DaemonSource implements DashboardSource {
  readonly #client: DaemonClient
  #data: DashboardData = { transfers: [], connected: false }
  readonly #listeners = new Set<() => void>()
  #notifyTimer?: NodeJS.Timeout
  #lastNotify = 0
  #focusId?: string
  #mapCells = 80
  readonly #timers: NodeJS.Timeout[] = []
  #events?: EventSubscription
  #closed = false
  #detailBusy = false

  constructor (client: DaemonClient) {
    this.#client = client
  }

  /** Connects the event stream and starts polling; resolves once the first data is in. */
  async start (): Promise<void> {
    this.#connect()
    await Promise.all([this.#refreshList(), this.#refreshStatus()])
    this.#timers.push(setInterval(() => { void this.#refreshDetail() }, DETAIL_EVERY_MS))
    this.#timers.push(setInterval(() => { void this.#refreshList() }, LIST_EVERY_MS))
    this.#timers.push(setInterval(() => { void this.#refreshStatus() }, STATUS_EVERY_MS))
  }

  get (): DashboardData { return this.#data }

  subscribe (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  focus (id: string | undefined, mapCells: number): void {
    const changed = id !== this.#focusId || mapCells !== this.#mapCells
    this.#focusId = id
    this.#mapCells = Math.max(1, mapCells)
    if (changed) {
      if (this.#data.detail?.id !== id) this.#set({ ...this.#data, detail: undefined })
      void this.#refreshDetail()
    }
  }

  async pause (id: string): Promise<void> { await this.#act(async () => { this.#upsert(await this.#client.pauseTransfer(id)) }) }
  async resume (id: string): Promise<void> { await this.#act(async () => { this.#upsert(await this.#client.resumeTransfer(id)) }) }
  async cancel (id: string): Promise<void> {
    await this.#act(async () => {
      await this.#client.cancelTransfer(id)
      this.#set({ ...this.#data, transfers: this.#data.transfers.filter(t => t.id !== id) })
    })
  }

  async setFilePriorities (id: string, priorities: Record<string, string>): Promise<void> {
    await this.#act(async () => { this.#upsert(await this.#client.setFilePriorities(id, priorities)) })
  }

  close (): void {
    this.#closed = true
    for (const t of this.#timers) clearInterval(t)
    clearTimeout(this.#notifyTimer)
    this.#events?.close()
  }

  #connect (): void {
    if (this.#closed) return
    const sub = this.#client.events(e => { this.#onEvent(e) })
    this.#events = sub
    sub.ready.then(() => { this.#set({ ...this.#data, connected: true, error: undefined }) }, () => {})
    void sub.closed.then(() => {
      if (this.#closed) return
      this.#set({ ...this.#data, connected: false })
      const retry = setTimeout(() => { this.#connect() }, 1000) // the daemon may be restarting
      retry.unref()
    })
  }

  #onEvent (e: ApiEvent): void {
    switch (e.type) {
      case 'transfer:added': this.#upsert(e.transfer); return
      case 'transfer:removed': this.#set({ ...this.#data, transfers: this.#data.transfers.filter(t => t.id !== e.id) }); return
      case 'transfer:progress': this.#patch(e.id, { bytesDone: e.bytesDone, bytesTotal: e.bytesTotal, peerCount: e.peers, downRate: e.downRate, upRate: e.upRate, etaSeconds: e.etaSeconds }); return
      case 'transfer:metadata': this.#patch(e.id, { name: e.name, bytesTotal: e.bytes, resumedBlocks: e.resumed }); return
      case 'transfer:state': {
        const patch: Partial<TransferInfo> = { state: e.state }
        if (e.error != null) patch.error = e.error
        if (e.result != null) { patch.result = e.result; patch.bytesDone = e.result.bytes; patch.etaSeconds = 0 }
        this.#patch(e.id, patch)
      }
    }
  }

  #patch (id: string, patch: Partial<TransferInfo>): void {
    const transfers = this.#data.transfers.map(t => t.id === id ? { ...t, ...patch } : t)
    this.#set({ ...this.#data, transfers })
  }

  #upsert (t: TransferInfo): void {
    const i = this.#data.transfers.findIndex(x => x.id === t.id)
    const transfers = [...this.#data.transfers]
    if (i >= 0) transfers[i] = t
    else transfers.push(t)
    this.#set({ ...this.#data, transfers })
  }

  async #act (fn: () => Promise<void>): Promise<void> {
    try {
      await fn()
      if (this.#data.error != null) this.#set({ ...this.#data, error: undefined })
    } catch (err) {
      this.#set({ ...this.#data, error: (err as Error).message })
    }
  }

  async #refreshList (): Promise<void> {
    // Await before spreading: data that changed meanwhile (events, connection state) must survive.
    await this.#act(async () => { const transfers = await this.#client.transfers(); if (this.#changed('list', transfers)) this.#set({ ...this.#data, transfers }) })
  }

  async #refreshStatus (): Promise<void> {
    await this.#act(async () => { const status = await this.#client.status(); if (this.#changed('status', status)) this.#set({ ...this.#data, status }) })
  }

  async #refreshDetail (): Promise<void> {
    const id = this.#focusId
    if (id == null || this.#detailBusy || this.#closed) return
    this.#detailBusy = true
    try {
      const detail = await this.#client.transfer(id, this.#mapCells)
      if (id === this.#focusId && (this.#data.detail == null || this.#changed('detail', detail))) this.#set({ ...this.#data, detail })
    } catch {
      // Gone (cancelled elsewhere) or the daemon is restarting: the list refresh says which.
    } finally {
      this.#detailBusy = false
    }
  }

  /** False when a polled answer is the same as the last one: an idle dashboard does not redraw. */
  #changed (what: string, value: unknown): boolean {
    const text = JSON.stringify(value)
    if (this.#lastAnswers.get(what) === text) return false
    this.#lastAnswers.set(what, text)
    return true
  }

  readonly #lastAnswers = new Map<string, string>()

  /** Stores new data and tells listeners, at most every NOTIFY_EVERY_MS (one trailing call). */
  #set (data: DashboardData): void {
    this.#data = data
    if (this.#notifyTimer != null) return
    const wait = this.#lastNotify + NOTIFY_EVERY_MS - performance.now()
    const fire = (): void => {
      this.#notifyTimer = undefined
      this.#lastNotify = performance.now()
      for (const l of this.#listeners) l()
    }
    if (wait <= 0) fire()
    else this.#notifyTimer = setTimeout(fire, wait)
  }
}
