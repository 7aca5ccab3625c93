// The daemon's switch for its web UI (`oht webui start|stop`, /v0/webui): one WebUiServer while
// on; each start mints a fresh single-use login URL. With `onion`, the same server is also an
// onion service that only holders of a client key reach (Tor v3 client authorization); the key
// pair is made here, kept in memory only, and its private half handed to the owner to paste into
// Tor Browser.
import { generateKeyPairSync } from 'node:crypto'
import { join } from 'node:path'
import { base32Encode } from '../../onion/index.ts'
import type { ApiServer, WebUiControl, WebUiOnion, WebUiStarted, WebUiStartRequest, WebUiStatus } from '../api/index.ts'
import { NodeError } from '../errors.ts'
import { WebUiServer } from './server.ts'

/** What the UI needs of the Tor transport (TorTransport.publishPrivateService). */
export interface OnionPublisher {
  publishPrivateService: (localPort: number, clientAuthV3: string, virtualPort?: number) => Promise<{ serviceId: string, remove: () => Promise<void> }>
}

export interface WebUiOptions {
  api: ApiServer
  /** The node's data directory: fetches go to <data dir>/downloads unless the form says otherwise. */
  dataDir: string
  /** The Tor transport, when the daemon runs on it (for `onion`). */
  onion?: OnionPublisher
  /** The transport's name, for the error when `onion` is asked without Tor. */
  transport?: string
}

interface PublishedOnion { serviceId: string, clientKey: string, remove: () => Promise<void> }

export class WebUi implements WebUiControl {
  readonly #options: WebUiOptions
  #server?: WebUiServer
  #starting?: Promise<WebUiServer>
  #onion?: Promise<PublishedOnion>

  constructor (options: WebUiOptions) { this.#options = options }

  async start (request: WebUiStartRequest = {}): Promise<WebUiStarted> {
    if (request.onion === true && this.#options.onion == null) throw new NodeError('webui.onionNeedsTor', { transport: this.#options.transport ?? '?' }, 'the web UI over an onion service needs the Tor transport')
    const server = await (this.#starting ??= this.#open(request.port ?? 0))
    const origin = server.origin!
    const token = server.guard.mintToken()
    const started: WebUiStarted = { running: true, origin, url: `${origin}/auth?token=${token}` }
    if (request.onion === true || this.#onion != null) started.onion = this.#onionAnswer(await this.#publish(server), token)
    return started
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

  async #publish (server: WebUiServer): Promise<PublishedOnion> {
    const publisher = this.#options.onion!
    this.#onion ??= (async () => {
      const { publicKey, privateKey } = generateKeyPairSync('x25519')
      const raw = (k: typeof publicKey, field: 'x' | 'd'): Uint8Array => Buffer.from(k.export({ format: 'jwk' })[field]!, 'base64url')
      const published = await publisher.publishPrivateService(server.port!, base32Encode(raw(publicKey, 'x')).toUpperCase())
      server.guard.allowHost(`${published.serviceId}.onion`)
      return { ...published, clientKey: base32Encode(raw(privateKey, 'd')).toUpperCase() }
    })()
    try {
      return await this.#onion
    } catch (err) {
      this.#onion = undefined
      throw err
    }
  }

  #onionAnswer (o: PublishedOnion, token: string): WebUiOnion {
    const origin = `http://${o.serviceId}.onion`
    return { origin, url: `${origin}/auth?token=${token}`, clientKey: o.clientKey, authLine: `${o.serviceId}:descriptor:x25519:${o.clientKey}` }
  }

  async stop (): Promise<void> {
    const starting = this.#starting
    const onion = this.#onion
    this.#starting = undefined
    this.#server = undefined
    this.#onion = undefined
    if (onion != null) await (await onion.catch(() => undefined))?.remove()
    if (starting != null) await (await starting.catch(() => undefined))?.close()
  }

  status (): WebUiStatus {
    const origin = this.#server?.origin
    if (origin == null) return { running: false }
    const onion = this.#server?.guard.hosts().find(h => h.endsWith('.onion'))
    return { running: true, origin, ...(onion != null ? { onionOrigin: `http://${onion}` } : {}) }
  }
}
