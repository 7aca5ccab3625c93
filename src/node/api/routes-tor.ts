// /v0/tor: the daemon's tor. GET: which tor (own or attached) and its bootstrap; POST newnym:
// new circuits (SIGNAL NEWNYM), at most one per NEWNYM_INTERVAL_MS as tor itself allows (tor
// answers OK to a faster one and ignores it, so the limit is kept here, where it can be said);
// POST newonions: a new onion address for the node (NodeRuntime.newOnions).
import type { Transport } from '../../onion/index.ts'
import { TorTransport } from '../../onion/index.ts'
import { NodeError } from '../errors.ts'
import { API_VERSION } from './protocol.ts'
import type { RouteTable } from './http.ts'

export const TOR_PATH = `/${API_VERSION}/tor`
/** Tor's own minimum between two NEWNYM signals (MAX_SIGNAL_NEWNYM_INTERVAL in tor's source). */
export const NEWNYM_INTERVAL_MS = 10_000

export interface TorStatus { transport: string, owned: boolean | null, bootstrap: { progress: number, summary: string } | null }

export interface NewOnionsAnswer { address: string, previous: string, reannounced: number }

export interface TorOperations {
  /** A new onion address for the node; refused (NodeError) on another transport. */
  newOnions: () => Promise<NewOnionsAnswer>
}

export function registerTorRoutes (api: RouteTable, transport: Transport, operations: TorOperations, now: () => number = Date.now): void {
  let last = -Infinity
  const tor = (): TorTransport => {
    if (!(transport instanceof TorTransport)) throw new NodeError('tor.notTor', { transport: transport.kind }, `this daemon does not use Tor (transport ${transport.kind})`)
    return transport
  }
  api.route('GET', TOR_PATH, async () => ({
    body: {
      transport: transport.kind,
      owned: transport instanceof TorTransport ? transport.ownsTor : null,
      bootstrap: transport instanceof TorTransport ? transport.bootstrapState : null
    } satisfies TorStatus
  }))
  api.route('POST', `${TOR_PATH}/newnym`, async () => {
    const t = tor()
    const wait = last + NEWNYM_INTERVAL_MS - now()
    if (wait > 0) throw new NodeError('tor.rateLimited', { seconds: String(Math.ceil(wait / 1000)) }, `new circuits were asked for less than ${NEWNYM_INTERVAL_MS / 1000} s ago: try again in ${Math.ceil(wait / 1000)} s`)
    await t.newCircuits()
    last = now()
    return { body: { ok: true, nextInSeconds: NEWNYM_INTERVAL_MS / 1000 } }
  })
  api.route('POST', `${TOR_PATH}/newonions`, async () => {
    tor()
    return { body: await operations.newOnions() satisfies NewOnionsAnswer }
  })
  // Starting or stopping a tor the daemon merely attached to is not ours to do; the daemon's own
  // tor carries its onion service, so it starts and stops with the daemon.
  for (const action of ['start', 'stop'] as const) {
    api.route('POST', `${TOR_PATH}/${action}`, async () => {
      const t = tor()
      if (t.ownsTor === false) throw new NodeError('tor.attached', { action }, `this daemon is attached to a tor it did not start: oht does not ${action} it`)
      throw new NodeError('tor.attached', { action, own: 'true' }, `the daemon's own tor carries its onion service: it ${action === 'start' ? 'started' : 'stops'} with the daemon (${action === 'start' ? 'it is running' : 'stop the daemon'})`)
    })
  }
}
