// The daemon's WebSocket events as lines above the prompt. Progress events are not printed here
// (a /fetch prints its own, throttled); what is printed is what a person wants to notice.
import type { ApiEvent } from '../../src/node/index.ts'
import { t } from '../i18n/index.ts'
import { formatBytes } from '../units.ts'
import { printable } from '../people.ts'
import type { Tone } from './spec.ts'
import { channelEventLine } from './commands-channels.ts'

export interface EventLine { text: string, tone: Tone }

/** The line for one event, or undefined for events not worth a line. `names` maps transfer ids to share names. */
export function eventLine (e: ApiEvent, names: ReadonlyMap<string, string>): EventLine | undefined {
  const name = (id: string): string => names.get(id) ?? id.slice(0, 8)
  switch (e.type) {
    case 'transfer:added': return { text: t('console.event.added', { id: e.transfer.id.slice(0, 8), name: e.transfer.name ?? e.transfer.shareId.slice(0, 16) }), tone: 'event' }
    case 'transfer:state':
      if (e.state === 'complete' || e.state === 'seeding') return { text: t('console.event.complete', { id: e.id.slice(0, 8), name: name(e.id), bytes: formatBytes(e.result?.bytes ?? 0), path: e.result?.path ?? '' }), tone: 'ok' }
      if (e.state === 'failed') return { text: t('console.event.failed', { id: e.id.slice(0, 8), name: name(e.id), reason: e.error ?? '?' }), tone: 'error' }
      if (e.state === 'cancelled') return { text: t('console.event.cancelled', { id: e.id.slice(0, 8), name: name(e.id) }), tone: 'warn' }
      if (e.state === 'paused') return { text: t('console.event.paused', { id: e.id.slice(0, 8), name: name(e.id) }), tone: 'event' }
      return undefined
    case 'transfer:dial-failed': return { text: t('console.event.dialFailed', { id: e.id.slice(0, 8), address: e.address, reason: e.reason }), tone: 'warn' }
    case 'channel-post': case 'channel-member': case 'channel-refused': return channelEventLine(e)
    case 'swarm':
      if (e.event.type === 'peer:banned') return { text: t('console.event.banned', { swarm: e.swarm.slice(0, 12), peer: e.event.peer.slice(0, 12), reason: e.event.reason }), tone: 'warn' }
      return undefined
    // People: another person's words pass through printable() (no escape sequences on our screen).
    case 'contact-request': return { text: t('contacts.event.request', { account: e.account, text: e.text === '' ? '' : ` ${JSON.stringify(printable(e.text))}` }), tone: 'event' }
    case 'contact-accepted': return { text: t('contacts.event.accepted', { name: e.contact }), tone: 'ok' }
    case 'message': return { text: t('contacts.event.message', { name: e.contact, text: printable(e.text) }), tone: 'event' }
    case 'contact-online': return { text: t('contacts.event.online', { name: e.contact }), tone: 'dim' }
    case 'contact-offline': return { text: t('contacts.event.offline', { name: e.contact }), tone: 'dim' }
    case 'introduction': return { text: t('contacts.event.introduction', { name: e.via, account: e.account }), tone: 'event' }
    default: return undefined
  }
}
