// The console's channel commands: /channels, /channel, /join, /leave, /channelcast, through the
// daemon's API (routes-channels.ts), the same calls as `oht channel`.
import { ChannelsApiClient } from '../../src/node/api/channels-client.ts'
import type { ApiEvent } from '../../src/node/index.ts'
import { t } from '../i18n/index.ts'
import { listText, postText, readText } from '../channels.ts'
import type { ConsoleCommand, Tone } from './spec.ts'

/** How many of a channel's newest posts /channel shows. */
const SHOWN_POSTS = 20

export const channelCommands: ConsoleCommand[] = [
  {
    name: 'channels',
    args: [],
    help: 'console.help.channels',
    run: async ctx => { ctx.print(listText(await new ChannelsApiClient(ctx.client).list())) }
  },
  {
    name: 'channel',
    args: [{ name: 'action' }, { name: 'channel', optional: true }, { name: 'rest', optional: true, rest: true }],
    choices: ['read', 'create', 'private', 'invite', 'revoke', 'sync'],
    help: 'channels.console.help',
    run: async (ctx, { args }) => {
      const c = new ChannelsApiClient(ctx.client)
      const [action, ref, ...rest] = args
      const need = (v: string | undefined): string => {
        if (v == null || v === '') throw new Error(t('channels.console.usage'))
        return v
      }
      if (action === 'create' || action === 'private') {
        const name = [need(ref), ...rest].join(' ')
        const r = await c.create(name, { private: action === 'private' })
        ctx.print(t('channels.create.done', { name: r.name, id: r.id }), 'ok')
      } else if (action === 'invite') {
        const [account, role] = rest
        const r = await c.invite(need(ref), need(account), role ?? 'writer')
        ctx.print(t('channels.invite.done', { account: r.account.slice(0, 12), role: r.role, until: new Date(r.exp).toISOString() }), 'ok')
      } else if (action === 'revoke') {
        const r = await c.revoke(need(ref), need(rest[0]))
        ctx.print(t(r.rotated ? 'channels.revoke.rotated' : 'channels.revoke.done', { account: r.account.slice(0, 12) }), 'ok')
      } else if (action === 'sync') {
        ctx.print(t('channels.sync.done', await c.sync(need(ref))), 'ok')
      } else {
        // `/channel <name>` reads too: the action word is optional.
        const r = await c.read(action === 'read' ? need(ref) : need(action))
        ctx.print(readText({ ...r, posts: r.posts.slice(-SHOWN_POSTS) }, false))
      }
    }
  },
  {
    name: 'join',
    args: [{ name: 'id' }, { name: 'peer', optional: true, source: 'peer' }],
    help: 'channels.join.description',
    run: async (ctx, { args }) => {
      const r = await new ChannelsApiClient(ctx.client).join(args[0]!, args[1] != null ? [args[1]] : [])
      ctx.print(t('channels.join.done', { name: r.name, posts: r.posts, role: r.role ?? t('channels.reader') }), 'ok')
    }
  },
  {
    name: 'leave',
    args: [{ name: 'channel' }],
    help: 'channels.leave.description',
    run: async (ctx, { args }) => {
      const r = await new ChannelsApiClient(ctx.client).leave(args[0]!)
      ctx.print(t('channels.leave.done', { id: r.id.slice(0, 12) }), 'ok')
    }
  },
  {
    name: 'channelcast',
    args: [{ name: 'channel' }, { name: 'message', rest: true }],
    help: 'channels.console.castHelp',
    run: async (ctx, { args }) => {
      const [ref, ...words] = args
      const text = words.join(' ')
      if (ref == null || text === '') throw new Error(t('channels.console.castUsage'))
      const r = await new ChannelsApiClient(ctx.client).post(ref, { text })
      ctx.print(t('channels.post.done', { id: r.id.slice(0, 8), peers: r.pushed }), 'ok')
    }
  }
]

/** The line a channel event prints above the prompt, or undefined for other events. */
export function channelEventLine (e: ApiEvent): { text: string, tone: Tone } | undefined {
  switch (e.type) {
    case 'channel-post': return { text: `#${e.name}  ${postText(e.post)}`, tone: 'event' }
    case 'channel-member': return { text: t(e.change === 'added' ? 'channels.event.memberAdded' : 'channels.event.memberRemoved', { name: e.name, account: e.account.slice(0, 12) }), tone: 'dim' }
    case 'channel-refused': return { text: t('channels.event.refused', { name: e.name, who: e.author?.slice(0, 12) ?? '?', reason: e.reason }), tone: 'warn' }
    default: return undefined
  }
}
