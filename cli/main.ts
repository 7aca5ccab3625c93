#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander'
import { registerCommands } from './commands.ts'

const program = new Command()
program
  .name('oht')
  .description('oht: encrypted, content-addressed file sharing over Tor onion services.\n\n' +
    'Status: the share format, local share/fetch, CAR export/import are built. Fetching from peers,\n' +
    'the onion DHT, the Tor transport, streaming, pinning and the dashboard are not built yet.')
  .version('0.1.0', '-V, --version')
  .addOption(new Option('--data-dir <dir>', 'node data directory (default: $OHT_HOME, else the platform data path)'))
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
