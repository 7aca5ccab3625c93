// `oht pin`, `oht unpin`, `oht caps`, `oht pins allow|deny|list|requests|sweep|check` and the
// `oht ls --pins` listing: pins with leases, on this node or (with --on) on a node that allowed
// your account. docs/PINNING.md explains leases, capabilities and the key hierarchy.
import type { Command } from 'commander'
import type { PinService } from '../src/node/index.ts'
import type { PinInfo } from '../src/node/pins/pins.ts'
import { configFileFor, joinsDht, makeOutput, persistentDataDir, withService, type GlobalOptions, type Output } from './context.ts'
import { formatBytes, parseDuration, parseSize } from './units.ts'
import { t } from './i18n/index.ts'
import { ensurePassphrase } from './passphrase.ts'

/** A delegation certificate made on the fly for `oht pin --on` lives this long. */
const ONE_SHOT_CERT_TTL_MS = 3_600_000

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Runs `fn` with the pin service of this data directory: its daemon's, or an embedded node's. */
async function withPins<T> (g: GlobalOptions, out: Output, fn: (pins: PinService) => Promise<T>, network = false): Promise<T> {
  return await withService(g, out, async service => await fn(service.pins), network)
}

/** --ttl as ms; null for never; undefined when absent (the config's pin.defaultTtl, else 30 days). */
function ttlOption (g: GlobalOptions, text: string | undefined): number | null | undefined {
  let value = text
  if (value == null) {
    try {
      const configured = configFileFor(g).get('pin.defaultTtl')
      if (typeof configured === 'string') value = configured
    } catch { /* a broken config file is reported by the commands that need it */ }
  }
  if (value == null) return undefined
  const ms = parseDuration(value)
  return ms === Infinity ? null : ms
}

function expiryText (expiresAt: number | null): string {
  if (expiresAt == null) return t('pin.never')
  return new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z')
}

export function pinLines (pins: readonly PinInfo[]): string {
  if (pins.length === 0) return t('pin.ls.empty')
  return pins.map(p => {
    const who = p.holder === 'local' ? t('pin.ls.local') : t('pin.ls.account', { account: p.holder.slice(0, 12) })
    const state = p.state === 'collecting' ? t('pin.ls.collecting', { done: p.progress?.done ?? 0, total: p.progress?.total ?? 0 }) : t(`pin.state.${p.state}`)
    const size = p.state === 'collecting' ? '' : formatBytes(p.bytes)
    const lease = p.state === 'collecting' ? '' : `, ${p.expiresAt == null ? t('pin.ls.noExpiry') : t('pin.ls.until', { when: expiryText(p.expiresAt) })}`
    return `${state.padEnd(10)} ${size.padStart(10)}  ${p.id}\n           ${who}${lease}`
  }).join('\n')
}

/** `oht ls --pins`: called from the ls command. */
export async function listPins (g: GlobalOptions): Promise<void> {
  const out = makeOutput(g)
  await withPins(g, out, async pins => {
    const list = await pins.list()
    out.result({ pins: list }, pinLines(list))
  })
}

