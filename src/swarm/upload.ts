import { blockLength, TAG_BYTES } from '../blocks/index.ts'
import type { Bits } from './bitfield.ts'
import { chokeRound, type ChokablePeer, type ChokerState } from './choker.ts'
import { DEFAULT_UPLOAD_SLOTS, MAX_QUEUED_REQUESTS, UNCHOKED_IDLE_MS } from './constants.ts'
import { pieceParts } from './peer-wire.ts'
import type { PeerNode, Respond, SwarmContext, SwarmPeer } from './peer.ts'

/** What the upload side reads of the fetch: the blocks held, and whether this node only seeds. */
export interface HeldBlocks {
  readonly have: Bits | undefined
  /** Every wanted block is held (or nothing is known yet): choking ranks by upload, deflection may run. */
  readonly seeding: boolean
}

/**
 * Serving blocks and choking: answers peers' requests from the store (within the upload limits),
 * refuses a seed's second copy of a block once (deflect), and decides who is unchoked.
 */
export class Uploader {
  readonly #ctx: SwarmContext
  readonly #held: HeldBlocks
  readonly #chokeState: ChokerState = { rounds: 0 }
  /** Times each block was served, over all peers. */
  readonly #sentCount: number[] = []
  uploaded = 0

  constructor (ctx: SwarmContext, held: HeldBlocks) {
    this.#ctx = ctx
    this.#held = held
  }

  get #slots (): number { return this.#ctx.options.uploadSlots ?? DEFAULT_UPLOAD_SLOTS }

