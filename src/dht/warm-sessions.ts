// Warm sessions: which routing-table contacts this node keeps an outbound session open to, and
// the maintenance round that keeps them so. Over Tor a request on an open session costs one round
// trip, to a new peer a circuit build first (seconds), so a lookup whose first hop finds its
// sessions open saves a circuit build per hop it takes on them. The set is bounded (per bucket,
// in all) and chosen per bucket, farthest bucket first: a random target falls in bucket i with
// probability 2^-(i+1), and its lookup starts from that bucket's contacts. Within a bucket the
// picks are spread over its sub-ranges, so that some warm contact is close to any target in it.
import type { Clock } from './clock.ts'
import type { DhtConfig } from './config.ts'
import { ID_BITS } from './constants.ts'
import type { RoutingTable, TableEntry } from './routing-table.ts'
import type { SessionManager } from './session-manager.ts'

export interface WarmChoice {
  perBucket: number
  max: number
  /** Whether a session to this contact is open now: open ones are kept before others are dialed. */
  isOpen: (hex: string) => boolean
}

/**
 * The contacts to keep warm: per bucket (farthest first) at most `perBucket`, at most `max` in
 * all. A bucket's contacts are grouped by the log2(perBucket) bits after the bucket's own bit,
 * and each group gives one pick in turn: the contact with an open session if any (no circuit is
 * rebuilt for nothing), else the most recently seen one. Contacts with failed requests are skipped.
 */
export function chooseWarmContacts (table: RoutingTable, choice: WarmChoice): TableEntry[] {
  const out: TableEntry[] = []
  const spread = Math.max(0, Math.floor(Math.log2(Math.max(1, choice.perBucket))))
  for (let index = 0; index < ID_BITS && out.length < choice.max; index++) {
    const entries = table.bucketEntries(index)
    if (entries.length === 0) continue
    const groups = new Map<number, TableEntry[]>()
    // Most recently seen last in a bucket: walk backwards so each group lists the freshest first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!
      if (entry.failures > 0) continue
      const group = subRange(entry.contact.nodeId, index + 1, spread)
      let list = groups.get(group)
      if (list === undefined) { list = []; groups.set(group, list) }
      list.push(entry)
    }
    for (const list of groups.values()) {
      const open = list.findIndex(e => choice.isOpen(e.hex))
      if (open > 0) list.unshift(...list.splice(open, 1))
    }
    const lists = [...groups.values()]
    let taken = 0
    for (let round = 0; taken < choice.perBucket && out.length < choice.max; round++) {
      let any = false
      for (const list of lists) {
        const entry = list[round]
        if (entry === undefined) continue
        any = true
        out.push(entry)
        if (++taken >= choice.perBucket || out.length >= choice.max) break
      }
      if (!any) break
    }
  }
  return out
}

/** The `bits` bits of `id` starting at bit `from` (0 = most significant), as a number. */
function subRange (id: Uint8Array, from: number, bits: number): number {
  let value = 0
  for (let i = from; i < Math.min(from + bits, ID_BITS); i++) value = (value << 1) | ((id[i >> 3]! >> (7 - (i & 7))) & 1)
  return value
}

export interface WarmSessionsOptions {
  clock: Clock
  config: Pick<DhtConfig, 'warmPerBucket' | 'maxWarmSessions' | 'warmKeepaliveMs' | 'warmDialsPerRound'>
  table: RoutingTable
  sessions: Pick<SessionManager, 'setWarm' | 'isOpen' | 'lastUsed' | 'request'>
}

export interface WarmRound {
  /** Contacts chosen to be warm. */
  chosen: number
  /** Sessions dialed to chosen contacts that had none. */
  dialed: number
  /** Idle warm sessions pinged to keep them open. */
  pinged: number
}

export class WarmSessions {
  readonly #options: WarmSessionsOptions

  constructor (options: WarmSessionsOptions) {
    this.#options = options
  }

  /**
   * One maintenance round: choose the warm set, exempt it from idle reaping, dial (by a ping) at
   * most warmDialsPerRound chosen contacts without a session, and ping the warm sessions idle for
   * warmKeepaliveMs. A failed ping counts against the contact as any failed request does.
   */
  async round (signal?: AbortSignal): Promise<WarmRound> {
    const { clock, config, table, sessions } = this.#options
    const chosen = chooseWarmContacts(table, { perBucket: config.warmPerBucket, max: config.maxWarmSessions, isOpen: hex => sessions.isOpen(hex) })
    sessions.setWarm(chosen.map(e => e.hex))
    const now = clock.now()
    const pings: Array<Promise<unknown>> = []
    let dialed = 0
    let pinged = 0
    for (const entry of chosen) {
      const target = { address: entry.contact.address, nodeId: entry.hex }
      if (!sessions.isOpen(entry.hex)) {
        if (dialed >= config.warmDialsPerRound) continue
        dialed++
      } else if (now - (sessions.lastUsed(entry.hex) ?? now) >= config.warmKeepaliveMs) {
        pinged++
      } else {
        continue
      }
      pings.push(sessions.request(target, { type: 'ping' }, signal))
    }
    await Promise.allSettled(pings)
    return { chosen: chosen.length, dialed, pinged }
  }
}
