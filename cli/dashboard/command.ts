// `oht dashboard`: the live view of a running daemon, through its API only.
import type { Command } from 'commander'
import { daemonFor, type GlobalOptions } from '../context.ts'
import { t } from '../i18n/index.ts'

export function registerDashboard (program: Command): void {
  program.command('dashboard')
    .description(t('dashboard.description'))
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>()
      const client = await daemonFor(g)
      if (client == null) throw new Error(t('dashboard.noDaemon'))
      if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) throw new Error(t('dashboard.noTty'))
      // Loaded here, not at start-up: React and Ink would slow every other command down. React's
      // development build (the default without NODE_ENV) costs several times the CPU per frame.
      process.env.NODE_ENV ??= 'production'
      const [{ default: React }, { render }, { DaemonSource }, { Dashboard }] = await Promise.all([
        import('react'), import('ink'), import('./source.ts'), import('./view.ts')
      ])
      const source = new DaemonSource(client)
      await source.start()
      // At most four frames a second (the data changes no faster), and only changed lines are redrawn.
      // Interactive always: both ends are TTYs (checked above), and Ink would otherwise turn live
      // redraws off whenever a CI variable is set, showing a blank screen until exit.
      const app = render(React.createElement(Dashboard, { source }), { maxFps: 4, incrementalRendering: true, interactive: true, exitOnCtrlC: true, alternateScreen: true, patchConsole: false })
      try {
        await app.waitUntilExit()
      } finally {
        source.close()
      }
    })
}
