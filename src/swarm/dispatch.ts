import type { Downloader } from './download.ts'
import type { ExtensionMessage } from './messages.ts'
import type { MetadataExchange } from './metadata.ts'
import type { Respond, SwarmPeer } from './peer.ts'
import type { Uploader } from './upload.ts'

/** The units a peer's messages go to, and the swarm's own part in a peer's life. */
export interface DispatchTargets {
  readonly metadata: MetadataExchange
  readonly upload: Uploader
  readonly download: Downloader
  /** The peer proved the swarm key: exchange what is held, or ask for the metadata. */
  connected (peer: SwarmPeer): void
  /** The peer's connection closed (or was dropped). */
  closed (peer: SwarmPeer, err?: Error): void
}

/**
 * Message dispatch: one method per message a peer sends (as bittorrent-protocol's Wire has one
 * handler per message), each handing it to the unit it concerns. Nothing of the share is
 * dispatched before the peer is ready (PeerWire: the swarm key is proven).
 */
export class MessageDispatch {
  readonly #to: DispatchTargets

  constructor (to: DispatchTargets) {
    this.#to = to
  }

  /** Routes a new peer's connection events to this dispatch. */
  attach (peer: SwarmPeer): void {
    peer.wire.on('ready', () => { this.onReady(peer) })
    peer.wire.on('message', m => { this.onExtended(peer, m) })
    peer.wire.on('close', err => { this.onClose(peer, err) })
  }

  onReady (peer: SwarmPeer): void {
    const wire = peer.wire.wire
    wire.on('request', (index: number, offset: number, length: number, respond: Respond) => { this.onRequest(peer, index, offset, length, respond) })
    wire.on('have', (index: number) => { this.onHave(peer, index) })
    wire.on('bitfield', () => { this.onBitfield(peer) })
    wire.on('unchoke', () => { this.onUnchoke(peer) })
    wire.on('interested', () => { this.onInterested(peer) })
    // Every piece, answered request or not: bittorrent-protocol drops one that matches no request
    // (a wrong length) without a word, so its sender would keep its slot.
    wire.on('piece', (index: number, offset: number, block: Uint8Array) => { this.#to.download.onAnyPiece(peer, index, offset, block) })
    this.#to.connected(peer)
  }

  onBitfield (peer: SwarmPeer): void {
    this.#to.metadata.peerHasBlocks(peer)
    this.#to.download.peerBitfield(peer)
  }

  onHave (peer: SwarmPeer, index: number): void {
    this.#to.metadata.peerHasBlocks(peer)
    this.#to.download.peerHas(peer, index)
  }

  onUnchoke (peer: SwarmPeer): void {
    this.#to.download.fill(peer)
  }

  onInterested (peer: SwarmPeer): void {
    this.#to.upload.onInterested(peer)
  }

  onRequest (peer: SwarmPeer, index: number, offset: number, length: number, respond: Respond): void {
    void this.#to.upload.serve(peer, index, offset, length, respond)
  }

  /** The answer to one of our requests (see request). */
  onPiece (peer: SwarmPeer, index: number, block: Uint8Array): void {
    this.#to.download.onPiece(peer, index, block)
  }

  /** One of our requests was rejected, or dropped with the connection. */
  onReject (peer: SwarmPeer, index: number): void {
    this.#to.download.onRefused(peer, index)
  }

  /** An oht_v1 message (the metadata exchange). */
  onExtended (peer: SwarmPeer, message: ExtensionMessage): void {
    this.#to.metadata.onMessage(peer, message)
  }

  onClose (peer: SwarmPeer, err?: Error): void {
    this.#to.closed(peer, err)
  }

  /**
   * Asks `peer` for a whole block. bittorrent-protocol answers a request through its callback
   * rather than a `piece` event: the answer comes back here, to onPiece or onReject.
   */
  request (peer: SwarmPeer, index: number, length: number): void {
    peer.wire.wire.request(index, 0, length, (err, block) => {
      if (err != null || block == null) this.onReject(peer, index)
      else this.onPiece(peer, index, block)
    })
  }
}
