// The version `oht --version` prints: package.json's, found beside the sources (cli/) or the
// build (dist/cli/), so one file says it.
import { join } from 'node:path'

// Not an ES import of node:fs: its facade costs every start ~15 ms (bin/build-stamp.js).
const { readFileSync } = process.getBuiltinModule('node:fs')

export function packageVersion (): string {
  for (const up of ['..', join('..', '..')]) {
    try {
      const pkg = JSON.parse(readFileSync(join(import.meta.dirname, up, 'package.json'), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'oht' && typeof pkg.version === 'string') return pkg.version
    } catch { /* not at this level */ }
  }
  return 'unknown'
}
