// `npm run build`: compiles src/ and cli/ to dist/ with tsc (which also type-checks them), copies
// the plain .js files tsc does not emit (the crypto worker), and stamps the build so bin/oht.js
// can tell a current build from a stale one.
import { execFileSync } from 'node:child_process'
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = join(import.meta.dirname, '..')
const dist = join(root, 'dist')
rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
for (const top of ['src', 'cli']) {
  for (const e of readdirSync(join(root, top), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.js')) {
      const from = join(e.parentPath, e.name)
      cpSync(from, join(dist, relative(root, from)))
    }
  }
}
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`)
