// /v0/webui: starts and stops the daemon's web UI (src/node/webui, docs/WEBUI.md). The UI itself
// is served on its own 127.0.0.1 port; these routes only switch it and hand out a login URL.
import { API_VERSION } from './protocol.ts'
import { objectBody, type RouteTable } from './http.ts'

export interface WebUiStatus {
  running: boolean
  /** `http://127.0.0.1:<port>`, while running. */
  origin?: string
}

export interface WebUiStarted extends WebUiStatus {
  running: true
  origin: string
  /** Opens the UI once: the origin, `/auth?token=` and a fresh single-use token. */
  url: string
}

export interface WebUiStartRequest {
  /** Loopback port to listen on; 0 or absent: any free port. Ignored when already running. */
  port?: number
}

/** What the routes need of the web UI (src/node/webui's WebUi). */
export interface WebUiControl {
  /** Starts the UI (or keeps it running) and mints a fresh login URL. */
  start: (request: WebUiStartRequest) => Promise<WebUiStarted>
  stop: () => Promise<void>
  status: () => WebUiStatus
}

export function registerWebUiRoutes (api: RouteTable, ui: WebUiControl): void {
  const path = `/${API_VERSION}/webui`
  api.route('GET', path, async () => ({ body: ui.status() }))
  api.route('POST', path, async ctx => {
    const b = await objectBody(ctx)
    if (b.port !== undefined && (!Number.isInteger(b.port) || (b.port as number) < 0 || (b.port as number) > 65535)) throw new Error('port must be an integer from 0 to 65535')
    return { body: await ui.start(typeof b.port === 'number' ? { port: b.port } : {}) }
  })
  api.route('DELETE', path, async () => { await ui.stop(); return { body: { running: false } } })
}
