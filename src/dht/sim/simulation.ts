// A DHT simulator: N real DhtNodes in one process, each on its own MemoryTransport of one
// MemoryNetwork, speaking to each other through the real oht handshake and the real DHT wire
// protocol. Tor is modelled by the network's latencies (a dial costs a connect time, every chunk
// a one-way delay). Time is virtual by default (src/dht/clock.ts VirtualClock): the DHT's timers
// and the network's delays all run on one discrete-event clock that jumps from timer to timer
// whenever the process is idle, so simulated seconds cost no real time and CPU load never turns
// into timeouts. With `scale`, a scaled real-time clock is used instead (timers and delays run
// `scale` times faster than Tor, CPU time counts scaled too). Durations are simulated (Tor) ms.
//
// Shortcuts, stated: (1) the initial routing tables are filled from global knowledge (each node
// gets up to k random live nodes of each of its buckets) instead of N sequential joins, which
// would dominate the run time; nodes that join later (churn) do a real bootstrap. (2) The real
// handshake is used by default; `preAuthenticated` skips it (the dialer hands the DHT a memory
// stream with the peer's identity already attached) for runs where its Ed25519 cost matters.
import { MemoryNetwork, type MemoryTransport } from '../../onion/memory.ts'
import { acceptHandshakes, dialPeer, identityFromSeed, nodeIdOf, type IdentityKeys } from '../../onion/handshake.ts'
import { VirtualClock, scaledClock, sleep, type Clock } from '../clock.ts'
import type { DhtConfig } from '../config.ts'
import { DHT_PROTOCOL, MAINTENANCE_INTERVAL_MS } from '../constants.ts'
import { contactFrom, type Contact } from '../contact.ts'
import { idToHex, nodeIdBytes, type Id } from '../id.ts'
import { DhtNode } from '../node.ts'
import type { Dialer } from '../session-manager.ts'
import { Colluders, DroppingNode, ForgingNode, PoisoningNode, type AdversaryKind } from './adversaries.ts'
import { TOR_LATENCY, type SimLatency } from './latency.ts'

export { TOR_LATENCY, WAN_TESTBED_LATENCY, LATENCY_PROFILES, type SimLatency } from './latency.ts'

/**
 * Periodic work is off by default in a simulation (a run lasts a few simulated minutes, and
 * 10,000 nodes refreshing buckets at once would measure the refresh, not the lookups): no
 * maintenance rounds, sweeps or republishes unless a run's config asks for them.
 */
export const SIM_CONFIG: Partial<DhtConfig> = {
  maintenanceIntervalMs: 365 * 24 * 3600_000,
  storeSweepMs: 365 * 24 * 3600_000,
  providerRepublishMs: 365 * 24 * 3600_000,
  valueRepublishMs: 365 * 24 * 3600_000,
  // warmUp runs maintenance rounds (maintain()) for their session keeping; no bucket refreshes in them.
  bucketRefreshMs: 365 * 24 * 3600_000,
  // Open sessions cost the simulator memory (thousands of in-process streams), not the network:
  // fewer per node than a real node's bound keeps a 10,000-node run in RAM. Runs with warm
  // sessions raise both (bench/dht.ts WARM_SIM_CONFIG): room for MAX_WARM_SESSIONS and the cold
  // sessions of lookups in progress.
  maxOutboundSessions: 16,
  maxInboundSessions: 64,
  // A joiner's self-lookup is enough to be found; refreshes would fill its far buckets later.
  bootstrapExtraLookups: 0
}

export interface SimulationOptions {
  /**
   * Runs on a scaled real-time clock instead of virtual time: real milliseconds are multiplied by
   * this to give simulated ones (100: a 2 s connect takes 20 ms). Default: virtual time.
   */
  scale?: number
  latency?: SimLatency | null
  config?: Partial<DhtConfig>
  /** Skip the oht handshake (see the file comment). */
  preAuthenticated?: boolean
  /** Deterministic draws of latencies and choices. */
  seed?: number
}

