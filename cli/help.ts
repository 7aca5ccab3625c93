// `oht --help` as Kubo shows `ipfs --help`: commands in groups (basic ones first), each with a
// one-line summary, then examples; and commander's own words (Usage:, Options:, default:) in the
// user's language.
import { Command, Help } from 'commander'
import { catalogs, t } from './i18n/index.ts'

/** Commander's fixed headings, by the text it passes to styleTitle. */
const TITLES: Record<string, string> = {
  'Usage:': 'cli.help.usage',
  'Arguments:': 'cli.help.arguments',
  'Options:': 'cli.help.options',
  'Global Options:': 'cli.help.globalOptions',
  'Commands:': 'cli.help.commands'
}

/** Help in the user's language for `program` and every command created after this call. */
export function localizeHelp (program: Command): void {
  program.configureHelp({
    styleTitle: (title: string) => TITLES[title] != null ? t(TITLES[title]) : title,
    optionDescription (option) { return defaultsLocalized(Help.prototype.optionDescription.call(this, option)) },
    argumentDescription (argument) { return defaultsLocalized(Help.prototype.argumentDescription.call(this, argument)) }
  })
}

function defaultsLocalized (text: string): string {
  return text.replace(/\(default: /g, `(${t('cli.help.default')}: `).replace(/\(choices: /g, `(${t('cli.help.choices')}: `)
}

/** Top-level commands in the order and groups `oht --help` shows them. */
const GROUPS: ReadonlyArray<[group: string, commands: readonly string[]]> = [
  ['cli.group.basic', ['init', 'share', 'fetch', 'send', 'receive', 'stream', 'ls', 'unshare', 'status']],
  ['cli.group.node', ['daemon', 'dashboard', 'demo']],
  ['cli.group.pinning', ['pin', 'unpin', 'pins', 'caps', 'account']],
  ['cli.group.network', ['peers', 'dht', 'network', 'tor']],
  ['cli.group.tools', ['config', 'export', 'import']]
]

/**
 * Orders and groups the top-level commands, gives each its one-line summary (cli.summary.<name>;
 * a command without one shows its description) and adds the examples. Call after every command
 * is registered: a command no group names goes to the tools.
 */
export function groupCommands (program: Command): void {
  const order = GROUPS.flatMap(([, names]) => names)
  const groupOf = (name: string): string => GROUPS.find(([, names]) => names.includes(name))?.[0] ?? 'cli.group.tools'
  const rank = (name: string): number => { const i = order.indexOf(name); return i < 0 ? order.length : i }
  const commands = program.commands as Command[]
  commands.sort((a, b) => rank(a.name()) - rank(b.name()))
  for (const cmd of commands) {
    cmd.helpGroup(t(groupOf(cmd.name())))
    const summary = `cli.summary.${cmd.name()}`
    if (summary in catalogs.en) cmd.summary(t(summary))
  }
  // Replaces the help command the subcommands inherited, so that only the top level files it
  // under the tools.
  program.addHelpCommand(new Command('help').argument('[command]').description(t('cli.helpCommand')).helpGroup(t('cli.group.tools')))
  program.addHelpText('after', `\n${t('cli.help.examples')}`)
}
