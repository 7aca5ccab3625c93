// `oht repair-state`: a state database that does not open whole is copied aside, repaired, and
// what was lost is said (src/node/identity/state-repair.ts, docs/SECURITY.md).
import type { Command } from 'commander'
import { makeOutput, persistentDataDir, type GlobalOptions } from './context.ts'
import { ensurePassphrase } from './passphrase.ts'
import { t } from './i18n/index.ts'

export function registerRepair (program: Command): void {
  program.command('repair-state')
    .description(t('repair.description'))
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>()
      const out = makeOutput(g)
      const dataDir = persistentDataDir(g, 'oht repair-state')
      await ensurePassphrase(dataDir)
      const { repairNodeState } = await import('../src/node/identity/state-repair.ts')
      const r = await repairNodeState(dataDir, process.env.OHT_PASSPHRASE ?? '')
      if (!r.damaged) { out.result(r, t('repair.intact', { path: r.path })); return }
      const dropped = Object.entries(r.dropped).map(([name, n]) => `${n} ${name}`).join(', ')
      out.result(r, [
        t('repair.done', { path: r.path, kept: r.kept, backup: r.backup }),
        ...(dropped !== '' ? [t('repair.dropped', { dropped })] : []),
        ...r.logDamage.map(where => t('repair.log', { where })),
        t('repair.next')
      ].join('\n'))
    })
}
