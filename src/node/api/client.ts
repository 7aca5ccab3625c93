import type { RequestOptions } from 'node:http'
import { connect } from 'node:net'
import { resolve } from 'node:path'
import { API_VERSION, type ApiCaller, type ApiErrorBody, type ApiEvent } from './protocol.ts'
import type { FetchRequest, NodeService, ShareOptions, StatusResult, UnshareResult } from '../service.ts'
import type { ExportResult, FetchEvent, FetchResult, ImportResult, ListedShare, ShareResult, TransferDetail, TransferInfo } from '../transfers/index.ts'
import type { PeerSnapshot } from '../../swarm/swarm.ts'
import type { Capability, ReadCap } from '../../blocks/link.ts'
import { PinApiClient } from './pin-client.ts'

// node:http as its CommonJS object: an ES import of it builds a facade that reads every export,
// and one of them (WebSocket) loads Node's bundled fetch client: ~20 ms at every start of the CLI.
const { request } = process.getBuiltinModule('node:http')

/** True when a daemon answers on the socket. */
export async function daemonRunning (socketPath: string): Promise<boolean> {
  return await new Promise<boolean>(done => {
    const s = connect(socketPath)
    s.once('connect', () => { s.destroy(); done(true) })
    s.once('error', () => { done(false) })
  })
}

export interface DaemonStatus extends StatusResult {
  api?: { socket: string, tcp: string | null }
  transfers?: number
  /** Present once Tor is wired: bootstrap progress in percent. */
  tor?: { bootstrap: number, summary: string }
  /** Present once the DHT is wired: routing table size. */
  dht?: { nodes: number }
}

export interface PeersResult { transport: string | null, swarms: Array<{ swarm: string, peers: PeerSnapshot[], banned: string[] }> }

/**
 * An error answer of the API: its HTTP status (200 for an error inside a streamed answer or a
 * transfer's failure) and, when the daemon's error had them, its code and params (errors.ts).
 */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly status: number
  readonly code?: string
  readonly params?: Record<string, string>
  constructor (status: number, message: string, code?: string, params?: Record<string, string>) {
    super(message)
    this.status = status
    if (code != null) this.code = code
    if (params != null) this.params = params
  }
}

export interface EventSubscription {
  close: () => void
  /** Resolves once the daemon has said hello: every later event will be seen. */
  ready: Promise<void>
  /** Resolves when the stream ends (daemon gone, or close()). */
  closed: Promise<void>
}

/** Where the API is: the unix socket, or a loopback TCP address with the token. */
export interface ApiEndpointOptions { tcp?: { host: string, port: number, token: string } }

/** NodeService over a running daemon's API. Paths are made absolute here: the daemon's cwd differs. */
export class DaemonClient implements NodeService, ApiCaller {
  readonly socketPath: string
  readonly #tcp?: { host: string, port: number, token: string }
  readonly pins: PinApiClient

  constructor (socketPath: string, options: ApiEndpointOptions = {}) {
    this.socketPath = socketPath
    if (options.tcp != null) this.#tcp = options.tcp
    this.pins = new PinApiClient(this)
  }

