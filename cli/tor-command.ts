// `oht tor newonions`: the running daemon's Tor operations from the shell (the console's /newonions).
// A new address only means something for a node that stays up to announce it, so it needs the daemon.
import type { Command } from 'commander'
import { daemonFor, makeOutput, type GlobalOptions } from './context.ts'
import { t } from './i18n/index.ts'

export function registerTor (program: Command): void {
  const tor = program.command('tor').description(t('tor.description'))
  tor.command('newonions')
    .description(t('tor.newonions.description'))
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>()
      const out = makeOutput(g)
      const daemon = await daemonFor(g)
      if (daemon == null) throw new Error(t('tor.newonions.noDaemon'))
      const { AdminApiClient } = await import('../src/node/api/admin-client.ts')
      const r = await new AdminApiClient(daemon).newOnions()
      out.result(r, t('console.newonions.done', { address: r.address, previous: r.previous, shares: r.reannounced }))
    })
}
