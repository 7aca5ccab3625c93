// Config, Tor and accounts: /config /set /unset /save, /tor /newtor /newonions, /accounts
// /generate /sign /verify, and the commands of features that have not landed yet (they say so).
// Accounts are keystore files of the data directory, used here as `oht account` uses them.
import { t } from '../i18n/index.ts'
import type { ConsoleCommand } from './spec.ts'
import type { WebUiStarted, WebUiStatus } from '../../src/node/index.ts'

// The account modules bring the elliptic-curve libraries: loaded by the commands that use them,
// so the table stays cheap to load (`oht console --help` lists it).
const accounts = async (): Promise<typeof import('../../src/node/identity/accounts.ts')> => await import('../../src/node/identity/accounts.ts')

interface ConfigAnswer { path: string, values: Record<string, string | string[]>, keys: Record<string, { example: string }> }

const passphrase = (): string => process.env.OHT_PASSPHRASE ?? ''
const show = (v: unknown): string => v == null ? t('config.unset') : Array.isArray(v) ? v.join(',') : String(v)

export const nodeCommands: ConsoleCommand[] = [
  {
    name: 'config',
    args: [],
    help: 'config.list.description',
    run: async ctx => {
      const c = await ctx.client.call('GET', '/config') as ConfigAnswer
      ctx.print(c.path, 'dim')
      for (const key of Object.keys(c.keys)) ctx.print(t('config.listLine', { key, value: show(c.values[key]) }))
    }
  },
  {
    name: 'set',
    args: [{ name: 'key', source: 'config-key' }, { name: 'value', rest: true }],
    help: 'config.set.description',
    run: async (ctx, { args }) => {
      const r = await ctx.client.call('PUT', `/config/${encodeURIComponent(args[0]!)}`, { value: args.slice(1).join(' ') }) as { key: string, value: unknown, applied?: boolean }
      ctx.print(t('config.saved', { key: r.key, value: show(r.value) }), 'ok')
      ctx.print(t(r.applied === true ? 'config.appliedLive' : 'config.restartNeeded'), 'dim')
    }
  },
  {
    name: 'unset',
    args: [{ name: 'key', source: 'config-key' }],
    help: 'config.unset.description',
    run: async (ctx, { args }) => {
      await ctx.client.call('DELETE', `/config/${encodeURIComponent(args[0]!)}`)
      ctx.print(t('config.removed', { key: args[0]! }), 'ok')
    }
  },
  {
    name: 'save',
    args: [],
    help: 'console.help.save',
    run: async ctx => {
      const c = await ctx.client.call('GET', '/config') as ConfigAnswer
      ctx.print(t('console.save.done', { path: c.path, n: Object.keys(c.values).length }), 'ok')
    }
  },
  {
    name: 'tor',
    args: [{ name: 'action', optional: true }],
    choices: ['status', 'start', 'stop'],
    help: 'console.help.tor',
    run: async (ctx, { args }) => {
      const action = args[0] ?? 'status'
      if (action === 'start' || action === 'stop') { await ctx.api.torAction(action); return }
      const s = await ctx.api.tor()
      if (s.transport !== 'tor') { ctx.print(t('console.tor.none', { transport: s.transport })); return }
      ctx.print(t(s.owned === false ? 'console.tor.attached' : 'console.tor.own', { percent: s.bootstrap?.progress ?? 0, summary: s.bootstrap?.summary ?? '' }))
    }
  },
  {
    name: 'newtor',
    args: [],
    help: 'console.help.newtor',
    run: async ctx => {
      const r = await ctx.api.newnym()
      ctx.print(t('console.newtor.done', { seconds: r.nextInSeconds }), 'ok')
    }
  },
  {
    name: 'newonions',
    args: [],
    help: 'console.help.newonions',
    run: async ctx => {
      ctx.print(t('console.newonions.working'))
      const r = await ctx.api.newOnions()
      ctx.print(t('console.newonions.done', { address: r.address, previous: r.previous, shares: r.reannounced }), 'ok')
    }
  },
  {
    name: 'accounts',
    args: [],
    help: 'account.list.description',
    run: async ctx => {
      const { listAccounts } = await accounts()
      const all = await listAccounts(ctx.dataDir, passphrase())
      if (all.length === 0) ctx.print(t('account.list.empty'))
      for (const a of all) ctx.print(`${a.id}${a.label !== '' ? `  ${a.label}` : ''}`)
    }
  },
  {
    name: 'generate',
    args: [{ name: 'label', optional: true, rest: true }],
    help: 'account.create.description',
    run: async (ctx, { args }) => {
      if (process.env.OHT_PASSPHRASE == null) ctx.print(t('account.noPassphrase'), 'warn')
      const { createAccount } = await accounts()
      const a = await createAccount(ctx.dataDir, passphrase(), args.join(' '))
      ctx.print(t('account.create.done', { id: a.id, path: a.path }), 'ok')
    }
  },
  {
    name: 'sign',
    args: [{ name: 'message', rest: true }],
    options: [{ name: 'account', value: true, source: 'account' }],
    help: 'account.sign.description',
    run: async (ctx, { args, options }) => {
      const { loadAccount, resolveAccountId, signMessage } = await accounts()
      const a = await loadAccount(ctx.dataDir, await resolveAccountId(ctx.dataDir, typeof options.account === 'string' ? options.account : undefined, passphrase()), passphrase())
      ctx.print(signMessage(a, Buffer.from(args.join(' '), 'utf8')), 'ok')
    }
  },
  {
    name: 'verify',
    args: [{ name: 'account-id', source: 'account' }, { name: 'signature' }, { name: 'message', rest: true }],
    help: 'account.verify.description',
    run: async (ctx, { args }) => {
      const { checkAccountId, verifyMessage } = await accounts()
      const valid = verifyMessage(checkAccountId(args[0]!), Buffer.from(args.slice(2).join(' '), 'utf8'), args[1]!)
      if (!valid) throw new Error(t('account.verify.invalid'))
      ctx.print(t('account.verify.valid'), 'ok')
    }
  },
  {
    // A sealed box (docs/FORMAT.md "Account sealed boxes") as base64: text to paste elsewhere.
    name: 'encrypt',
    args: [{ name: 'account', source: 'account' }, { name: 'message', rest: true }],
    help: 'console.help.encrypt',
    run: async (ctx, { args }) => {
      const [{ encryptTo, resolveAccountId }, { isAccountId }] = await Promise.all([accounts(), import('../../src/node/identity/account-keys.ts')])
      const to = args[0]!.trim().toLowerCase()
      const id = isAccountId(to) ? to : await resolveAccountId(ctx.dataDir, args[0], passphrase())
      ctx.print(encryptTo(id, Buffer.from(args.slice(1).join(' '), 'utf8')).toString('base64'), 'ok')
    }
  },
  {
    name: 'decrypt',
    args: [{ name: 'box' }],
    options: [{ name: 'account', value: true, source: 'account' }],
    help: 'console.help.decrypt',
    run: async (ctx, { args, options }) => {
      const { decryptWith, loadAccount, resolveAccountId } = await accounts()
      const a = await loadAccount(ctx.dataDir, await resolveAccountId(ctx.dataDir, typeof options.account === 'string' ? options.account : undefined, passphrase()), passphrase())
      ctx.print(decryptWith(a, Buffer.from(args[0]!, 'base64')).toString('utf8'), 'ok')
    }
  },
  {
    // `oht webui start|stop|status` in the console: /webui, /webui onion, /webui stop, /webui status.
    name: 'webui',
    args: [{ name: 'action', optional: true }],
    help: 'console.help.webui',
    run: async (ctx, { args }) => {
      const action = args[0] ?? 'start'
      if (action === 'stop') {
        await ctx.client.call('DELETE', '/webui')
        ctx.print(t('webui.stopped'), 'ok')
        return
      }
      if (action === 'status') {
        const r = await ctx.client.call('GET', '/webui') as WebUiStatus
        ctx.print(r.running ? t('webui.running', { origin: [r.origin, r.onionOrigin].filter(o => o != null).join(', ') }) : t('webui.notRunning'))
        return
      }
      if (action !== 'start' && action !== 'onion') throw new Error(t('console.webui.usage'))
      const r = await ctx.client.call('POST', '/webui', { onion: action === 'onion' }) as WebUiStarted
      ctx.print(t('webui.started', { origin: r.origin }), 'ok')
      ctx.print(r.url)
      if (r.onion != null) {
        ctx.print(t('webui.onion', { origin: r.onion.origin }), 'ok')
        ctx.print(r.onion.url)
        ctx.print(t('webui.onionKey'))
        ctx.print(r.onion.clientKey)
      }
      ctx.print(t('webui.once'), 'dim')
    }
  }
]
