// What the CLI asks of a node about pins, the same embedded or through a daemon: LocalPinService
// runs it in this process, PinApiClient over the daemon's API (route group /v0/pins, added by
// registerPinRoutes). On the wire "never" is null (JSON has no Infinity).
import { request } from 'node:http'
import type { RouteHandler } from './api.ts'
import type { OhtNode } from './node.ts'
import type { NodeNetwork } from './network.ts'
import { PinManager, pinTuningFromEnv, type PinInfo, type SweepResult } from './pins.ts'
import { PinGrants, registerPinProtocol, requestRemotePin, type PinGrant, type PinRequestRecord, type RemotePinResult } from './pin-protocol.ts'

export interface PinServiceRequest {
  /** Lease in ms; null = never; undefined = the default (30 days). */
  ttlMs?: number | null
  peers?: string[]
}

export interface RemotePinServiceRequest {
  ttlMs: number | null
  peers: string[]
  /** Delegation certificate naming this node (oht-cert:...). */
  cert: string
  wait?: boolean
}

export interface PinService {
  nodeId (): Promise<string>
  pin (capability: string, request: PinServiceRequest): Promise<PinInfo>
  unpin (capability: string): Promise<{ id: string, removed: boolean, sweep: SweepResult }>
  list (): Promise<PinInfo[]>
  remotePin (address: string, capability: string, request: RemotePinServiceRequest): Promise<RemotePinResult>
  allow (account: string, limits: { quotaBytes?: number, maxTtlMs?: number | null }): Promise<PinGrant>
  deny (account: string): Promise<boolean>
  grants (): Promise<PinGrant[]>
  /** Remote pin requests this node received and what became of them, newest first. */
  requests (limit?: number): Promise<PinRequestRecord[]>
  sweep (): Promise<SweepResult>
  /** Recounts every block claim; `wrong` is empty when the reference counts are exact. */
  audit (): Promise<{ refs: number, wrong: Array<{ cid: string, stored: number, expected: number }> }>
}

export class LocalPinService implements PinService {
  readonly manager: PinManager
  readonly grantsStore: PinGrants
  readonly #node: OhtNode
  readonly #network: NodeNetwork | undefined

  /** `serve`: a daemon, which answers remote pin requests (registers the protocol: before listen()). */
  constructor (node: OhtNode, network: NodeNetwork | undefined, serve: boolean, formatBytes?: (n: number) => string) {
    this.#node = node
    this.#network = network
    this.manager = new PinManager(node, network, pinTuningFromEnv())
    this.manager.on('error', err => { process.stderr.write(`oht: warning: ${err.message}\n`) })
    this.grantsStore = new PinGrants(node.state)
    if (serve && network != null) registerPinProtocol(network, { pins: this.manager, grants: this.grantsStore, ...(formatBytes != null ? { formatBytes } : {}) })
  }

  async start (): Promise<{ seeded: number, resuming: number }> { return await this.manager.start() }
  async close (): Promise<void> { await this.manager.close() }

