// The daemon's local API: JSON over HTTP, and a WebSocket event stream at /v0/events. On a unix
// socket inside the data directory (mode 0600 in a 0700 directory: only the owner reaches it),
// and optionally on a loopback TCP address where every request must carry the token of
// <data dir>/api.token. Long operations answer with NDJSON: event lines, then one
// `{type:"result"}` or `{type:"error"}` line. docs/API.md describes it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, readFile, rm, writeFile } from 'node:fs/promises'
import { WebSocketServer, type WebSocket } from 'ws'
import type { NodeService, LocalService } from './service.ts'
import { registerPinRoutes } from './pin-service.ts'
import { HIGH_FREQUENCY_SWARM_EVENTS, TransferNotFoundError, TransferStateError, type TransferEvent, type TransferManager } from './transfers.ts'
import { ConfigError, CONFIG_KEYS, type ConfigFile } from './config.ts'
import type { SwarmEvent } from '../swarm/index.ts'

export const API_VERSION = 'v0'
const MAX_BODY_BYTES = 1024 * 1024
/** A WebSocket client this far behind is cut off rather than buffered without bound. */
const MAX_WS_BUFFERED_BYTES = 4 * 1024 * 1024
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/

/** An event on the WebSocket stream. */
export type ApiEvent =
  | { type: 'hello', version: string }
  | TransferEvent
  | { type: 'swarm', swarm: string, event: SwarmEvent }

export interface ApiServerOptions {
  /** The daemon's transfer manager (enables /v0/transfers and transfer events). */
  transfers?: TransferManager
  /** The config file (enables /v0/config). */
  config?: ConfigFile
  /** Also listen on this loopback host:port, token required. */
  tcp?: string
  /** Where the token for TCP clients is kept (created with mode 0600 when missing). */
  tokenPath?: string
}

/** A route other modules add (DHT, pins): `params` holds `:name` segments of the pattern. */
export type RouteHandler = (ctx: { params: Record<string, string>, query: URLSearchParams, body: () => Promise<unknown> }) => Promise<{ status?: number, body: unknown }>

export class HttpError extends Error {
  readonly status: number
  constructor (status: number, message: string) { super(message); this.status = status }
}

