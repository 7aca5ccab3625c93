// How many inbound connections a node holds at once: in the oht handshake (anyone may open one),
// open over all peers, and open per peer (node id, proven by the handshake). Past a bound a new
// connection is closed at once, so a flood of half-open sockets, or a Sybil's many identities,
// cannot take every socket the process may open (the state database and block files need some).
import type { Duplex } from 'node:stream'

/** Connections still in the handshake (it has HANDSHAKE_TIMEOUT_MS to finish). */
export const MAX_HANDSHAKING_CONNECTIONS = 64
/** Connections open after the handshake, over all peers. */
export const MAX_INBOUND_CONNECTIONS = 1024
/**
 * Per peer: a swarm stream per share it exchanges with us (MAX_LANES each at most), and its DHT,
 * pin and people streams.
 */
export const MAX_INBOUND_CONNECTIONS_PER_PEER = 64

export interface AdmissionLimits { handshaking: number, total: number, perPeer: number }
export const DEFAULT_ADMISSION: AdmissionLimits = { handshaking: MAX_HANDSHAKING_CONNECTIONS, total: MAX_INBOUND_CONNECTIONS, perPeer: MAX_INBOUND_CONNECTIONS_PER_PEER }

export class InboundAdmission {
  readonly limits: AdmissionLimits
  #handshaking = 0
  #open = 0
  readonly #perPeer = new Map<string, number>()

  constructor (limits: AdmissionLimits = DEFAULT_ADMISSION) { this.limits = limits }

  /** What is held now (status, tests). */
  counts (): { handshaking: number, open: number, peers: number } { return { handshaking: this.#handshaking, open: this.#open, peers: this.#perPeer.size } }

  /** A new connection: a function to call when its handshake ended, or undefined: close it. */
  startHandshake (): (() => void) | undefined {
    if (this.#handshaking >= this.limits.handshaking) return undefined
    this.#handshaking++
    let done = false
    return () => { if (!done) { done = true; this.#handshaking-- } }
  }

  /** A connection whose handshake proved `peer`: true if it may stay (counted until `raw` closes). */
  admit (peer: string, raw: Duplex): boolean {
    const mine = this.#perPeer.get(peer) ?? 0
    if (this.#open >= this.limits.total || mine >= this.limits.perPeer) return false
    this.#open++
    this.#perPeer.set(peer, mine + 1)
    let gone = false
    const release = (): void => {
      if (gone) return
      gone = true
      this.#open--
      const n = (this.#perPeer.get(peer) ?? 1) - 1
      if (n > 0) this.#perPeer.set(peer, n)
      else this.#perPeer.delete(peer)
    }
    raw.once('close', release)
    if (raw.destroyed) release()
    return true
  }
}
