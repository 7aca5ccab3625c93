// The daemon's switch for its web UI (`oht webui start|stop`, /v0/webui): one WebUiServer while
// on; each start mints a fresh single-use login URL.
import { join } from 'node:path'
import type { ApiServer, WebUiControl, WebUiStarted, WebUiStartRequest, WebUiStatus } from '../api/index.ts'
import { WebUiServer } from './server.ts'

export interface WebUiOptions {
  api: ApiServer
  /** The node's data directory: fetches go to <data dir>/downloads unless the form says otherwise. */
  dataDir: string
}

export class WebUi implements WebUiControl {
  readonly #options: WebUiOptions
  #server?: WebUiServer
  #starting?: Promise<WebUiServer>

  constructor (options: WebUiOptions) { this.#options = options }

  async start (request: WebUiStartRequest = {}): Promise<WebUiStarted> {
    const server = await (this.#starting ??= this.#open(request.port ?? 0))
    const origin = server.origin!
    return { running: true, origin, url: `${origin}/auth?token=${server.guard.mintToken()}` }
  }

  async #open (port: number): Promise<WebUiServer> {
    const server = new WebUiServer({ api: this.#options.api, downloads: join(this.#options.dataDir, 'downloads') })
    try {
      await server.listen(port)
    } catch (err) {
      this.#starting = undefined
      throw err
    }
    this.#server = server
    return server
  }

  async stop (): Promise<void> {
    const starting = this.#starting
    this.#starting = undefined
    this.#server = undefined
    if (starting != null) await (await starting.catch(() => undefined))?.close()
  }

  status (): WebUiStatus {
    const origin = this.#server?.origin
    return origin != null ? { running: true, origin } : { running: false }
  }
}
