// `oht --help` lists the top-level commands from stubs (cli/help-stubs.ts) instead of loading
// every command's module: the stubs must describe each command exactly as its real registration
// does, so the help text is the same byte for byte, in every language.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Command, Help } from 'commander'
import { registerCommands } from '../../cli/command-table.ts'
import { addGlobalOptions } from '../../cli/options.ts'
import { groupCommands, localizeHelp } from '../../cli/help.ts'
import { HELP_STUBS, asksTopLevelHelp } from '../../cli/help-stubs.ts'
import { LOCALES, catalogs, setLocale, t } from '../../cli/i18n/index.ts'

async function helpText (args: string[]): Promise<string> {
  const program = new Command().name('oht').description(t('cli.description'))
  addGlobalOptions(program)
  localizeHelp(program)
  await registerCommands(program, args)
  groupCommands(program)
  return program.helpInformation()
}

test('each stub has the term and description of the command it stands for', async () => {
  const program = new Command()
  addGlobalOptions(program)
  await registerCommands(program, ['--bogus']) // a line it cannot read: every module is loaded
  const help = new Help()
  for (const cmd of program.commands) {
    const stub = HELP_STUBS[cmd.name()]
    if (stub == null) continue // loaded for --help instead
    assert.equal(stub[0], help.subcommandTerm(cmd), `the term of ${cmd.name()}`)
    assert.equal(t(stub[1]), cmd.description(), `the description key of ${cmd.name()}`)
  }
  const real = new Set(program.commands.map(c => c.name()))
  assert.deepEqual(Object.keys(HELP_STUBS).filter(n => !real.has(n)), [], 'no stub for a command that does not exist')
})

test('oht --help from the stubs is the help of the real commands, byte for byte, in every language', async () => {
  try {
    for (const locale of LOCALES) {
      setLocale(locale)
      assert.equal(await helpText(['--help']), await helpText(['--bogus']), locale)
    }
  } finally { setLocale('en') }
  assert.ok(Object.keys(catalogs.en).length > 0)
})

test('only a line that asks for the top-level help uses the stubs', () => {
  const globalOnly = (rest: readonly string[]): boolean => rest.every((a, i) => a === '--lang' || rest[i - 1] === '--lang')
  assert.equal(asksTopLevelHelp(['--help'], globalOnly), true)
  assert.equal(asksTopLevelHelp(['-h'], globalOnly), true)
  assert.equal(asksTopLevelHelp(['--lang', 'de', '--help'], globalOnly), true)
  assert.equal(asksTopLevelHelp(['help'], globalOnly), true)
  assert.equal(asksTopLevelHelp(['fetch', '--help'], globalOnly), false)
  assert.equal(asksTopLevelHelp(['help', 'fetch'], globalOnly), false)
  assert.equal(asksTopLevelHelp([], globalOnly), false)
})