/** An eclipse attempt: `count` poisoning nodes whose ids share `bits` leading bits with `topic`. */
export interface Eclipse {
  topic: Id
  count: number
  bits: number
}

export interface SimNode {
  name: string
  keys: IdentityKeys
  transport: MemoryTransport
  dht: DhtNode
  kind: 'honest' | AdversaryKind
  alive: boolean
}

export interface LookupSample {
  success: boolean
  hops: number
  messages: number
  durationMs: number
}

export interface LookupSummary {
  lookups: number
  successRate: number
  medianHops: number
  p95Hops: number
  meanMessages: number
  medianMs: number
  p95Ms: number
}

/** mulberry32: a small seeded PRNG, so runs are repeatable. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function quantile (sorted: number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

export function summarize (samples: LookupSample[]): LookupSummary {
  const ok = samples.filter(s => s.success)
  const hops = ok.map(s => s.hops).sort((a, b) => a - b)
  const ms = ok.map(s => s.durationMs).sort((a, b) => a - b)
  return {
    lookups: samples.length,
    successRate: samples.length === 0 ? 0 : ok.length / samples.length,
    medianHops: quantile(hops, 0.5),
    p95Hops: quantile(hops, 0.95),
    meanMessages: samples.length === 0 ? 0 : samples.reduce((sum, s) => sum + s.messages, 0) / samples.length,
    medianMs: quantile(ms, 0.5),
    p95Ms: quantile(ms, 0.95)
  }
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export async function pool<T, R> (items: T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      out[index] = await task(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return out
}

export class DhtSimulation {
  readonly network: MemoryNetwork
  readonly clock: Clock
  readonly nodes: SimNode[] = []
  readonly random: () => number
  readonly #options: SimulationOptions
  readonly #byName = new Map<string, SimNode>()
  /** Every adversarial node: the attacker's own, which poisoning nodes route lookups to. */
  readonly colluders = new Colluders()

  constructor (options: SimulationOptions = {}) {
    this.#options = options
    const seed = options.seed ?? 1
    this.random = seededRandom(seed)
    this.clock = options.scale === undefined ? new VirtualClock().start() : scaledClock(options.scale)
    const latency = options.latency === undefined ? TOR_LATENCY : options.latency
    const uniform = ([lo, hi]: [number, number]): number => lo + (hi - lo) * this.random()
    // The network's delays run on the simulation's clock, in simulated milliseconds.
    this.network = new MemoryNetwork(latency === null
      ? { clock: this.clock }
      : {
          clock: this.clock,
          latency: {
            dial: () => uniform(latency.connectMs),
            // Fixed per pair, drawn from a hash of the two names and the seed: no table of every
            // pair that ever spoke (millions of entries at 10,000 nodes), and no draw whose order
            // depends on which pair happened to speak first.
            message: (from, to) => {
              const [lo, hi] = latency.rttMs
              return (lo + (hi - lo) * pairDraw(seed, from, to)) / 2
            }
          }
        })
  }

  get alive (): SimNode[] { return this.nodes.filter(n => n.alive) }
  get honestAlive (): SimNode[] { return this.nodes.filter(n => n.alive && n.kind === 'honest') }

  /** Adds and starts one node (not yet in anyone's table); `keys` default: drawn from the seed. */
  async addNode (kind: SimNode['kind'] = 'honest', keys: IdentityKeys = identityFromSeed(this.randomBytes(32))): Promise<SimNode> {
    const transport = this.network.transport()
    const options = { keys, address: transport.address, dial: this.#dialerFor(transport, keys), clock: this.clock, config: { ...SIM_CONFIG, ...this.#options.config } }
    const dht = kind === 'drop'
      ? new DroppingNode(options)
      : kind === 'forge' ? new ForgingNode(options) : kind === 'poison' ? new PoisoningNode({ ...options, colluders: this.colluders }) : new DhtNode(options)
    if (kind !== 'honest') this.colluders.add(dht.contact!)
    const node: SimNode = { name: transport.name, keys, transport, dht, kind, alive: true }
    if (this.#options.preAuthenticated === true) {
      // The dialer's identity, as the handshake would have proved it: the memory transport names the dialing node.
      await transport.listen((stream, info) => {
        const peer = this.#byName.get(info.remote.slice('mem:'.length))
        if (peer === undefined) { stream.destroy(); return }
        dht.handleStream({ remoteNodeId: nodeIdOf(peer.keys.publicKeyRaw), remotePublicKey: peer.keys.publicKeyRaw, protocol: DHT_PROTOCOL, stream })
      })
    } else {
      await transport.listen(acceptHandshakes({ keys, protocols: [DHT_PROTOCOL] }, session => { dht.handleStream(session) }))
    }
    await dht.start()
    this.nodes.push(node)
    this.#byName.set(node.name, node)
    return node
  }

  #dialerFor (transport: MemoryTransport, keys: IdentityKeys): Dialer {
    if (this.#options.preAuthenticated !== true) {
      return async (target, signal) => await dialPeer(transport, target.address, {
        keys, protocol: DHT_PROTOCOL, signal, ...(target.nodeId === undefined ? {} : { expectedNodeId: target.nodeId })
      })
    }
    // Pre-authenticated: a plain memory dial, the identities attached from the simulator's own
    // knowledge (what the handshake would have proved), the other end handed to the peer directly.
    return async (target, signal) => {
      const name = target.address.slice('mem:'.length)
      const peer = this.#byName.get(name)
      const stream = await transport.dial(target.address, { signal })
      if (peer === undefined || !peer.alive) { stream.destroy(); throw new Error(`nothing listens at ${target.address}`) }
      return { remoteNodeId: nodeIdOf(peer.keys.publicKeyRaw), remotePublicKey: peer.keys.publicKeyRaw, protocol: DHT_PROTOCOL, stream }
    }
  }

  /**
   * Adds `count` nodes, `adversaries[kind]` of them adversarial, then the eclipse's poisoning
   * nodes (extra, with ids ground near its topic), and fills every live node's routing table from
   * global knowledge.
   */
  async populate (count: number, adversaries: Partial<Record<AdversaryKind, number>> = {}, eclipse?: Eclipse): Promise<void> {
    const kinds: SimNode['kind'][] = []
    for (const [kind, n] of Object.entries(adversaries)) for (let i = 0; i < (n ?? 0); i++) kinds.push(kind as AdversaryKind)
    while (kinds.length < count) kinds.push('honest')
    // Shuffle, so adversaries sit anywhere in the id space.
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!]
    }
    for (const kind of kinds) await this.addNode(kind)
    if (eclipse !== undefined) for (let i = 0; i < eclipse.count; i++) await this.addNode('poison', this.#grindNear(eclipse.topic, eclipse.bits))
    this.fillRoutingTables()
  }

  /** An identity whose node id shares `bits` leading bits with `target`: what an attacker grinds keys for (2^bits tries each). */
  #grindNear (target: Id, bits: number): IdentityKeys {
    while (true) {
      const keys = identityFromSeed(this.randomBytes(32))
      if (sharedPrefixBits(nodeIdBytes(keys.publicKeyRaw), target) >= bits) return keys
    }
  }

  /** Gives every live node up to k random live nodes of each of its buckets (the global-knowledge shortcut). */
  fillRoutingTables (): void {
    const live = this.alive.map(n => ({ node: n, hex: n.dht.nodeIdHex, contact: n.dht.contact! }))
    live.sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0))
    const hexes = live.map(l => l.hex)
    const lowerBound = (hex: string): number => {
      let lo = 0; let hi = hexes.length
      while (lo < hi) { const mid = (lo + hi) >> 1; if (hexes[mid]! < hex) lo = mid + 1; else hi = mid }
      return lo
    }
    const now = this.clock.now()
    const k = this.#options.config?.k ?? 20
    for (const { node } of live) {
      const self = node.dht.nodeId
      for (let prefix = 0; prefix < 256; prefix++) {
        const [lo, hi] = rangeOf(self, prefix, true)
        const start = lowerBound(lo); const end = lowerBound(hi)
        // Bucket `prefix`: ids sharing exactly `prefix` bits, i.e. prefix bits then the flipped bit.
        const count = end - start
        if (count > 0) {
          const picks = new Set<number>()
          const want = Math.min(k, count)
          while (picks.size < want) picks.add(start + Math.floor(this.random() * count))
          for (const i of picks) node.dht.table.add(live[i]!.contact, now)
        }
        // Stop once no other node shares prefix + 1 bits with us: deeper buckets are empty.
        const [slo, shi] = rangeOf(self, prefix + 1, false)
        if (lowerBound(shi) - lowerBound(slo) <= 1) break
      }
    }
  }

  /** Takes a node off the network for good: its peers see dials fail (after the connect delay). */
  async kill (node: SimNode): Promise<void> {
    node.alive = false
    await node.dht.stop()
    this.network.disconnect(node.name)
  }

  /**
   * Churn: `fraction` of the live nodes (never those in `keep`) leave, and as many new honest
   * nodes join, each bootstrapping for real through one random live node.
   */
  async churn (fraction: number, keep: Set<string> = new Set(), concurrency = 32): Promise<{ left: number, joined: number }> {
    const candidates = this.alive.filter(n => !keep.has(n.name))
    const leaving = Math.round(this.alive.length * fraction)
    for (let i = 0; i < leaving && candidates.length > 0; i++) {
      const index = Math.floor(this.random() * candidates.length)
      const [node] = candidates.splice(index, 1)
      await this.kill(node!)
    }
    const fresh: SimNode[] = []
    for (let i = 0; i < leaving; i++) fresh.push(await this.addNode('honest'))
    const live = this.honestAlive.filter(n => !fresh.includes(n))
    await pool(fresh, concurrency, async node => {
      const via = live[Math.floor(this.random() * live.length)]!
      await node.dht.bootstrap([via.dht.contact!]).catch(() => {})
    })
    return { left: leaving, joined: fresh.length }
  }

  /**
   * Runs `rounds` maintenance rounds on every live node, MAINTENANCE_INTERVAL_MS of simulated time
   * apart (DhtNode.maintain: close the sessions idle past sessionIdleMs / inboundIdleMs, then
   * keep the warm ones, WARM_DIALS_PER_ROUND new ones per round; SIM_CONFIG turns its bucket
   * refreshes off): what that many rounds of a running node would have left open. Every session
   * opened is a real dial paying the connect latency. Without the reaping, the sessions a round
   * opens besides the warm ones (callers verified, eviction pings) would stay open at every node
   * up to maxOutboundSessions: memory a real node frees, and circuits it would not have.
   */
  async warmUp (rounds: number, concurrency = 256): Promise<{ warm: number }> {
    const interval = this.#options.config?.maintenanceIntervalMs ?? MAINTENANCE_INTERVAL_MS
    for (let round = 0; round < rounds; round++) {
      const started = this.clock.now()
      await pool(this.alive, concurrency, async node => { await node.dht.maintain().catch(() => {}) })
      if (round < rounds - 1) await sleep(this.clock, Math.max(0, started + interval - this.clock.now()))
    }
    const live = this.alive
    return { warm: live.reduce((sum, n) => sum + n.dht.stats().warmSessions, 0) / Math.max(1, live.length) }
  }

  /** Bytes from the seeded generator: node identities and topics repeat from run to run. */
  randomBytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.random() * 256)
    return out
  }

  pick (from: SimNode[] = this.honestAlive): SimNode {
    return from[Math.floor(this.random() * from.length)]!
  }

  /** Has `count` random live honest nodes provide a random topic each; returns topic → provider. */
  async provideRandom (count: number, concurrency = 16): Promise<Array<{ topic: Id, provider: SimNode, stored: number }>> {
    return await this.provide(Array.from({ length: count }, () => this.randomBytes(32)), concurrency)
  }

  /** Has a random live honest node provide each topic; returns topic → provider. */
  async provide (topics: Id[], concurrency = 16): Promise<Array<{ topic: Id, provider: SimNode, stored: number }>> {
    const items = topics.map(topic => ({ topic, provider: this.pick() }))
    const stored = await pool(items, concurrency, async ({ topic, provider }) => (await provider.dht.provide(topic)).stored)
    return items.map((item, i) => ({ ...item, stored: stored[i]! }))
  }

  /**
   * Looks each topic up from a random live honest node (stopping at the first valid provider).
   * Success: the expected provider is found, and no record of a forged key is returned.
   */
  async lookupProviders (items: Array<{ topic: Id, provider: SimNode }>, concurrency = 16, forgedKeys: ReadonlySet<string> = new Set()): Promise<{ samples: LookupSample[], forgedAccepted: number }> {
    let forgedAccepted = 0
    const samples = await pool(items, concurrency, async ({ topic, provider }) => {
      let querier = this.pick()
      while (querier === provider && this.honestAlive.length > 1) querier = this.pick()
      const { providers, lookup } = await querier.dht.findProvidersAll(topic, { limit: 1 })
      const wanted = provider.dht.nodeIdHex
      for (const r of providers) if (forgedKeys.has(Buffer.from(r.publicKey).toString('hex'))) forgedAccepted++
      const success = providers.some(r => idToHex(contactFrom(r.publicKey, r.address).nodeId) === wanted && r.address === provider.dht.address)
      return { success, hops: lookup.hops, messages: lookup.messages, durationMs: lookup.durationMs }
    })
    return { samples, forgedAccepted }
  }

  /** findNode of random live nodes from random live honest nodes; success: the target is among the closest. */
  async lookupNodes (count: number, concurrency = 16): Promise<LookupSample[]> {
    const items = Array.from({ length: count }, () => ({ from: this.pick(), to: this.pick(this.alive) }))
    return await pool(items, concurrency, async ({ from, to }) => {
      const lookup = await from.dht.findNode(to.dht.nodeId)
      const success = from === to || lookup.closest.some((c: Contact) => idToHex(c.nodeId) === to.dht.nodeIdHex)
      return { success, hops: lookup.hops, messages: lookup.messages, durationMs: lookup.durationMs }
    })
  }

  /** Stops every node, closes the network, then stops virtual time (so the process may exit). */
  async stop (): Promise<void> {
    for (const node of this.nodes) {
      if (node.alive) {
        node.alive = false
        await node.dht.stop()
      }
      await node.transport.close()
    }
    if (this.clock instanceof VirtualClock) this.clock.stop()
  }
}

