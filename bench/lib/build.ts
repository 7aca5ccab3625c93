// The oht CLI a benchmark spawns must be the compiled one: bin/oht.js silently falls back to
// running the TypeScript sources when dist/ is older than them (~25 MiB more RSS per process,
// slower start), which would make a benchmark measure a build no user runs.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { builtIsCurrent } from '../../bin/build-stamp.js'

/** Runs `npm run build`'s script when dist/ is missing or older than src/ or cli/; says so on stderr. */
export function ensureCurrentBuild (root: string): void {
  if (builtIsCurrent(root)) return
  process.stderr.write('dist/ is older than the sources: building it first (node scripts/build.js)\n')
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js')], { stdio: 'inherit' })
}
