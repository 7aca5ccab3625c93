// Which module defines each top-level command. A command line that names a command loads only
// that command's module (and what its action imports when it runs); `oht --help`, `oht help`,
// a bare `oht` and anything this cannot read for sure (an unknown command or option) load them
// all, so commander sees every command and answers exactly as before. Start-up: bench/cli.ts,
// docs/DECISIONS.md "CLI start-up".
import type { Command, Option } from 'commander'

type Register = (program: Command) => void

interface Entry {
  /** The top-level commands the module registers. */
  names: readonly string[]
  load: () => Promise<Register>
}

/** In registration order: a command no help group names is listed in this order (help.ts). */
const TABLE: readonly Entry[] = [
  { names: ['stream'], load: async () => (await import('./stream.ts')).registerStream },
  { names: ['pin', 'unpin', 'caps', 'pins'], load: async () => (await import('./pin.ts')).registerPin },
  { names: ['account'], load: async () => (await import('./account.ts')).registerAccount },
  { names: ['peers', 'dht'], load: async () => (await import('./dht.ts')).registerDht },
  { names: ['config'], load: async () => (await import('./config.ts')).registerConfig },
  { names: ['dashboard'], load: async () => (await import('./dashboard/command.ts')).registerDashboard },
  { names: ['unshare'], load: async () => (await import('./unshare.ts')).registerUnshare },
  { names: ['console'], load: async () => (await import('./console/command.ts')).registerConsole },
  { names: ['webui'], load: async () => (await import('./webui.ts')).registerWebUi },
  { names: ['wipe'], load: async () => (await import('./wipe.ts')).registerWipe },
  { names: ['repair-state'], load: async () => (await import('./repair.ts')).registerRepair },
  { names: ['contact', 'whisper', 'contactcast'], load: async () => (await import('./people.ts')).registerPeople },
  { names: ['name'], load: async () => (await import('./names.ts')).registerNames },
  { names: ['channel'], load: async () => (await import('./channels.ts')).registerChannels },
  { names: ['send', 'receive'], load: async () => (await import('./invite.ts')).registerInvite },
  { names: ['init', 'share', 'status', 'ls', 'fetch', 'export', 'import', 'daemon'], load: async () => (await import('./commands.ts')).registerCoreCommands },
  { names: ['network'], load: async () => (await import('./dht.ts')).registerNetwork },
  { names: ['tor'], load: async () => (await import('./tor-command.ts')).registerTor },
  { names: ['demo'], load: async () => (await import('./commands.ts')).registerDemo }
]

/**
 * How `args` (the arguments after `oht`) read with the program's global options: the command
 * they run (the first operand, or for `help <command>` the one after it), or else whether they
 * are global options only (`oht --version`). Neither when the line cannot be read for sure.
 */
export function readCommandLine (program: Command, args: readonly string[]): { command?: string, optionsOnly: boolean, seen: Set<string> } {
  const options = program.options as readonly Option[]
  const seen = new Set<string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') return { optionsOnly: false, seen }
    if (arg.startsWith('-') && arg !== '-') {
      const flag = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg
      const option = options.find(o => o.long === flag || o.short === flag)
      // Unknown, short flags run together, or --help (commander keeps it apart from the options).
      if (option == null) return { optionsOnly: false, seen }
      seen.add(option.attributeName())
      if ((option.required || option.optional) && !arg.includes('=')) i++
      continue
    }
    if (arg !== 'help') return { command: arg, optionsOnly: false, seen }
    const next = args[i + 1]
    return next != null && !next.startsWith('-') ? { command: next, optionsOnly: false, seen } : { optionsOnly: false, seen }
  }
  return { optionsOnly: true, seen }
}

/**
 * Registers the command `args` name, or every command when it names none the table knows.
 * `oht --version` (global options only; --help is not one) needs none.
 */
export async function registerCommands (program: Command, args: readonly string[]): Promise<void> {
  const line = readCommandLine(program, args)
  if (line.optionsOnly && line.seen.has('version')) return
  // `oht --help` lists the commands from their stubs (help-stubs.ts) and loads no command module.
  if (line.command == null && (args.includes('--help') || args.includes('-h') || args[0] === 'help')) {
    const { asksTopLevelHelp, registerStubs, stubbed } = await import('./help-stubs.ts')
    if (asksTopLevelHelp(args, rest => readCommandLine(program, rest).optionsOnly)) {
      const registers = await Promise.all(TABLE.map(async e => stubbed(e.names) ? (p: Command) => { registerStubs(p, e.names) } : await e.load()))
      for (const register of registers) register(program)
      return
    }
  }
  const entry = TABLE.find(e => line.command != null && e.names.includes(line.command))
  const entries = entry != null ? [entry] : TABLE
  const registers = await Promise.all(entries.map(async e => await e.load()))
  for (const register of registers) register(program)
}