/** A number in [0, 1) fixed for the unordered pair {a, b} and the seed (FNV-1a, then a mulberry32 round). */
export function pairDraw (seed: number, a: string, b: string): number {
  const [x, y] = a < b ? [a, b] : [b, a]
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < x.length; i++) h = Math.imul(h ^ x.charCodeAt(i), 0x01000193)
  h = Math.imul(h ^ 0x7c, 0x01000193)
  for (let i = 0; i < y.length; i++) h = Math.imul(h ^ y.charCodeAt(i), 0x01000193)
  return seededRandom(h)()
}

/** Leading bits `a` and `b` share. */
export function sharedPrefixBits (a: Id, b: Id): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return a.length * 8
}

/**
 * Hex bounds [lo, hi) of the ids that share `prefix` leading bits with `self` — with bit
 * `prefix` flipped when `flip` (bucket `prefix`), or equal (the subtree we are in) otherwise.
 */
function rangeOf (self: Id, prefix: number, flip: boolean): [string, string] {
  const lo = Buffer.alloc(32)
  const bits = flip ? prefix + 1 : prefix
  for (let i = 0; i < bits; i++) {
    let bit = (self[i >> 3]! >> (7 - (i & 7))) & 1
    if (flip && i === prefix) bit ^= 1
    if (bit === 1) lo[i >> 3]! |= 1 << (7 - (i & 7))
  }
  const hi = Buffer.from(lo)
  for (let i = bits; i < 256; i++) hi[i >> 3]! |= 1 << (7 - (i & 7))
  // hi is inclusive; as an exclusive string bound, append a character that sorts after any hex digit.
  return [lo.toString('hex'), hi.toString('hex') + 'g']
}
