// Latency profiles of the DHT simulator. A profile separates what a new connection costs (a Tor
// circuit build, the onion rendezvous and the oht handshake, all before the first request) from
// a round trip on a connection already open: over Tor the first is several seconds, the second
// under one, so whether a lookup's hops find their sessions open decides its time.

export interface SimLatency {
  /** Simulated ms of a new connection (dial + onion rendezvous + oht handshake), drawn uniformly per dial. */
  connectMs: [number, number]
  /** Simulated round trip on an open stream, fixed per pair of nodes, drawn uniformly. */
  rttMs: [number, number]
}

/** Tor-like, the simulator's first model: connect 2–10 s, round trip 0.3–1.5 s. */
export const TOR_LATENCY: SimLatency = { connectMs: [2_000, 10_000], rttMs: [300, 1_500] }

/**
 * What the WAN Tor testbed measures (src/onion/tor/testnet, `net: 'wan'`): a fresh onion-service
 * connection (transport.dial + oht handshake) and a round trip on it. Stand-in figures until the
 * measurement of bench/tor-latency.ts replaces them.
 */
export const WAN_TESTBED_LATENCY: SimLatency = { connectMs: [3_000, 8_000], rttMs: [500, 1_000] }

export const LATENCY_PROFILES: Readonly<Record<string, SimLatency>> = { tor: TOR_LATENCY, wan: WAN_TESTBED_LATENCY }
