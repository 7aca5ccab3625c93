#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { exitCodeOf, jsonError } from './exit.ts'
import { addGlobalOptions, validateGlobals, type GlobalOptions } from './options.ts'
import { registerCommands } from './command-table.ts'
import { packageVersion } from './version.ts'
import { groupCommands, localizeHelp } from './help.ts'
import { commanderMessage } from './commander-errors.ts'
import { applyConfig, errorText } from './context.ts'
import { ConfigFile, configPath } from '../src/node/identity/config.ts'
import { localeOf, setLocale, t } from './i18n/index.ts'

/**
 * The language must be known before the commands are described (their help is translated), so
 * --lang and the config's lang are looked up here before parsing; LANG is the fallback (i18n).
 */
function chooseEarlyLocale (argv: readonly string[]): void {
  const flag = (name: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === name) return argv[i + 1]
      if (argv[i]!.startsWith(`${name}=`)) return argv[i]!.slice(name.length + 1)
    }
    return undefined
  }
  const lang = flag('--lang')
  if (lang != null && localeOf(lang) != null) { setLocale(lang); return }
  try {
    const dataDir = flag('--data-dir')
    const fromConfig = new ConfigFile(configPath(dataDir != null ? { dataDir } : {})).load().lang
    if (typeof fromConfig === 'string') setLocale(fromConfig)
  } catch { /* a broken config is reported when the command runs */ }
}

// Everything oht writes is its user's alone: the data directory (LevelDB makes its files as it
// compacts, so only a process-wide mask covers them), tor's folder, the API socket, and fetched
// files too (0600/0700; the user may chmod them to share). README "Privacy at rest".
process.umask(0o077)

chooseEarlyLocale(process.argv)

// `oht --help | head`: a reader that stops early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err })

const program = new Command()
program
  .name('oht')
  .description(t('cli.description'))
  .version(packageVersion(), '-V, --version', t('cli.optVersion'))
  .helpOption('-h, --help', t('cli.optHelp'))
  .helpCommand('help [command]', t('cli.helpCommand'))
addGlobalOptions(program)
program
  .showHelpAfterError(t('cli.helpAfterError'))
  .configureOutput({ outputError: (text, write) => { write(`${t('cli.errorPrefix')}${commanderMessage(text)}\n`) } })
  .exitOverride()
  .hook('preAction', async () => {
    applyConfig(program)
    await validateGlobals(program.opts<GlobalOptions>())
  })

localizeHelp(program)
await registerCommands(program, process.argv.slice(2))
groupCommands(program)

const json = process.argv.includes('--json')
try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander printed its message already (outputError); --json adds the object.
    if (json && err.exitCode !== 0) process.stdout.write(jsonError(err, commanderMessage(err.message)))
  } else {
    const message = errorText(err)
    process.stderr.write(`${t('cli.errorPrefix')}${message}\n`)
    if (json) process.stdout.write(jsonError(err, message))
    if (process.env.OHT_DEBUG != null && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`)
  }
  process.exitCode = exitCodeOf(err)
}

// The command is done and its result printed. Whatever is left open by mistake (a worker still
// referenced after a failed transfer, say) must not keep the process from exiting: the timer
// does not hold the process itself, so it only fires if something else does.
setTimeout(() => {
  if (process.env.OHT_DEBUG != null) process.stderr.write(`oht: exiting with open resources: ${process.getActiveResourcesInfo().join(', ')}\n`)
  process.exit()
}, 1000).unref()
