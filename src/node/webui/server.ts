// The web UI's HTTP server, on 127.0.0.1 only: the guard first (Host, Origin, fetch metadata,
// session), then assets, the login exchange, the language switch, pages and forms, the player's
// media, and the daemon's API under /api (JSON and the WebSocket event stream), which the page
// script uses with the session cookie instead of the API's bearer token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { statusOf, type ApiServer } from '../api/index.ts'
import { Assets } from './assets.ts'
import { Guard, SECURITY_HEADERS } from './guard.ts'
import { html } from './html.ts'
import { LANG_COOKIE, localeOf, translator } from './i18n/index.ts'
import { StreamRegistry } from './media.ts'
import type { PageContext } from './pages/context.ts'
import { layout, localPath } from './pages/layout.ts'
import { match, uiRoutes, type UiRoutes } from './routes.ts'

const MAX_FORM_BYTES = 64 * 1024

export interface WebUiServerOptions {
  api: ApiServer
  /** Default folder for fetches started from the UI. */
  downloads: string
}

export class WebUiServer {
  readonly guard = new Guard()
  readonly #options: WebUiServerOptions
  readonly #server: Server
  readonly #assets = new Assets()
  readonly #streams = new StreamRegistry()
  readonly #routes: UiRoutes = uiRoutes(this.#streams)
  #origin?: string
  /** Upgraded sockets (WebSockets) are not the HTTP server's to close: ours to end on close. */
  readonly #sockets = new Set<Duplex>()

  constructor (options: WebUiServerOptions) {
    this.#options = options
    this.#server = createServer((req, res) => { void this.#handle(req, res).catch(() => { res.destroy() }) })
    this.#server.on('upgrade', (req, socket, head) => { this.#upgrade(req, socket, head) })
  }

  /** `http://127.0.0.1:<port>` once listening. */
  get origin (): string | undefined { return this.#origin }

  /** The loopback port, once listening. */
  get port (): number | undefined { return this.#server.listening ? (this.#server.address() as AddressInfo).port : undefined }

  async listen (port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, '127.0.0.1', () => { this.#server.off('error', reject); resolve() })
    })
    const bound = (this.#server.address() as AddressInfo).port
    const host = `127.0.0.1:${bound}`
    this.guard.allowHost(host)
    this.guard.cookie = `oht_ui_${bound}`
    this.#origin = `http://${host}`
    return this.#origin
  }

  async close (): Promise<void> {
    this.guard.reset()
    this.#streams.clear()
    if (!this.#server.listening) return
    for (const socket of this.#sockets) socket.destroy()
    this.#server.closeAllConnections()
    await new Promise<void>(resolve => { this.#server.close(() => { resolve() }) })
  }

  #upgrade (req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {})
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (this.guard.checkRequest(req, true) != null || !this.guard.hasSession(req) || url.pathname !== '/api/v0/events') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
      return
    }
    this.#sockets.add(socket)
    socket.once('close', () => { this.#sockets.delete(socket) })
    this.#options.api.upgradeTrusted(req, socket, head, url.searchParams)
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v!)
    const method = req.method ?? 'GET'
    const read = method === 'GET' || method === 'HEAD'
    const refusal = this.guard.checkRequest(req, !read)
    if (refusal != null) { plain(res, refusal.status, refusal.error); return }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const locale = localeOf(req)
    const t = translator(locale)
    const here = path + url.search

    if (read && path.startsWith('/assets/')) {
      const asset = await this.#assets.get(path.slice('/assets/'.length)).catch(() => undefined)
      if (asset == null) { plain(res, 404, 'not found'); return }
      res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length })
      res.end(method === 'HEAD' ? undefined : asset.body)
      return
    }
    if (read && path === '/favicon.ico') { res.writeHead(204); res.end(); return }
    if (read && path.startsWith('/lang/')) {
      const lang = path.slice('/lang/'.length)
      if (lang !== 'en' && lang !== 'de') { plain(res, 404, 'not found'); return }
      redirect(res, localPath(url.searchParams.get('next'), '/transfers'), `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Strict`)
      return
    }
    if (read && path === '/auth') {
      const session = this.guard.exchange(url.searchParams.get('token') ?? '')
      if (session != null) { redirect(res, '/transfers', this.guard.sessionCookie(session)); return }
    }
    if (!this.guard.hasSession(req)) {
      if (path.startsWith('/api/')) { json(res, 401, { error: 'no session: open the URL that `oht webui start` prints' }); return }
      page(res, 401, layout(t, locale, here, { title: t('auth.title'), body: html`<p>${t('auth.text')}</p>`, nav: '' }, false).text)
      return
    }

    if (path.startsWith('/api/v0/')) { await this.#options.api.serveTrusted(req, res, new URL(path.slice('/api'.length) + url.search, 'http://localhost')); return }
    if (read && path.startsWith('/media/')) { if (!this.#streams.serve(req, res, path)) plain(res, 404, 'not found'); return }
    if (method === 'POST' && path === '/logout') {
      this.guard.endSession(req)
      redirect(res, '/transfers', this.guard.sessionCookie(''))
      return
    }
    if (read && path === '/') { redirect(res, '/transfers'); return }

    const ctx: PageContext = {
      t, locale, here, query: url.searchParams, downloads: this.#options.downloads,
      api: async (m, p, body) => (await this.#options.api.invoke(m, p, body)).body
    }
    try {
      if (read) {
        const found = match(this.#routes.pages, path)
        if (found == null) { plain(res, 404, 'not found'); return }
        const p = await found.run(ctx, found.params)
        page(res, 200, layout(t, locale, here, p).text)
        return
      }
      const found = method === 'POST' ? match(this.#routes.actions, path) : undefined
      if (found == null) { plain(res, 404, 'not found'); return }
      const form = await readForm(req)
      redirect(res, localPath(await found.run(ctx, form, found.params), '/transfers'))
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      page(res, statusOf(err), layout(t, locale, here, {
        title: t('error.title'),
        nav: '',
        body: html`<p class="error" role="alert">${message}</p><p><a href="${read ? '/transfers' : localPath(path.replace(/\/(pause|resume|cancel|files|put|request|accept|reject|add|whisper|cast|rm|publish|invite|redeem|receive|file|take|post|share|revoke|follow|leave|create|join)$/, ''), '/transfers')}">${t('error.back')}</a></p>`
      }).text)
    }
  }
}

async function readForm (req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new Error('expected a form')
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_FORM_BYTES) throw new Error('form too large')
    parts.push(chunk as Buffer)
  }
  return new URLSearchParams(Buffer.concat(parts).toString('utf8'))
}

function page (res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function plain (res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function json (res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function redirect (res: ServerResponse, location: string, cookie?: string): void {
  res.writeHead(303, { location, ...(cookie != null ? { 'set-cookie': cookie } : {}), 'content-length': 0 })
  res.end()
}
