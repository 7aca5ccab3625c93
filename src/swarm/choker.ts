import { OPTIMISTIC_EVERY } from './constants.ts'

export { CHOKE_ROUND_MS, OPTIMISTIC_EVERY } from './constants.ts'

/**
 * Tit-for-tat with optimistic unchoke (BEP 3 "choking"): every round, the interested peers that
 * gave us the most (or, once we only seed, took from us fastest) are unchoked; one more slot
 * rotates among the rest so newcomers get a chance to prove themselves.
 */
export interface ChokablePeer {
  id: string
  interested: boolean
  choked: boolean
  /** Bytes per second received from this peer lately (leeching) / sent to it (seeding). */
  rate: number
  /** Was unchoked and asked for nothing: only the optimistic slot may pick it. */
  idle?: boolean
  choke (): void
  unchoke (): void
}

export interface ChokerState {
  optimistic?: string
  rounds: number
}

/** One round: ranks the peers, keeps `slots` unchoked (one of them the optimistic slot). */
export function chokeRound (peers: readonly ChokablePeer[], slots: number, state: ChokerState, random: () => number = Math.random, tieRandom: () => number = Math.random): void {
  const interested = peers.filter(p => p.interested)
  // Equal rates (all zero, at first) are ordered at random, not by arrival: the first identities
  // to log in do not keep the slots by being first.
  const tie = new Map(interested.map(p => [p.id, tieRandom()]))
  const ranked = interested.filter(p => p.idle !== true).sort((a, b) => (b.rate - a.rate) || (tie.get(a.id)! - tie.get(b.id)!))
  const regular = ranked.slice(0, Math.max(0, slots - 1))
  const keep = new Set(regular.map(p => p.id))
  const rest = interested.filter(p => !keep.has(p.id))
  if (state.rounds % OPTIMISTIC_EVERY === 0 || state.optimistic == null || !rest.some(p => p.id === state.optimistic)) {
    const pick = rest[Math.floor(random() * rest.length)]
    if (pick != null) state.optimistic = pick.id
    else delete state.optimistic
  }
  if (state.optimistic != null) keep.add(state.optimistic)
  state.rounds++
  for (const p of peers) {
    if (keep.has(p.id)) { if (p.choked) p.unchoke() } else if (!p.choked) p.choke()
  }
}
