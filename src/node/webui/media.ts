// The player's bytes: /media/<share id>/<path> is the daemon's stream server (src/streaming, on
// its own 127.0.0.1 port with its own token) passed through this origin, Range requests and all,
// so the page needs no other origin (CSP media-src 'self'; over an onion service there is no other).
import { request, type IncomingMessage, type ServerResponse } from 'node:http'

const PASSED_REQUEST_HEADERS = ['range', 'if-range']
const PASSED_ANSWER_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag']

/** The shares streamed through this UI: their files' stream-server URLs, by share id. */
export class StreamRegistry {
  readonly #shares = new Map<string, Record<string, string>>()

  add (shareId: string, urls: Record<string, string>): void { this.#shares.set(shareId, urls) }

  files (shareId: string): string[] | undefined {
    const urls = this.#shares.get(shareId)
    return urls != null ? Object.keys(urls) : undefined
  }

  mediaPath (shareId: string, file: string): string {
    return `/media/${encodeURIComponent(shareId)}/${file.split('/').map(encodeURIComponent).join('/')}`
  }

  clear (): void { this.#shares.clear() }

  /** Answers GET/HEAD /media/<share id>/<path>; false when the path is not a streamed file. */
  serve (req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const m = /^\/media\/([^/]+)\/(.+)$/.exec(path)
    if (m == null) return false
    let shareId: string, file: string
    try {
      shareId = decodeURIComponent(m[1]!)
      file = m[2]!.split('/').map(decodeURIComponent).join('/')
    } catch { return false }
    const upstream = this.#shares.get(shareId)?.[file]
    if (upstream == null) return false
    // Shared bytes are untrusted and this origin holds the session: never a script or style of
    // a page here, never a page with scripts, and anything but media is a download.
    const dest = req.headers['sec-fetch-dest']
    if (dest != null && !['video', 'audio', 'track', 'image', 'document', 'empty'].includes(dest)) { res.writeHead(403); res.end(); return true }
    res.setHeader('content-security-policy', "sandbox; default-src 'none'; media-src 'self'")
    const headers: Record<string, string> = {}
    for (const h of PASSED_REQUEST_HEADERS) { const v = req.headers[h]; if (typeof v === 'string') headers[h] = v }
    const out = request(upstream, { method: req.method === 'HEAD' ? 'HEAD' : 'GET', headers }, (answer: IncomingMessage) => {
      const passed: Record<string, string | string[]> = {}
      for (const h of PASSED_ANSWER_HEADERS) { const v = answer.headers[h]; if (v != null) passed[h] = v }
      if (!/^(video|audio|image)\//.test(String(answer.headers['content-type'] ?? ''))) passed['content-disposition'] = 'attachment'
      res.writeHead(answer.statusCode ?? 502, passed)
      answer.pipe(res)
      answer.on('error', () => { res.destroy() })
    })
    out.on('error', () => { if (!res.headersSent) { res.writeHead(502); res.end() } else res.destroy() })
    // A player that seeks drops its request: the stream server then cancels what no reader wants.
    res.on('close', () => { out.destroy() })
    out.end()
    return true
  }
}
