import { decodeManifest, merkleRootOf, type SealedManifest } from '../blocks/index.ts'
import { splitLeaves } from '../blocks/share.ts'
import { MerkleTree } from '../merkle/index.ts'
import { DEFAULT_METADATA_TIMEOUT_MS, MAX_LEAVES_PER_MESSAGE, MAX_QUEUED_METADATA_REQUESTS, MIN_MESSAGE_BYTES_PER_SECOND } from './constants.ts'
import type { ExtensionMessage } from './messages.ts'
import type { SwarmContext, SwarmPeer } from './peer.ts'

/**
 * The share's metadata over the oht_v1 extension: answers peers' `manifest?`, `leaves?` and
 * `proof?`, and, while this node lacks the manifest or the leaf hashes, asks one peer at a time
 * for them (manifest, then leaves in ranges), checks them (the manifest against the share id,
 * the leaves against the manifest's Merkle root) and bans a peer that lies.
 */
export class MetadataExchange {
  readonly #ctx: SwarmContext
  /** Runs once both the manifest and the leaves are known (and checked). */
  readonly #onKnown: () => void
  manifest: SealedManifest | undefined
  leaves: Uint8Array | undefined
  #tree?: MerkleTree
  readonly #leafParts = new Map<number, Uint8Array>()
  #leafSource?: string
  /** The peer asked for the first leaf range together with the manifest (one round trip less). */
  #leavesAhead?: string
  /** That range, when it came before the manifest that says how long it must be. */
  #earlyLeaves?: Uint8Array
  /** The peer asked now (one at a time). */
  #asked?: string
  /** Peers that refused: not asked again until they advertise blocks. */
  readonly #refused = new Set<string>()
  /** Peers that did not answer in time: asked again only when no other peer is left. */
  readonly #silent = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  /** Metadata answers each connection has waiting for room in its queue (outbox.ts). */
  readonly #answering = new WeakMap<SwarmPeer, number>()

  constructor (ctx: SwarmContext, known: { manifest?: SealedManifest, leaves?: Uint8Array }, onKnown: () => void) {
    this.#ctx = ctx
    this.manifest = known.manifest
    this.leaves = known.leaves
    this.#onKnown = onKnown
  }

  get known (): boolean { return this.manifest != null && this.leaves != null }

  /** Builds the Merkle tree that `proof?` answers come from (once the blocks are set up). */
  buildTree (): void {
    this.#tree = new MerkleTree(splitLeaves(this.leaves!))
  }

