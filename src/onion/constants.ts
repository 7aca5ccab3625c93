// Every timing and size limit of the onion layer in one commented place (as kad-dht's
// constants.ts): the numbers are sized for Tor, where a circuit takes seconds to build and a
// round trip costs 0.5–2 s, and only tightened for transports that are known to be faster.

/** Default dial timeout of the TCP transport: loopback and LAN connect in milliseconds. */
export const TCP_DIAL_TIMEOUT_MS = 10_000

/**
 * Default dial timeout of the memory transport. Generous, because a simulator may draw Tor-like
 * dial latencies (seconds) and should decide itself when a dial has taken too long.
 */
export const MEMORY_DIAL_TIMEOUT_MS = 60_000

/**
 * Whole oht handshake (hello, signatures, protocol answer): 1.5 round trips, so 3–6 s over a
 * slow Tor circuit; 20 s leaves room for a congested one without letting a silent peer hold a
 * connection slot for long.
 */
export const HANDSHAKE_TIMEOUT_MS = 20_000

/** Largest frame accepted during the handshake: its frames are 68 bytes at most, so 1 KiB is plenty. */
export const MAX_HANDSHAKE_FRAME_BYTES = 1024

/**
 * Protocol bytes an initiator may send behind the protocol name before the responder's answer
 * (optimistic.ts): a swarm dial's opening messages are ~300 bytes; a responder drops an initiator
 * that sent more, so what it holds unread before accepting stays small.
 */
export const MAX_OPTIMISTIC_BYTES = 16 * 1024

/** Default hard limit of the control-protocol framer (the DHT passes its own). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024

/** Bytes a memory stream lets its peer buffer before a writer has to wait (as a socket's buffer). */
export const MEMORY_HIGH_WATER_MARK = 64 * 1024

/** How long a refusing side waits for its refusal to be flushed before it destroys the stream. */
export const REFUSAL_FLUSH_MS = 2_000
