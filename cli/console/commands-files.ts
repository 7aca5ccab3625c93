// Files: /share /fetch /stream /pin /unpin /ls /transfers /pause /resume /cancel, on the daemon's
// API. A /fetch prints its progress (at most one line a second) until done; Ctrl-C cancels it
// (the daemon keeps the .part files, so fetching again resumes).
import { resolve } from 'node:path'
import type { ApiEvent, TransferInfo } from '../../src/node/index.ts'
import { t } from '../i18n/index.ts'
import { formatBytes, formatRate, parseDuration } from '../units.ts'
import type { CommandContext } from './spec.ts'
import type { ConsoleCommand } from './spec.ts'

const PROGRESS_EVERY_MS = 1000

export const fileCommands: ConsoleCommand[] = [
  {
    name: 'share',
    args: [{ name: 'path', source: 'path', rest: true }],
    options: [{ name: 'name', value: true }],
    help: 'cli.share.description',
    run: async (ctx, { args, options }) => {
      let last = 0
      const r = await ctx.client.share(args.map(p => resolve(ctx.cwd, p)), typeof options.name === 'string' ? { name: options.name } : {}, (done, total) => {
        if (Date.now() - last < PROGRESS_EVERY_MS || done >= total) return
        last = Date.now()
        ctx.print(t('console.share.progress', { percent: total > 0 ? Math.floor(done / total * 100) : 0, done: formatBytes(done), total: formatBytes(total) }), 'dim')
      })
      for (const s of r.skipped) ctx.print(t('cli.share.skipped', { path: s.path, reason: s.reason }), 'warn')
      ctx.print(t('console.share.done', { id: r.id, bytes: formatBytes(r.bytes), files: r.files }), 'ok')
      ctx.print(r.link)
    }
  },
  {
    name: 'fetch',
    args: [{ name: 'link', source: 'share' }, { name: 'dir', source: 'path', optional: true }],
    options: [{ name: 'peer', value: true, repeat: true, source: 'peer' }, { name: 'file', value: true, repeat: true }, { name: 'force' }, { name: 'merge' }],
    help: 'cli.fetch.description',
    run: async (ctx, { args, options }) => { await fetchFollowing(ctx, args[0]!, resolve(ctx.cwd, args[1] ?? '.'), list(options.peer), list(options.file), options.force === true, options.merge === true) }
  },
  {
    name: 'stream',
    args: [{ name: 'link', source: 'share' }],
    options: [{ name: 'file', value: true }, { name: 'peer', value: true, repeat: true, source: 'peer' }],
    help: 'stream.description',
    run: async (ctx, { args, options }) => {
      const r = await ctx.client.call('POST', '/stream', { link: args[0], peers: list(options.peer), ...(typeof options.file === 'string' ? { file: options.file } : {}) }) as { url: string, file: string }
      ctx.print(t('console.stream.url', { file: r.file, url: r.url }), 'ok')
    }
  },
  {
    name: 'pin',
    args: [{ name: 'link', source: 'share' }],
    options: [{ name: 'ttl', value: true }, { name: 'peer', value: true, repeat: true, source: 'peer' }],
    help: 'pin.description',
    run: async (ctx, { args, options }) => {
      const ttl = typeof options.ttl === 'string' ? parseDuration(options.ttl) : undefined
      const { parseCapability } = await import('../../src/blocks/link.ts')
      const p = await ctx.client.pins.pin(parseCapability(args[0]!), { peers: list(options.peer), ...(ttl != null ? { ttlMs: ttl } : {}) })
      ctx.print(t('console.pin.done', { id: p.id, state: p.state, expires: p.expiresAt == null ? t('console.never') : new Date(p.expiresAt).toISOString() }), 'ok')
    }
  },
  {
    name: 'unpin',
    args: [{ name: 'share', source: 'share' }],
    help: 'pin.unpin.description',
    run: async (ctx, { args }) => {
      const r = await ctx.client.pins.unpin(args[0]!)
      ctx.print(t(r.removed ? 'console.unpin.done' : 'console.unpin.none', { id: r.id }), r.removed ? 'ok' : 'warn')
    }
  },
  {
    name: 'ls',
    args: [],
    help: 'cli.ls.description',
    run: async ctx => {
      const shares = await ctx.client.list()
      if (shares.length === 0) { ctx.print(t('cli.ls.empty')); return }
      for (const s of shares) {
        ctx.print(`${t(s.role === 'owner' ? 'cli.ls.own' : 'cli.ls.hold')}  ${formatBytes(s.bytes).padStart(10)}  ${s.name}`)
        ctx.print(`      ${s.link ?? s.id}`, 'dim')
      }
    }
  },
  {
    name: 'transfers',
    args: [],
    options: [{ name: 'watch' }],
    help: 'console.help.transfers',
    run: async (ctx, { options }) => {
      const all = await ctx.client.transfers()
      if (all.length === 0) ctx.print(t('console.transfers.empty'))
      for (const tr of all) ctx.print(transferLine(tr))
      if (options.watch !== true) return
      ctx.print(t('console.transfers.watching'), 'dim')
      const lastPrinted = new Map<string, number>()
      const off = ctx.onEvent(e => {
        if (e.type !== 'transfer:progress') return
        if (Date.now() - (lastPrinted.get(e.id) ?? 0) < PROGRESS_EVERY_MS) return
        lastPrinted.set(e.id, Date.now())
        ctx.print(progressLine(ctx.nameOf(e.id), e), 'dim')
      })
      try { await aborted(ctx.signal) } finally { off() }
    }
  },
  ...(['pause', 'resume', 'cancel'] as const).map((action): ConsoleCommand => ({
    name: action,
    args: [{ name: 'transfer', source: 'transfer' }],
    help: `console.help.${action}`,
    run: async (ctx, { args }) => {
      const id = await transferId(ctx, args[0]!)
      if (action === 'pause') ctx.print(transferLine(await ctx.client.pauseTransfer(id)))
      else if (action === 'resume') ctx.print(transferLine(await ctx.client.resumeTransfer(id)))
      else { await ctx.client.cancelTransfer(id); ctx.print(t('console.transfers.cancelled', { id: id.slice(0, 8) }), 'warn') }
    }
  }))
]

