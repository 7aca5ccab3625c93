// What a TorTransport is given: where its tor comes from, its key file and flags, deadlines, and
// the events a user interface may show.
import type { TorControlOptions } from './control.ts'
import type { StartTorOptions } from './process.ts'
import type { KeySealer } from './key-file.ts'

/** Where the transport's tor comes from. */
export type TorSource =
  /** oht starts and stops its own tor (DataDirectory under `dataDir`). */
  | ({ kind: 'own' } & StartTorOptions)
  /** Attach to a running tor over its control port (cookie file or password). */
  | ({ kind: 'attach', socks?: { host: string, port: number } } & TorControlOptions)

/** Progress and incidents a user interface may show; never needed for correctness. */
export type TorTransportEvent =
  | { type: 'bootstrap', progress: number, tag: string, summary: string, warning?: string }
  | { type: 'published', address: string, uploads: number }
  | { type: 'dial-retry', address: string, attempt: number, delayMs: number, reason: string }
  | { type: 'tor-lost', reason: string }

export interface TorTransportOptions {
  tor: TorSource
  /**
   * File holding the onion service's v3 private key (`ED25519-V3:<base64>`, mode 0600). Created
   * on first listen; reused afterwards so the address survives restarts. Without it each listen
   * publishes a fresh, throw-away address.
   */
  keyFile?: string
  /** Seals `keyFile` at rest (the node's storage key): it then names no onion address (key-file.ts). */
  keySealer?: KeySealer
  /**
   * Flags=DiscardPK: tor does not even tell us the new service's key (`--memory`: an address that
   * cannot be published again by anyone). Only without `keyFile`.
   */
  discardKey?: boolean
  /** The port in `onion:<name>.onion:<port>`; default 4001. */
  virtualPort?: number
  /**
   * Flags=Detach: the service outlives our control connection. Default: only when attached to
   * a shared tor (an own tor dies with the connection anyway). close() always removes it.
   */
  detach?: boolean
  dialTimeoutMs?: number
  publishTimeoutMs?: number
  bootstrapTimeoutMs?: number
  onEvent?: (event: TorTransportEvent) => void
}
