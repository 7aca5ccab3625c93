// Commander's own errors (unknown option, missing argument, ...) in the user's language.
// Commander builds them as fixed English sentences with no hook of their own: they are matched
// here and rebuilt from the catalog; a sentence not known here is shown as commander wrote it.
import { t } from './i18n/index.ts'

const SENTENCES: ReadonlyArray<[RegExp, string, readonly string[]]> = [
  [/^missing required argument '(.+)'$/, 'commander.missingArgument', ['name']],
  [/^option '(.+)' argument missing$/, 'commander.optionMissingArgument', ['option']],
  [/^required option '(.+)' not specified$/, 'commander.missingMandatoryOption', ['option']],
  [/^unknown option '(.+)'$/, 'commander.unknownOption', ['option']],
  [/^unknown command '(.+)'$/, 'commander.unknownCommand', ['command']],
  [/^too many arguments(?: for '(.+)')?\. Expected (\d+) arguments? but got (\d+)\.$/, 'commander.excessArguments', ['command', 'expected', 'got']],
  [/^option '(.+)' argument '(.*)' is invalid\.\s*(.*)$/, 'commander.invalidOption', ['option', 'value', 'reason']],
  [/^command-argument value '(.*)' is invalid for argument '(.+)'\.\s*(.*)$/, 'commander.invalidArgument', ['value', 'name', 'reason']],
  [/^(.+) cannot be used with (.+)$/, 'commander.conflict', ['first', 'second']]
]

/** Commander's error message (`error: unknown option '--x'\n(Did you mean --y?)`) without its `error: ` prefix, translated. */
export function commanderMessage (message: string): string {
  const [first = '', ...rest] = message.trim().replace(/^error: /, '').split('\n')
  return [sentence(first), ...rest.map(suggestion)].join('\n')
}

function sentence (text: string): string {
  for (const [pattern, key, names] of SENTENCES) {
    const m = pattern.exec(text)
    if (m == null) continue
    return t(key, Object.fromEntries(names.map((name, i) => [name, m[i + 1] ?? ''])))
  }
  return text
}

function suggestion (line: string): string {
  const many = /^\(Did you mean one of (.+)\?\)$/.exec(line)
  if (many != null) return t('commander.didYouMeanOneOf', { suggestions: many[1]! })
  const one = /^\(Did you mean (.+)\?\)$/.exec(line)
  return one != null ? t('commander.didYouMean', { suggestion: one[1]! }) : line
}
