// `oht console` (also the `oht-console` executable): the interactive client. It talks to the
// daemon of the data directory through its API; with none running it starts its own node in
// this process and says so (docs/CONSOLE.md). Ink and React are loaded only here.
import type { Command } from 'commander'
import { join } from 'node:path'
import type { DaemonClient } from '../../src/node/api/client.ts'
import { layout } from '../../src/node/identity/datadir.ts'
import { apiSocket, dataDirOf, errorText, type GlobalOptions } from '../context.ts'
import { t } from '../i18n/index.ts'
import type { History, HistoryFile } from './history.ts'
import type { EmbeddedNode } from './embedded.ts'
import { COMMANDS } from './table.ts'
import { usage } from './spec.ts'

export const HISTORY_FILE = 'console-history.enc'

export function registerConsole (program: Command): void {
  program.command('console')
    .description(t('console.description'))
    // The slash commands, from the same table the console parses with: one description of each.
    .addHelpText('after', () => '\n' + t('console.help.intro') + '\n' + COMMANDS.map(c => `  ${usage(c)}${c.missing != null ? `  (${t('console.notYet')})` : ''}`).join('\n'))
    .action(async (_opts, cmd: Command) => { await runConsole(cmd.optsWithGlobals<GlobalOptions>()) })
}

export async function runConsole (g: GlobalOptions): Promise<void> {
  if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) throw new Error(t('console.noTty'))
  process.env.NODE_ENV ??= 'production'
  const dataDir = dataDirOf(g)
  const socket = apiSocket(dataDir)
  const early: Array<{ text: string, tone: 'warn' | 'event' | 'dim' }> = []
  let embedded: EmbeddedNode | undefined
  let sessionRef: { print: (text: string, tone: 'warn') => void } | undefined
  const warn = (line: string): void => { if (sessionRef != null) sessionRef.print(line, 'warn'); else early.push({ text: line, tone: 'warn' }) }
  const { daemonRunning, DaemonClient } = await import('../../src/node/api/client.ts')
  if (!await daemonRunning(socket)) {
    process.stdout.write(t('console.starting', { dataDir }) + '\n')
    const { startEmbedded } = await import('./embedded.ts')
    embedded = await startEmbedded(g, warn)
    early.push({ text: t('console.embedded', { dataDir, address: embedded.address }), tone: 'event' })
  }
  try {
    const client = new DaemonClient(socket)
    // --memory: the history stays in memory like the rest of the node.
    const history = g.memory === true ? { history: new (await import('./history.ts')).History() } : await openHistory(dataDir, embedded?.runtime.node.keys.vaultKey, early)
    const [{ default: React }, { render }, { ConsoleSession }, { ConsoleView }] = await Promise.all([
      import('react'), import('ink'), import('./session.ts'), import('./view.ts')
    ])
    let app: ReturnType<typeof render> | undefined
    let wantDashboard = false
    let quitting = false
    const session = new ConsoleSession({
      client, table: COMMANDS, dataDir, cwd: process.cwd(), embedded: embedded != null,
      history: history.history, ...(history.file != null ? { historyFile: history.file } : {}),
      onQuit: () => { quitting = true; app?.unmount() },
      openDashboard: async () => { wantDashboard = true; app?.unmount() }
    })
    sessionRef = session
    session.print(t('console.welcome'), 'dim')
    for (const l of early) session.print(l.text, l.tone)
    await session.start()
    try {
      while (!quitting) {
        app = render(React.createElement(ConsoleView, { session, embedded: embedded != null, onQuit: () => { quitting = true; app?.unmount() } }),
          { exitOnCtrlC: false, alternateScreen: true, interactive: true, patchConsole: false, maxFps: 20, incrementalRendering: true })
        await app.waitUntilExit()
        if (!wantDashboard) break
        wantDashboard = false
        await runDashboard(client).catch((err: unknown) => { session.print(`${t('cli.errorPrefix')}${errorText(err)}`, 'error') })
      }
    } finally {
      session.close()
      await session.flushHistory()
    }
  } finally {
    if (embedded != null) {
      process.stdout.write(t('console.stopping') + '\n')
      await embedded.close()
    }
  }
}

/** The history, encrypted with this node's key; in memory only (and said) when the keystore does not open. */
async function openHistory (dataDir: string, vaultKey: Uint8Array | undefined, notes: Array<{ text: string, tone: 'warn' | 'event' | 'dim' }>): Promise<{ history: History, file?: HistoryFile }> {
  const { History, HistoryFile, historyKey } = await import('./history.ts')
  try {
    const { readKeystore } = await import('../../src/node/identity/keystore.ts')
    const key = vaultKey ?? (await readKeystore(layout(dataDir).keystore, process.env.OHT_PASSPHRASE ?? '')).vaultKey
    const file = new HistoryFile(join(dataDir, HISTORY_FILE), historyKey(key))
    return { history: new History(await file.load()), file }
  } catch (err) {
    notes.push({ text: t('console.history.unavailable', { reason: errorText(err) }), tone: 'warn' })
    return { history: new History() }
  }
}

async function runDashboard (client: DaemonClient): Promise<void> {
  const [{ default: React }, { render }, { DaemonSource }, { Dashboard }] = await Promise.all([
    import('react'), import('ink'), import('../dashboard/source.ts'), import('../dashboard/view.ts')
  ])
  const source = new DaemonSource(client)
  await source.start()
  const app = render(React.createElement(Dashboard, { source }), { maxFps: 4, incrementalRendering: true, interactive: true, exitOnCtrlC: true, alternateScreen: true, patchConsole: false })
  try { await app.waitUntilExit() } finally { source.close() }
}
