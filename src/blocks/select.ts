// Which files of a share a fetch selects (`oht fetch --file`, a stream's file). A selector names
// a file or a directory, either as the manifest has it (`share/sub/b.bin`) or relative to the
// share's top-level directory (`sub/b.bin`), which is how people see the share they fetched.

export class SelectionError extends Error {
  override name = 'SelectionError'
  readonly selector: string
  readonly paths: readonly string[]
  constructor (selector: string, paths: readonly string[]) {
    const shown = paths.slice(0, MAX_LISTED).join(', ') + (paths.length > MAX_LISTED ? `, … (${paths.length} files)` : '')
    super(`no file in the share matches ${JSON.stringify(selector)}; its files are: ${shown}`)
    this.selector = selector
    this.paths = paths
  }
}

const MAX_LISTED = 20

const covers = (selector: string, path: string): boolean => path === selector || path.startsWith(`${selector}/`)

/** The top-level directory every path is under, when there is one (a directory share). */
function commonRoot (paths: readonly string[]): string | undefined {
  const first = paths[0]?.split('/')
  if (first == null || first.length < 2) return undefined
  return paths.every(p => p.startsWith(`${first[0]!}/`)) ? first[0] : undefined
}

/**
 * The selectors in the manifest's own form (each covers a path, or the call throws a
 * SelectionError naming the share's files). An empty list selects everything.
 */
export function resolveSelection (paths: readonly string[], selectors: readonly string[]): string[] {
  const root = commonRoot(paths)
  return selectors.map(raw => {
    const s = raw.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '')
    if (s !== '' && paths.some(p => covers(s, p))) return s
    if (root != null) {
      const under = s === '' ? root : `${root}/${s}`
      if (paths.some(p => covers(under, p))) return under
    }
    throw new SelectionError(raw, paths)
  })
}

/** Whether `path` is among the (resolved) selection. */
export function isSelected (selection: readonly string[], path: string): boolean {
  return selection.length === 0 || selection.some(s => covers(s, path))
}