  async nodeId (): Promise<string> { return this.#node.keys.nodeId }

  async pin (capability: string, req: PinServiceRequest): Promise<PinInfo> {
    return await this.manager.pin(capability, {
      ...(req.ttlMs !== undefined ? { ttlMs: req.ttlMs ?? Infinity } : {}),
      peers: req.peers ?? []
    })
  }

  async unpin (capability: string): Promise<{ id: string, removed: boolean, sweep: SweepResult }> { return await this.manager.unpin(capability) }
  async list (): Promise<PinInfo[]> { return await this.manager.list() }

  async remotePin (address: string, capability: string, req: RemotePinServiceRequest): Promise<RemotePinResult> {
    if (this.#network == null) throw new Error('remote pinning needs a transport (--transport tcp while Tor is not built)')
    return await requestRemotePin(this.#network, address, { cap: capability, ttlMs: req.ttlMs, peers: req.peers, cert: req.cert }, { wait: req.wait !== false })
  }

  async allow (account: string, limits: { quotaBytes?: number, maxTtlMs?: number | null }): Promise<PinGrant> { return await this.grantsStore.allow(account, limits) }
  async deny (account: string): Promise<boolean> { return await this.grantsStore.deny(account) }
  async grants (): Promise<PinGrant[]> { return await this.grantsStore.list() }
  async requests (limit?: number): Promise<PinRequestRecord[]> { return await this.grantsStore.requests(limit) }
  async sweep (): Promise<SweepResult> { return await this.manager.sweepNow() }
  async audit (): Promise<{ refs: number, wrong: Array<{ cid: string, stored: number, expected: number }> }> { return await this.manager.store.audit() }
}

const PREFIX = '/v0/pins'

/** The part of ApiServer this module needs (api.ts `route()`). */
export interface RouteTable {
  route: (method: string, path: string, handler: RouteHandler) => void
}

/**
 * The daemon's pin routes (replacing api.ts's 501 placeholder): GET /v0/pins, /v0/pins/node,
 * /v0/pins/grants, /v0/pins/requests?limit=, /v0/pins/audit; POST /v0/pins/pin|unpin|remote|
 * allow|deny|sweep with a JSON object body.
 */
export function registerPinRoutes (api: RouteTable, service: PinService): void {
  const post = (name: string, fn: (b: Record<string, unknown>) => Promise<unknown>): void => {
    api.route('POST', `${PREFIX}/${name}`, async ({ body }) => {
      const v = await body()
      if (v == null || typeof v !== 'object' || Array.isArray(v)) throw new Error('request body must be a JSON object')
      return { body: await fn(v as Record<string, unknown>) }
    })
  }
  api.route('GET', PREFIX, async () => ({ body: { pins: await service.list() } }))
  api.route('GET', `${PREFIX}/node`, async () => ({ body: { nodeId: await service.nodeId() } }))
  api.route('GET', `${PREFIX}/grants`, async () => ({ body: { grants: await service.grants() } }))
  api.route('GET', `${PREFIX}/requests`, async ({ query }) => ({ body: { requests: await service.requests(Number(query.get('limit') ?? 100)) } }))
  api.route('GET', `${PREFIX}/audit`, async () => ({ body: await service.audit() }))
  post('pin', async b => { const t = ttl(b, 'ttlMs'); return await service.pin(str(b, 'capability'), { ...(t !== undefined ? { ttlMs: t } : {}), peers: strs(b, 'peers') }) })
  post('unpin', async b => await service.unpin(str(b, 'capability')))
  post('remote', async b => await service.remotePin(str(b, 'address'), str(b, 'capability'), { ttlMs: ttl(b, 'ttlMs') ?? null, peers: strs(b, 'peers'), cert: str(b, 'cert'), wait: b.wait !== false }))
  post('allow', async b => {
    const m = ttl(b, 'maxTtlMs')
    return await service.allow(str(b, 'account'), { ...(typeof b.quotaBytes === 'number' ? { quotaBytes: b.quotaBytes } : {}), ...(m !== undefined ? { maxTtlMs: m } : {}) })
  })
  post('deny', async b => ({ removed: await service.deny(str(b, 'account')) }))
  post('sweep', async () => await service.sweep())
}

function str (b: Record<string, unknown>, k: string): string {
  const v = b[k]
  if (typeof v !== 'string') throw new Error(`${k} must be a string`)
  return v
}

function strs (b: Record<string, unknown>, k: string): string[] {
  const v = b[k] ?? []
  if (!Array.isArray(v) || !v.every(x => typeof x === 'string')) throw new Error(`${k} must be a list of strings`)
  return v as string[]
}

function ttl (b: Record<string, unknown>, k: string): number | null | undefined {
  const v = b[k]
  if (v === undefined || v === null || (typeof v === 'number' && v > 0)) return v
  throw new Error(`${k} must be a positive number of ms, or null for never`)
}

/** PinService over a running daemon's API socket. */
export class PinApiClient implements PinService {
  readonly socketPath: string
  constructor (socketPath: string) { this.socketPath = socketPath }

  async nodeId (): Promise<string> { return (await this.#call('GET', '/node') as { nodeId: string }).nodeId }
  async pin (capability: string, req: PinServiceRequest): Promise<PinInfo> { return await this.#call('POST', '/pin', { capability, ...req }) as PinInfo }
  async unpin (capability: string): Promise<{ id: string, removed: boolean, sweep: SweepResult }> { return await this.#call('POST', '/unpin', { capability }) as { id: string, removed: boolean, sweep: SweepResult } }
  async list (): Promise<PinInfo[]> { return (await this.#call('GET', '') as { pins: PinInfo[] }).pins }
  async remotePin (address: string, capability: string, req: RemotePinServiceRequest): Promise<RemotePinResult> { return await this.#call('POST', '/remote', { address, capability, ...req }) as RemotePinResult }
  async allow (account: string, limits: { quotaBytes?: number, maxTtlMs?: number | null }): Promise<PinGrant> { return await this.#call('POST', '/allow', { account, ...limits }) as PinGrant }
  async deny (account: string): Promise<boolean> { return (await this.#call('POST', '/deny', { account }) as { removed: boolean }).removed }
  async grants (): Promise<PinGrant[]> { return (await this.#call('GET', '/grants') as { grants: PinGrant[] }).grants }
  async requests (limit = 100): Promise<PinRequestRecord[]> { return (await this.#call('GET', `/requests?limit=${limit}`) as { requests: PinRequestRecord[] }).requests }
  async sweep (): Promise<SweepResult> { return await this.#call('POST', '/sweep', {}) as SweepResult }
  async audit (): Promise<{ refs: number, wrong: Array<{ cid: string, stored: number, expected: number }> }> { return await this.#call('GET', '/audit') as { refs: number, wrong: Array<{ cid: string, stored: number, expected: number }> } }

  async #call (method: 'GET' | 'POST', path: string, body?: object): Promise<unknown> {
    const payload = body != null ? JSON.stringify(body, (_k, v: unknown) => v === Infinity ? null : v) : undefined
    return await new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        path: PREFIX + path,
        method,
        headers: { host: 'localhost', ...(payload != null ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) }
      }, res => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => {
          try {
            const v = JSON.parse(Buffer.concat(parts).toString('utf8')) as { error?: string }
            if ((res.statusCode ?? 500) >= 400) reject(new Error(v.error ?? `the daemon answered ${res.statusCode}`))
            else resolve(v)
          } catch (err) { reject(err as Error) }
        })
      })
      req.on('error', reject)
      req.end(payload)
    })
  }
}
