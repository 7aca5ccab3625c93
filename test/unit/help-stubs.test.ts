// `oht --help` lists the top-level commands from stubs (cli/help-stubs.ts) instead of loading
// every command's module: the stubs must describe each command exactly as its real registration
// does, so the help text is the same byte for byte, in every language.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command, Help } from 'commander'
import { NODE_BIN, OHT_BIN } from '../helpers/cli.ts'
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

test('oht --help loads no command module, nor Node\'s fs streams, fs/promises or readline; oht status no fs streams', async () => {
  // A preload that reports, at exit, the files loaded and Node's internal modules compiled.
  const preload = `data:text/javascript,${encodeURIComponent(`
    import { registerHooks } from 'node:module'
    const files = []
    const before = new Set(process.moduleLoadList)
    registerHooks({ load (url, context, next) { files.push(url); return next(url, context) } })
    process.on('exit', () => { process.stderr.write('\\n' + JSON.stringify({ files, builtins: process.moduleLoadList.filter(m => !before.has(m)) })) })
  `)}`
  const dataDir = mkdtempSync(join(tmpdir(), 'oht-help-'))
  const env = { ...process.env, NODE_OPTIONS: undefined, OHT_HOME: undefined, OHT_PASSPHRASE: undefined }
  try {
    assert.equal(spawnSync(NODE_BIN, [OHT_BIN, '--data-dir', dataDir, 'init'], { env }).status, 0) // status without a daemon reads its keystore
    for (const args of [['--help'], ['--data-dir', dataDir, 'status']]) {
      const r = spawnSync(NODE_BIN, ['--import', preload, OHT_BIN, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] })
      assert.equal(r.status, 0, r.stderr)
      const { files, builtins } = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { files: string[], builtins: string[] }
      // `oht status` without a daemon reads the (sealed) keystore through fs/promises, which loads
      // readline: only the ES facade's fs streams are ruled out there.
      const ruledOut = args[0] === '--help' ? ['NativeModule internal/fs/streams', 'NativeModule internal/readline/interface', 'NativeModule internal/fs/promises'] : ['NativeModule internal/fs/streams']
      for (const internal of ruledOut) {
        assert.ok(!builtins.includes(internal), `oht ${args.join(' ')} loads ${internal} (an ES import of node:fs, node:fs/promises or node:process on its way?)`)
      }
      if (args[0] === '--help') {
        const commands = files.filter(f => /\/cli\/(stream|pin|account|dht|config|unshare|webui|wipe|repair|people|names|channels|invite|commands|tor-command|dashboard\/command|console\/command)\.(js|ts)$/.test(f))
        assert.deepEqual(commands, [], 'oht --help lists the commands from their stubs')
      }
    }
  } finally { rmSync(dataDir, { recursive: true, force: true }) }
})
