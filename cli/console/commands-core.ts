// /help, /quit, /status, /clear, /dashboard: the console itself.
import { t } from '../i18n/index.ts'
import { formatBytes } from '../units.ts'
import type { ConsoleCommand } from './spec.ts'
import { usage } from './spec.ts'

export const coreCommands: ConsoleCommand[] = [
  {
    name: 'help',
    args: [{ name: 'command', source: 'command', optional: true }],
    help: 'console.help.help',
    run: async (ctx, { args }) => {
      const name = args[0]?.replace(/^\//, '').toLowerCase()
      if (name == null) {
        ctx.print(t('console.help.intro'))
        const width = Math.max(...ctx.table.map(c => c.name.length)) + 1
        for (const c of ctx.table) ctx.print(`  /${c.name.padEnd(width)} ${c.missing != null ? `(${t('console.notYet')}) ` : ''}${firstSentence(t(c.help))}`, c.missing != null ? 'dim' : 'normal')
        return
      }
      const c = ctx.table.find(x => x.name === name)
      if (c == null) throw new Error(t('console.error.unknownHelp', { name }))
      ctx.print(t('console.usage', { usage: usage(c) }))
      ctx.print(`  ${t(c.help)}`)
      if (c.missing != null) ctx.print(`  ${t(c.missing)}`, 'warn')
    }
  },
  { name: 'quit', args: [], help: 'console.help.quit', run: async ctx => { ctx.quit() } },
  { name: 'clear', args: [], help: 'console.help.clear', run: async ctx => { ctx.clear() } },
  { name: 'dashboard', args: [], help: 'dashboard.description', run: async ctx => { await ctx.openDashboard() } },
  {
    name: 'status',
    args: [],
    help: 'cli.status.description',
    run: async ctx => {
      const st = await ctx.client.status()
      ctx.print(t('cli.status.node', { nodeId: st.nodeId }))
      ctx.print(t('cli.status.daemon', { address: st.address ?? '?', transport: st.transport ?? '?' }) + (ctx.embedded ? ` ${t('console.embeddedTag')}` : ''))
      if (st.dht != null) ctx.print(t('console.status.dht', { n: st.dht.nodes }))
      if (st.tor != null) ctx.print(t('console.status.tor', { percent: st.tor.bootstrap, summary: st.tor.summary }))
      for (const s of st.swarms) {
        ctx.print(t('cli.status.swarm', {
          id: s.id, role: t(s.complete ? 'cli.status.seeding' : 'cli.status.fetching'), held: s.blocksHeld, wanted: s.blocksWanted,
          peers: s.peers, up: formatBytes(s.uploaded), down: formatBytes(s.downloaded)
        }))
      }
    }
  }
]

export function firstSentence (text: string): string {
  const m = /^(.*?[.:;])(\s|$)/.exec(text)
  const s = m?.[1] ?? text
  return s.length > 60 ? s.slice(0, 59) + '…' : s
}