export class ApiServer {
  readonly #service: NodeService
  readonly #options: ApiServerOptions
  readonly #server: Server
  #tcpServer?: Server
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })
  readonly #routes: Array<{ method: string, pattern: RegExp, names: string[], handler: RouteHandler }> = []
  readonly #unsubscribe: Array<() => void> = []
  #token?: Buffer
  readonly socketPath: string
  /** The TCP address actually bound (port 0 resolved), when `tcp` was given. */
  tcpAddress?: string

  constructor (service: NodeService, socketPath: string, options: ApiServerOptions = {}) {
    this.#service = service
    this.#options = options
    this.socketPath = socketPath
    this.#server = this.#makeServer(false)
    this.#registerDefaults()
  }

  /**
   * Adds (or replaces) an endpoint, e.g. `route('GET', '/v0/dht', ...)`. Routes added later win,
   * so the DHT and pins modules replace the 501 placeholders without editing this file.
   */
  route (method: string, path: string, handler: RouteHandler): void {
    const names: string[] = []
    const pattern = new RegExp('^' + path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, name: string) => { names.push(name); return '([^/]+)' }) + '$')
    this.#routes.unshift({ method, pattern, names, handler })
  }

  async listen (): Promise<void> {
    await rm(this.socketPath, { force: true })
    await listenOn(this.#server, this.socketPath)
    await chmod(this.socketPath, 0o600)
    if (this.#options.tcp != null) {
      if (this.#options.tokenPath == null) throw new Error('api.tcp needs a token file')
      this.#token = await loadOrCreateToken(this.#options.tokenPath)
      const [, host, port] = /^(.*):(\d+)$/.exec(this.#options.tcp) ?? []
      if (host == null || port == null) throw new Error(`bad API address ${this.#options.tcp}`)
      this.#tcpServer = this.#makeServer(true)
      const bare = host.replace(/^\[|\]$/g, '')
      // Never beyond this machine: the token is a bearer secret sent in clear text.
      if (!['127.0.0.1', 'localhost', '::1'].includes(bare)) throw new Error(`the API listens on loopback addresses only, not ${this.#options.tcp}`)
      await listenOn(this.#tcpServer, { host: bare, port: Number(port) })
      const a = this.#tcpServer.address()
      if (a != null && typeof a === 'object') this.tcpAddress = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
    }
    this.#subscribe()
  }

  async close (): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off()
    for (const ws of this.#wss.clients) ws.terminate()
    for (const server of [this.#server, this.#tcpServer]) {
      if (server == null || !server.listening) continue
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
    await rm(this.socketPath, { force: true })
  }

  #makeServer (tcp: boolean): Server {
    const server = createServer((req, res) => { void this.#handle(req, res, tcp) })
    server.on('upgrade', (req, socket, head) => { this.#upgrade(req, socket, head, tcp) })
    return server
  }

  /** Host (loopback names only, against DNS rebinding), no Origin (no web pages), and the token over TCP. */
  #refusal (req: IncomingMessage, tcp: boolean): { status: number, error: string } | undefined {
    if (!LOOPBACK_HOST.test(req.headers.host ?? '') || req.headers.origin != null) return { status: 403, error: 'forbidden host or origin' }
    if (tcp) {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
      const given = Buffer.from(m?.[1] ?? '')
      if (this.#token == null || given.length !== this.#token.length || !timingSafeEqual(given, this.#token)) return { status: 401, error: 'missing or wrong token (see <data dir>/api.token)' }
    }
    return undefined
  }

  #upgrade (req: IncomingMessage, socket: Duplex, head: Buffer, tcp: boolean): void {
    socket.on('error', () => {})
    const refusal = this.#refusal(req, tcp)
    const url = new URL(req.url ?? '/', 'http://localhost')
    const status = refusal?.status ?? (url.pathname === `/${API_VERSION}/events` ? 0 : 404)
    if (status !== 0) {
      const body = JSON.stringify({ error: refusal?.error ?? 'no such endpoint' })
      socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : 'Forbidden'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
      return
    }
    this.#wss.handleUpgrade(req, socket, head, ws => { this.#onClient(ws, url.searchParams) })
  }

  /** A WebSocket client: every event, or those of one transfer with `?transfer=<id>`. */
  #onClient (ws: WebSocket, query: URLSearchParams): void {
    const only = query.get('transfer')
    const shareOf = (): string | undefined => only != null ? this.#options.transfers?.get(only)?.shareId : undefined
    const listener = (e: ApiEvent): void => {
      if (only != null) {
        if (e.type === 'swarm' ? e.swarm !== shareOf() : !('id' in e) || e.id !== only) {
          if (!(e.type === 'transfer:added' && e.transfer.id === only)) return
        }
      }
      if (ws.bufferedAmount > MAX_WS_BUFFERED_BYTES) { ws.close(1013, 'client too slow'); return }
      ws.send(JSON.stringify(e))
    }
    this.#clients.add(listener)
    ws.on('close', () => { this.#clients.delete(listener) })
    ws.on('error', () => { ws.terminate() })
    ws.on('message', () => {}) // clients have nothing to say yet; payloads are capped by maxPayload
    ws.send(JSON.stringify({ type: 'hello', version: API_VERSION } satisfies ApiEvent))
  }

  readonly #clients = new Set<(e: ApiEvent) => void>()

  #broadcast (e: ApiEvent): void { for (const c of this.#clients) c(e) }

  #subscribe (): void {
    const transfers = this.#options.transfers
    if (transfers != null) {
      const onTransfer = (e: TransferEvent): void => { this.#broadcast(e) }
      transfers.on('event', onTransfer)
      this.#unsubscribe.push(() => { transfers.off('event', onTransfer) })
    }
    const network = (this.#service as Partial<LocalService>).network
    if (network != null) {
      // Per-block events would flood listeners: they show as transfer progress and in the block map.
      const onSwarm = (swarm: string, event: SwarmEvent): void => { if (!HIGH_FREQUENCY_SWARM_EVENTS.has(event.type)) this.#broadcast({ type: 'swarm', swarm, event }) }
      network.on('swarm', onSwarm)
      this.#unsubscribe.push(() => { network.off('swarm', onSwarm) })
    }
  }

  async #handle (req: IncomingMessage, res: ServerResponse, tcp: boolean): Promise<void> {
    const refusal = this.#refusal(req, tcp)
    if (refusal != null) { sendJson(res, refusal.status, { error: refusal.error }); return }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    try {
      for (const r of this.#routes) {
        if (r.method !== method) continue
        const m = r.pattern.exec(url.pathname)
        if (m == null) continue
        const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]))
        const out = await r.handler({ params, query: url.searchParams, body: async () => await readJson(req) })
        sendJson(res, out.status ?? 200, out.body)
        return
      }
      if (await this.#streaming(`${method} ${url.pathname}`, req, res)) return
      sendJson(res, 404, { error: `no such endpoint: ${method} ${url.pathname}` })
    } catch (err) {
      const status = err instanceof HttpError ? err.status : err instanceof TransferNotFoundError ? 404 : err instanceof TransferStateError ? 409 : 400
      if (!res.headersSent) sendJson(res, status, { error: (err as Error).message, ...(err instanceof ConfigError ? { code: err.code, params: err.params } : {}) })
      else res.end()
    }
  }

  #registerDefaults (): void {
    const v = `/${API_VERSION}`
    const service = this.#service
    this.route('GET', `${v}/status`, async () => ({
      body: {
        ...await service.status(),
        api: { socket: this.socketPath, tcp: this.tcpAddress ?? null },
        transfers: this.#options.transfers?.list().filter(t => t.state === 'fetching').length ?? 0
      }
    }))
    this.route('GET', `${v}/shares`, async () => ({ body: { shares: await service.list() } }))
    this.route('GET', `${v}/peers`, async () => {
      const network = (service as Partial<LocalService>).network
      const swarms = network?.swarms().map(e => {
        const snap = e.swarm.snapshot()
        return { swarm: e.id, peers: snap.peerList, banned: snap.bannedPeers }
      }) ?? []
      return { body: { transport: network?.transport.kind ?? null, swarms } }
    })
    // Placeholders until the DHT and pins are wired into the daemon (they replace these with route()).
    this.route('GET', `${v}/dht`, async () => { throw new HttpError(501, 'not available: the DHT is not wired into the daemon yet') })
    this.route('GET', `${v}/pins`, async () => { throw new HttpError(501, 'not available: pins are not wired into the daemon yet') })
    const pins = (service as Partial<LocalService>).pins
    if (pins != null) registerPinRoutes(this, pins)

    this.route('GET', `${v}/config`, async () => {
      const config = this.#needConfig()
      return { body: { path: config.path, values: config.load(), keys: Object.fromEntries(Object.entries(CONFIG_KEYS).map(([k, d]) => [k, { example: d.example, usedBy: d.usedBy }])) } }
    })
    this.route('PUT', `${v}/config/:key`, async ({ params, body }) => {
      const b = await body() as { value?: unknown }
      if (typeof b?.value !== 'string') throw new Error('body must be { "value": "<text>" }')
      return { body: { key: params.key, value: this.#needConfig().set(params.key!, b.value), restartNeeded: true } }
    })
    this.route('DELETE', `${v}/config/:key`, async ({ params }) => { this.#needConfig().unset(params.key!); return { body: { key: params.key, restartNeeded: true } } })

    this.route('GET', `${v}/transfers`, async () => ({ body: { transfers: this.#needTransfers().list() } }))
    this.route('POST', `${v}/transfers`, async ({ body }) => {
      const b = await body() as { link?: unknown, output?: unknown, peers?: unknown, select?: unknown, overwrite?: unknown }
      if (typeof b?.link !== 'string' || typeof b.output !== 'string') throw new Error('body must be { link, output, peers?, select?, overwrite? }')
      if (!b.output.startsWith('/')) throw new Error('output must be an absolute path')
      const transfer = this.#needTransfers().add({ link: b.link, output: b.output, peers: strings(b.peers ?? [], 'peers'), select: strings(b.select ?? [], 'select'), overwrite: b.overwrite === true })
      return { status: 201, body: { transfer } }
    })
    this.route('GET', `${v}/transfers/:id`, async ({ params, query }) => {
      const cells = query.get('cells')
      const detail = this.#needTransfers().detail(params.id!, cells != null ? clampInt(cells, 1, 100_000) : undefined)
      if (detail == null) throw new HttpError(404, `no transfer ${params.id!}`)
      return { body: { transfer: detail } }
    })
    this.route('POST', `${v}/transfers/:id/pause`, async ({ params }) => ({ body: { transfer: await this.#needTransfers().pause(params.id!) } }))
    this.route('POST', `${v}/transfers/:id/resume`, async ({ params }) => ({ body: { transfer: await this.#needTransfers().resume(params.id!) } }))
    this.route('DELETE', `${v}/transfers/:id`, async ({ params }) => { await this.#needTransfers().cancel(params.id!); return { body: { id: params.id, cancelled: true } } })
    this.route('PUT', `${v}/transfers/:id/files`, async ({ params, body }) => {
      const b = await body() as { priorities?: unknown }
      const p = b?.priorities
      if (p == null || typeof p !== 'object' || Array.isArray(p) || !Object.values(p).every(x => typeof x === 'string')) throw new Error('body must be { priorities: { "<path>": "skip" | "normal" } }')
      return { body: { transfer: await this.#needTransfers().setFilePriorities(params.id!, p as Record<string, string>) } }
    })
  }

  #needTransfers (): TransferManager {
    if (this.#options.transfers == null) throw new HttpError(501, 'not available: this server has no transfer manager')
    return this.#options.transfers
  }

  #needConfig (): ConfigFile {
    if (this.#options.config == null) throw new HttpError(501, 'not available: this server has no config file')
    return this.#options.config
  }

  /** The NDJSON endpoints (long work streamed while it runs). */
  async #streaming (route: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    switch (route) {
      case `POST /${API_VERSION}/share`: {
        const body = await readJson(req) as { paths: string[], options?: Record<string, unknown> }
        await stream(res, async send => await this.#service.share(strings(body.paths, 'paths'), body.options ?? {}, (done, total) => { send({ type: 'progress', bytesDone: done, bytesTotal: total }) }))
        return true
      }
      case `POST /${API_VERSION}/fetch`: {
        const body = await readJson(req) as { link: string, output: string, peers?: string[], select?: string[], overwrite?: boolean }
        const abort = new AbortController()
        res.on('close', () => { if (!res.writableFinished) abort.abort(new Error('client went away')) })
        await stream(res, async send => await this.#service.fetch(String(body.link), {
          output: String(body.output),
          peers: strings(body.peers ?? [], 'peers'),
          select: strings(body.select ?? [], 'select'),
          overwrite: body.overwrite === true
        }, e => { send(e) }, abort.signal))
        return true
      }
      case `POST /${API_VERSION}/export`: {
        const body = await readJson(req) as { capability: string, output?: string }
        await stream(res, async send => await this.#service.exportCar(String(body.capability), body.output, (done, total) => { send({ type: 'progress', bytesDone: done, bytesTotal: total }) }))
        return true
      }
      case `POST /${API_VERSION}/import`: {
        const body = await readJson(req) as { file: string }
        await stream(res, async () => await this.#service.importCar(String(body.file)))
        return true
      }
    }
    return false
  }
}

/** The token TCP clients must send (`Authorization: Bearer <token>`), created once with mode 0600. */
export async function loadOrCreateToken (path: string): Promise<Buffer> {
  try {
    const text = (await readFile(path, 'utf8')).trim()
    if (text.length >= 32) return Buffer.from(text)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('base64url')
  await writeFile(path, token + '\n', { mode: 0o600 })
  await chmod(path, 0o600)
  return Buffer.from(token)
}

async function listenOn (server: Server, where: string | { host: string, port: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(where, () => { server.off('error', reject); resolve() })
  })
}

function clampInt (text: string, min: number, max: number): number {
  const n = Number(text)
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${JSON.stringify(text)}`)
  return Math.max(min, Math.min(max, n))
}

function strings (v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every(s => typeof s === 'string')) throw new Error(`${name} must be a list of strings`)
  return v as string[]
}

function sendJson (res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

async function readJson (req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large')
    parts.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'))
  } catch {
    throw new Error('request body is not JSON')
  }
}

/** NDJSON: events while `work` runs (at most every 100 ms for progress), then its result. */
async function stream (res: ServerResponse, work: (send: (event: object) => void) => Promise<object>): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  let lastProgress = 0
  const send = (event: object): void => {
    if ((event as { type?: string }).type === 'progress') {
      const now = performance.now()
      if (now - lastProgress < 100) return
      lastProgress = now
    }
    if (!res.destroyed) res.write(JSON.stringify(event) + '\n')
  }
  try {
    const value = await work(send)
    res.end(JSON.stringify({ type: 'result', value }) + '\n')
  } catch (err) {
    res.end(JSON.stringify({ type: 'error', message: (err as Error).message }) + '\n')
  }
}
