// `oht wipe --yes`: removes a node's data directory for good (src/node/identity/wipe.ts).
import type { Command } from 'commander'
import { access } from 'node:fs/promises'
import { apiSocket, makeOutput, persistentDataDir, type GlobalOptions } from './context.ts'
import { t } from './i18n/index.ts'

export function registerWipe (program: Command): void {
  program.command('wipe')
    .description(t('privacy.wipe.description'))
    .option('--yes', t('privacy.wipe.optYes'))
    .action(async (opts: { yes?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>()
      const out = makeOutput(g)
      const dataDir = persistentDataDir(g, 'oht wipe')
      try { await access(dataDir) } catch {
        out.result({ dataDir, wiped: false, files: 0 }, t('privacy.wipe.nothing', { dataDir }))
        return
      }
      const { isDataDir, wipeDataDir } = await import('../src/node/identity/wipe.ts')
      if (!(await isDataDir(dataDir))) throw new Error(t('privacy.wipe.notNode', { dataDir }))
      if (opts.yes !== true) throw new Error(t('privacy.wipe.needsYes', { dataDir }))
      const { daemonRunning } = await import('../src/node/api/client.ts')
      if (await daemonRunning(apiSocket(dataDir))) throw new Error(t('privacy.wipe.daemonRunning', { dataDir }))
      const { files } = await wipeDataDir(dataDir)
      out.result({ dataDir, wiped: true, files }, t('privacy.wipe.done', { dataDir, files }))
    })
}
