// Iterative Kademlia lookup over disjoint paths (S/Kademlia; the shape of js-libp2p kad-dht's
// query manager). The seeds are dealt round-robin to `paths` paths; every contact a path learns
// belongs to that path unless another path already knows it, so no node is queried by two paths
// and one adversary can steer at most the paths that reach it. Each path keeps `alphaPerPath`
// requests in flight to the k closest candidates of its own (its window), one more
// for every request that has stalled (an unreachable onion costs seconds). Contacts with an open
// session (warm: a round trip away) are asked first; contacts without one (cold: a circuit build
// away) are raced, up to `coldAlphaPerPath` per path, as soon as no warm request of their round or
// a later one is running on the path, so that the fastest circuit sets the hop's time. When the
// caller tells nothing about warmth every contact counts as warm. A path ends when the k
// closest of its candidates that did not fail have all answered (S/Kademlia's per-path
// convergence), the lookup when every path has ended, when a query reports it is done (a value
// was found: one honest path is enough), when it is aborted, or at its deadline.
import type { Clock, TimerHandle } from './clock.ts'
import type { Contact } from './contact.ts'
import { compareDistance, idToHex, type Id } from './id.ts'

export interface QueryAnswer {
  /** Contacts the peer suggests (closer to the target, normally). */
  nodes: Contact[]
  /** Stop the whole lookup: what it looked for is found. */
  done?: boolean
}

export interface LookupParams {
  target: Id
  selfHex: string
  seeds: Contact[]
  k: number
  paths: number
  alphaPerPath: number
  maxPerPath: number
  stallMs: number
  /** Whether the contact has an open session (default: all do). */
  isWarm?: (hex: string) => boolean
  /** Cold requests per path when no warm one blocks them (default alphaPerPath), and at most (default maxPerPath). */
  coldAlphaPerPath?: number
  maxColdPerPath?: number
  /** Stall time of a request to a warm contact (default stallMs). */
  warmStallMs?: (hex: string) => number
  clock: Clock
  signal: AbortSignal
  /** Asks one contact; throws when it fails. `hop` is 1 for seeds, parent's + 1 otherwise. */
  query: (contact: Contact, hop: number, signal: AbortSignal) => Promise<QueryAnswer>
}

export interface LookupResult {
  /** Up to k contacts that answered, closest to the target first. */
  closest: Contact[]
  /**
   * The k closest that answered on each path, closest first. With ids ground near a target the
   * k closest overall can all be the attacker's; each honest path's own k closest reach past them.
   */
  closestPerPath: Contact[][]
  /** Hop of the query that ended the lookup (done), else of the closest contact that answered. */
  hops: number
  /** Requests sent. */
  messages: number
  failures: number
  /** True when a query reported done. */
  found: boolean
  /** True when aborted or out of time before converging. */
  aborted: boolean
  durationMs: number
}

type State = 'new' | 'inflight' | 'answered' | 'failed'

interface Candidate {
  contact: Contact
  hex: string
  hop: number
  path: number
  state: State
  /** Asked over an open session. */
  warm: boolean
  stalled: boolean
  stallTimer?: TimerHandle
}

