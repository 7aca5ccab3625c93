// The WAN part of the private test network: a delay proxy in front of every relay's ORPort, with
// per-link one-way delays drawn from a seeded distribution, so a rendezvous circuit's round trip
// lands where the real Tor network's does (300-1,000 ms) while everything stays on loopback.
import { DelayProxy } from '../delay-proxy.ts'
import type { RelayBandwidth } from './config.ts'

export interface WanOptions {
  /**
   * One-way delay of a link (a TCP connection into a relay), drawn log-uniformly in [min, max] ms:
   * many near links, a few far ones. Default 22-68: a rendezvous circuit crosses seven links each
   * way, so its round trip centres near 570 ms and stays within 300-1,000 ms whatever the draws.
   */
  delayMs?: { min: number, max: number }
  /** Extra per-chunk delay, 0..jitterMs ms, never reordering (TCP stays loss-free); default 0. */
  jitterMs?: number
  /** Seed of the delay and jitter draws: the same seed draws the same delays; default 1. */
  seed?: number
}

const DEFAULT_DELAY = { min: 22, max: 68 }

/** mulberry32: a small seeded generator in [0, 1); reproducibility, not secrecy, is the point. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Starts one delay proxy per relay, listening on its advertised ORPort and forwarding to the port
 * tor listens on. Each relay draws from its own seeded stream (seed + relay index), each accepted
 * connection takes the next draw: which link gets which delay follows connection order.
 */
export async function startLinkProxies (relays: Array<{ advertised: number, listen: number }>, options: WanOptions): Promise<DelayProxy[]> {
  const { min, max } = options.delayMs ?? DEFAULT_DELAY
  if (!(min > 0 && max >= min)) throw new RangeError(`bad WAN delay range ${min}-${max} ms`)
  const seed = options.seed ?? 1
  const proxies: DelayProxy[] = []
  try {
    for (const [i, relay] of relays.entries()) {
      const random = seededRandom(seed * 1000 + i)
      proxies.push(await DelayProxy.listen({
        port: relay.advertised,
        targetPort: relay.listen,
        delayMs: () => min * (max / min) ** random(),
        jitterMs: options.jitterMs ?? 0,
        random
      }))
    }
  } catch (err) {
    await Promise.all(proxies.map(async p => { await p.close() }))
    throw err
  }
  return proxies
}

export type { RelayBandwidth }
