// What the CLI asks of a node about pins, the same embedded or through a daemon: LocalPinService
// runs it in this process; api/pin-client.ts is the same interface over the daemon's API.
import { formatVerifyCap, parseCapability, verifyCapOf, type Capability, type VerifyCap } from '../../blocks/index.ts'
import type { OhtNode } from '../transfers/node.ts'
import type { NodeNetwork } from '../network/network.ts'
import { NodeError } from '../errors.ts'
import { idOfCapability, PinManager, pinTuningFromEnv, type PinInfo, type SweepResult } from './pins.ts'
import { PinGrants, registerPinProtocol, requestRemotePin, type PinGrant, type PinLimits, type PinRequestRecord, type RemotePinResult } from './pin-protocol.ts'

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

export interface PinAudit { refs: number, wrong: Array<{ cid: string, stored: number, expected: number }> }

export interface PinService {
  nodeId (): Promise<string>
  /** Pins a share: a verify capability is enough (a read link is narrowed to it). */
  pin (cap: Capability, request: PinServiceRequest): Promise<PinInfo>
  /** `share`: a share id, an oht:// link or an oht-verify:// capability. */
  unpin (share: string): Promise<{ id: string, removed: boolean, sweep: SweepResult }>
  list (): Promise<PinInfo[]>
  remotePin (address: string, cap: VerifyCap, request: RemotePinServiceRequest): Promise<RemotePinResult>
  allow (account: string, limits: PinLimits): Promise<PinGrant>
  deny (account: string): Promise<boolean>
  grants (): Promise<PinGrant[]>
  /** Remote pin requests this node received and what became of them, newest first. */
  requests (limit?: number): Promise<PinRequestRecord[]>
  sweep (): Promise<SweepResult>
  /** Recounts every block claim; `wrong` is empty when the reference counts are exact. */
  audit (): Promise<PinAudit>
}

export class LocalPinService implements PinService {
  readonly manager: PinManager
  readonly grantsStore: PinGrants
  readonly #node: OhtNode
  readonly #network: NodeNetwork | undefined

  /**
   * `serve`: a daemon, which answers remote pin requests (registers the protocol: before
   * listen()). Background failures (a pin that cannot resume) are the manager's 'error' events.
   */
  constructor (node: OhtNode, network: NodeNetwork | undefined, serve: boolean, formatBytes?: (n: number) => string) {
    this.#node = node
    this.#network = network
    this.manager = new PinManager(node, network, pinTuningFromEnv())
    this.grantsStore = new PinGrants(node.state)
    if (serve && network != null) registerPinProtocol(network, { pins: this.manager, grants: this.grantsStore, ...(formatBytes != null ? { formatBytes } : {}) })
  }

  async start (): Promise<{ seeded: number, resuming: number }> { return await this.manager.start() }
  async close (): Promise<void> { await this.manager.close() }

  async nodeId (): Promise<string> { return this.#node.keys.nodeId }

  /** Also takes a capability as text, for callers that hold nothing else (parsed here, once). */
  async pin (cap: Capability | string, req: PinServiceRequest): Promise<PinInfo> {
    return await this.manager.pin(verifyCapOf(typeof cap === 'string' ? parseCapability(cap) : cap), {
      ...(req.ttlMs !== undefined ? { ttlMs: req.ttlMs ?? Infinity } : {}),
      peers: req.peers ?? []
    })
  }

  async unpin (share: string): Promise<{ id: string, removed: boolean, sweep: SweepResult }> { return await this.manager.unpin(idOfCapability(share)) }
  async list (): Promise<PinInfo[]> { return await this.manager.list() }

  async remotePin (address: string, cap: VerifyCap, req: RemotePinServiceRequest): Promise<RemotePinResult> {
    if (this.#network == null) throw new NodeError('pin.noTransport', {}, 'remote pinning needs a transport')
    return await requestRemotePin(this.#network, address, { cap: formatVerifyCap(cap), ttlMs: req.ttlMs, peers: req.peers, cert: req.cert }, { wait: req.wait !== false })
  }

  async allow (account: string, limits: PinLimits): Promise<PinGrant> { return await this.grantsStore.allow(account, limits) }
  async deny (account: string): Promise<boolean> { return await this.grantsStore.deny(account) }
  async grants (): Promise<PinGrant[]> { return await this.grantsStore.list() }
  async requests (limit?: number): Promise<PinRequestRecord[]> { return await this.grantsStore.requests(limit) }
  async sweep (): Promise<SweepResult> { return await this.manager.sweepNow() }
  async audit (): Promise<PinAudit> { return await this.manager.store.audit() }
}
