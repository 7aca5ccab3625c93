// The public fetch page's HTTP side (`oht daemon --public-fetch`, docs/WEBUI.md "Public fetch"):
// on the node's own address (its onion service; its TCP port on the TCP transport), connections
// that start with an HTTP request come here (src/onion/sniff.ts). It serves the static page and
// its assets, and for a share id the manifest and each block with its Merkle proof: ciphertext
// only. Anyone may ask, so everything is bounded: connections, blocks read at once, and bytes per
// connection (a Tor circuit carries a browser's connections to one onion; tor does not tell an
// onion service which circuit a connection came on, see DECISIONS).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import createDebug from 'debug'
import { parseAddress } from '../../onion/index.ts'
import { RateLimiter } from '../../swarm/index.ts'
import { Assets } from '../webui/assets.ts'
import { publicLocale } from './messages.ts'
import { publicPage } from './page.ts'
import type { PublicShares } from './shares.ts'

/** DEBUG=oht:pf: requests (share id and block number; the page never sends a key). */
const log = createDebug('oht:pf')

export const PUBLIC_FETCH_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; media-src 'self' blob:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

const HEADERS = {
  'content-security-policy': PUBLIC_FETCH_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store'
} as const

export interface PublicFetchLimits {
  /** Bytes per second each connection is sent at most (default 1 MiB/s). */
  bytesPerSecond?: number
  /** Connections open at once; more are closed at once (default 32). */
  maxConnections?: number
  /** Blocks read for pages at once, over all connections (default 8): bounds the memory they take. */
  maxBlocksInFlight?: number
  /** How long a request waits for a block the swarm has not delivered yet (default 120 s). */
  blockWaitMs?: number
}

export const PUBLIC_FETCH_DEFAULTS = { bytesPerSecond: 1024 * 1024, maxConnections: 32, maxBlocksInFlight: 8, blockWaitMs: 120_000 }

const SHARE_ID = /^b[a-z2-7]{20,120}$/

export class PublicFetchServer {
  readonly #shares: PublicShares
  readonly #limits: typeof PUBLIC_FETCH_DEFAULTS
  readonly #http: Server
  readonly #assets = new Assets()
  readonly #sockets = new Set<Socket>()
  readonly #rates = new WeakMap<Socket, RateLimiter>()
  #reading = 0
  readonly #queue: Array<() => void> = []
  #closed = false

  constructor (shares: PublicShares, limits: PublicFetchLimits = {}) {
    this.#shares = shares
    this.#limits = { ...PUBLIC_FETCH_DEFAULTS, ...limits }
    for (const [k, v] of Object.entries(this.#limits)) if (!(v > 0)) throw new RangeError(`public fetch limit ${k} must be more than 0, got ${v}`)
    this.#http = createServer({ requestTimeout: 60_000, headersTimeout: 20_000, maxHeaderSize: 8 * 1024, keepAliveTimeout: 10_000 }, (req, res) => {
      void this.#handle(req, res).catch(err => { fail(res, 500, `internal error: ${(err as Error).message}`) })
    })
    this.#http.on('clientError', (_err, socket) => { socket.destroy() })
  }