export async function iterativeLookup (p: LookupParams): Promise<LookupResult> {
  const started = p.clock.now()
  const candidates = new Map<string, Candidate>()
  const paths: Candidate[][] = Array.from({ length: Math.max(1, p.paths) }, () => [])
  const inner = new AbortController()
  const stopInner = (): void => { inner.abort(p.signal.reason) }
  p.signal.addEventListener('abort', stopInner, { once: true })
  let messages = 0
  let failures = 0
  let foundHop = -1
  let finished = false
  let finish!: () => void
  const done = new Promise<void>(resolve => { finish = resolve })

  /** Every candidate, closest to the target first (kept sorted by binary insertion). */
  const order: Candidate[] = []
  const learn = (contact: Contact, hop: number, path: number): void => {
    const hex = idToHex(contact.nodeId)
    if (hex === p.selfHex || candidates.has(hex)) return
    const candidate: Candidate = { contact, hex, hop, path, state: 'new', warm: false, stalled: false }
    candidates.set(hex, candidate)
    paths[path]!.push(candidate)
    let lo = 0; let hi = order.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (compareDistance(order[mid]!.contact.nodeId, contact.nodeId, p.target) < 0) lo = mid + 1
      else hi = mid
    }
    order.splice(lo, 0, candidate)
  }
  const sorted = [...p.seeds].sort((a, b) => compareDistance(a.nodeId, b.nodeId, p.target))
  sorted.forEach((contact, i) => { learn(contact, 1, i % paths.length) })

  const inflight: Array<Set<Candidate>> = paths.map(() => new Set())
  const isWarm = p.isWarm ?? ((): boolean => true)

  const pump = (): void => {
    if (finished) return
    if (p.signal.aborted || foundHop >= 0) { end(); return }
    // Each path's window: its own k closest candidates that have not failed. A path converges
    // when all of its window has answered, whatever the other paths learned: contacts a poisoned
    // path collects (an adversary's colluders, closer than any honest node) fill only its own
    // window, never push an honest path's candidates out of reach.
    const windows: Candidate[][] = paths.map(() => [])
    let full = 0
    for (const c of order) {
      if (c.state === 'failed') continue
      const window = windows[c.path]!
      if (window.length >= p.k) continue
      window.push(c)
      if (window.length === p.k && ++full === paths.length) break
    }
    let active = false
    const coldAlpha = p.coldAlphaPerPath ?? p.alphaPerPath
    const maxCold = p.maxColdPerPath ?? p.maxPerPath
    for (let index = 0; index < paths.length; index++) {
      const flying = inflight[index]!
      let warmRunning = 0; let warmStalled = 0; let coldRunning = 0; let coldStalled = 0
      /** Latest round of a warm request running and not stalled: cold ones of that round or earlier wait for it. */
      let warmRound = 0
      for (const c of flying) {
        if (c.warm) {
          warmRunning++
          if (c.stalled) warmStalled++
          else warmRound = Math.max(warmRound, c.hop)
        } else {
          coldRunning++
          if (c.stalled) coldStalled++
        }
      }
      const warmLimit = Math.min(p.maxPerPath, p.alphaPerPath + warmStalled)
      const coldLimit = Math.min(maxCold, coldAlpha + coldStalled)
      for (const candidate of windows[index]!) {
        if (candidate.state !== 'new') continue
        if (isWarm(candidate.hex)) {
          if (warmRunning >= warmLimit) continue
          warmRunning++
          ask(candidate, true)
        } else {
          if (coldRunning >= coldLimit || candidate.hop <= warmRound) continue
          coldRunning++
          ask(candidate, false)
        }
      }
      if (warmRunning + coldRunning > 0) active = true
    }
    if (!active) end()
  }

  const ask = (candidate: Candidate, warm: boolean): void => {
    candidate.state = 'inflight'
    candidate.warm = warm
    inflight[candidate.path]!.add(candidate)
    messages++
    const stallMs = warm && p.warmStallMs !== undefined ? p.warmStallMs(candidate.hex) : p.stallMs
    candidate.stallTimer = p.clock.setTimeout(() => { candidate.stalled = true; pump() }, stallMs)
    p.query(candidate.contact, candidate.hop, inner.signal).then(answer => {
      if (finished) return
      candidate.state = 'answered'
      for (const contact of answer.nodes) learn(contact, candidate.hop + 1, candidate.path)
      if (answer.done === true && foundHop < 0) foundHop = candidate.hop
    }, () => {
      if (finished) return
      candidate.state = 'failed'
      failures++
    }).finally(() => {
      inflight[candidate.path]!.delete(candidate)
      if (candidate.stallTimer !== undefined) p.clock.clearTimeout(candidate.stallTimer)
      pump()
    })
  }

  const end = (): void => {
    if (finished) return
    finished = true
    for (const c of candidates.values()) if (c.stallTimer !== undefined) p.clock.clearTimeout(c.stallTimer)
    finish()
  }

  pump()
  await done
  p.signal.removeEventListener('abort', stopInner)
  inner.abort(new Error('lookup finished'))
  const answered = order.filter(c => c.state === 'answered').slice(0, p.k)
  const closestPerPath = paths.map((_, index) => order.filter(c => c.path === index && c.state === 'answered').slice(0, p.k).map(c => c.contact))
  return {
    closest: answered.map(c => c.contact),
    closestPerPath,
    hops: foundHop >= 0 ? foundHop : (answered[0]?.hop ?? 0),
    messages,
    failures,
    found: foundHop >= 0,
    aborted: p.signal.aborted && foundHop < 0,
    durationMs: p.clock.now() - started
  }
}
