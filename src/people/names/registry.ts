// The names this node's account publishes, and resolving anyone's (README "Names"). What was
// published is kept in the sealed store (the name and its target are identifying), and the
// daemon re-signs and republishes each record once a third of its lifetime has passed, so a
// name stays resolvable while the daemon runs and lapses within one TTL after it stops; a daemon
// that starts again republishes at once the names that are due (refresh after the DHT join).
import type { KeyObject } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { SealedDb } from '../../store/index.ts'
import { checkAccountId } from '../../node/identity/account-keys.ts'
import { parseCapability } from '../../blocks/link.ts'
import { parseAddress } from '../../onion/address.ts'
import { checkName, checkTarget, nameHandle, NameError, readNameRecord, signNameRecord, type NameRecord } from './record.ts'

/** The DHT part names need: private values (src/dht DhtNode). */
export interface NameValues {
  putPrivate: (handle: Uint8Array, plaintext: Uint8Array, options: { ttlMs?: number }) => Promise<unknown>
  getPrivate: (handle: Uint8Array, options?: { signal?: AbortSignal }) => Promise<{ value: Uint8Array | null }>
  deletePrivate: (handle: Uint8Array) => Promise<unknown>
}

export interface PublishedName { name: string, target: string, seq: number, expires: number, stored: number }

export interface NameRegistryOptions {
  /** The account names are published under; without one the registry only resolves. */
  account?: { id: string, privateKey: KeyObject } | undefined
  db: SealedDb
  /** The DHT once joined (the daemon waits for its join), or undefined when the node has none. */
  dht: () => Promise<NameValues | undefined> | NameValues | undefined
  /** How long a record lives (default 24 h, at least MIN_NAME_TTL_MS); republished once a third of it has passed. */
  ttlMs?: number
  /** Injected clock (tests). */
  now?: () => number
}

export const NAME_TTL_MS = 24 * 3600_000
/** Shorter TTLs are for tests (`oht daemon --name-ttl 6s`): the refresh runs at most every second. */
export const MIN_NAME_TTL_MS = 3000

/** What a name may stand for: an oht link (or verify capability), or a node address. */
export function checkPublishTarget (target: string): string {
  checkTarget(target)
  try {
    if (target.startsWith('oht')) parseCapability(target)
    else parseAddress(target)
  } catch (err) {
    throw new NameError('name.badTarget', `a name's target is an oht link or a node address: ${(err as Error).message}`)
  }
  return target
}

/** Emitted (and sent on the API's WebSocket) whenever a name was signed and put in the DHT. */
export interface NamePublishedEvent { type: 'name-published', name: string, seq: number, expires: number, stored: number }

export class NameRegistry extends EventEmitter<{ event: [NamePublishedEvent] }> {
  readonly #options: NameRegistryOptions
  readonly #names
  readonly #ttl: number
  readonly #now: () => number
  #timer: NodeJS.Timeout | undefined
  /** Publish, remove and refresh run one at a time, so a refresh never brings back a name just removed. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor (options: NameRegistryOptions) {
    super()
    this.#options = options
    this.#names = options.db.sublevel<string, PublishedName>('people-names', { valueEncoding: 'json' })
    this.#ttl = options.ttlMs ?? NAME_TTL_MS
    if (!(this.#ttl >= MIN_NAME_TTL_MS)) throw new NameError('name.bad', `a name's TTL is at least ${MIN_NAME_TTL_MS / 1000} s`)
    this.#now = options.now ?? Date.now
  }

  async #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return await run
  }

  async #dht (): Promise<NameValues> {
    const dht = await this.#options.dht()
    if (dht == null) throw new NameError('name.noDht', 'names need the DHT, and this node has not joined it (yet)')
    return dht
  }

  #account (): { id: string, privateKey: KeyObject } {
    const a = this.#options.account
    if (a == null) throw new NameError('name.noAccount', 'publishing a name needs an account: create one (oht account create), then restart the daemon')
    return a
  }

  async list (): Promise<PublishedName[]> { return (await this.#names.values().all()).sort((a, b) => a.name.localeCompare(b.name)) }

  /** Signs and stores the record; `stored` counts the DHT nodes that took it (0: none yet, republished later). */
  async publish (name: string, target: string): Promise<PublishedName> {
    this.#account()
    checkName(name)
    checkPublishTarget(target)
    return await this.#serial(async () => await this.#publish(name, target))
  }

  async #publish (name: string, target: string): Promise<PublishedName> {
    const account = this.#account()
    const previous = await this.#names.get(name)
    const now = this.#now()
    const seq = Math.max(now, (previous?.seq ?? 0) + 1)
    const record = { name, target, seq, expires: now + this.#ttl }
    const bytes = signNameRecord(account, record)
    const r = await (await this.#dht()).putPrivate(nameHandle(account.id, name), bytes, { ttlMs: this.#ttl }) as { stored?: number }
    const published: PublishedName = { ...record, stored: r.stored ?? 0 }
    await this.#names.put(name, published)
    this.emit('event', { type: 'name-published', name, seq, expires: record.expires, stored: published.stored })
    return published
  }

  /** Stops publishing a name and leaves a tombstone in the DHT; false when it was not published here. */
  async remove (name: string): Promise<boolean> {
    const account = this.#account()
    checkName(name)
    return await this.#serial(async () => {
      const had = await this.#names.get(name) != null
      await this.#names.del(name)
      const dht = await Promise.resolve(this.#options.dht()).catch(() => undefined)
      if (dht != null) await dht.deletePrivate(nameHandle(account.id, name)).catch(() => {})
      return had
    })
  }

  /** Republishes every name past a third of its lifetime; how many were republished. */
  async refresh (): Promise<number> {
    return await this.#serial(async () => {
      let n = 0
      for (const p of await this.list()) {
        if (this.#now() < p.expires - this.#ttl * 2 / 3) continue
        await this.#publish(p.name, p.target)
        n++
      }
      return n
    })
  }

  /** Refreshes at a sixth of the TTL, so a record is republished between a third and a half of its life. */
  start (): void {
    this.#timer = setInterval(() => { void this.refresh().catch(() => {}) }, Math.max(1000, this.#ttl / 6)).unref()
  }

  close (): void { clearInterval(this.#timer) }

  /** What `account` names as `name`, checked against its signature; NameError name.notFound when there is no valid, current record. */
  async resolve (account: string, name: string, signal?: AbortSignal): Promise<NameRecord> {
    const id = checkAccountId(account)
    checkName(name)
    const { value } = await (await this.#dht()).getPrivate(nameHandle(id, name), signal != null ? { signal } : {})
    const record = value == null ? null : readNameRecord(id, name, value, this.#now())
    if (record == null) throw new NameError('name.notFound', `no current name ${JSON.stringify(name)} published by ${id}`)
    return record
  }
}
