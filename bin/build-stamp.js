// Whether dist/ (`npm run build`, stamped dist/.built) is newer than every source file under
// src/, cli/ and web/: the launcher runs dist/ only then, and the benchmarks rebuild otherwise.
// Plain JavaScript: the launcher imports it before anything is compiled.
import { join } from 'node:path'

// node:fs through getBuiltinModule, not an ES import: the ES facade of node:fs reads every
// export (fs.promises, ReadStream) and so loads a dozen internal modules, ~15 ms of every start
// (docs/DECISIONS.md, "CLI start-up").
const { readdirSync, statSync } = process.getBuiltinModule('node:fs')

/**
 * Newest modification time (ms) of the files under `dir`, 0 when it does not exist. Walked by hand:
 * readdirSync's `recursive` option took four times as long (~10 ms of every start, bench/cli.ts).
 */
function newest (dir) {
  let latest = 0
  const pending = [dir]
  while (pending.length > 0) {
    const current = pending.pop()
    let entries
    try { entries = readdirSync(current, { withFileTypes: true }) } catch { continue }
    for (const e of entries) {
      const path = join(current, e.name)
      if (e.isDirectory()) pending.push(path)
      else if (e.isFile()) latest = Math.max(latest, statSync(path).mtimeMs)
    }
  }
  return latest
}

/** True when `root`/dist holds a build at least as new as every file under src/, cli/ and web/. */
export function builtIsCurrent (root) {
  let stamp
  try { stamp = statSync(join(root, 'dist', '.built')).mtimeMs } catch { return false }
  return stamp >= Math.max(newest(join(root, 'src')), newest(join(root, 'cli')), newest(join(root, 'web')))
}
