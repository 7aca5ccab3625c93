#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander'
import { registerCommands } from './commands.ts'

const program = new Command()
program
  .name('oht')
  .description('oht: encrypted, content-addressed file sharing over Tor onion services.\n\n' +
    'Status: the share format, local share/fetch, CAR export/import, the daemon and fetching from\n' +
    'given peers over TCP are built. The Tor transport (the default), the onion DHT (finding peers\n' +
    'from a link alone), streaming, pinning and the dashboard are not built yet.')
  .version('0.1.0', '-V, --version')
  .addOption(new Option('--data-dir <dir>', 'node data directory (default: $OHT_HOME, else the platform data path)'))
  .addOption(new Option('--transport <kind>', 'tor (default; not built yet) or tcp (tests and development: NOT anonymous)'))
  .addOption(new Option('--listen <addr>', 'address the daemon listens on, e.g. 127.0.0.1:4001'))
  .addOption(new Option('--max-upload <rate>', 'upload limit per second over all shares, e.g. 2MiB'))
  .option('--json', 'print one JSON object (the result) on stdout')
  .option('-q, --quiet', 'print only the result')
  .showHelpAfterError('(run oht --help for usage)')
  .configureOutput({ outputError: (text, write) => { write(`oht: ${text}`) } })
  .exitOverride()

registerCommands(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode
  } else {
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`oht: error: ${message}\n`)
    if (process.env.OHT_DEBUG != null && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`)
    process.exitCode = 1
  }
}