const list = (v: string | string[] | true | undefined): string[] => Array.isArray(v) ? v : typeof v === 'string' ? [v] : []

export function transferLine (tr: TransferInfo): string {
  const pct = tr.bytesTotal > 0 ? `${Math.floor(tr.bytesDone / tr.bytesTotal * 100)}%` : '-'
  return `${tr.id.slice(0, 8)}  ${t(`dashboard.state.${tr.state}`).padEnd(9)} ${pct.padStart(4)}  ${formatBytes(tr.bytesTotal).padStart(10)}  ${tr.name ?? tr.shareId.slice(0, 16)}`
}

function progressLine (name: string, e: Extract<ApiEvent, { type: 'transfer:progress' }>): string {
  return t('console.fetch.progress', {
    name,
    percent: e.bytesTotal > 0 ? Math.floor(e.bytesDone / e.bytesTotal * 100) : 0,
    done: formatBytes(e.bytesDone),
    total: formatBytes(e.bytesTotal),
    rate: formatRate(e.downRate),
    peers: e.peers
  })
}

/** A transfer named by an id or a unique prefix of one. */
async function transferId (ctx: CommandContext, prefix: string): Promise<string> {
  const fits = (await ctx.client.transfers()).filter(tr => tr.id.startsWith(prefix))
  if (fits.length === 1) return fits[0]!.id
  throw new Error(t(fits.length === 0 ? 'console.transfers.none' : 'console.transfers.ambiguous', { id: prefix }))
}

async function aborted (signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => { if (signal.aborted) resolve(); else signal.addEventListener('abort', () => { resolve() }, { once: true }) })
}

/** Adds the transfer and follows it to its end; the console's Ctrl-C cancels it in the daemon. */
export async function fetchFollowing (ctx: CommandContext, link: string, output: string, peers: string[], select: string[], overwrite: boolean, merge: boolean): Promise<void> {
  let id: string | undefined
  const early: ApiEvent[] = []
  let lastProgress = 0
  const { promise, resolve: done, reject: fail } = Promise.withResolvers<void>()
  const handle = (e: ApiEvent): void => {
    if (id == null) { early.push(e); return }
    if (!('id' in e) || e.id !== id) return
    if (e.type === 'transfer:progress') {
      if (Date.now() - lastProgress < PROGRESS_EVERY_MS && e.bytesDone < e.bytesTotal) return
      lastProgress = Date.now()
      ctx.print(progressLine(ctx.nameOf(id), e), 'dim')
    } else if (e.type === 'transfer:dial-failed') ctx.print(t('cli.fetch.dialFailed', { address: e.address, reason: e.reason }), 'warn')
    else if (e.type === 'transfer:state') {
      if ((e.state === 'complete' || e.state === 'seeding') && e.result != null) {
        ctx.print(t('cli.fetch.done', { path: e.result.path, bytes: formatBytes(e.result.bytes), seconds: e.result.seconds.toFixed(2), peers: e.result.peers }), 'ok')
        done()
      } else if (e.state === 'failed') fail(new Error(e.error ?? 'the transfer failed'))
      else if (e.state === 'cancelled') fail(new Error(t('cli.fetch.interrupted')))
    } else if (e.type === 'transfer:removed') fail(new Error(t('cli.fetch.interrupted')))
  }
  const off = ctx.onEvent(handle)
  const onAbort = (): void => {
    if (id != null) void ctx.client.cancelTransfer(id).catch(() => {})
    fail(new Error(t('cli.fetch.interrupted')))
  }
  try {
    const tr = await ctx.client.addTransfer(link, { output, peers, select, overwrite, merge })
    id = tr.id
    ctx.claim(id)
    ctx.print(t('console.fetch.started', { id: id.slice(0, 8), output }), 'dim')
    ctx.signal.addEventListener('abort', onAbort, { once: true })
    if (ctx.signal.aborted) onAbort()
    for (const e of early.splice(0)) handle(e)
    const now = await ctx.client.transfer(id).catch(() => undefined)
    if ((now?.state === 'complete' || now?.state === 'seeding') && now.result != null) handle({ type: 'transfer:state', id, state: now.state, result: now.result })
    else if (now?.state === 'failed') fail(new Error(now.error ?? 'the transfer failed'))
    await promise
  } finally {
    ctx.signal.removeEventListener('abort', onAbort)
    off()
  }
}
