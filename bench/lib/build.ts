// The oht CLI a benchmark spawns must be the compiled one: bin/oht.js silently falls back to
// running the TypeScript sources when dist/ is older than them (~25 MiB more RSS per process,
// slower start), which would make a benchmark measure a build no user runs.
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function newest (dir: string): number {
  let latest = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) latest = Math.max(latest, statSync(join(e.parentPath, e.name)).mtimeMs)
  }
  return latest
}

/** Runs `npm run build`'s script when dist/ is missing or older than src/ or cli/; says so on stderr. */
export function ensureCurrentBuild (root: string): void {
  let stamp = 0
  try { stamp = statSync(join(root, 'dist', '.built')).mtimeMs } catch {}
  if (stamp >= Math.max(newest(join(root, 'src')), newest(join(root, 'cli')))) return
  process.stderr.write('dist/ is older than the sources: building it first (node scripts/build.js)\n')
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js')], { stdio: 'inherit' })
}
