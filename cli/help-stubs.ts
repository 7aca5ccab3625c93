// What `oht --help` shows of each top-level command, so that it loads none of their modules:
// the term commander prints (name, `[options]`, arguments) and the catalog key of the
// description; the commands of one module in the order it registers them. test/unit/help-stubs.test.ts checks each against the real registration; a
// command missing here is loaded for `--help` as before (command-table.ts).
import { Command, Option } from 'commander'
import { t } from './i18n/index.ts'

export const HELP_STUBS: Readonly<Record<string, readonly [term: string, description: string]>> = {
  stream: ['stream [options] <link>', 'stream.description'],
  pin: ['pin [options] <link-or-verify-cap>', 'pin.description'],
  unpin: ['unpin <link-or-id>', 'pin.unpin.description'],
  caps: ['caps <link>', 'pin.caps.description'],
  pins: ['pins', 'pin.pins.description'],
  account: ['account', 'account.description'],
  peers: ['peers', 'dht.peers.description'],
  dht: ['dht', 'dht.description'],
  config: ['config', 'config.description'],
  dashboard: ['dashboard', 'dashboard.description'],
  unshare: ['unshare [options] <id|link>', 'shares.unshare.description'],
  console: ['console', 'console.description'],
  webui: ['webui', 'webui.description'],
  wipe: ['wipe [options]', 'privacy.wipe.description'],
  contact: ['contact', 'people.contact.description'],
  contactcast: ['contactcast <message...>', 'contacts.cast.description'],
  whisper: ['whisper <contact> [message]', 'people.whisper.description'],
  name: ['name', 'names.description'],
  send: ['send [options] <path...>', 'invite.send.description'],
  receive: ['receive [options] [code]', 'invite.receive.description'],
  init: ['init', 'cli.init.description'],
  share: ['share [options] <path...>', 'cli.share.description'],
  status: ['status', 'cli.status.description'],
  ls: ['ls [options]', 'cli.ls.description'],
  fetch: ['fetch [options] <link>', 'cli.fetch.description'],
  export: ['export [options] <link>', 'cli.export.description'],
  import: ['import <file.car>', 'cli.import.description'],
  daemon: ['daemon [options]', 'cli.daemon.description'],
  network: ['network', 'network.description'],
  tor: ['tor', 'tor.description'],
  demo: ['demo [options]', 'cli.demo.description'],
  'repair-state': ['repair-state', 'repair.description'],
  channel: ['channel', 'channels.description']
}

/** Whether every command of a module has a stub (else the module is loaded for `--help`). */
export function stubbed (names: readonly string[]): boolean {
  return names.every(name => Object.hasOwn(HELP_STUBS, name))
}

/**
 * Registers `names` as commands that only describe themselves, exactly as `oht --help` lists the
 * real ones, in the order of HELP_STUBS (a module's own registration order).
 */
export function registerStubs (program: Command, names: readonly string[]): void {
  for (const name of Object.keys(HELP_STUBS).filter(n => names.includes(n))) {
    const [term, description] = HELP_STUBS[name]!
    const cmd = program.command(name).description(t(description))
    const rest = term.slice(name.length).trim()
    const args = rest.replace(/^\[options\]\s*/, '')
    if (rest.startsWith('[options]')) cmd.addOption(new Option('--stub').hideHelp())
    if (args !== '') cmd.arguments(args)
  }
}

/**
 * True for a line that only asks for the top-level help: `oht --help` or `-h` (with global
 * options), or `oht help`. `isGlobalOnly` tells whether what is left is global options only.
 */
export function asksTopLevelHelp (args: readonly string[], isGlobalOnly: (rest: readonly string[]) => boolean): boolean {
  const rest = args.filter(a => a !== '--help' && a !== '-h')
  if (rest.length === args.length) return args.length === 1 && args[0] === 'help'
  return isGlobalOnly(rest)
}