  /** Connections open now. */
  get connections (): number { return this.#sockets.size }

  /** Takes a connection whose first bytes are an HTTP request (the transport's serveHttp handler). */
  readonly accept = (socket: Socket): void => {
    if (this.#closed || this.#sockets.size >= this.#limits.maxConnections) { socket.destroy(); return }
    this.#sockets.add(socket)
    socket.on('error', () => {})
    socket.once('close', () => { this.#sockets.delete(socket) })
    this.#rates.set(socket, new RateLimiter(this.#limits.bytesPerSecond))
    this.#http.emit('connection', socket)
  }

  async close (): Promise<void> {
    this.#closed = true
    for (const s of this.#sockets) s.destroy()
    for (const wake of this.#queue.splice(0)) wake()
    this.#http.close()
    await this.#shares.close()
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(HEADERS)) res.setHeader(k, v)
    if (req.method !== 'GET' && req.method !== 'HEAD') { fail(res, 405, 'only GET and HEAD'); return }
    const url = new URL(req.url ?? '/', 'http://node')
    const path = url.pathname
    if (path === '/') {
      await this.#send(req, res, 'text/html; charset=utf-8', Buffer.from(publicPage(publicLocale(url.searchParams.get('lang'), req.headers['accept-language']))))
      return
    }
    if (path === '/favicon.ico') { res.writeHead(204); res.end(); return }
    const asset = /^\/pf\/assets\/(core\.js|media\.js|page\.js|style\.css)$/.exec(path)
    if (asset != null) {
      const found = await this.#assets.get(`pf/${asset[1]!}`)
      if (found == null) { fail(res, 404, 'not found'); return }
      await this.#send(req, res, found.type, found.body)
      return
    }
    const m = /^\/pf\/([^/]+)\/(manifest|block\/(\d{1,9}))$/.exec(path)
    if (m == null || !SHARE_ID.test(m[1]!)) { fail(res, 404, 'not found'); return }
    const id = m[1]!
    log('%s %s', id.slice(-12), m[3] != null ? `block ${m[3]}` : 'manifest')
    // Both waits (a swarm's metadata, a block it has not received) end with the request or the deadline.
    const gone = new AbortController()
    res.once('close', () => { gone.abort() })
    const timer = setTimeout(() => { gone.abort(new Error('timeout')) }, this.#limits.blockWaitMs)
    timer.unref()
    try {
      const share = await this.#shares.open(id, gone.signal).catch(err => { if (gone.signal.aborted) return 'late' as const; throw err })
      if (share === 'late') { fail(res, 504, 'the share\'s metadata did not arrive from the swarm in time'); return }
      if (share == null) { fail(res, 404, 'this node does not have that share'); return }
      if (m[3] == null) { await this.#send(req, res, 'application/vnd.ipld.dag-cbor', share.manifestBytes); return }
      const index = Number(m[3])
      if (index >= share.blockCount) { fail(res, 404, `the share has ${share.blockCount} blocks`); return }
      await this.#slot()
      let parts: Uint8Array[]
      try {
        parts = await share.block(index, gone.signal)
      } catch (err) {
        if (gone.signal.aborted) { fail(res, 504, `block ${index} did not arrive from the swarm in time`); return }
        throw err
      } finally {
        this.#release()
      }
      await this.#send(req, res, 'application/octet-stream', parts)
    } finally {
      clearTimeout(timer)
    }
  }

  /** Writes the answer once the connection's rate allows it. */
  async #send (req: IncomingMessage, res: ServerResponse, type: string, body: Uint8Array | Uint8Array[]): Promise<void> {
    const parts = Array.isArray(body) ? body : [body]
    const length = parts.reduce((n, p) => n + p.length, 0)
    const rate = this.#rates.get(req.socket)
    if (rate != null && req.method === 'GET' && !(await rate.take(length, () => !res.destroyed))) return
    res.writeHead(200, { 'content-type': type, 'content-length': length })
    if (req.method === 'HEAD') { res.end(); return }
    for (const p of parts) res.write(p)
    res.end()
  }

  async #slot (): Promise<void> {
    if (this.#reading < this.#limits.maxBlocksInFlight) { this.#reading++; return }
    await new Promise<void>(resolve => { this.#queue.push(resolve) })
    this.#reading++
  }

  #release (): void {
    this.#reading--
    this.#queue.shift()?.()
  }
}

/** The page's address on a node address: `http://<name>.onion:<port>/`, `http://127.0.0.1:<port>/`. */
export function publicFetchUrl (nodeAddress: string): string {
  const a = parseAddress(nodeAddress)
  if (a.transport === 'memory') throw new Error('a memory transport has no HTTP address')
  const host = a.host.includes(':') ? `[${a.host}]` : a.host
  return `http://${host}:${a.port}/`
}

function fail (res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) { res.destroy(); return }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
