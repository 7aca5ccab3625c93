// `oht channel create|list|read|post|join|leave|invite|revoke|policy|follow|sync`: group rooms and
// share feeds of the daemon's account (src/people/channels; README "Channels", docs/CHANNELS.md).
// Every command goes through the daemon: it holds the channels, syncs them with their members and
// announces them in the DHT.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { daemonFor, makeOutput, type GlobalOptions } from './context.ts'
import { t } from './i18n/index.ts'
import { formatBytes, parseSize } from './units.ts'
import type { ChannelsApiClient, PostBody } from '../src/node/api/channels-client.ts'
import type { ChannelReading, ChannelSummary, Post } from '../src/people/channels/index.ts'

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

async function channels (cmd: Command): Promise<ChannelsApiClient> {
  const daemon = await daemonFor(globals(cmd))
  if (daemon == null) throw new Error(t('channels.needsDaemon'))
  const { ChannelsApiClient } = await import('../src/node/api/channels-client.ts')
  return new ChannelsApiClient(daemon)
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g
/** Another person's words on our terminal: no escape sequences, no carriage returns. */
const shown = (s: string): string => s.replace(CONTROL, '?')

const when = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z').replace('T', ' ')
const short = (id: string): string => id.slice(0, 12)

/** One line per channel (`oht channel list`, the console's /channels). */
export function summaryText (c: ChannelSummary): string {
  const role = c.left ? t('channels.left') : c.owner ? 'owner' : c.role ?? t('channels.reader')
  return `${shown(c.name)}  ${c.id}  ${c.private ? t('channels.private') : t('channels.public')}  ${role}  ${t('channels.counts', { members: c.members, posts: c.posts })}${c.follow?.autoFetch === true ? `  ${t('channels.autoFetch')}` : ''}`
}

export const listText = (list: readonly ChannelSummary[]): string => list.length === 0 ? t('channels.list.empty') : list.map(summaryText).join('\n')

/** One post as the CLI and the console show it. */
export function postText (p: Post): string {
  const head = `${when(p.at)}  ${short(p.author)}  ${p.id.slice(0, 8)}`
  if (p.deleted === true) return `${head}  ${t('channels.post.deleted')}`
  if (p.unreadable === true) return `${head}  ${t('channels.post.unreadable')}`
  if (p.kind === 'share') return `${head}  ${t('channels.post.share', { title: p.title !== '' ? shown(p.title ?? '') : '-', size: formatBytes(p.size ?? 0) })}\n    ${p.link ?? ''}`
  return `${head}  ${shown(p.text ?? '')}${p.editedAt != null ? `  ${t('channels.post.edited')}` : ''}`
}

export function readText (r: ChannelReading, showRefused: boolean): string {
  const lines = [`${summaryText(r.summary)}`]
  lines.push(...(r.posts.length === 0 ? [t('channels.read.empty')] : r.posts.map(postText)))
  if (r.forks.length > 0) lines.push(t('channels.read.forks', { writers: r.forks.map(short).join(', ') }))
  if (r.waiting > 0) lines.push(t('channels.read.waiting', { n: r.waiting }))
  if (r.refused.length > 0) {
    if (showRefused) lines.push(...r.refused.map(x => t('channels.read.refusedLine', { who: x.author != null ? short(x.author) : '?', reason: x.reason })))
    else lines.push(t('channels.read.refused', { n: r.refused.length }))
  }
  return lines.join('\n')
}

async function policyArg (file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(resolve(file), 'utf8'))
  } catch (err) {
    throw new Error(t('channels.badPolicyFile', { file, reason: (err as Error).message }))
  }
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v]

