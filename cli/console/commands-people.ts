// The console's contacts, whispers and invite codes: /contacts /request /accept /reject /add /rm
// /whisper /invite /introduce /mailbox /contactcast on the daemon's people routes (routes-people.ts), /send and /receive on its invite
// routes (routes-invites.ts); the same calls, and the same lines, as `oht contact`, `oht whisper`,
// `oht send` and `oht receive`.
import { resolve } from 'node:path'
import { PeopleApiClient } from '../../src/node/api/people-client.ts'
import type { InviteInfo, Offer } from '../../src/people/invite/index.ts'
import { t } from '../i18n/index.ts'
import { contactcastLines, contactListLines, conversationLines } from '../people.ts'
import { formatBytes, parseDuration } from '../units.ts'
import { fetchFollowing } from './commands-files.ts'
import type { CommandContext, ConsoleCommand } from './spec.ts'

const people = (ctx: CommandContext): PeopleApiClient => new PeopleApiClient(ctx.client)
const text = (words: string[]): string => words.join(' ')
const opt = (v: string | string[] | true | undefined): string | undefined => typeof v === 'string' ? v : undefined
/** A code's lifetime, 1 s to 24 h, as `oht send` and `oht contact invite` take it. */
function expiresMsOf (text: string): number {
  const ms = parseDuration(text)
  if (!(ms >= 1000 && ms <= 24 * 3600_000)) throw new Error(t('invite.send.badExpires', { value: text }))
  return ms
}

