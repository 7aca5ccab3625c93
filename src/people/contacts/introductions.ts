// Introductions (relationship traversal): a contact A tells contact C about contact B with a
// statement signed by A's account, "A introduces B to C at T" (docs/FORMAT.md "People sessions").
// C keeps it, shows B as "via <C's petname for A>", and may send it along with its request to B:
// B checks A's signature over the same statement (with B as the one introduced and C as the
// requester) and shows the request as "via <B's petname for A>" when A is B's contact. A request
// that carries a valid introduction from a contact is not counted against the strangers' limits.
import type { KeyObject } from 'node:crypto'
import type { SealedDb } from '../../store/index.ts'
import { isAccountId, signLabelled, verifyLabelled } from '../../node/identity/account-keys.ts'
import { labelBytes } from '../caps.ts'

/** How long an introduction can be used for a request after it was made. */
export const INTRODUCTION_TTL_MS = 30 * 24 * 3600_000
/** Introductions kept at once; the oldest goes first. */
export const MAX_INTRODUCTIONS = 200
const SIG = /^[A-Za-z0-9_-]{40,200}$/

/** The introducer's part that travels with a request: who, when, its signature. */
export interface Via { account: string, at: number, sig: string }

/** An introduction received: `account` was introduced to this node by `via.account`. */
export interface Introduction {
  account: string
  via: Via
  address: string | null
  node: string | null
}

const statement = (introducer: string, introduced: string, to: string, at: number): Buffer =>
  Buffer.concat([labelBytes('introduction'), Buffer.from(JSON.stringify([introducer, introduced, to, at]))])

export function signIntroduction (introducer: { id: string, privateKey: KeyObject }, introduced: string, to: string, at = Date.now()): Via {
  return { account: introducer.id, at, sig: signLabelled(introducer.privateKey, statement(introducer.id, introduced, to, at)) }
}

/** True when `via` is the introducer's valid, current statement "introduced is introduced to `to`". */
export function checkIntroduction (via: Via, introduced: string, to: string, now = Date.now()): boolean {
  if (!isAccountId(via.account) || !Number.isSafeInteger(via.at) || typeof via.sig !== 'string' || !SIG.test(via.sig)) return false
  if (via.at > now + 10 * 60_000 || now - via.at > INTRODUCTION_TTL_MS) return false
  try { return verifyLabelled(via.account, statement(via.account, introduced, to, via.at), via.sig) } catch { return false }
}

/** A `via` from the wire: its shape only (checkIntroduction checks the rest). */
export function isVia (v: unknown): v is Via {
  const x = v as Via
  return x != null && typeof x === 'object' && typeof x.account === 'string' && Number.isSafeInteger(x.at) && typeof x.sig === 'string' && x.sig.length <= 200
}

export class IntroductionBook {
  readonly #intros

  constructor (db: SealedDb) {
    this.#intros = db.sublevel<string, Introduction>('people-introductions', { valueEncoding: 'json' })
  }

  async get (account: string): Promise<Introduction | undefined> { return await this.#intros.get(account) }
  async list (): Promise<Introduction[]> { return (await this.#intros.values().all()).sort((a, b) => a.via.at - b.via.at) }
  async drop (account: string): Promise<void> { await this.#intros.del(account) }

  async add (i: Introduction): Promise<void> {
    await this.#intros.put(i.account, i)
    const all = await this.list()
    for (const old of all.slice(0, Math.max(0, all.length - MAX_INTRODUCTIONS))) await this.#intros.del(old.account)
  }
}
