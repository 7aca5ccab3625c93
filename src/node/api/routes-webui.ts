// /v0/webui: starts and stops the daemon's web UI (src/node/webui, docs/WEBUI.md). The UI itself
// is served on its own 127.0.0.1 port; these routes only switch it and hand out a login URL.
import { API_VERSION } from './protocol.ts'
import { objectBody, type RouteTable } from './http.ts'

export interface WebUiStatus {
  running: boolean
  /** `http://127.0.0.1:<port>`, while running. */
  origin?: string
  /** `http://<56 chars>.onion`, while the UI is also on its onion service. */
  onionOrigin?: string
}

/** The UI on its own onion service, reachable only with the client key (Tor v3 client authorization). */
export interface WebUiOnion {
  origin: string
  /** Logs a browser in once, over Tor. */
  url: string
  /** The x25519 private key (base32) Tor Browser asks for. */
  clientKey: string
  /** The same for a tor client's ClientOnionAuthDir (a `.auth_private` file's line). */
  authLine: string
}

export interface WebUiStarted extends WebUiStatus {
  running: true
  origin: string
  /** Opens the UI once: the origin, `/auth?token=` and a fresh single-use token. */
  url: string
  onion?: WebUiOnion
}

export interface WebUiStartRequest {
  /** Loopback port to listen on; 0 or absent: any free port. Ignored when already running. */
  port?: number
  /** Also publish the UI on its own onion service with client authorization (Tor transport only). */
  onion?: boolean
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
    return { body: await ui.start({ ...(typeof b.port === 'number' ? { port: b.port } : {}), onion: b.onion === true }) }
  })
  api.route('DELETE', path, async () => { await ui.stop(); return { body: { running: false } } })
}
