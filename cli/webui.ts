// `oht webui start|stop|status`: the running daemon's web UI (src/node/webui, docs/WEBUI.md).
import type { Command } from 'commander'
import type { WebUiStarted, WebUiStatus } from '../src/node/index.ts'
import { daemonFor, makeOutput, type GlobalOptions } from './context.ts'
import { t } from './i18n/index.ts'

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

async function daemon (g: GlobalOptions): Promise<NonNullable<Awaited<ReturnType<typeof daemonFor>>>> {
  const client = await daemonFor(g)
  if (client == null) throw new Error(t('webui.noDaemon'))
  return client
}

export function registerWebUi (program: Command): void {
  const webui = program.command('webui').description(t('webui.description'))
  webui.command('start')
    .description(t('webui.start.description'))
    .option('--port <port>', t('webui.start.optPort'), '0')
    .option('--onion', t('webui.start.optOnion'))
    .action(async (opts: { port: string, onion?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const port = Number(opts.port)
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new Error(t('webui.badPort', { port: opts.port }))
      const r = await (await daemon(g)).call('POST', '/webui', { port, onion: opts.onion === true }) as WebUiStarted
      const lines = [t('webui.started', { origin: r.origin }), r.url]
      if (r.onion != null) lines.push(t('webui.onion', { origin: r.onion.origin }), r.onion.url, t('webui.onionKey'), r.onion.clientKey, t('webui.onionAuthLine'), r.onion.authLine)
      lines.push(t('webui.once'))
      out.result(r, lines.join('\n'))
    })
  webui.command('stop')
    .description(t('webui.stop.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await (await daemon(g)).call('DELETE', '/webui')
      out.result({ running: false }, t('webui.stopped'))
    })
  webui.command('status')
    .description(t('webui.status.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const r = await (await daemon(g)).call('GET', '/webui') as WebUiStatus
      out.result(r, r.running ? t('webui.running', { origin: [r.origin, r.onionOrigin].filter(o => o != null).join(', ') }) : t('webui.notRunning'))
    })
}
