// The console's extra routes over a running daemon's API (routes-dht-admin.ts, routes-tor.ts).
import type { ConnectResult, NodeLookupResult, PingResult } from '../network/index.ts'
import type { ApiCaller } from './protocol.ts'
import type { NewOnionsAnswer, TorStatus } from './routes-tor.ts'

export class AdminApiClient {
  readonly #api: ApiCaller
  constructor (api: ApiCaller) { this.#api = api }
  async ping (target: string, count = 4): Promise<PingResult> { return await this.#api.call('POST', '/dht/admin/ping', { target, count }) as PingResult }
  async lookup (nodeId: string): Promise<NodeLookupResult> { return await this.#api.call('POST', '/dht/admin/lookup', { nodeId }) as NodeLookupResult }
  async connect (address: string): Promise<ConnectResult> { return await this.#api.call('POST', '/dht/admin/connect', { address }) as ConnectResult }
  async tor (): Promise<TorStatus> { return await this.#api.call('GET', '/tor') as TorStatus }
  async newnym (): Promise<{ ok: boolean, nextInSeconds: number }> { return await this.#api.call('POST', '/tor/newnym', {}) as { ok: boolean, nextInSeconds: number } }
  async newOnions (): Promise<NewOnionsAnswer> { return await this.#api.call('POST', '/tor/newonions', {}) as NewOnionsAnswer }
  async torAction (action: 'start' | 'stop'): Promise<unknown> { return await this.#api.call('POST', `/tor/${action}`, {}) }
}