  /** A peer advertised blocks: one that refused may know the metadata now. */
  peerHasBlocks (peer: SwarmPeer): void {
    if (this.#refused.delete(peer.id)) this.ask()
  }

  /** A peer left: if it was the one asked, ask another. */
  peerLeft (peer: SwarmPeer): void {
    if (this.#asked === peer.id) { this.#settled(); this.ask() }
  }

  /** The swarm closed: no timer is left behind. */
  close (): void { this.#settled() }

  /** The peer asked answered (or refused, or left): its timer stops. */
  #settled (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#asked = undefined
  }

  /** Gives the peer asked `ms` to answer, then asks another (silent peers go last). */
  #arm (peer: SwarmPeer, bytes: number): void {
    clearTimeout(this.#timer)
    const ms = (this.#ctx.options.metadataTimeoutMs ?? DEFAULT_METADATA_TIMEOUT_MS) + (bytes / MIN_MESSAGE_BYTES_PER_SECOND) * 1000
    this.#timer = setTimeout(() => {
      if (this.#asked !== peer.id || this.known) return
      this.#silent.add(peer.id)
      this.#ctx.emit({ type: 'metadata:timeout', peer: peer.id })
      this.#settled()
      this.ask()
    }, ms)
    this.#timer.unref()
  }

  /**
   * Asks one peer at a time for what is missing of the metadata (manifest, then leaves), never
   * one that refused until it shows it has blocks.
   */
  ask (prefer?: SwarmPeer): void {
    const ctx = this.#ctx
    if (this.known || ctx.closed) return
    if (this.#asked != null && ctx.nodes.has(this.#asked)) return
    const ready = [...ctx.peers.values()].filter(p => p.wire.authenticated && !this.#refused.has(p.id))
    // Peers that once stayed silent are asked only when no other is left (and then in turn).
    const answering = ready.filter(p => !this.#silent.has(p.id))
    if (answering.length === 0) this.#silent.clear()
    const pool = answering.length > 0 ? answering : ready
    const peer = prefer != null && pool.includes(prefer) ? prefer : pool[0]
    if (peer == null) return
    this.#askPeer(peer)
  }

  /**
   * Asks a connection this node just dialed, before it proved the swarm key: the requests go
   * out behind this node's own proof, in the dial's first flight. The answers are only read
   * once the peer proved the key (PeerWire), and only if nobody else was asked meanwhile.
   */
  askEarly (peer: SwarmPeer): void {
    const ctx = this.#ctx
    if (this.known || ctx.closed || (this.#asked != null && ctx.nodes.has(this.#asked))) return
    this.#askPeer(peer)
  }

  #askPeer (peer: SwarmPeer): void {
    this.#asked = peer.id
    if (this.manifest == null) {
      // The first leaf range rides with the manifest request: a seeder clamps `count` to the
      // share's block count, so no block count is needed to ask.
      peer.wire.send({ t: 'manifest?' })
      if (this.leaves == null) {
        peer.wire.send({ t: 'leaves?', from: 0, count: MAX_LEAVES_PER_MESSAGE })
        this.#leavesAhead = peer.id
        this.#earlyLeaves = undefined
      }
      this.#arm(peer, 0)
    } else this.#askLeaves(peer)
  }

  /** One oht_v1 message of a ready peer (other than `auth`, which PeerWire handles). */
  onMessage (peer: SwarmPeer, m: ExtensionMessage): void {
    switch (m.t) {
      case 'manifest?':
        if (this.manifest != null) { const bytes = this.manifest.bytes; this.#answer(peer, bytes.length, () => ({ t: 'manifest', data: bytes })) }
        else peer.wire.send({ t: 'refuse', reason: 'no manifest yet' })
        return
      case 'manifest':
        this.#onManifest(peer, m.data)
        return
      case 'leaves?': {
        const header = this.manifest?.header
        if (this.leaves == null || header == null) { peer.wire.send({ t: 'refuse', reason: 'no leaves yet' }); return }
        const from = Math.min(m.from, header.blockCount)
        const count = Math.min(m.count, header.blockCount - from)
        const leaves = this.leaves
        if (count > 0) this.#answer(peer, count * 32, () => ({ t: 'leaves', from, data: leaves.subarray(from * 32, (from + count) * 32) }))
        return
      }
      case 'leaves':
        this.#onLeaves(peer, m.from, m.data)
        return
      case 'proof?': {
        const tree = this.#tree
        if (tree != null && m.index < tree.leafCount) {
          this.#answer(peer, 32 * 66, () => ({ t: 'proof', index: m.index, leaf: this.leaves!.subarray(m.index * 32, m.index * 32 + 32), siblings: Buffer.concat(tree.proof(m.index)) }))
        }
        return
      }
      case 'refuse':
        if (peer.id === this.#asked) {
          this.#refused.add(peer.id)
          this.#settled()
          this.ask()
        }
    }
  }

  /**
   * Sends an answer once the peer's queue has room (outbox.ts), in the order asked: a peer that
   * floods `leaves?` while not reading waits for its answers instead of this node holding them.
   * One that keeps more than MAX_QUEUED_METADATA_REQUESTS waiting is dropped.
   */
  #answer (peer: SwarmPeer, bytes: number, make: () => ExtensionMessage): void {
    const waiting = (this.#answering.get(peer) ?? 0) + 1
    if (waiting > MAX_QUEUED_METADATA_REQUESTS) {
      this.#ctx.ban(peer, `keeps over ${MAX_QUEUED_METADATA_REQUESTS} metadata requests waiting`)
      return
    }
    this.#answering.set(peer, waiting)
    const outbox = peer.wire.outbox
    void outbox.reserve(bytes).then(ok => {
      this.#answering.set(peer, (this.#answering.get(peer) ?? 1) - 1)
      if (!ok) return
      try {
        if (!peer.wire.closed) peer.wire.send(make())
      } finally {
        outbox.release(bytes)
      }
    })
  }

  #onManifest (peer: SwarmPeer, data: Uint8Array): void {
    // A late answer of a peer passed over for silence is as good: it is checked like any other.
    if (this.manifest != null || (peer.id !== this.#asked && !this.#silent.has(peer.id))) return
    try {
      this.manifest = decodeManifest(data, this.#ctx.options.manifestCid)
    } catch (err) {
      this.#ctx.ban(peer, `sent a bad manifest: ${(err as Error).message}`)
      return
    }
    this.#ctx.emit({ type: 'manifest:received', peer: peer.id })
    this.#settled()
    this.#silent.delete(peer.id)
    if (this.leaves != null) this.#onKnown()
    else this.ask(peer)
  }

  #askLeaves (peer: SwarmPeer): void {
    const count = this.manifest!.header.blockCount
    this.#leafSource = peer.id
    this.#leafParts.clear()
    const askedAhead = this.#leavesAhead === peer.id
    const early = askedAhead ? this.#earlyLeaves : undefined
    this.#leavesAhead = undefined
    this.#earlyLeaves = undefined
    for (let from = askedAhead ? MAX_LEAVES_PER_MESSAGE : 0; from < count; from += MAX_LEAVES_PER_MESSAGE) {
      peer.wire.send({ t: 'leaves?', from, count: Math.min(MAX_LEAVES_PER_MESSAGE, count - from) })
    }
    this.#arm(peer, count * 32)
    if (early != null) this.#onLeaves(peer, 0, early)
  }

  #onLeaves (peer: SwarmPeer, from: number, data: Uint8Array): void {
    const header = this.manifest?.header
    if (header == null && this.leaves == null && from === 0 && peer.id === this.#leavesAhead && data.length <= MAX_LEAVES_PER_MESSAGE * 32) {
      this.#earlyLeaves = data // checked against the manifest once it is here
      return
    }
    if (this.leaves != null || header == null || peer.id !== this.#leafSource) return
    if (from % MAX_LEAVES_PER_MESSAGE !== 0 || from >= header.blockCount || data.length !== Math.min(MAX_LEAVES_PER_MESSAGE, header.blockCount - from) * 32) {
      this.#ctx.ban(peer, 'sent a malformed leaf list')
      return
    }
    this.#leafParts.set(from, data)
    const parts = Math.ceil(header.blockCount / MAX_LEAVES_PER_MESSAGE)
    if (this.#leafParts.size < parts) return
    const leaves = Buffer.alloc(header.blockCount * 32)
    for (const [f, d] of this.#leafParts) leaves.set(d, f * 32)
    this.#leafParts.clear()
    this.#settled()
    if (!Buffer.from(merkleRootOf(leaves)).equals(Buffer.from(header.root))) {
      this.#ctx.ban(peer, 'sent leaves that do not match the Merkle root')
      this.ask()
      return
    }
    this.leaves = leaves
    this.#ctx.emit({ type: 'leaves:verified', peer: peer.id, count: header.blockCount })
    this.#onKnown()
  }
}
