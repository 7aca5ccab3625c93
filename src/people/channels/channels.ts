// The channels of one account, served by one node (README "Channels"). Entries live in the sealed
// store (store.ts); the channel's state is always computed from them (view.ts). Members find each
// other under the channel's DHT topic (and remember where a member answered) and sync over
// `channel` sessions (sync.ts): after each post or change this node pushes to the members it
// knows, and every sync interval it syncs each channel with a few members, so a member that was
// offline catches up from any other. Every entry received is checked before it is kept.
import { EventEmitter } from 'node:events'
import { createPrivateKey } from 'node:crypto'
import type { HandshakeResult } from '../../onion/index.ts'
import { checkAccountId } from '../../node/identity/account-keys.ts'
import { channelTopic } from './caps.ts'
import { readDescriptor, signDescriptor, type ParsedDescriptor } from './descriptor.ts'
import type { ChannelEvent, ChannelReading, ChannelsOptions, ChannelSummary } from './service-types.ts'
import { readEntry, type Content } from './entry.ts'
import { ChannelError } from './errors.ts'
import { DEFAULT_POLICY, parsePolicy, type Policy, type Scope } from './policy.ts'
import { autoFetchLink, ChannelStore, type ChannelRecord, type Follow } from './store.ts'
import { candidates, mergePeers } from './peers.ts'
import { CHANNEL_PROTOCOL, syncAnswer, syncDial, type SyncPeer } from './sync.ts'
import { ArrivalRefusals, memberAndRefusalNews, seenIn, type Seen } from './arrivals.ts'
import { keepEntries, replicaOf } from './replica.ts'
import { buildView, type ChannelView } from './view.ts'
import { createChannel, writeContent, writeGrant, writeLeave, writeNodeRevoke, writeRevoke, writeRotation, type Writer } from './writer.ts'
import { readNodeCert, rotateNodeKey, signerOf } from './node-key.ts'

export const DEFAULT_SYNC_MS = 30_000
/** Members synced with per channel and round (the ones that answered last first). */
export const SYNC_FANOUT = 6
/** A cached view is rebuilt after this long even if nothing changed (certificates expire with time). */
const VIEW_MAX_AGE_MS = 60_000

export class Channels extends EventEmitter<{ event: [ChannelEvent] }> {
  readonly store: ChannelStore
  readonly #o: ChannelsOptions
  readonly #known = new Map<string, Seen>()
  readonly #queues = new Map<string, Promise<unknown>>()
  readonly #recordQueues = new Map<string, Promise<unknown>>()
  /** The last view of each channel and the store version it was built from. */
  readonly #views = new Map<string, { version: number, view: ChannelView, at: number }>()
  /** How many DHT nodes took each channel's provider record (0: announced again at the next round). */
  readonly #announced = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined
  #closed = false
  readonly #arrivals: ArrivalRefusals

