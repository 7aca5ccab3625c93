// How often strangers may knock: token buckets per account and over all strangers together, so a
// flood of requests (from one account or from many fresh ones) costs the receiver a bounded
// amount of work and storage. Contacts are not counted. The per-account table is bounded too:
// an account that has not knocked for a full refill period is forgotten first.

export interface KnockLimits {
  /** Requests one account may make in a burst, and the period in which one more is allowed. */
  perAccount: number
  /** Requests all strangers together may make in a burst. */
  total: number
  refillMs: number
}

export const DEFAULT_KNOCK_LIMITS: KnockLimits = { perAccount: 3, total: 20, refillMs: 10 * 60_000 }
const MAX_TRACKED_ACCOUNTS = 10_000

interface Bucket { tokens: number, at: number }

export class KnockLimiter {
  readonly #limits: KnockLimits
  readonly #now: () => number
  readonly #accounts = new Map<string, Bucket>()
  #total: Bucket

  constructor (limits: KnockLimits = DEFAULT_KNOCK_LIMITS, now: () => number = Date.now) {
    this.#limits = limits
    this.#now = now
    this.#total = { tokens: limits.total, at: now() }
  }

  /** Takes one knock for `account`; 'account' or 'total' when a limit says no (nothing is taken then). */
  take (account: string): 'account' | 'total' | undefined {
    const now = this.#now()
    const mine = this.#refill(this.#accounts.get(account) ?? { tokens: this.#limits.perAccount, at: now }, this.#limits.perAccount, now)
    this.#total = this.#refill(this.#total, this.#limits.total, now)
    if (mine.tokens < 1) { this.#accounts.set(account, mine); return 'account' }
    if (this.#total.tokens < 1) return 'total'
    mine.tokens -= 1
    this.#total.tokens -= 1
    this.#accounts.delete(account)
    this.#accounts.set(account, mine)
    if (this.#accounts.size > MAX_TRACKED_ACCOUNTS) this.#accounts.delete(this.#accounts.keys().next().value!)
    return undefined
  }

  #refill (b: Bucket, max: number, now: number): Bucket {
    const earned = Math.floor((now - b.at) / this.#limits.refillMs)
    if (earned <= 0) return b
    return { tokens: Math.min(max, b.tokens + earned), at: b.at + earned * this.#limits.refillMs }
  }
}
