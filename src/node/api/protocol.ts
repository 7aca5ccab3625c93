// What the daemon's API and its clients agree on: the version prefix and the event stream's events.
import type { SwarmEvent } from '../../swarm/index.ts'
import type { TransferEvent } from '../transfers/index.ts'
import type { PeopleEvent } from '../../people/index.ts'
import type { NamePublishedEvent } from '../../people/names/index.ts'
import type { ChannelEvent } from '../../people/channels/index.ts'

export const API_VERSION = 'v0'

/** An event on the WebSocket stream. */
export type ApiEvent =
  | { type: 'hello', version: string }
  | TransferEvent
  | { type: 'swarm', swarm: string, event: SwarmEvent }
  | PeopleEvent
  | NamePublishedEvent
  | ChannelEvent

/** What the API clients of other concerns (pins, DHT) need of the daemon's client: one JSON call. */
export interface ApiCaller {
  /** `path` without the version prefix, e.g. `/pins/node`. */
  call: (method: string, path: string, body?: unknown) => Promise<unknown>
}

/** An error answer: `code` and `params` let a client say it in its own words (errors.ts). */
export interface ApiErrorBody { error: string, code?: string, params?: Record<string, string> }
