// Every timing and size limit of the Tor layer in one commented place (as ../constants.ts does
// for the onion layer). Tor is slow and bursty: circuits take seconds, descriptors take a second
// to publish on a private network and up to a minute on the real one.

/** Longest control-port line accepted; Tor's own lines stay far below (router status lines ~300 B). */
export const TOR_MAX_LINE_BYTES = 64 * 1024

/**
 * Largest control reply accepted. `GETINFO ns/all` on the real network is ~3 MiB; a reply that
 * grows beyond this is a broken or hostile peer, and we drop the connection rather than buffer it.
 */
export const TOR_MAX_REPLY_BYTES = 16 * 1024 * 1024

/** Commands waiting for a reply; more means the caller is not awaiting (a bug), so we refuse. */
export const TOR_MAX_PENDING_COMMANDS = 1024

/** Connecting and authenticating to a control port happens on loopback: seconds are plenty. */
export const TOR_CONTROL_CONNECT_TIMEOUT_MS = 10_000

/** One control command (ADD_ONION, GETINFO...) answers in milliseconds; 30 s means tor is stuck. */
export const TOR_COMMAND_TIMEOUT_MS = 30_000

/** A started tor writes its control port file within a second; 30 s covers a very slow disk. */
export const TOR_START_TIMEOUT_MS = 30_000

/** Bootstrap to 100 %: 5–30 s on the real network, longer on a bad link. */
export const TOR_BOOTSTRAP_TIMEOUT_MS = 180_000

/**
 * Wait for the first `HS_DESC UPLOADED` after ADD_ONION: ~1.2 s on a private network, usually
 * 10–60 s on the real one.
 */
export const TOR_PUBLISH_TIMEOUT_MS = 180_000

/** Default dial timeout: building a rendezvous takes 2–15 s on the real network, retries included. */
export const TOR_DIAL_TIMEOUT_MS = 90_000

/** First pause before retrying a dial that failed with a retryable SOCKS error; doubles up to the max. */
export const TOR_DIAL_RETRY_BASE_MS = 500
export const TOR_DIAL_RETRY_MAX_MS = 8_000

/**
 * Retries after tor answered "introduction failed" (SOCKS 0xF2: every introduction point of the
 * service failed, so it is most likely offline): one, for a service that came back with new
 * introduction points; more only keep a dead peer's dial going until the dial timeout.
 */
export const TOR_DIAL_OFFLINE_RETRIES = 1

/** Virtual port of the onion service when none is given (the port in `onion:<name>.onion:<port>`). */
export const TOR_DEFAULT_VIRTUAL_PORT = 4001

/** Grace period for a stopping tor (SIGTERM) before SIGKILL. */
export const TOR_STOP_TIMEOUT_MS = 5_000
