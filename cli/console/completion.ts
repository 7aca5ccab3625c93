// Tab completion: the word under the cursor is a command name, an option, or an argument whose
// candidates come from the command's completion source (shares, transfers, files, ...).
import { readdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { tokenize } from './parser.ts'
import type { CompletionSource, ConsoleCommand } from './spec.ts'

/** Candidates of a source for a typed prefix (the source filters, or returns all; both work). */
export type SourceLookup = (source: CompletionSource, prefix: string) => Promise<string[]>

export interface Completion {
  line: string
  cursor: number
  /** Every candidate when more than one fits (to show); empty when the word was completed or nothing fits. */
  candidates: string[]
}

export async function complete (line: string, cursor: number, table: readonly ConsoleCommand[], lookup: SourceLookup): Promise<Completion> {
  const before = line.slice(0, cursor)
  const words = tokenize(before)
  const fresh = before === '' || /\s$/.test(before)
  const current = fresh ? { text: '', start: cursor, end: cursor } : words[words.length - 1]!
  const index = fresh ? words.length : words.length - 1
  let pool: string[]
  let spaceAfter = true
  if (index === 0) {
    pool = table.map(c => '/' + c.name)
  } else {
    const command = table.find(c => '/' + c.name === words[0]!.text.toLowerCase())
    if (command == null) return { line, cursor, candidates: [] }
    const previous = words[index - 1]?.text ?? ''
    const valueOf = command.options?.find(o => o.value === true && `--${o.name}` === previous)
    let source: CompletionSource | undefined
    if (valueOf != null) source = valueOf.source
    else if (current.text.startsWith('--')) pool = (command.options ?? []).map(o => `--${o.name}`)
    else {
      // The position among the arguments: words before, minus options and their values.
      let position = 0
      for (let i = 1; i < index; i++) {
        const w = words[i]!.text
        if (w.startsWith('--')) { if (command.options?.find(o => `--${o.name}` === w)?.value === true) i++; continue }
        position++
      }
      if (position === 0 && command.choices != null) pool = command.choices
      else {
        const spec = command.args[position] ?? (command.args.at(-1)?.rest === true ? command.args.at(-1) : undefined)
        source = spec?.source
      }
    }
    pool ??= source == null || source === 'none' ? [] : await lookup(source, current.text).catch(() => [])
    spaceAfter = !(source === 'path')
  }
  const fits = [...new Set(pool.filter(c => c.startsWith(current.text)))].sort()
  if (fits.length === 0) return { line, cursor, candidates: [] }
  const common = commonPrefix(fits)
  const one = fits.length === 1
  const ends = one && spaceAfter && !common.endsWith('/') ? ' ' : ''
  const replacement = escapeWord(common) + ends
  const head = line.slice(0, current.start)
  const tail = line.slice(cursor)
  return { line: head + replacement + tail, cursor: head.length + replacement.length, candidates: one ? [] : fits }
}

export function commonPrefix (items: readonly string[]): string {
  if (items.length === 0) return ''
  let p = items[0]!
  for (const s of items) while (!s.startsWith(p)) p = p.slice(0, -1)
  return p
}

/** Blanks and quotes escaped, so the parser reads the word back as it was. */
function escapeWord (w: string): string { return w.replace(/([\s"'\\])/g, '\\$1') }

/** Files and directories starting with `prefix` (directories end in /); ~ is the home directory. */
export async function pathCandidates (prefix: string, cwd: string): Promise<string[]> {
  const expanded = prefix.startsWith('~/') ? join(homedir(), prefix.slice(2)) : prefix
  const dirPart = expanded.endsWith('/') ? expanded : dirname(expanded)
  const shownDir = prefix.endsWith('/') ? prefix : prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : ''
  const entries = await readdir(resolve(cwd, prefix.includes('/') ? dirPart : '.'), { withFileTypes: true })
  return entries
    .filter(e => !e.name.startsWith('.') || prefix.slice(shownDir.length).startsWith('.'))
    .map(e => shownDir + e.name + (e.isDirectory() ? '/' : ''))
    .filter(c => c.startsWith(prefix))
}