  async serve (peer: SwarmPeer, index: number, offset: number, length: number, respond: Respond): Promise<void> {
    const ctx = this.#ctx
    const header = ctx.header
    const have = this.#held.have
    if (header == null || have == null) { respond(new Error('not ready')); return }
    if (!Number.isSafeInteger(index) || index >= header.blockCount || offset !== 0 || length !== blockLength(header, index) + TAG_BYTES) {
      ctx.ban(peer, `requested an impossible block (index ${index}, offset ${offset}, length ${length})`)
      return
    }
    peer.node.lastAskedAt = performance.now()
    peer.node.idle = false
    const queue = peer.wire.wire.peerRequests
    if (queue.length > MAX_QUEUED_REQUESTS) {
      ctx.ban(peer, `keeps ${queue.length} requests waiting (limit ${MAX_QUEUED_REQUESTS})`)
      return
    }
    // This request, as bittorrent-protocol queued it: a request the peer cancelled (a streaming
    // seek) spends no upload budget, and must not answer a newer request for the same block
    // (bittorrent-protocol hands an answer to the first pending request of that block).
    const request = queue.at(-1)
    const stillAsked = (): boolean => request != null && peer.wire.wire.peerRequests.includes(request)
    const answer = (err: Error | null, buf?: Uint8Array): void => { if (stillAsked()) respond(err, buf) }
    const store = ctx.store!
    if (!have.get(index) || !(await store.has(index))) { answer(new Error('block not held')); return }
    if (this.#shouldDeflect(peer, index)) { answer(new Error('ask a peer that has it')); return }
    // Room in the peer's queue first, then the upload budget, and only then is the block read:
    // a peer that stops reading (or a rate limit) makes requests wait as requests, not as blocks.
    const outbox = peer.wire.outbox
    if (!await outbox.reserve(length)) return
    try {
      if (!stillAsked()) return
      if (await peer.node.uploadLimiter?.take(length, stillAsked) === false) return
      if (await ctx.options.uploadLimiter?.take(length, stillAsked) === false) return
      if (peer.wire.closed || !stillAsked()) return
      // Parts (ciphertext, tag) go out as one piece message (PeerWire), never joined by a copy.
      const parts = store.getParts != null ? await store.getParts(index) : [await store.get(index)]
      if (peer.wire.closed || !stillAsked()) return
      respond(null, parts.length === 1 ? parts[0] : pieceParts(parts))
      peer.node.served += length
      peer.node.lastActive = performance.now()
      this.uploaded += length
      this.#sentCount[index] = (this.#sentCount[index] ?? 0) + 1
      ctx.emit({ type: 'block:served', peer: peer.id, index, bytes: length })
    } catch (err) {
      answer(err as Error)
    } finally {
      outbox.release(length)
    }
  }

  /**
   * A seed sends each block out about once and lets leechers trade the copies (in the spirit of
   * BEP 16 super-seeding): a block it already sent, that another peer still fetching now
   * advertises, is refused once per peer (fast-extension reject) so the requester asks that peer.
   * The second ask is served, so a peer that cannot reach the others still gets everything. A
   * holder that is itself a seed (no longer interested) does not count: sending the requester
   * from one seed to another saves no seed's upload and costs it a round trip (a streaming seek's).
   */
  #shouldDeflect (peer: SwarmPeer, index: number): boolean {
    if (!this.#held.seeding || (this.#sentCount[index] ?? 0) === 0 || !peer.wire.wire.hasFast) return false
    if (peer.node.deflected.has(index)) return false
    let elsewhere = false
    for (const p of this.#ctx.peers.values()) {
      if (p.node !== peer.node && p.wire.authenticated && p.wire.wire.peerInterested && p.wire.wire.peerPieces.get(index)) { elsewhere = true; break }
    }
    if (!elsewhere) return false
    peer.node.deflected.add(index)
    return true
  }

  /**
   * A newly interested peer gets a free slot at once; the periodic round re-ranks everyone.
   * Slots are per node: a lane of a node that holds one is unchoked with it.
   */
  onInterested (peer: SwarmPeer): void {
    if (!peer.wire.wire.amChoking) return
    if (unchokedLanes(peer.node).length > 0) { peer.wire.wire.unchoke(); return }
    let unchoked = 0
    for (const node of this.#ctx.nodes.values()) if (unchokedLanes(node).length > 0) unchoked++
    if (unchoked < this.#slots) setChoked(peer.node, false)
  }

  /** Tit-for-tat over the last round's rates: what each peer gave us (seeding: took from us). */
  chokeRound (): void {
    const now = performance.now()
    const seeding = this.#held.seeding
    const peers: ChokablePeer[] = []
    for (const node of this.#ctx.nodes.values()) {
      const ready = readyLanes(node)
      if (ready.length === 0) continue
      const bytes = seeding ? node.served : node.received
      const rate = (bytes - node.lastRoundBytes) / Math.max(1, (now - node.lastRoundAt) / 1000)
      node.lastRoundBytes = bytes
      node.lastRoundAt = now
      const unchoked = unchokedLanes(node).length > 0
      if (unchoked && node.lastAskedAt < node.unchokedAt && now - node.unchokedAt >= UNCHOKED_IDLE_MS) node.idle = true
      peers.push({
        id: node.id,
        interested: ready.some(p => p.wire.wire.peerInterested),
        choked: !unchoked,
        idle: node.idle,
        rate,
        choke: () => { setChoked(node, true) },
        unchoke: () => { setChoked(node, false) }
      })
    }
    chokeRound(peers, this.#slots, this.#chokeState)
  }
}

function readyLanes (node: PeerNode): SwarmPeer[] {
  return [...node.lanes].filter(p => p.wire.authenticated && !p.wire.closed)
}

function unchokedLanes (node: PeerNode): SwarmPeer[] {
  return readyLanes(node).filter(p => !p.wire.wire.amChoking)
}

/** Chokes or unchokes every ready lane of a node: one decision per node. */
function setChoked (node: PeerNode, choked: boolean): void {
  if (!choked && unchokedLanes(node).length === 0) node.unchokedAt = performance.now()
  for (const p of readyLanes(node)) {
    if (choked && !p.wire.wire.amChoking) p.wire.wire.choke()
    else if (!choked && p.wire.wire.amChoking) p.wire.wire.unchoke()
  }
}
