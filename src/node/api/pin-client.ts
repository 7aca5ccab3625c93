// PinService over a running daemon's API (routes-pins.ts): capabilities travel as text.
import type { Capability, VerifyCap } from '../../blocks/index.ts'
import type { PinAudit, PinGrant, PinInfo, PinLimits, PinRequestRecord, PinService, PinServiceRequest, RemotePinResult, RemotePinServiceRequest, SweepResult } from '../pins/index.ts'
import type { ApiCaller } from './protocol.ts'

/** A capability as text; the link codec (multiformats) is loaded only by the calls that send one. */
async function capText (cap: Capability): Promise<string> {
  const { formatLink, formatVerifyCap } = await import('../../blocks/link.ts')
  return cap.kind === 'read' ? formatLink(cap) : formatVerifyCap(cap)
}

export class PinApiClient implements PinService {
  readonly #api: ApiCaller
  constructor (api: ApiCaller) { this.#api = api }

  async nodeId (): Promise<string> { return (await this.#call('GET', '/node') as { nodeId: string }).nodeId }
  async pin (cap: Capability, req: PinServiceRequest): Promise<PinInfo> { return await this.#call('POST', '/pin', { capability: await capText(cap), ...req }) as PinInfo }
  async unpin (share: string): Promise<{ id: string, removed: boolean, sweep: SweepResult }> { return await this.#call('POST', '/unpin', { capability: share }) as { id: string, removed: boolean, sweep: SweepResult } }
  async list (): Promise<PinInfo[]> { return (await this.#call('GET', '') as { pins: PinInfo[] }).pins }
  async remotePin (address: string, cap: VerifyCap, req: RemotePinServiceRequest): Promise<RemotePinResult> { return await this.#call('POST', '/remote', { address, capability: await capText(cap), ...req }) as RemotePinResult }
  async allow (account: string, limits: PinLimits): Promise<PinGrant> { return await this.#call('POST', '/allow', { account, ...limits }) as PinGrant }
  async deny (account: string): Promise<boolean> { return (await this.#call('POST', '/deny', { account }) as { removed: boolean }).removed }
  async grants (): Promise<PinGrant[]> { return (await this.#call('GET', '/grants') as { grants: PinGrant[] }).grants }
  async requests (limit = 100): Promise<PinRequestRecord[]> { return (await this.#call('GET', `/requests?limit=${limit}`) as { requests: PinRequestRecord[] }).requests }
  async sweep (): Promise<SweepResult> { return await this.#call('POST', '/sweep', {}) as SweepResult }
  async audit (): Promise<PinAudit> { return await this.#call('GET', '/audit') as PinAudit }

  async #call (method: 'GET' | 'POST', path: string, body?: object): Promise<unknown> { return await this.#api.call(method, `/pins${path}`, body) }
}
