// Decentralized bootstrap through a network's shared onion address (src/onion/network-key.ts).
// Hosts (`oht daemon --network <key> --bootstrap-host`) publish the shared address on their own
// listener and answer `bootstrap` streams with a random sample of live peers. Tor directories keep
// only the newest descriptor of an address, so the last host to publish takes every client, and
// when it leaves, clients fail until another host publishes again: hosts therefore re-publish at
// an interval with jitter, and newcomers retry for a while and also use every other peer they
// know (--bootstrap, the saved routing table). docs/DECISIONS.md says more.
import { randomInt } from 'node:crypto'
import { FrameReader, writeFrame, type HandshakeResult } from '../../onion/index.ts'
import type { NetworkKey } from '../../onion/network-key.ts'
import type { NodeNetwork } from './network.ts'

export const BOOTSTRAP_PROTOCOL = 'bootstrap'
/** Peers in one answer. */
export const BOOTSTRAP_SAMPLE = 20
const MAX_ANSWER_BYTES = 16 * 1024
const ANSWER_TIMEOUT_MS = 30_000
/** One dial of the shared address (Tor's own dial timeout is longer: 90 s). */
const ATTEMPT_TIMEOUT_MS = 30_000
/** Default re-publish interval of a host; tests shorten it. */
export const DEFAULT_REPUBLISH_MS = 30 * 60_000

/** What a bootstrap answer samples from: the DHT's routing table (discovery.ts). */
export interface KnownPeers {
  peers: () => Array<{ address: string, failures: number }>
}

/** Registers the `bootstrap` protocol: every stream gets one frame of addresses, then ends. */
export function serveBootstrap (network: NodeNetwork, discovery: KnownPeers): void {
  network.registerProtocol(BOOTSTRAP_PROTOCOL, (session: HandshakeResult) => {
    const { stream } = session
    stream.on('error', () => {})
    const live = discovery.peers().filter(p => p.failures === 0).map(p => p.address)
    for (let i = live.length - 1; i > 0; i--) { const j = randomInt(i + 1); [live[i], live[j]] = [live[j]!, live[i]!] }
    const sample = [...(network.address != null ? [network.address] : []), ...live].slice(0, BOOTSTRAP_SAMPLE)
    writeFrame(stream, Buffer.from(JSON.stringify({ peers: sample }))).then(() => { stream.end() }, () => { stream.destroy() })
    setTimeout(() => { stream.destroy() }, ANSWER_TIMEOUT_MS).unref()
  })
}

/**
 * Asks the network's shared address for peers, retrying (the address may point at a host that
 * just left, until another re-publishes) until `giveUpMs`. Never throws: [] when nobody answered.
 */
export async function askForPeers (network: NodeNetwork, address: string, options: { giveUpMs: number, signal?: AbortSignal, onRetry?: (reason: string) => void }): Promise<string[]> {
  const deadline = Date.now() + options.giveUpMs
  for (let attempt = 0; Date.now() < deadline && options.signal?.aborted !== true; attempt++) {
    try {
      // Each attempt is bounded, so a retry asks tor again (its cached descriptor of the address
      // may name a host that left; tor fetches a newer one once the old one fails).
      const attempt = AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)
      const session = await network.dialProtocol(address, BOOTSTRAP_PROTOCOL, { signal: options.signal != null ? AbortSignal.any([options.signal, attempt]) : attempt })
      const reader = new FrameReader(session.stream, { maxFrameBytes: MAX_ANSWER_BYTES })
      const timer = setTimeout(() => { session.stream.destroy() }, ANSWER_TIMEOUT_MS)
      try {
        const frame = await reader.next()
        const answer = frame != null ? JSON.parse(frame.toString('utf8')) as { peers?: unknown } : null
        const peers = Array.isArray(answer?.peers) ? answer.peers.filter((p): p is string => typeof p === 'string' && p.length <= 128) : []
        return peers.slice(0, BOOTSTRAP_SAMPLE)
      } finally {
        clearTimeout(timer)
        session.stream.destroy()
      }
    } catch (err) {
      options.onRetry?.(err instanceof Error ? err.message : String(err))
      const delay = Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4))
      await new Promise(resolve => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))))
    }
  }
  return []
}

/** What a host needs of its transport: the Tor transport's alias publishing. */
export interface AliasPublisher {
  publishAlias: (keyBlob: string) => Promise<string>
}

/** A host of the shared address: publishes it now and re-publishes every `intervalMs` ± 25 %. */
export class BootstrapHost {
  readonly #transport: AliasPublisher
  readonly #key: NetworkKey
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  /** Re-publications done (for status and tests). */
  republished = 0

  constructor (transport: AliasPublisher, key: NetworkKey, intervalMs = DEFAULT_REPUBLISH_MS) {
    this.#transport = transport
    this.#key = key
    if (!(intervalMs >= 1000)) throw new RangeError('the re-publish interval must be at least 1 s')
    this.#intervalMs = intervalMs
  }

  async start (onError: (err: unknown) => void = () => {}): Promise<string> {
    const address = await this.#transport.publishAlias(this.#key.torKeyBlob)
    this.#schedule(onError)
    return address
  }

  #schedule (onError: (err: unknown) => void): void {
    if (this.#stopped || !Number.isFinite(this.#intervalMs)) return // `never`: publish once
    const jittered = this.#intervalMs * (0.75 + Math.random() / 2)
    this.#timer = setTimeout(() => {
      this.#transport.publishAlias(this.#key.torKeyBlob).then(() => { this.republished++ }, onError).finally(() => { this.#schedule(onError) })
    }, jittered)
    this.#timer.unref()
  }

  stop (): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }
}
