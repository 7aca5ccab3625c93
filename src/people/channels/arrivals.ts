// What members are told of a channel besides its view: events for members and refusals new since
// the last look, and the entries a sync or a push brought that were not kept (forged, malformed, of
// another channel, dated ahead, or carried by a chain not valid at their time). Those never enter
// the store, so a flood costs no disk, but the latest few per channel are listed with the view's
// refusals and announced as `channel-refused` events. Memory only: nothing of them is written.
import { readDescriptor } from './descriptor.ts'
import type { ChannelEvent } from './service-types.ts'
import type { ChannelStore } from './store.ts'
import type { ChannelView, Refusal } from './view.ts'

/** Refusals kept per channel (the newest; older ones are dropped first). */
export const MAX_ARRIVAL_REFUSALS = 32

export const refusedEvent = (channel: string, name: string, x: Refusal): ChannelEvent =>
  ({ type: 'channel-refused', channel, name, reason: x.reason, ...(x.author != null ? { author: x.author } : {}) })

/** What a member has been told of a channel: post ids, members, refusals. */
export interface Seen { posts: Set<string>, members: Set<string>, refused: Set<string> }

const refusalKey = (x: Refusal): string => `${x.id ?? ''}\0${x.reason}`

export const seenIn = (v: ChannelView): Seen =>
  ({ posts: new Set(v.posts.map(p => p.id)), members: new Set(v.members.map(m => m.account)), refused: new Set(v.refused.map(refusalKey)) })

/** The events for members added or removed and refusals new since `before`. */
export function memberAndRefusalNews (channel: string, name: string, before: Seen, now: Seen, refused: Refusal[]): ChannelEvent[] {
  const out: ChannelEvent[] = []
  for (const m of now.members) if (!before.members.has(m)) out.push({ type: 'channel-member', channel, name, account: m, change: 'added' })
  for (const m of before.members) if (!now.members.has(m)) out.push({ type: 'channel-member', channel, name, account: m, change: 'removed' })
  for (const x of refused) if (!before.refused.has(refusalKey(x))) out.push(refusedEvent(channel, name, x))
  return out
}

export class ArrivalRefusals {
  readonly #by = new Map<string, Refusal[]>()
  readonly #store: ChannelStore
  readonly #emit: (e: ChannelEvent) => void

  /** `emit` hears each new refusal once (an entry refused again is not told again). */
  constructor (store: ChannelStore, emit: (e: ChannelEvent) => void) {
    this.#store = store
    this.#emit = emit
  }

  note (channel: string, refusal: Refusal): void {
    const list = this.#by.get(channel) ?? []
    if (refusal.id != null && list.some(x => x.id === refusal.id)) return
    list.push(refusal)
    if (list.length > MAX_ARRIVAL_REFUSALS) list.splice(0, list.length - MAX_ARRIVAL_REFUSALS)
    this.#by.set(channel, list)
    void this.#tell(channel, refusal)
  }

  of (channel: string): Refusal[] { return [...(this.#by.get(channel) ?? [])] }

  forget (channel: string): void { this.#by.delete(channel) }

  async #tell (channel: string, refusal: Refusal): Promise<void> {
    const r = await this.#store.get(channel).catch(() => undefined)
    const d = r != null ? readDescriptor(channel, r.descriptor) : undefined
    if (d != null) this.#emit(refusedEvent(channel, d.name, refusal))
  }
}
