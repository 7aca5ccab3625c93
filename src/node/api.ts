// The daemon's local API: JSON over HTTP on a unix socket inside the data directory (mode 0700,
// so only the owner reaches it). Long operations answer with NDJSON: event lines, then one
// `{type:"result"}` or `{type:"error"}` line. docs/API.md describes it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { chmod, rm } from 'node:fs/promises'
import type { NodeService } from './service.ts'

export const API_VERSION = 'v0'
const MAX_BODY_BYTES = 1024 * 1024

export class ApiServer {
  readonly #service: NodeService
  readonly #server: Server
  readonly socketPath: string

  constructor (service: NodeService, socketPath: string) {
    this.#service = service
    this.socketPath = socketPath
    this.#server = createServer((req, res) => { void this.#handle(req, res) })
  }

  async listen (): Promise<void> {
    await rm(this.socketPath, { force: true })
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(this.socketPath, () => { this.#server.off('error', reject); resolve() })
    })
    await chmod(this.socketPath, 0o600)
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>(resolve => { this.#server.close(() => { resolve() }) })
    await rm(this.socketPath, { force: true })
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A browser page could reach a TCP API by DNS rebinding; refuse anything that is not ours.
    const host = req.headers.host ?? ''
    if (!/^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host) || req.headers.origin != null) {
      sendJson(res, 403, { error: 'forbidden host or origin' })
      return
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = `${req.method ?? 'GET'} ${url.pathname}`
    try {
      switch (route) {
        case `GET /${API_VERSION}/status`: sendJson(res, 200, await this.#service.status()); return
        case `GET /${API_VERSION}/shares`: sendJson(res, 200, { shares: await this.#service.list() }); return
        case `POST /${API_VERSION}/share`: {
          const body = await readJson(req) as { paths: string[], options?: Record<string, unknown> }
          await stream(res, async send => await this.#service.share(strings(body.paths, 'paths'), body.options ?? {}, (done, total) => { send({ type: 'progress', bytesDone: done, bytesTotal: total }) }))
          return
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
          return
        }
        case `POST /${API_VERSION}/export`: {
          const body = await readJson(req) as { capability: string, output?: string }
          await stream(res, async send => await this.#service.exportCar(String(body.capability), body.output, (done, total) => { send({ type: 'progress', bytesDone: done, bytesTotal: total }) }))
          return
        }
        case `POST /${API_VERSION}/import`: {
          const body = await readJson(req) as { file: string }
          await stream(res, async () => await this.#service.importCar(String(body.file)))
          return
        }
        default: sendJson(res, 404, { error: `no such endpoint: ${route}` })
      }
    } catch (err) {
      if (!res.headersSent) sendJson(res, 400, { error: (err as Error).message })
      else res.end()
    }
  }
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
    if (size > MAX_BODY_BYTES) throw new Error('request body too large')
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