  async status (): Promise<DaemonStatus> { return await this.#json('GET', '/status') as DaemonStatus }
  async list (): Promise<ListedShare[]> { return (await this.#json('GET', '/shares') as { shares: ListedShare[] }).shares }
  async unshare (id: string, options: { deleteData?: boolean } = {}): Promise<UnshareResult> {
    return await this.#json('DELETE', `/shares/${encodeURIComponent(id)}${options.deleteData === true ? '?deleteData=1' : ''}`) as UnshareResult
  }

  async peers (): Promise<PeersResult> { return await this.#json('GET', '/peers') as PeersResult }

  async transfers (): Promise<TransferInfo[]> { return (await this.#json('GET', '/transfers') as { transfers: TransferInfo[] }).transfers }
  /** `link`: a read capability (sent as its link), or a link as text, passed on as it is. */
  async addTransfer (link: ReadCap | string, req: FetchRequest): Promise<TransferInfo> {
    const { formatLink } = await import('../../blocks/link.ts')
    return (await this.#json('POST', '/transfers', { link: typeof link === 'string' ? link : formatLink(link), ...req, output: resolve(req.output) }) as { transfer: TransferInfo }).transfer
  }

  /** A transfer with its peers and block map, `cells` wide. */
  async transfer (id: string, cells?: number): Promise<TransferDetail> {
    return (await this.#json('GET', `/transfers/${encodeURIComponent(id)}${cells != null ? `?cells=${cells}` : ''}`) as { transfer: TransferDetail }).transfer
  }

  async pauseTransfer (id: string): Promise<TransferInfo> { return (await this.#json('POST', `/transfers/${encodeURIComponent(id)}/pause`, {}) as { transfer: TransferInfo }).transfer }
  async resumeTransfer (id: string): Promise<TransferInfo> { return (await this.#json('POST', `/transfers/${encodeURIComponent(id)}/resume`, {}) as { transfer: TransferInfo }).transfer }
  async cancelTransfer (id: string): Promise<void> { await this.#json('DELETE', `/transfers/${encodeURIComponent(id)}`) }
  async setFilePriorities (id: string, priorities: Record<string, string>): Promise<TransferInfo> {
    return (await this.#json('PUT', `/transfers/${encodeURIComponent(id)}/files`, { priorities }) as { transfer: TransferInfo }).transfer
  }

  /** Raw JSON call, for endpoints without a method here (DHT, pins, config). */
  async call (method: string, path: string, body?: unknown): Promise<unknown> { return await this.#json(method, path, body) }

  /**
   * The WebSocket event stream (`transfer`: only that transfer's events). The WebSocket client is
   * loaded on the first subscription: the commands that only call the API start without it.
   */
  events (onEvent: (e: ApiEvent) => void, options: { transfer?: string } = {}): EventSubscription {
    const query = options.transfer != null ? `?transfer=${encodeURIComponent(options.transfer)}` : ''
    const path = `/${API_VERSION}/events${query}`
    const url = this.#tcp != null ? `ws://${this.#tcp.host}:${this.#tcp.port}${path}` : `ws+unix://${this.socketPath}:${path}`
    const headers: Record<string, string> = { host: 'localhost' }
    if (this.#tcp != null) headers.authorization = `Bearer ${this.#tcp.token}`
    let hello: () => void = () => {}
    let failed: (err: Error) => void = () => {}
    const ready = new Promise<void>((resolve, reject) => { hello = resolve; failed = reject })
    ready.catch(() => {})
    let ended: () => void = () => {}
    const closed = new Promise<void>(resolve => { ended = () => { failed(new Error('the daemon closed the event stream')); resolve() } })
    let closing = false
    let socket: import('ws').WebSocket | undefined
    import('ws').then(({ WebSocket }) => {
      if (closing) { ended(); return }
      const ws = new WebSocket(url, { headers, perMessageDeflate: false })
      socket = ws
      ws.once('close', ended)
      ws.on('error', err => { failed(err) })
      ws.on('unexpected-response', (_req, res) => { failed(new ApiError(res.statusCode ?? 500, `the daemon refused the event stream (${res.statusCode ?? '?'})`)); ws.terminate() })
      ws.on('message', data => {
        let e: ApiEvent
        try { e = JSON.parse(data.toString()) as ApiEvent } catch { return }
        if (e.type === 'hello') hello()
        else onEvent(e)
      })
    }, (err: Error) => { failed(err); ended() })
    return { close: () => { closing = true; socket?.close() }, ready, closed }
  }

  async share (paths: string[], options: ShareOptions, onProgress?: (done: number, total: number) => void): Promise<ShareResult> {
    return await this.#post('/share', { paths: paths.map(p => resolve(p)), options }, e => { if (e.type === 'progress') onProgress?.(e.bytesDone as number, e.bytesTotal as number) }) as ShareResult
  }

  /**
   * A fetch run by the daemon as a transfer: added, then followed over the event stream until it
   * completes or fails. Aborting `signal` cancels the transfer (its .part files stay for a resume).
   */
  async fetch (link: ReadCap | string, req: FetchRequest, onEvent?: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult> {
    let id: string | undefined
    let shareId: string | undefined
    const early: ApiEvent[] = []
    let settle: { done: (r: FetchResult) => void, fail: (e: Error) => void } | undefined
    const finished = new Promise<FetchResult>((done, fail) => { settle = { done, fail } })
    const handle = (e: ApiEvent): void => {
      if (id == null) { early.push(e); return }
      if (e.type === 'swarm') { if (e.swarm === shareId) onEvent?.(e.event); return }
      if (!('id' in e) || e.id !== id) return
      switch (e.type) {
        case 'transfer:metadata': onEvent?.({ type: 'metadata', name: e.name, bytes: e.bytes, blocks: e.blocks, resumed: e.resumed }); break
        case 'transfer:progress': onEvent?.({ type: 'progress', bytesDone: e.bytesDone, bytesTotal: e.bytesTotal, peers: e.peers }); break
        case 'transfer:dial-failed': onEvent?.({ type: 'peer:dial-failed', address: e.address, reason: e.reason }); break
        case 'transfer:removed': settle!.fail(new Error('the transfer was cancelled')); break
        case 'transfer:state':
          if ((e.state === 'complete' || e.state === 'seeding') && e.result != null) settle!.done(e.result)
          else if (e.state === 'failed') settle!.fail(new ApiError(200, e.error ?? 'the transfer failed', e.code, e.params))
          // Paused by the daemon itself (the disk is full): it resumes there when space is back.
          else if (e.state === 'paused' && e.error != null) settle!.fail(new ApiError(200, e.error, e.code, e.params))
          else if (e.state === 'cancelled') settle!.fail(new Error('the transfer was cancelled'))
      }
    }
    const sub = this.events(handle)
    const gone = sub.closed.then(() => { settle!.fail(new Error('the daemon closed the event stream before the transfer finished')) })
    void gone
    const onAbort = (): void => { if (id != null) void this.cancelTransfer(id).catch(() => {}); settle!.fail(signal!.reason as Error) }
    try {
      await sub.ready
      const t = await this.addTransfer(link, req)
      id = t.id
      shareId = t.shareId
      signal?.addEventListener('abort', onAbort, { once: true })
      if (signal?.aborted === true) onAbort()
      for (const e of early.splice(0)) handle(e)
      // It may have finished before we knew its id (a share held locally is fast).
      const now = await this.transfer(id).catch(() => undefined)
      if ((now?.state === 'complete' || now?.state === 'seeding') && now.result != null) settle!.done(now.result)
      else if (now?.state === 'failed') settle!.fail(new Error(now.error ?? 'the transfer failed'))
      return await finished
    } finally {
      signal?.removeEventListener('abort', onAbort)
      sub.close()
    }
  }

  async exportCar (capability: Capability | string, output?: string, onProgress?: (done: number, total: number) => void): Promise<ExportResult> {
    const { formatLink, formatVerifyCap, parseCapability } = await import('../../blocks/link.ts')
    const cap = typeof capability === 'string' ? parseCapability(capability) : capability
    // The same default name as an embedded export, resolved here: the daemon's cwd differs.
    const path = resolve(output ?? `${cap.manifestCid.toString()}.car`)
    const text = cap.kind === 'read' ? formatLink(cap) : formatVerifyCap(cap)
    return await this.#post('/export', { capability: text, output: path }, e => { if (e.type === 'progress') onProgress?.(e.bytesDone as number, e.bytesTotal as number) }) as ExportResult
  }

  async importCar (file: string): Promise<ImportResult> { return await this.#post('/import', { file: resolve(file) }) as ImportResult }
  async close (): Promise<void> {}

  #target (method: string, path: string, headers: Record<string, string | number>): RequestOptions {
    const h: Record<string, string | number> = { host: 'localhost', ...headers }
    if (this.#tcp != null) {
      h.authorization = `Bearer ${this.#tcp.token}`
      return { host: this.#tcp.host, port: this.#tcp.port, path: `/${API_VERSION}${path}`, method, headers: h }
    }
    // A connection of its own, without the HTTP agent: the agent would work out a TLS server name
    // from the host header, and its IP test costs the CLI's start-up more than the request.
    return { socketPath: this.socketPath, createConnection: () => connect(this.socketPath), path: `/${API_VERSION}${path}`, method, headers: h }
  }

  async #json (method: string, path: string, body?: unknown): Promise<unknown> {
    // "never" travels as null: JSON has no Infinity.
    const payload = body !== undefined ? JSON.stringify(body, (_k, v: unknown) => v === Infinity ? null : v) : undefined
    const headers: Record<string, string | number> = payload != null ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}
    return await new Promise((done, fail) => {
      const req = request(this.#target(method, path, headers), res => {
        const parts: Buffer[] = []
        let ended = false
        res.on('data', (c: Buffer) => parts.push(c))
        // A daemon killed mid-answer: no 'end', only 'close' (without this the call never settled).
        res.on('error', () => {})
        res.on('close', () => { if (!ended) fail(new Error('the daemon closed the connection before its answer ended')) })
        res.on('end', () => {
          ended = true
          try {
            const answer = JSON.parse(Buffer.concat(parts).toString()) as Partial<ApiErrorBody>
            if ((res.statusCode ?? 500) >= 400) fail(new ApiError(res.statusCode ?? 500, answer.error ?? `daemon answered ${res.statusCode}`, answer.code, answer.params))
            else done(answer)
          } catch (err) { fail(err as Error) }
        })
      })
      req.on('error', fail)
      req.end(payload)
    })
  }

  async #post (path: string, body: object, onEvent?: (e: Record<string, unknown>) => void, signal?: AbortSignal): Promise<unknown> {
    return await new Promise((done, fail) => {
      const payload = JSON.stringify(body)
      const req = request({ ...this.#target('POST', path, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }), ...(signal != null ? { signal } : {}) }, res => {
        let buffered = ''
        let settled = false
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buffered += chunk
          let nl
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl)
            buffered = buffered.slice(nl + 1)
            if (line === '') continue
            const e = JSON.parse(line) as Record<string, unknown>
            if (e.type === 'result') { settled = true; done(e.value) } else if (e.type === 'error') { settled = true; fail(new ApiError(200, String(e.message), e.code as string | undefined, e.params as Record<string, string> | undefined)) } else onEvent?.(e)
          }
        })
        // A daemon killed mid-stream: no 'end', only 'close' (without this the call never settled).
        res.on('error', () => {})
        res.on('close', () => { if (!settled) fail(new Error('the daemon closed the connection without a result')) })
        res.on('end', () => {
          if (settled) return
          settled = true
          if ((res.statusCode ?? 500) >= 400) {
            try {
              const answer = JSON.parse(buffered) as ApiErrorBody
              fail(new ApiError(res.statusCode ?? 500, answer.error, answer.code, answer.params))
            } catch { fail(new Error(`daemon answered ${res.statusCode}`)) }
          } else fail(new Error('the daemon closed the connection without a result'))
        })
      })
      req.on('error', fail)
      req.end(payload)
    })
  }
}
