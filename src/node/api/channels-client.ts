// Channels over a running daemon's API (routes-channels.ts), for the CLI and the console.
import type { ChannelReading, ChannelSummary, Policy } from '../../people/channels/index.ts'
import type { ApiCaller } from './protocol.ts'

export type PostBody = { text: string } | { link: string, title?: string, size?: number } | { edit: string, text: string } | { delete: string }

export class ChannelsApiClient {
  readonly #api: ApiCaller
  constructor (api: ApiCaller) { this.#api = api }

  #path (ref: string, action?: string): string { return `/channels/${encodeURIComponent(ref)}${action != null ? `/${action}` : ''}` }

  async list (): Promise<ChannelSummary[]> { return (await this.#api.call('GET', '/channels') as { channels: ChannelSummary[] }).channels }
  async create (name: string, options: { private?: boolean, policy?: unknown } = {}): Promise<ChannelSummary> {
    return await this.#api.call('POST', '/channels', { name, ...options }) as ChannelSummary
  }

  async join (id: string, peers: string[] = []): Promise<ChannelSummary> { return await this.#api.call('POST', '/channels/join', { id, peers }) as ChannelSummary }
  async read (ref: string): Promise<ChannelReading> { return await this.#api.call('GET', this.#path(ref)) as ChannelReading }
  async post (ref: string, body: PostBody): Promise<{ id: string, pushed: number }> { return await this.#api.call('POST', this.#path(ref, 'post'), body) as { id: string, pushed: number } }
  async invite (ref: string, account: string, role: string, options: { days?: number, scope?: string[] } = {}): Promise<{ account: string, role: string, exp: number, pushed: number }> {
    return await this.#api.call('POST', this.#path(ref, 'invite'), { account, role, ...options }) as { account: string, role: string, exp: number, pushed: number }
  }

  async revoke (ref: string, account: string): Promise<{ account: string, rotated: boolean, pushed: number }> {
    return await this.#api.call('POST', this.#path(ref, 'revoke'), { account }) as { account: string, rotated: boolean, pushed: number }
  }

  /** Revokes a node key: this daemon's own (replaced at once), or the one `account` signs with now. */
  async revokeNodeKey (ref: string, account?: string): Promise<{ account: string, node: string, pushed: number }> {
    return await this.#api.call('POST', this.#path(ref, 'revoke-node-key'), account != null ? { account } : {}) as { account: string, node: string, pushed: number }
  }

  async leave (ref: string): Promise<{ id: string, pushed: number }> { return await this.#api.call('POST', this.#path(ref, 'leave'), {}) as { id: string, pushed: number } }
  async forget (ref: string): Promise<{ id: string }> { return await this.#api.call('POST', this.#path(ref, 'forget'), {}) as { id: string } }
  async sync (ref: string, peers: string[] = []): Promise<{ peers: number, received: number, sent: number }> {
    return await this.#api.call('POST', this.#path(ref, 'sync'), { peers }) as { peers: number, received: number, sent: number }
  }

  async policy (ref: string): Promise<{ id: string, name: string, policy: Policy }> { return await this.#api.call('GET', this.#path(ref, 'policy')) as { id: string, name: string, policy: Policy } }
  async setPolicy (ref: string, policy: unknown): Promise<{ id: string, policy: Policy }> { return await this.#api.call('POST', this.#path(ref, 'policy'), { policy }) as { id: string, policy: Policy } }
  async follow (ref: string, follow: { autoFetch: boolean, maxSize?: number, output?: string } | false): Promise<ChannelSummary> {
    return await this.#api.call('POST', this.#path(ref, 'follow'), follow === false ? { follow: false } : follow) as ChannelSummary
  }
}
