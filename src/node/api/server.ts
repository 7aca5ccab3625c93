// The daemon's local API: JSON over HTTP, and a WebSocket event stream at /v0/events. On a unix
// socket inside the data directory (mode 0600 in a 0700 directory: only the owner reaches it),
// and optionally on a loopback TCP address where every request must carry the token of
// <data dir>/api.token. Long operations answer with NDJSON: event lines, then one
// `{type:"result"}` or `{type:"error"}` line. docs/API.md describes it.
import createDebug from 'debug'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, readFile, rm, writeFile } from 'node:fs/promises'
import { WebSocketServer, type WebSocket } from 'ws'
import type { SwarmEvent } from '../../swarm/index.ts'
import type { NodeNetwork } from '../network/index.ts'
import { HIGH_FREQUENCY_SWARM_EVENTS, type TransferEvent, type TransferManager } from '../transfers/index.ts'
import { API_VERSION, type ApiEvent } from './protocol.ts'
import { errorBody, HttpError, readJson, sendJson, sendNdjson, statusOf, type RouteHandler, type RouteTable } from './http.ts'

/** DEBUG=oht:api: every request (method and path; never a token or a body). */
const log = createDebug('oht:api')

/** A WebSocket client this far behind is cut off rather than buffered without bound. */
const MAX_WS_BUFFERED_BYTES = 4 * 1024 * 1024
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/

export interface ApiServerOptions {
  /** The daemon's transfer manager: its events go to WebSocket clients (and `?transfer=` filters them). */
  transfers?: TransferManager
  /** The node's network: its swarm events go to WebSocket clients. */
  network?: NodeNetwork
  /** Also listen on this loopback host:port, token required. */
  tcp?: string
  /** Where the token for TCP clients is kept (created with mode 0600 when missing). */
  tokenPath?: string
}

/** The HTTP and WebSocket server; what it answers is the routes added to it (routes-*.ts). */
export class ApiServer implements RouteTable {
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

  constructor (socketPath: string, options: ApiServerOptions = {}) {
    this.#options = options
    this.socketPath = socketPath
    this.#server = this.#makeServer(false)
  }

  /** Adds (or replaces) an endpoint, e.g. `route('GET', '/v0/dht', ...)`: routes added later win. */
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

  /** The event stream for a WebSocket upgrade another front has already checked (the web UI). */
  upgradeTrusted (req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams): void {
    socket.on('error', () => {})
    this.#wss.handleUpgrade(req, socket, head, ws => { this.#onClient(ws, query) })
  }

  /**
   * Calls a route in this process, as a client would (the web UI's pages): `path` is the API path
   * with its query (`/v0/transfers/x?cells=80`). An NDJSON route's events are dropped and its
   * result returned. Errors are thrown as the routes throw them (`statusOf` gives their status).
   */
  async invoke (method: string, path: string, body?: unknown, signal: AbortSignal = new AbortController().signal): Promise<{ status: number, body: unknown }> {
    const url = new URL(path, 'http://localhost')
    for (const r of this.#routes) {
      if (r.method !== method) continue
      const m = r.pattern.exec(url.pathname)
      if (m == null) continue
      const params = pathParams(r.names, m)
      const out = await r.handler({ params, query: url.searchParams, body: async () => body, signal })
      if ('ndjson' in out) return { status: 200, body: await out.ndjson(() => {}) }
      return { status: out.status ?? 200, body: out.body }
    }
    throw new HttpError(404, `no such endpoint: ${method} ${url.pathname}`)
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

  /** Sends an event of another concern (people: requests, messages, presence) to every WebSocket client. */
  publish (e: ApiEvent): void { this.#broadcast(e) }

  #subscribe (): void {
    const transfers = this.#options.transfers
    if (transfers != null) {
      const onTransfer = (e: TransferEvent): void => { this.#broadcast(e) }
      transfers.on('event', onTransfer)
      this.#unsubscribe.push(() => { transfers.off('event', onTransfer) })
    }
    const network = this.#options.network
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
    await this.serveTrusted(req, res, new URL(req.url ?? '/', 'http://localhost'))
  }

  /**
   * Answers a request that another front has already checked (the web UI: its session cookie,
   * Host and Origin); `url`'s path is the API path (`/v0/...`).
   */
  async serveTrusted (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET'
    log('%s %s', method, url.pathname)
    const gone = new AbortController()
    res.on('close', () => { if (!res.writableFinished) gone.abort(new Error('client went away')) })
    try {
      for (const r of this.#routes) {
        if (r.method !== method) continue
        const m = r.pattern.exec(url.pathname)
        if (m == null) continue
        const params = pathParams(r.names, m)
        const out = await r.handler({ params, query: url.searchParams, body: async () => await readJson(req), signal: gone.signal })
        if ('ndjson' in out) await sendNdjson(res, out.ndjson)
        else sendJson(res, out.status ?? 200, out.body)
        return
      }
      sendJson(res, 404, { error: `no such endpoint: ${method} ${url.pathname}` })
    } catch (err) {
      log('%s %s failed: %s', method, url.pathname, (err as Error).message)
      if (!res.headersSent) sendJson(res, statusOf(err), errorBody(err))
      else res.end()
    }
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

/** The `:name` segments of a matched path, decoded; bad percent-encoding is the client's error. */
function pathParams (names: readonly string[], match: RegExpExecArray): Record<string, string> {
  try {
    return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]))
  } catch {
    throw new HttpError(400, `malformed percent-encoding in ${JSON.stringify(match[0].slice(0, 200))}`)
  }
}

async function listenOn (server: Server, where: string | { host: string, port: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(where, () => { server.off('error', reject); resolve() })
  })
}
