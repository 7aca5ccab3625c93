import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'
import { parseRange } from './range.ts'
import { RangeReader } from './reader.ts'
import type { StreamableShare, StreamFile } from './share.ts'

/** Loopback names a browser may put in `Host` for this server; anything else is DNS rebinding. */
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i
const TOKEN_BYTES = 24
const TCHAR = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
/** A media type as RFC 9110 §8.3.1 writes it (printable ASCII only: nothing a header could break on). */
const MEDIA_TYPE = new RegExp(`^${TCHAR}/${TCHAR}(?:[ \t]*;[ \t]*${TCHAR}=(?:${TCHAR}|"[\x20\x21\x23-\x5b\x5d-\x7e]*"))*$`)
/** Types a browser shows without running anything of the file: everything else gets the strict policy. */
const PASSIVE_TYPE = /^(video|audio)\/|^image\/(?!svg)/i

/**
 * The Content-Type of a file: its manifest's MIME type only if it is a well-formed media type;
 * a manifest is written by the sharer, and a CR/LF or any other odd byte there must not reach a
 * header (docs/SECURITY.md).
 */
export function safeMediaType (mime: string): string {
  return mime.length <= 255 && MEDIA_TYPE.test(mime) ? mime : 'application/octet-stream'
}

/**
 * Sandboxed always; anything a browser could execute (html, svg, xml, js, css, pdf, unknown
 * types) may load nothing either. Media keeps the bare sandbox: a browser tab playing a video
 * loads it into a media document of this response.
 */
export function contentSecurityPolicy (type: string): string {
  return PASSIVE_TYPE.test(type) ? 'sandbox' : "sandbox; default-src 'none'"
}

export interface StreamServerOptions {
  /** URL-safe secret that every URL carries; random (192 bits) by default. */
  token?: string
}

/**
 * The local streaming endpoints: `GET`/`HEAD` with single-range `Range` for every file of the
 * shares added to it, at `/<token>/<share id>/<path in share>`. Usable two ways: `listen()` as its
 * own server on 127.0.0.1, or `handle` mounted in another HTTP server (the daemon's).
 *
 * No CORS headers at all (a page elsewhere cannot read these bytes), the Host header must name
 * loopback (defeats DNS rebinding), a request with an Origin (a script of some page) is refused,
 * and the token keeps other local users and pages from guessing URLs.
 */
export class StreamServer {
  readonly token: string
  readonly #shares = new Map<string, StreamableShare>()
  #server?: Server
  #origin?: string

  constructor (options: StreamServerOptions = {}) {
    this.token = options.token ?? randomBytes(TOKEN_BYTES).toString('base64url')
    if (!/^[A-Za-z0-9_-]{16,}$/.test(this.token)) throw new Error('stream token must be at least 16 URL-safe characters')
  }

  /** `http://127.0.0.1:<port>` once listening. */
  get origin (): string | undefined { return this.#origin }

  addShare (share: StreamableShare): void { this.#shares.set(share.id, share) }
  removeShare (id: string): void { this.#shares.delete(id) }
  share (id: string): StreamableShare | undefined { return this.#shares.get(id) }

  /** Path (no origin) of a file of a share: token, share id, then the file's path segments. */
  pathFor (shareId: string, filePath: string): string {
    return `/${this.token}/${encodeURIComponent(shareId)}/${filePath.split('/').map(encodeURIComponent).join('/')}`
  }

  /** Full URL of a file on this server (it must be listening). */
  urlFor (shareId: string, filePath: string): string {
    if (this.#origin == null) throw new Error('the stream server is not listening')
    return this.#origin + this.pathFor(shareId, filePath)
  }

  /** Listens on 127.0.0.1 only (port 0: any free port); returns the origin. */
  async listen (port = 0): Promise<string> {
    const server = createServer((req, res) => { this.handle(req, res) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve() })
    })
    this.#server = server
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return this.#origin
  }

  async close (): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (server == null) return
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }

  /** The request handler, for mounting under another server. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#handle(req, res).catch(err => {
      if (!res.headersSent) plain(res, 500, `stream error: ${(err as Error).message}`)
      else res.destroy(err as Error)
    })
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) { plain(res, 403, 'forbidden host'); return }
    // Players and a typed URL send no Origin; a script of any web page does.
    if (req.headers.origin != null) { plain(res, 403, 'forbidden origin'); return }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      plain(res, 405, 'only GET and HEAD')
      return
    }
    const target = this.#resolve(req.url ?? '/')
    if (target == null) { plain(res, 404, 'not found'); return }
    const { share, file } = target
    const range = parseRange(req.headers.range, file.size)
    res.setHeader('accept-ranges', 'bytes')
    const type = safeMediaType(file.mime)
    res.setHeader('content-type', type)
    // Shared content is untrusted: never sniffed into HTML, never run as a page of this origin,
    // never cached, and the token does not leak through Referer.
    res.setHeader('x-content-type-options', 'nosniff')
    res.setHeader('content-security-policy', contentSecurityPolicy(type))
    res.setHeader('cache-control', 'no-store')
    res.setHeader('referrer-policy', 'no-referrer')
    if (range.kind === 'unsatisfiable') {
      res.setHeader('content-range', `bytes */${file.size}`)
      plain(res, 416, 'range not satisfiable')
      return
    }
    const { start, end } = range.kind === 'partial' ? range.range : { start: 0, end: file.size - 1 }
    res.statusCode = range.kind === 'partial' ? 206 : 200
    if (range.kind === 'partial') res.setHeader('content-range', `bytes ${start}-${end}/${file.size}`)
    res.setHeader('content-length', Math.max(0, end - start + 1))
    if (req.method === 'HEAD' || end < start) { res.end(); return }
    const reader = new RangeReader(share, file, { start, end })
    try {
      await pipeline(reader, res)
    } catch {
      // The client went away (a seek, a closed player): the reader already dropped its window.
    }
  }

  #resolve (rawUrl: string): { share: StreamableShare, file: StreamFile } | undefined {
    const pathname = rawUrl.split('?')[0]!
    const parts = pathname.split('/')
    if (parts.length < 4 || parts[0] !== '') return undefined
    if (!sameSecret(parts[1]!, this.token)) return undefined
    let shareId: string
    let filePath: string
    try {
      shareId = decodeURIComponent(parts[2]!)
      filePath = parts.slice(3).map(decodeURIComponent).join('/')
    } catch {
      return undefined
    }
    const share = this.#shares.get(shareId)
    const file = share?.files.find(f => f.path === filePath)
    return share != null && file != null ? { share, file } : undefined
  }
}

function sameSecret (given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function plain (res: ServerResponse, status: number, text: string): void {
  res.statusCode = status
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(text) + 1)
  res.end(text + '\n')
}