export function registerPin (program: Command): void {
  program.command('pin')
    .description(t('pin.description'))
    .argument('<link-or-verify-cap>', t('pin.argCap'))
    .option('--ttl <duration>', t('pin.optTtl'))
    .option('--peer <address>', t('pin.optPeer'), collect, [])
    .option('--on <node-address>', t('pin.optOn'))
    .option('--account <id>', t('pin.optAccount'))
    .option('--cert <certificate>', t('pin.optCert'))
    .option('--no-wait', t('pin.optNoWait'))
    .action(async (capability: string, opts: { ttl?: string, peer: string[], on?: string, account?: string, cert?: string, wait: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      // A pinner never needs the content key: only the verify capability leaves this process.
      const { parseCapability, verifyCapOf } = await import('../src/blocks/link.ts')
      const vcap = verifyCapOf(parseCapability(capability))
      const ttlMs = ttlOption(g, opts.ttl)
      if (opts.on != null) {
        await withPins(g, out, async pins => {
          const cert = opts.cert ?? await oneShotCert(g, opts.account, await pins.nodeId())
          const r = await pins.remotePin(opts.on!, vcap, { ttlMs: ttlMs === undefined ? 30 * 86_400_000 : ttlMs, peers: opts.peer, cert, wait: opts.wait })
          out.result({ ...r, on: opts.on }, t(r.complete ? 'pin.remote.done' : 'pin.remote.accepted', { node: opts.on!, id: r.id, bytes: formatBytes(r.bytes), until: expiryText(r.expiresAt) }))
        }, true)
        return
      }
      await withPins(g, out, async pins => {
        const p = await pins.pin(vcap, { ...(ttlMs !== undefined ? { ttlMs } : {}), peers: opts.peer })
        out.result(p, t('pin.done', { id: p.id, bytes: formatBytes(p.bytes), until: expiryText(p.expiresAt) }))
      }, opts.peer.length > 0 || joinsDht(g))
    })

  program.command('unpin')
    .description(t('pin.unpin.description'))
    .argument('<link-or-id>', t('pin.unpin.argCap'))
    .action(async (capability: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withPins(g, out, async pins => {
        const r = await pins.unpin(capability)
        if (!r.removed) throw new Error(t('pin.unpin.notPinned', { id: r.id }))
        out.result(r, t('pin.unpin.done', { id: r.id, blocks: r.sweep.blocksDeleted }))
      })
    })

  program.command('caps')
    .description(t('pin.caps.description'))
    .argument('<link>', t('pin.caps.argLink'))
    .action(async (link: string, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const { formatVerifyCap, parseCapability, verifyCapOf } = await import('../src/blocks/link.ts')
      const cap = parseCapability(link)
      const verifyCap = formatVerifyCap(verifyCapOf(cap))
      out.result({ id: cap.manifestCid.toString(), verifyCap }, verifyCap)
    })

  const pins = program.command('pins').description(t('pin.pins.description'))
  pins.command('allow')
    .description(t('pin.pins.allow.description'))
    .argument('<account-id>', t('pin.pins.argAccount'))
    .option('--quota <size>', t('pin.pins.allow.optQuota'), '10GiB')
    .option('--max-ttl <duration>', t('pin.pins.allow.optMaxTtl'), '90d')
    .option('--max-pins <n>', t('pin.pins.allow.optMaxPins'), '1000')
    .action(async (account: string, opts: { quota: string, maxTtl: string, maxPins: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const maxTtl = parseDuration(opts.maxTtl)
      const maxPins = /^\d{1,9}$/.test(opts.maxPins) ? Number(opts.maxPins) : NaN
      await withPins(g, out, async p => {
        const grant = await p.allow(account, { quotaBytes: parseSize(opts.quota), maxTtlMs: maxTtl === Infinity ? null : maxTtl, maxPins })
        out.result(grant, t('pin.pins.allow.done', { account: grant.account, quota: formatBytes(grant.quotaBytes), maxTtl: opts.maxTtl, maxPins: grant.maxPins }))
      })
    })
  pins.command('deny')
    .description(t('pin.pins.deny.description'))
    .argument('<account-id>', t('pin.pins.argAccount'))
    .action(async (account: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withPins(g, out, async p => {
        const removed = await p.deny(account)
        out.result({ account, removed }, t(removed ? 'pin.pins.deny.done' : 'pin.pins.deny.absent', { account }))
      })
    })
  pins.command('list')
    .description(t('pin.pins.list.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withPins(g, out, async p => {
        const grants = await p.grants()
        const usage = new Map<string, { bytes: number, pins: number }>()
        for (const pin of await p.list()) {
          const u = usage.get(pin.holder) ?? { bytes: 0, pins: 0 }
          usage.set(pin.holder, { bytes: u.bytes + pin.bytes, pins: u.pins + 1 })
        }
        const rows = grants.map(gr => ({ ...gr, usedBytes: usage.get(gr.account)?.bytes ?? 0, usedPins: usage.get(gr.account)?.pins ?? 0 }))
        out.result({ grants: rows }, rows.length === 0
          ? t('pin.pins.list.empty')
          : rows.map(r => t('pin.pins.list.row', { account: r.account, used: formatBytes(r.usedBytes), quota: formatBytes(r.quotaBytes), pins: r.usedPins, maxPins: r.maxPins, maxTtl: r.maxTtlMs == null ? t('pin.never') : `${+(r.maxTtlMs / 86_400_000).toFixed(2)}d` })).join('\n'))
      })
    })
  pins.command('requests')
    .description(t('pin.pins.requests.description'))
    .option('--limit <n>', t('pin.pins.requests.optLimit'), '20')
    .action(async (opts: { limit: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withPins(g, out, async p => {
        const requests = await p.requests(Number(opts.limit))
        out.result({ requests }, requests.length === 0
          ? t('pin.pins.requests.empty')
          : requests.map(r => `${new Date(r.at).toISOString()}  ${r.outcome.padEnd(8)}  ${(r.account ?? '?').slice(0, 12)}  ${r.share ?? '?'}${r.reason != null ? `\n    ${r.reason}` : ''}`).join('\n'))
      })
    })
  pins.command('sweep')
    .description(t('pin.pins.sweep.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withPins(g, out, async p => {
        const r = await p.sweep()
        out.result(r, t('pin.pins.sweep.done', { pins: r.pinsCollected, blocks: r.blocksDeleted }))
      })
    })
  pins.command('check')
    .description(t('pin.pins.check.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withPins(g, out, async p => {
        const r = await p.audit()
        if (r.wrong.length > 0) throw new Error(t('pin.pins.check.wrong', { count: r.wrong.length, first: JSON.stringify(r.wrong[0]) }))
        out.result(r, t('pin.pins.check.ok', { refs: r.refs }))
      })
    })
}

/** A certificate for this node, signed now by the account (its keystore is unlocked with OHT_PASSPHRASE). */
async function oneShotCert (g: GlobalOptions, wanted: string | undefined, nodeId: string): Promise<string> {
  const dataDir = persistentDataDir(g, 'oht pin --on')
  await ensurePassphrase(dataDir, { accounts: true })
  const { delegate, formatCert, loadAccount, resolveAccountId } = await import('../src/node/identity/accounts.ts')
  const passphrase = process.env.OHT_PASSPHRASE ?? ''
  const account = await loadAccount(dataDir, await resolveAccountId(dataDir, wanted, passphrase), passphrase)
  return formatCert(delegate(account, nodeId, ONE_SHOT_CERT_TTL_MS))
}
