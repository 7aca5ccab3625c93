// The console's network commands on the node's DHT: ping a node (round trips over its onion
// service, on the DHT session), find a node's address by id, connect to an address (it joins
// the routing table when it answers). Read-only towards the network besides the pings.
import { idFromHex, idToHex, isValidAddress, type DialTarget } from '../../dht/index.ts'
import type { Discovery } from './discovery.ts'
import { NodeError } from '../errors.ts'

export interface PingSample { seq: number, rttMs: number | null, error?: string }
export interface PingResult { nodeId: string | null, address: string, samples: PingSample[] }
export interface NodeLookupResult { nodeId: string, found: boolean, address: string | null, hops: number, durationMs: number, closest: Array<{ nodeId: string, address: string }> }
export interface ConnectResult { nodeId: string, address: string, rttMs: number, tableSize: number }

/** Most samples one ping may ask for (each is a real request to another node). */
export const MAX_PING_SAMPLES = 20
const PING_GAP_MS = 250

export class DhtAdminError extends NodeError { override name = 'DhtAdminError' }

export class DhtAdmin {
  readonly #discovery: Discovery
  constructor (discovery: Discovery) { this.#discovery = discovery }

  async #dht (): Promise<NonNullable<Discovery['dht']>> {
    await this.#discovery.start()
    return this.#discovery.dht!
  }

  /** `count` pings, one after the other; the first may include building the circuit (a new session). */
  async ping (target: string, count = 4, signal?: AbortSignal): Promise<PingResult> {
    const n = Math.max(1, Math.min(MAX_PING_SAMPLES, Math.floor(count)))
    const dial = await this.#target(target, signal)
    const dht = await this.#dht()
    const samples: PingSample[] = []
    let nodeId = dial.nodeId ?? null
    for (let seq = 1; seq <= n; seq++) {
      signal?.throwIfAborted()
      try {
        const r = await dht.ping(dial, signal != null ? { signal } : {})
        nodeId = idToHex(r.contact.nodeId)
        samples.push({ seq, rttMs: Math.round(r.rttMs * 10) / 10 })
      } catch (err) {
        if (signal?.aborted === true) throw err
        samples.push({ seq, rttMs: null, error: err instanceof Error ? err.message : String(err) })
      }
      if (seq < n) await new Promise(resolve => setTimeout(resolve, PING_GAP_MS))
    }
    return { nodeId, address: dial.address, samples }
  }

  /** Where a node id is, by an iterative lookup of its id (found when the node itself answers). */
  async lookup (nodeIdHex: string, signal?: AbortSignal): Promise<NodeLookupResult> {
    const hex = checkNodeId(nodeIdHex)
    const dht = await this.#dht()
    const r = await dht.findNode(idFromHex(hex), signal != null ? { signal } : {})
    const hit = r.closest.find(c => idToHex(c.nodeId) === hex) ?? dht.table.get(hex)?.contact
    return {
      nodeId: hex,
      found: hit != null,
      address: hit?.address ?? null,
      hops: r.hops,
      durationMs: Math.round(r.durationMs),
      closest: r.closest.slice(0, 5).map(c => ({ nodeId: idToHex(c.nodeId), address: c.address }))
    }
  }

  /** Dials `address` and pings it: a node that answers joins the routing table. */
  async connect (address: string, signal?: AbortSignal): Promise<ConnectResult> {
    if (!isValidAddress(address)) throw new DhtAdminError('dht.badAddress', { address }, `not a node address: ${address}`)
    const dht = await this.#dht()
    const r = await dht.ping({ address }, signal != null ? { signal } : {})
    return { nodeId: idToHex(r.contact.nodeId), address, rttMs: Math.round(r.rttMs * 10) / 10, tableSize: dht.table.size }
  }

  /** An address as given, or a node id looked up (routing table first, then the DHT). */
  async #target (target: string, signal?: AbortSignal): Promise<DialTarget> {
    const text = target.trim()
    if (/^[0-9a-f]{64}$/i.test(text)) {
      const hex = text.toLowerCase()
      const dht = await this.#dht()
      const known = dht.table.get(hex)?.contact.address
      if (known != null) return { address: known, nodeId: hex }
      const found = await this.lookup(hex, signal)
      if (found.address == null) throw new DhtAdminError('dht.nodeNotFound', { nodeId: hex }, `node ${hex.slice(0, 16)}… was not found in the DHT`)
      return { address: found.address, nodeId: hex }
    }
    if (!isValidAddress(text)) throw new DhtAdminError('dht.badAddress', { address: text }, `not a node address or node id: ${text}`)
    return { address: text }
  }
}

function checkNodeId (text: string): string {
  const hex = String(text).trim().toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new DhtAdminError('dht.badNodeId', { nodeId: hex.slice(0, 80) }, `not a node id (64 hex digits): ${hex.slice(0, 80)}`)
  return hex
}
