// Turns a typed line into a command of the table and its arguments, or one clear error. Words
// are split on blanks; single or double quotes keep blanks inside a word (a path with spaces).
import type { ConsoleCommand, ParsedArgs } from './spec.ts'
import { usage } from './spec.ts'

export interface Word { text: string, start: number, end: number }

/** The words of `line` with their positions; an open quote runs to the end of the line. */
export function tokenize (line: string): Word[] {
  const words: Word[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++
    if (i >= line.length) break
    const start = i
    let text = ''
    let quote: string | null = null
    while (i < line.length && (quote != null || !/\s/.test(line[i]!))) {
      const c = line[i]!
      if (quote != null) {
        if (c === quote) quote = null
        else if (c === '\\' && quote === '"' && i + 1 < line.length) text += line[++i]
        else text += c
      } else if (c === '"' || c === "'") quote = c
      else if (c === '\\' && i + 1 < line.length) text += line[++i]
      else text += c
      i++
    }
    words.push({ text, start, end: i })
  }
  return words
}

export type ParseResult =
  | { kind: 'empty' }
  | { kind: 'command', command: ConsoleCommand, input: ParsedArgs }
  | { kind: 'error', code: 'notCommand' | 'unknown' | 'missingArg' | 'tooMany' | 'badOption' | 'optionValue' | 'badChoice', params: Record<string, string> }

/** Parses one line against the table. Errors carry an i18n code and its parameters (console.error.*). */
export function parseLine (line: string, table: readonly ConsoleCommand[]): ParseResult {
  const words = tokenize(line)
  if (words.length === 0) return { kind: 'empty' }
  const head = words[0]!.text
  if (!head.startsWith('/')) return { kind: 'error', code: 'notCommand', params: { word: head } }
  const name = head.slice(1).toLowerCase()
  const command = table.find(c => c.name === name)
  if (command == null) {
    const suggestion = suggest(name, table.map(c => c.name))
    return { kind: 'error', code: 'unknown', params: { name: head, suggestion: suggestion != null ? '/' + suggestion : '' } }
  }
  const args: string[] = []
  const options: ParsedArgs['options'] = {}
  const rest = words.slice(1)
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!.text
    if (w.startsWith('--') && w.length > 2) {
      const [oname, inline] = w.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]
      const spec = command.options?.find(o => o.name === oname)
      if (spec == null) return { kind: 'error', code: 'badOption', params: { option: `--${oname}`, usage: usage(command) } }
      let value: string | true = true
      if (spec.value === true) {
        const next = inline ?? rest[++i]?.text
        if (next == null) return { kind: 'error', code: 'optionValue', params: { option: `--${oname}`, usage: usage(command) } }
        value = next
      }
      if (spec.repeat === true) options[oname] = [...(options[oname] as string[] | undefined ?? []), String(value)]
      else options[oname] = value
      continue
    }
    args.push(w)
  }
  if (command.choices != null && args.length > 0 && !command.choices.includes(args[0]!)) {
    return { kind: 'error', code: 'badChoice', params: { word: args[0]!, choices: command.choices.join(', '), usage: usage(command) } }
  }
  const required = command.args.filter(a => a.optional !== true && a.rest !== true).length + (command.args.some(a => a.rest === true && a.optional !== true) ? 1 : 0)
  if (args.length < required) return { kind: 'error', code: 'missingArg', params: { name: command.args[args.length]?.name ?? '', usage: usage(command) } }
  if (!command.args.some(a => a.rest === true) && args.length > command.args.length) return { kind: 'error', code: 'tooMany', params: { usage: usage(command) } }
  return { kind: 'command', command, input: { args, options } }
}

/** The closest known name to a typo: a prefix of it, else within a small edit distance. */
export function suggest (typed: string, names: readonly string[]): string | undefined {
  if (typed === '') return undefined
  const prefixed = names.filter(n => n.startsWith(typed))
  if (prefixed.length === 1) return prefixed[0]
  let best: string | undefined
  let bestDistance = Infinity
  for (const n of names) {
    const d = distance(typed, n)
    if (d < bestDistance) { best = n; bestDistance = d }
  }
  // Further than a third of the word (at least 1, at most 3) is a different word, not a typo.
  return bestDistance <= Math.min(3, Math.max(1, Math.floor(typed.length / 3))) ? best : undefined
}

/** Damerau-Levenshtein (optimal string alignment): a swap of two letters counts as one edit. */
export function distance (a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : j === 0 ? i : 0))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}
