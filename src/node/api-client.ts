import { request } from 'node:http'
import { connect } from 'node:net'
import { resolve } from 'node:path'
import { API_VERSION } from './api.ts'
import type { FetchRequest, NodeService, StatusResult } from './service.ts'
import type { ListedShare, ShareResult } from './node.ts'
import type { FetchEvent, FetchResult } from './fetch.ts'
import type { ExportResult, ImportResult } from './car.ts'
import { parseCapability, type ShareBuildOptions } from '../blocks/index.ts'

/** True when a daemon answers on the socket. */
export async function daemonRunning (socketPath: string): Promise<boolean> {
  return await new Promise<boolean>(done => {
    const s = connect(socketPath)
    s.once('connect', () => { s.destroy(); done(true) })
    s.once('error', () => { done(false) })
  })
}

/** NodeService over a running daemon's API. Paths are made absolute here: the daemon's cwd differs. */
export class DaemonClient implements NodeService {
  readonly socketPath: string
  constructor (socketPath: string) { this.socketPath = socketPath }

  async status (): Promise<StatusResult> { return await this.#get('/status') as StatusResult }
  async list (): Promise<ListedShare[]> { return (await this.#get('/shares') as { shares: ListedShare[] }).shares }

  async share (paths: string[], options: Pick<ShareBuildOptions, 'name' | 'followSymlinks' | 'blockSize'>, onProgress?: (done: number, total: number) => void): Promise<ShareResult> {
    return await this.#post('/share', { paths: paths.map(p => resolve(p)), options }, e => { if (e.type === 'progress') onProgress?.(e.bytesDone as number, e.bytesTotal as number) }) as ShareResult
  }

  async fetch (link: string, req: FetchRequest, onEvent?: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult> {
    return await this.#post('/fetch', { link, ...req, output: resolve(req.output) }, e => { onEvent?.(e as unknown as FetchEvent) }, signal) as FetchResult
  }

  async exportCar (capability: string, output?: string, onProgress?: (done: number, total: number) => void): Promise<ExportResult> {
    // The same default name as an embedded export, resolved here: the daemon's cwd differs.
    const path = resolve(output ?? `${parseCapability(capability).manifestCid.toString()}.car`)
    return await this.#post('/export', { capability, output: path }, e => { if (e.type === 'progress') onProgress?.(e.bytesDone as number, e.bytesTotal as number) }) as ExportResult
  }

  async importCar (file: string): Promise<ImportResult> { return await this.#post('/import', { file: resolve(file) }) as ImportResult }
  async close (): Promise<void> {}

  async #get (path: string): Promise<unknown> {
    return await new Promise((done, fail) => {
      const req = request({ socketPath: this.socketPath, path: `/${API_VERSION}${path}`, method: 'GET', headers: { host: 'localhost' } }, res => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => {
          try {
            const body = JSON.parse(Buffer.concat(parts).toString()) as { error?: string }
            if ((res.statusCode ?? 500) >= 400) fail(new Error(body.error ?? `daemon answered ${res.statusCode}`))
            else done(body)
          } catch (err) { fail(err as Error) }
        })
      })
      req.on('error', fail)
      req.end()
    })
  }

  async #post (path: string, body: object, onEvent?: (e: Record<string, unknown>) => void, signal?: AbortSignal): Promise<unknown> {
    return await new Promise((done, fail) => {
      const payload = JSON.stringify(body)
      const req = request({ socketPath: this.socketPath, path: `/${API_VERSION}${path}`, method: 'POST', headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }, ...(signal != null ? { signal } : {}) }, res => {
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
            if (e.type === 'result') { settled = true; done(e.value) } else if (e.type === 'error') { settled = true; fail(new Error(String(e.message))) } else onEvent?.(e)
          }
        })
        res.on('end', () => {
          if (settled) return
          if ((res.statusCode ?? 500) >= 400) {
            try { fail(new Error((JSON.parse(buffered) as { error: string }).error)) } catch { fail(new Error(`daemon answered ${res.statusCode}`)) }
          } else fail(new Error('the daemon closed the connection without a result'))
        })
      })
      req.on('error', fail)
      req.end(payload)
    })
  }
}
