// What a console command is: data (name, arguments, options, completion sources, help keys in
// both catalogs) plus its handler, and what a handler is given (CommandContext). The table (table.ts) is a list of these; the parser, the
// completer and /help read it, so there is one description of every command, not several.
import type { AdminApiClient, ApiDhtService, ApiEvent, DaemonClient } from '../../src/node/index.ts'

/** Where tab completion finds candidates for an argument. */
export type CompletionSource = 'command' | 'share' | 'transfer' | 'path' | 'config-key' | 'account' | 'peer' | 'ref' | 'contact' | 'request' | 'none'

export interface ArgSpec {
  name: string
  source?: CompletionSource
  optional?: boolean
  /** Takes every remaining word (the last argument only). */
  rest?: boolean
}

export interface OptionSpec {
  /** Written `--name`; `value` options take the next word; `repeat` ones collect every occurrence. */
  name: string
  value?: boolean
  repeat?: boolean
  source?: CompletionSource
}

export interface ConsoleCommand {
  name: string
  args: ArgSpec[]
  options?: OptionSpec[]
  /** i18n key of the one-line help (shared with `oht --help` where the command overlaps). */
  help: string
  /** Set when the command is named by the design but its feature has not landed: /help and running it say so. */
  missing?: string
  /** Words of the subcommand form, e.g. /tor start|stop. */
  choices?: string[]
  run: (ctx: CommandContext, input: ParsedArgs) => Promise<void>
}

export interface ParsedArgs {
  args: string[]
  options: Record<string, string | string[] | true>
}

/** `/fetch <link> [dir] [--peer <address>]` */
export function usage (cmd: ConsoleCommand): string {
  const args = cmd.choices != null
    ? [`${cmd.choices.join('|')}`, ...cmd.args.slice(1).map(argText)]
    : cmd.args.map(argText)
  const opts = (cmd.options ?? []).map(o => `[--${o.name}${o.value === true ? ` <${o.name}>` : ''}]`)
  return ['/' + cmd.name, ...args, ...opts].join(' ')
}

function argText (a: ArgSpec): string {
  const inner = a.name + (a.rest === true ? '...' : '')
  return a.optional === true ? `[${inner}]` : `<${inner}>`
}

// What a command handler is given: the daemon's API, a way to print above the prompt, and a
// signal that Ctrl-C aborts. Handlers never write to stdout themselves (Ink owns the screen).

export type Tone = 'normal' | 'error' | 'warn' | 'event' | 'dim' | 'ok'

export interface CommandContext {
  client: DaemonClient
  dht: ApiDhtService
  /** The console's own routes (ping, lookup, tor, ...). */
  api: AdminApiClient
  print: (text: string, tone?: Tone) => void
  signal: AbortSignal
  dataDir: string
  cwd: string
  /** True when this console started its own node (no daemon was running). */
  embedded: boolean
  table: readonly ConsoleCommand[]
  quit: () => void
  clear: () => void
  openDashboard: () => Promise<void>
  /** Every daemon event while the listener is on; returns the off switch. */
  onEvent: (listener: (e: ApiEvent) => void) => () => void
  /** This transfer's lines are the command's own: the session prints no generic event lines for it. */
  claim: (transferId: string) => void
  /** The share name of a transfer when known, else its short id. */
  nameOf: (transferId: string) => string
  /** A DHT reference made in this session, offered by tab completion. */
  remember: (ref: string) => void
}