export const peopleCommands: ConsoleCommand[] = [
  {
    name: 'contacts',
    args: [],
    help: 'people.list.description',
    run: async ctx => { ctx.print(contactListLines(await people(ctx).overview()).join('\n')) }
  },
  {
    name: 'request',
    args: [{ name: 'account' }, { name: 'message', optional: true, rest: true }],
    options: [{ name: 'name', value: true }, { name: 'address', value: true, source: 'peer' }],
    help: 'people.request.description',
    run: async (ctx, { args, options }) => {
      const name = opt(options.name)
      const address = opt(options.address)
      const r = await people(ctx).request(args[0]!, text(args.slice(1)), { ...(name != null ? { petname: name } : {}), ...(address != null ? { address } : {}) })
      ctx.print(t('people.request.done', { name: r.contact.petname }), 'ok')
    }
  },
  {
    name: 'accept',
    args: [{ name: 'account', source: 'request' }],
    options: [{ name: 'name', value: true }],
    help: 'people.accept.description',
    run: async (ctx, { args, options }) => {
      const r = await people(ctx).accept(args[0]!, opt(options.name))
      ctx.print(t(r.delivered ? 'people.accept.done' : 'people.accept.queued', { name: r.contact.petname }), 'ok')
    }
  },
  {
    name: 'reject',
    args: [{ name: 'account', source: 'request' }],
    help: 'people.reject.description',
    run: async (ctx, { args }) => {
      const r = await people(ctx).reject(args[0]!)
      ctx.print(t('people.reject.done', { account: `${r.account.slice(0, 12)}…` }), 'ok')
    }
  },
  {
    name: 'add',
    args: [{ name: 'account' }, { name: 'petname' }],
    options: [{ name: 'address', value: true, source: 'peer' }],
    help: 'people.add.description',
    run: async (ctx, { args, options }) => {
      const r = await people(ctx).add(args[0]!, args[1]!, opt(options.address))
      ctx.print(t('people.add.done', { name: r.contact.petname }), 'ok')
    }
  },
  {
    name: 'rm',
    args: [{ name: 'contact', source: 'contact' }],
    options: [{ name: 'block' }],
    help: 'people.rm.description',
    run: async (ctx, { args, options }) => {
      const block = options.block === true
      const r = await people(ctx).remove(args[0]!, block)
      ctx.print(t(block ? 'people.rm.blocked' : 'people.rm.done', { name: r.petname }), 'ok')
    }
  },
  {
    name: 'whisper',
    args: [{ name: 'contact', source: 'contact' }, { name: 'message', optional: true, rest: true }],
    help: 'people.whisper.description',
    run: async (ctx, { args }) => {
      const [name, ...words] = args as [string, ...string[]]
      if (words.length === 0) { ctx.print(conversationLines(await people(ctx).messages(name)).join('\n')); return }
      const r = await people(ctx).whisper(name, text(words))
      ctx.print(t(r.state === 'delivered' ? 'people.whisper.delivered' : r.state === 'mailboxed' ? 'people.whisper.mailboxed' : 'people.whisper.queued', { name }), r.state === 'delivered' ? 'ok' : 'warn')
    }
  },
  {
    // Without a code: open one for the other person; with a code: use someone's (both become contacts).
    name: 'invite',
    args: [{ name: 'code', optional: true }],
    options: [{ name: 'name', value: true }, { name: 'expires', value: true }],
    help: 'people.invite.description',
    run: async (ctx, { args, options }) => {
      const name = opt(options.name)
      if (args[0] != null) {
        const r = await people(ctx).acceptInvite(args[0], name)
        ctx.print(t('people.invite.added', { name: r.contact.petname }), 'ok')
        return
      }
      const expires = opt(options.expires) ?? '1h'
      const info = await people(ctx).openInvite({ expiresMs: expiresMsOf(expires), ...(name != null ? { petname: name } : {}) })
      ctx.print(t('people.invite.code', { code: info.code, expires }), 'ok')
    }
  },
  {
    name: 'introduce',
    args: [{ name: 'contact', source: 'contact' }, { name: 'to-contact', source: 'contact' }],
    help: 'people.introduce.description',
    run: async (ctx, { args }) => {
      const r = await people(ctx).introduce(args[0]!, args[1]!)
      ctx.print(t('people.introduce.done', { a: r.introduced, b: r.to }), 'ok')
    }
  },
  {
    name: 'mailbox',
    args: [],
    help: 'people.mailbox.description',
    run: async ctx => { ctx.print(t('people.mailbox.done', { n: (await people(ctx).checkMailbox()).received }), 'ok') }
  },
  {
    name: 'contactcast',
    args: [{ name: 'message', rest: true }],
    help: 'contacts.cast.description',
    run: async (ctx, { args }) => {
      const r = await people(ctx).contactcast(text(args))
      for (const [i, line] of contactcastLines(r.results).entries()) ctx.print(line, r.results[i]!.state === 'delivered' ? 'ok' : 'warn')
    }
  },
  {
    name: 'send',
    args: [{ name: 'path', source: 'path', rest: true }],
    options: [{ name: 'expires', value: true }, { name: 'name', value: true }],
    help: 'invite.send.description',
    run: async (ctx, { args, options }) => {
      const expires = opt(options.expires) ?? '1h'
      const expiresMs = expiresMsOf(expires)
      const name = opt(options.name)
      const info = await ctx.client.call('POST', '/invites', { paths: args.map(p => resolve(ctx.cwd, p)), expiresMs, ...(name != null ? { name } : {}) }) as InviteInfo
      ctx.print(t('invite.send.code', { code: info.code, name: info.name, size: formatBytes(info.bytes), expires }), 'ok')
      ctx.print(t('contacts.console.sendOther', { code: info.code }))
    }
  },
  {
    name: 'receive',
    args: [{ name: 'code' }, { name: 'dir', source: 'path', optional: true }],
    options: [{ name: 'force' }],
    help: 'invite.receive.description',
    run: async (ctx, { args, options }) => {
      const offer = await ctx.client.call('POST', '/invites/receive', { code: args[0] }) as Offer
      ctx.print(t('invite.receive.got', { name: offer.name, size: formatBytes(offer.bytes) }))
      await fetchFollowing(ctx, offer.link, resolve(ctx.cwd, args[1] ?? '.'), offer.peers, [], options.force === true, false)
    }
  }
]