export function registerChannels (program: Command): void {
  const channel = program.command('channel')
    .description(t('channels.description'))
    .addHelpText('after', t('channels.help'))

  channel.command('create')
    .description(t('channels.create.description'))
    .argument('<name>', t('channels.argName'))
    .option('--private', t('channels.create.optPrivate'))
    .option('--policy <file>', t('channels.create.optPolicy'))
    .action(async (name: string, opts: { private?: boolean, policy?: string }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const c = await (await channels(cmd)).create(name, { private: opts.private === true, ...(opts.policy != null ? { policy: await policyArg(opts.policy) } : {}) })
      out.result(c, t('channels.create.done', { name: c.name, id: c.id }))
    })

  channel.command('list')
    .description(t('channels.list.description'))
    .action(async (_opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const list = await (await channels(cmd)).list()
      out.result({ channels: list }, listText(list))
    })

  channel.command('read')
    .description(t('channels.read.description'))
    .argument('<channel>', t('channels.argChannel'))
    .option('--refused', t('channels.read.optRefused'))
    .action(async (ref: string, opts: { refused?: boolean }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await channels(cmd)).read(ref)
      out.result(r, readText(r, opts.refused === true))
    })

  channel.command('post')
    .description(t('channels.post.description'))
    .argument('<channel>', t('channels.argChannel'))
    .argument('[text...]', t('channels.post.argText'))
    .option('--link <link>', t('channels.post.optLink'))
    .option('--title <title>', t('channels.post.optTitle'))
    .option('--size <size>', t('channels.post.optSize'))
    .option('--edit <id>', t('channels.post.optEdit'))
    .option('--delete <id>', t('channels.post.optDelete'))
    .action(async (ref: string, words: string[], opts: { link?: string, title?: string, size?: string, edit?: string, delete?: string }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const text = words.join(' ')
      const c = await channels(cmd)
      const body: PostBody = opts.delete != null
        ? { delete: await fullId(c, ref, opts.delete) }
        : opts.edit != null
          ? { edit: await fullId(c, ref, opts.edit), text }
          : opts.link != null
            ? { link: opts.link, title: opts.title ?? text, ...(opts.size != null ? { size: parseSize(opts.size) } : {}) }
            : { text }
      if ('text' in body && body.text === '' && !('link' in body)) throw new Error(t('channels.post.empty'))
      const r = await c.post(ref, body)
      out.result(r, t('channels.post.done', { id: r.id.slice(0, 8), peers: r.pushed }))
    })

  channel.command('join')
    .description(t('channels.join.description'))
    .argument('<id>', t('channels.argId'))
    .option('--peer <address>', t('channels.optPeer'), collect)
    .action(async (id: string, opts: { peer?: string[] }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const c = await (await channels(cmd)).join(id, opts.peer ?? [])
      out.result(c, t('channels.join.done', { name: c.name, posts: c.posts, role: c.role ?? t('channels.reader') }))
    })

  channel.command('leave')
    .description(t('channels.leave.description'))
    .argument('<channel>', t('channels.argChannel'))
    .option('--forget', t('channels.leave.optForget'))
    .action(async (ref: string, opts: { forget?: boolean }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const c = await channels(cmd)
      const r = await c.leave(ref)
      if (opts.forget === true) await c.forget(r.id)
      out.result({ ...r, forgotten: opts.forget === true }, t(opts.forget === true ? 'channels.leave.forgotten' : 'channels.leave.done', { id: short(r.id) }))
    })

  channel.command('invite')
    .description(t('channels.invite.description'))
    .argument('<channel>', t('channels.argChannel'))
    .argument('<account>', t('channels.argAccount'))
    .option('--role <role>', t('channels.invite.optRole'), 'writer')
    .option('--days <n>', t('channels.invite.optDays'))
    .action(async (ref: string, account: string, opts: { role: string, days?: string }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const days = opts.days != null ? Number(opts.days) : undefined
      if (days != null && !(Number.isSafeInteger(days) && days > 0)) throw new Error(t('channels.invite.badDays'))
      const r = await (await channels(cmd)).invite(ref, account, opts.role, days != null ? { days } : {})
      out.result(r, t('channels.invite.done', { account: short(r.account), role: r.role, until: when(r.exp) }))
    })

  channel.command('revoke')
    .description(t('channels.revoke.description'))
    .argument('<channel>', t('channels.argChannel'))
    .argument('[account]', t('channels.argAccount'))
    .option('--node-key', t('channels.revoke.optNodeKey'))
    .action(async (ref: string, account: string | undefined, opts: { nodeKey?: boolean }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      if (opts.nodeKey === true) {
        const k = await (await channels(cmd)).revokeNodeKey(ref, account)
        out.result(k, t('channels.revoke.nodeKeyDone', { account: short(k.account), node: k.node }))
        return
      }
      if (account == null) throw new Error(t('channels.revoke.needAccount'))
      const r = await (await channels(cmd)).revoke(ref, account)
      out.result(r, t(r.rotated ? 'channels.revoke.rotated' : 'channels.revoke.done', { account: short(r.account) }))
    })

  channel.command('policy')
    .description(t('channels.policy.description'))
    .argument('<channel>', t('channels.argChannel'))
    .option('--set <file>', t('channels.policy.optSet'))
    .action(async (ref: string, opts: { set?: string }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const c = await channels(cmd)
      const r = opts.set != null ? await c.setPolicy(ref, await policyArg(opts.set)) : await c.policy(ref)
      out.result(r, JSON.stringify(r.policy, null, 2))
    })

  channel.command('follow')
    .description(t('channels.follow.description'))
    .argument('<channel>', t('channels.argChannel'))
    .option('--auto-fetch', t('channels.follow.optAutoFetch'))
    .option('--max-size <size>', t('channels.follow.optMaxSize'))
    .option('-o, --output <dir>', t('channels.follow.optOutput'))
    .option('--stop', t('channels.follow.optStop'))
    .action(async (ref: string, opts: { autoFetch?: boolean, maxSize?: string, output?: string, stop?: boolean }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const c = await channels(cmd)
      const r = opts.stop === true
        ? await c.follow(ref, false)
        : await c.follow(ref, { autoFetch: opts.autoFetch === true, ...(opts.maxSize != null ? { maxSize: parseSize(opts.maxSize) } : {}), ...(opts.output != null ? { output: resolve(opts.output) } : {}) })
      out.result(r, t(r.follow == null ? 'channels.follow.stopped' : r.follow.autoFetch ? 'channels.follow.autoFetch' : 'channels.follow.done', { name: r.name }))
    })

  channel.command('sync')
    .description(t('channels.sync.description'))
    .argument('<channel>', t('channels.argChannel'))
    .option('--peer <address>', t('channels.optPeer'), collect)
    .action(async (ref: string, opts: { peer?: string[] }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await channels(cmd)).sync(ref, opts.peer ?? [])
      out.result(r, t('channels.sync.done', r))
    })
}

/** A post's full id from the 8+ characters `read` shows. */
async function fullId (c: ChannelsApiClient, ref: string, prefix: string): Promise<string> {
  if (prefix.length === 43) return prefix
  const hits = (await c.read(ref)).posts.filter(p => p.id.startsWith(prefix))
  if (prefix.length < 6 || hits.length !== 1) throw new Error(t('channels.post.noSuchPost', { id: prefix }))
  return hits[0]!.id
}