  /** Registers the `channel` protocol on the network: call before it listens. */
  constructor (options: ChannelsOptions) {
    super()
    this.#o = options
    this.store = new ChannelStore(options.db)
    this.#arrivals = new ArrivalRefusals(this.store, e => { this.emit('event', e) })
    options.network.registerProtocol(CHANNEL_PROTOCOL, session => { void this.#serve(session) })
  }

  get account (): string { return this.#o.account.id }

  start (): void { this.#schedule() }

  close (): void {
    this.#closed = true
    clearTimeout(this.#timer)
  }

  /** Announces every channel held under its topic (once the DHT has joined); how many. */
  async announce (): Promise<number> {
    const dht = this.#o.dht?.()
    if (dht?.address == null) return 0
    let n = 0
    for (const r of await this.store.list()) {
      if (r.left === true) continue
      await this.#provide(r.id)
      n++
    }
    return n
  }

  async create (name: string, options: { private?: boolean, policy?: Policy | string } = {}): Promise<ChannelSummary> {
    const policy = options.policy != null ? parsePolicy(options.policy) : DEFAULT_POLICY
    const c = createChannel(this.#o.account, { name, private: options.private === true, policy, now: this.#now(), nodeKey: { ...(this.#o.nodeKeyMs != null ? { lifetimeMs: this.#o.nodeKeyMs } : {}) } })
    await this.store.put({ id: c.id, descriptor: c.descriptor.text, channelKey: c.channelKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), ...(c.node != null ? { nodeKeys: [c.node] } : {}), joinedAt: Date.now(), peers: [] })
    for (const t of c.entries) await this.#add(c.id, t)
    await this.#changed(c.id)
    void this.#provide(c.id)
    return await this.#summary(c.id)
  }

  async list (): Promise<ChannelSummary[]> {
    const all = await this.store.list()
    const out: ChannelSummary[] = []
    for (const r of all) out.push(await this.#summary(r.id))
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
  }

  /** A channel held here, by id, a prefix of at least 8 hex digits, or its name when only one has it. */
  async find (ref: string): Promise<ChannelRecord> {
    const w = String(ref ?? '').trim()
    const all = await this.store.list()
    const lower = w.toLowerCase()
    const byId = /^[0-9a-f]{8,64}$/.test(lower) ? all.filter(r => r.id.startsWith(lower)) : []
    if (byId.length === 1) return byId[0]!
    const byName = all.filter(r => readDescriptor(r.id, r.descriptor)?.name === w)
    if (byName.length === 1) return byName[0]!
    if (byName.length > 1) throw new ChannelError('channel.unknown', `${byName.length} channels are named ${JSON.stringify(w)}: give the id (see oht channel list)`)
    throw new ChannelError('channel.unknown', `no channel ${JSON.stringify(w.slice(0, 80))} on this node (see oht channel list; oht channel join <id> to join one)`)
  }

  async read (ref: string): Promise<ChannelReading> {
    const r = await this.find(ref)
    const v = await this.#view(r.id)
    return { summary: await this.#summary(r.id, v), posts: v.posts, members: v.members, refused: [...v.refused, ...this.#arrivals.of(r.id)], forks: v.forks, waiting: v.waiting, policy: v.descriptor.policy }
  }

  async post (ref: string, content: Content): Promise<{ id: string, pushed: number }> {
    const r = await this.#writable(ref)
    const id = await this.#serial(r.id, async () => {
      const text = writeContent(await this.#view(r.id), await this.#writer(r.id), content, this.#now())
      await this.#add(r.id, text)
      return readEntry(text) as { id: string }
    })
    await this.#changed(r.id)
    return { id: id.id, pushed: await this.push(r.id) }
  }

  /** Grants `account` a certificate in `role` (and, in a private channel, the current read key). */
  async invite (ref: string, account: string, role: string, options: { days?: number, scope?: Scope[] } = {}): Promise<{ account: string, role: string, exp: number, pushed: number }> {
    const r = await this.#writable(ref)
    const who = checkAccountId(account)
    await this.#serial(r.id, async () => { await this.#add(r.id, writeGrant(await this.#view(r.id), await this.#writer(r.id), who, role, { now: this.#now(), ...options })) })
    await this.#changed(r.id)
    const m = (await this.#view(r.id)).members.find(x => x.account === who)
    return { account: who, role, exp: m?.exp ?? 0, pushed: await this.push(r.id) }
  }

  /** Removes a member: its certificate is revoked and, in a private channel, the read key rotates without it. */
  async remove (ref: string, account: string): Promise<{ account: string, rotated: boolean, pushed: number }> {
    const r = await this.#writable(ref)
    const who = checkAccountId(account)
    let rotated = false
    await this.#serial(r.id, async () => {
      const writer = await this.#writer(r.id)
      await this.#add(r.id, writeRevoke(await this.#view(r.id), writer, who, this.#now()))
      const v = await this.#view(r.id)
      if (v.descriptor.private) { await this.#add(r.id, writeRotation(v, writer, [who], this.#now())); rotated = true }
    })
    await this.#changed(r.id)
    return { account: who, rotated, pushed: await this.push(r.id) }
  }

  /**
   * Revokes a node key (node-key.ts): by default this node's own current one (a copy may have
   * leaked), which is replaced first so the revocation is signed by its successor; or the key of
   * `account`'s newest entry (a moderator's remedy short of removing the account).
   */
  async revokeNodeKey (ref: string, account?: string): Promise<{ account: string, node: string, pushed: number }> {
    const r = await this.#writable(ref)
    const who = account != null ? checkAccountId(account) : this.account
    const node = await this.#serial(r.id, async () => {
      const id = (await this.#view(r.id)).heads[who]?.node
      // Its own: the key held is replaced too, used yet or not.
      const held = who === this.account ? readNodeCert((await this.store.get(r.id))?.nodeKeys?.at(-1)?.cert)?.id : undefined
      const writer = await this.#writer(r.id, [id, held].filter(x => x != null))
      await this.#add(r.id, writeNodeRevoke(await this.#view(r.id), writer, who, id, this.#now()))
      return id!
    })
    await this.#changed(r.id)
    return { account: who, node, pushed: await this.push(r.id) }
  }

  /** Makes a new node key in each channel whose key is due (the sync round calls it); how many were made. */
  async rotateNodeKeys (): Promise<number> {
    let n = 0
    for (const r of await this.store.list()) {
      if (r.left === true || r.nodeKeys == null) continue
      if ((await this.#view(r.id)).authority == null) continue
      await this.#serial(r.id, async () => { if ((await this.#rotate(r.id)).rotated) n++ })
    }
    return n
  }

  #now (): number { return this.#o.clock?.() ?? Date.now() }

  /** The account, signing with its current node key in the channel (a new one when due or revoked). */
  async #writer (id: string, revoke: readonly string[] = []): Promise<Writer> {
    return { ...this.#o.account, node: signerOf((await this.#rotate(id, revoke)).current) }
  }

  async #rotate (id: string, revoke: readonly string[] = []): Promise<ReturnType<typeof rotateNodeKey>> {
    const held = (await this.store.get(id))?.nodeKeys
    const v = await this.#view(id)
    const rot = rotateNodeKey(held, this.#o.account, id, this.#now(), { ...(this.#o.nodeKeyMs != null ? { lifetimeMs: this.#o.nodeKeyMs } : {}), revoked: [...v.revoked, ...revoke] })
    if (rot.changed) await this.#update(id, x => ({ ...x, nodeKeys: rot.held }))
    return rot
  }

  /** Leaves: a leave entry is written (a member) and pushed; the channel is no longer synced or announced. */
  async leave (ref: string): Promise<{ id: string, pushed: number }> {
    const r = await this.find(ref)
    let pushed = 0
    const v = await this.#view(r.id)
    if (v.authority != null) {
      await this.#serial(r.id, async () => { await this.#add(r.id, writeLeave(await this.#view(r.id), await this.#writer(r.id), this.#now())) })
      pushed = await this.push(r.id)
    }
    await this.#update(r.id, x => ({ ...x, left: true }))
    this.#announced.delete(r.id)
    this.#o.dht?.()?.unprovide(channelTopic(r.id))
    return { id: r.id, pushed }
  }

  /** Forgets a channel this node left: its entries are deleted from the store. */
  async forget (ref: string): Promise<{ id: string }> {
    const r = await this.find(ref)
    await this.store.remove(r.id)
    this.#known.delete(r.id)
    this.#arrivals.forget(r.id)
    this.#o.dht?.()?.unprovide(channelTopic(r.id))
    return { id: r.id }
  }

  /** Joins a channel known by its id: its descriptor and entries come from `peers`, else from members found in the DHT. */
  async join (id: string, options: { peers?: string[], signal?: AbortSignal } = {}): Promise<ChannelSummary> {
    const ch = checkAccountId(id)
    const held = await this.store.get(ch)
    if (held != null && held.left !== true) return await this.#summary(ch)
    if (held != null) await this.#update(ch, x => ({ ...x, left: false }))
    let descriptor: ParsedDescriptor | undefined = held != null ? readDescriptor(ch, held.descriptor) : undefined
    const texts: string[] = []
    const peers: string[] = []
    const joining: SyncPeer = {
      descriptor: () => descriptor?.text,
      heads: async () => ({}),
      missing: async () => [],
      accept: async (got, d) => {
        if (descriptor == null && d != null) descriptor = readDescriptor(ch, d)
        texts.push(...got)
        return got.length
      }
    }
    let lastError: unknown
    for await (const address of this.#candidates(ch, options.peers ?? [], options.signal)) {
      try {
        const session = await this.#o.network.dialProtocol(address, CHANNEL_PROTOCOL, options.signal != null ? { signal: options.signal } : {})
        await syncDial(session.stream, ch, held != null ? this.#peer(ch, held.descriptor) : joining, this.#o.network.address ?? null)
        peers.push(address)
        if (descriptor != null) break
      } catch (err) { lastError = err }
    }
    if (held == null) {
      if (descriptor == null) throw new ChannelError('channel.unreachable', `no member of channel ${ch.slice(0, 12)}… answered (${(lastError as Error | undefined)?.message ?? 'none found in the DHT'}); give one with --peer <address>`)
      await this.store.put({ id: ch, descriptor: descriptor.text, joinedAt: Date.now(), peers })
      await keepEntries(this.store, ch, texts, Date.now(), x => { this.#arrivals.note(ch, x) })
    } else {
      await this.#notePeers(ch, peers)
    }
    await this.#changed(ch)
    void this.#provide(ch)
    return await this.#summary(ch)
  }

  async policy (ref: string): Promise<{ id: string, name: string, policy: Policy }> {
    const r = await this.find(ref)
    const d = readDescriptor(r.id, r.descriptor)!
    return { id: r.id, name: d.name, policy: d.policy }
  }

  /** Replaces the policy (the owner's node only: it holds the channel key). */
  async setPolicy (ref: string, policy: Policy | string): Promise<{ id: string, policy: Policy, pushed: number }> {
    const r = await this.find(ref)
    if (r.channelKey == null) throw new ChannelError('channel.notAllowed', 'only the owner\'s node holds the channel key that signs the policy')
    const d = readDescriptor(r.id, r.descriptor)!
    const key = createPrivateKey({ key: Buffer.from(r.channelKey, 'base64'), format: 'der', type: 'pkcs8' })
    const text = signDescriptor(key, { id: r.id, name: d.name, private: d.private, policy: parsePolicy(policy), created: d.created, seq: d.seq + 1 })
    await this.#update(r.id, x => ({ ...x, descriptor: text }))
    await this.#changed(r.id)
    return { id: r.id, policy: readDescriptor(r.id, text)!.policy, pushed: await this.push(r.id) }
  }

  /** Follows a channel (its shares fetched as they are posted, with auto-fetch), or stops (null). */
  async follow (ref: string, follow: Follow | null): Promise<ChannelSummary> {
    const r = await this.find(ref)
    await this.#update(r.id, x => {
      const next: ChannelRecord = { ...x }
      if (follow == null) delete next.follow
      else next.follow = follow
      return next
    })
    return await this.#summary(r.id)
  }

  /** Syncs the channel with the members it knows now; how many answered, and the entries either way. */
  async sync (ref: string, options: { peers?: string[], signal?: AbortSignal, fanout?: number } = {}): Promise<{ peers: number, received: number, sent: number }> {
    const r = await this.find(ref)
    if (r.left === true) throw new ChannelError('channel.notAllowed', 'this node left the channel: oht channel join <id> to come back')
    await this.#prime(r.id)
    let peers = 0
    let received = 0
    let sent = 0
    const ok: string[] = []
    const targets: string[] = []
    for await (const address of this.#candidates(r.id, options.peers ?? [], options.signal)) {
      targets.push(address)
      if (targets.length >= (options.fanout ?? SYNC_FANOUT)) break
    }
    // All at once: over Tor one session is several round trips, so one after another a push
    // reached its sixth member seconds after its first.
    await Promise.all(targets.map(async address => {
      try {
        const session = await this.#o.network.dialProtocol(address, CHANNEL_PROTOCOL, options.signal != null ? { signal: options.signal } : {})
        const res = await syncDial(session.stream, r.id, this.#peer(r.id, (await this.store.get(r.id))?.descriptor ?? r.descriptor), this.#o.network.address ?? null)
        peers++
        received += res.received
        sent += res.sent
        ok.push(address)
      } catch {}
    }))
    await this.#notePeers(r.id, ok)
    if (received > 0) await this.#changed(r.id)
    return { peers, received, sent }
  }

  /** Pushes to the members this node knows (in the background); how many it will try. */
  async push (id: string): Promise<number> {
    const r = await this.store.get(id)
    if (r == null) return 0
    // Every member it knows (at most MAX_PEERS, all at once): a member that joined through one
    // other knows few, so a push to only some of the members a well-known node knows left the
    // rest waiting for their next sync round; the ones that already have the entry pass nothing on.
    void this.sync(id, { peers: r.peers, fanout: r.peers.length }).catch(() => {})
    return r.peers.length
  }

  async #writable (ref: string): Promise<ChannelRecord> {
    const r = await this.find(ref)
    if (r.left === true) throw new ChannelError('channel.notAllowed', 'this node left the channel: oht channel join <id> to come back')
    await this.#prime(r.id)
    return r
  }

  async #serial<T> (id: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.#queues.get(id) ?? Promise.resolve()).then(fn, fn)
    this.#queues.set(id, run.catch(() => {}))
    return await run
  }

  /** Read-modify-write of a channel's record, one at a time (a sync noting a peer must not undo a leave). */
  async #update (id: string, change: (r: ChannelRecord) => ChannelRecord | undefined): Promise<ChannelRecord | undefined> {
    const run = async (): Promise<ChannelRecord | undefined> => {
      const r = await this.store.get(id)
      const next = r != null ? change(r) : undefined
      if (next != null) await this.store.put(next)
      return next
    }
    const p = (this.#recordQueues.get(id) ?? Promise.resolve()).then(run, run)
    this.#recordQueues.set(id, p.catch(() => {}))
    return await p
  }

  async #view (id: string): Promise<ChannelView> {
    const version = this.store.version(id)
    const cached = this.#views.get(id)
    if (cached != null && cached.version === version && Math.abs(this.#now() - cached.at) < VIEW_MAX_AGE_MS) return cached.view
    const r = await this.store.get(id)
    if (r == null) throw new ChannelError('channel.unknown', `no channel ${id.slice(0, 12)}… on this node`)
    const now = this.#now()
    const view = buildView(readDescriptor(id, r.descriptor)!, await this.store.texts(id), { account: this.#o.account, now })
    // Kept only when nothing changed while it was built.
    if (this.store.version(id) === version) this.#views.set(id, { version, view, at: now })
    return view
  }


  async #summary (id: string, v?: ChannelView): Promise<ChannelSummary> {
    const r = (await this.store.get(id))!
    const view = v ?? await this.#view(id)
    const d = view.descriptor
    return { id, name: d.name, private: d.private, owner: r.channelKey != null, role: view.authority?.role ?? null, members: view.members.length, posts: view.posts.filter(p => p.deleted !== true).length, left: r.left === true, follow: r.follow ?? null, peers: r.peers.length }
  }

  async #add (id: string, text: string): Promise<boolean> {
    const e = readEntry(text)
    if ('fault' in e) throw new ChannelError('channel.badEntry', e.fault)
    return await this.store.add(id, e)
  }

  /** The sync side of a channel held here (`descriptor`: the text held when the session began). */
  #peer (id: string, descriptor: string): SyncPeer {
    return replicaOf(this.store, id, descriptor, async () => await this.#view(id), async d => { await this.#newerDescriptor(id, d) }, x => { this.#arrivals.note(id, x) })
  }

  async #newerDescriptor (id: string, text: string): Promise<void> {
    const got = readDescriptor(id, text)
    if (got == null) return
    await this.#update(id, r => {
      const mine = readDescriptor(id, r.descriptor)
      return mine == null || got.seq > mine.seq ? { ...r, descriptor: text } : undefined
    })
  }

  /** Remembers where members answered (peers.ts mergePeers). */
  async #notePeers (id: string, addresses: string[], claimed = false): Promise<void> {
    if (addresses.length === 0) return
    await this.#update(id, r => ({ ...r, peers: mergePeers(r.peers, addresses, claimed, this.#o.network.address) }))
  }

  async * #candidates (id: string, given: string[], signal?: AbortSignal): AsyncGenerator<string> {
    yield * candidates(id, [...given, ...((await this.store.get(id))?.peers ?? [])], this.#o.network.address, this.#o.dht?.(), signal)
  }

  async #provide (id: string): Promise<void> {
    const dht = this.#o.dht?.()
    if (dht?.address == null) return
    this.#announced.set(id, (await dht.provide(channelTopic(id)).catch(() => ({ stored: 0 }))).stored)
  }

  /** An inbound session: sync, then remember where the dialer answers, then tell what changed. */
  async #serve (session: HandshakeResult): Promise<void> {
    session.stream.on('error', () => {})
    try {
      const res = await syncAnswer(session.stream, async ch => {
        const r = await this.store.get(ch)
        if (r == null) return 'unknown'
        if (r.left === true) return 'left'
        await this.#prime(ch)
        return this.#peer(ch, r.descriptor)
      })
      if (res.ch == null) return
      if (res.peerAddress != null && /^[a-z0-9.:-]{1,128}$/i.test(res.peerAddress)) await this.#notePeers(res.ch, [res.peerAddress], true)
      if (res.received > 0) {
        await this.#changed(res.ch)
        void this.push(res.ch) // onward: the members this node knows may not have it yet
      }
    } catch {}
  }

  /**
   * Notes what a channel holds before anything new arrives (after a start, the first look is
   * silent): so the posts a sync brings, even the first one after a restart, are told as new.
   */
  async #prime (id: string): Promise<void> {
    if (!this.#known.has(id)) await this.#changed(id)
  }

  /** Emits what is new since the last look: posts, members, refusals; starts auto-fetches. */
  async #changed (id: string): Promise<void> {
    const r = await this.store.get(id)
    if (r == null) return
    const v = await this.#view(id)
    const name = v.descriptor.name
    const known = this.#known.get(id)
    const now = seenIn(v)
    this.#known.set(id, now)
    await this.#rotateIfStale(id, v)
    if (known == null) return
    for (const p of v.posts) {
      if (known.posts.has(p.id)) continue
      this.emit('event', { type: 'channel-post', channel: id, name, post: p })
      const link = autoFetchLink(r.follow, p, this.account)
      if (link != null) void this.#o.fetchShare?.(link, r.follow!.output, r.peers).catch(() => {})
    }
    for (const e of memberAndRefusalNews(id, name, known, now, v.refused)) this.emit('event', e)
  }

  /**
   * A private channel whose current read key is sealed to someone no longer a member (who left,
   * expired, or was removed by a node that did not rotate): a node that may moderate rotates it,
   * so the former member cannot read what follows.
   */
  async #rotateIfStale (id: string, v: ChannelView): Promise<void> {
    const key = v.currentKey
    if (!v.descriptor.private || key == null || v.authority?.scope.includes('moderate') !== true || !v.keys.has(key.ref)) return
    const members = new Set(v.members.map(m => m.account))
    const stale = key.sealedTo.filter(a => !members.has(a))
    if (stale.length === 0) return
    const r = await this.store.get(id)
    if (r == null || r.left === true) return
    await this.#serial(id, async () => { await this.#add(id, writeRotation(await this.#view(id), await this.#writer(id), stale, this.#now())) })
    await this.#changed(id)
    void this.push(id)
  }

  #schedule (): void {
    if (this.#closed) return
    const base = this.#o.syncMs ?? DEFAULT_SYNC_MS
    this.#timer = setTimeout(() => { void this.#round().finally(() => { this.#schedule() }) }, base * (2 / 3 + Math.random() * 2 / 3))
    this.#timer.unref()
  }

  async #round (): Promise<void> {
    await this.rotateNodeKeys().catch(() => {})
    for (const r of await this.store.list().catch(() => [])) {
      if (this.#closed) return
      if (r.left === true) continue
      await this.#prime(r.id).catch(() => {})
      // A node alone when it announced (stored nowhere) announces again once it knows others.
      if ((this.#announced.get(r.id) ?? 0) === 0) await this.#provide(r.id)
      await this.sync(r.id).catch(() => {})
    }
  }
}
