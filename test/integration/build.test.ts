// `npm run build` (scripts/build.js) while processes run from dist/: the new build is written
// beside it and moved in file by file, each by one rename, so dist/ is whole at every moment. When it was deleted first,
// other test files running the CLI found modules missing (a CI failure), and so would a daemon
// that spawns a crypto worker or imports a module during a rebuild.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { NODE_BIN, REPO } from '../helpers/cli.ts'

test('dist/ stays whole while it is rebuilt, and no build directory is left behind', async () => {
  const watched = ['dist/.built', 'dist/cli/main.js', 'dist/src/node/units.js', 'dist/src/blocks/crypto/worker.js', 'dist/web/app.js'].map(f => join(REPO, f))
  for (const f of watched) assert.ok(existsSync(f), `${f} is built before the test (npm test builds first)`)
  const build = spawn(NODE_BIN, [join(REPO, 'scripts', 'build.js')], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  build.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number | null>(resolve => { build.once('exit', resolve) })
  let done = false
  void exited.then(() => { done = true })
  const missing = new Set<string>()
  let checks = 0
  while (!done) {
    for (const f of watched) if (!existsSync(f)) missing.add(f)
    checks++
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  assert.equal(await exited, 0, stderr)
  assert.ok(checks > 100, `checked ${checks} times while the build ran`)
  assert.deepEqual([...missing], [], 'files of dist/ missing during the build')
  assert.deepEqual(readdirSync(REPO).filter(n => n.startsWith('dist.')), [], 'no dist.next-*/dist.old-* left')
})
