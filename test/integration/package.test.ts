// The npm package as a user gets it: `npm pack`, installed from the tarball alone into an empty
// prefix (dependencies from the registry), then `oht --version`, `oht demo --transport tcp`,
// `ohtd --help`, and the programmatic API (`import { OhtNode } from 'oht'`, typed) from a script.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { builtIsCurrent } from '../../bin/build-stamp.js'
import { NODE_BIN, REPO, tempDir } from '../helpers/cli.ts'

const run = promisify(execFile)

test('the tarball installs into an empty prefix and runs: --version, demo, ohtd, the programmatic API', { timeout: 15 * 60_000 }, async t => {
  const tmp = await tempDir(t, 'oht-package-')
  const env = { ...process.env, PATH: `${join(REPO, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, NODE_TEST_CONTEXT: undefined, OHT_HOME: join(tmp, 'home'), npm_config_update_notifier: 'false' }
  const npm = async (args: string[], cwd: string): Promise<string> => (await run('npm', args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 })).stdout
  const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }

  // `npm pack` would run the `prepare` script, which deletes dist/ and builds it again: other test
  // files running the CLI from dist/ at the same time would find modules missing. `npm test` has
  // just built it; only a stale build (a developer's edit) is rebuilt, before packing.
  if (!builtIsCurrent(REPO)) await npm(['run', 'build'], REPO)
  const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO)) as Array<{ filename: string, files: Array<{ path: string }> }>
  const files = packed[0]!.files.map(f => f.path)
  for (const f of ['bin/oht.js', 'bin/ohtd.js', 'dist/cli/main.js', 'dist/src/node/sdk.js', 'dist/src/node/sdk.d.ts', 'dist/.built', 'dist/cli/i18n/en.bundle.js', 'dist/cli/i18n/de.bundle.js', 'LICENSE', 'README.md', 'packaging/systemd/oht.service', 'packaging/Dockerfile']) {
    assert.ok(files.includes(f), `the tarball holds ${f}`)
  }
  assert.ok(!files.some(f => /^(src|cli|test|bench)\//.test(f)), 'no sources or tests: the compiled JavaScript only')

  const prefix = join(tmp, 'prefix')
  await npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', join(tmp, packed[0]!.filename)], tmp)
  const oht = join(prefix, 'bin', 'oht')

  assert.equal((await run(oht, ['--version'], { env })).stdout.trim(), version)
  const demo = await run(oht, ['demo', '--transport', 'tcp', '--size', '2MiB'], { env, timeout: 5 * 60_000 })
  assert.match(demo.stdout, /demo passed/)
  assert.match((await run(join(prefix, 'bin', 'ohtd'), ['--help'], { env })).stdout, /^Usage: oht daemon/)
  // The catalogs come as one module per language (scripts/build.js): German from the tarball too.
  assert.match((await run(oht, ['--lang', 'de', 'config', '--help'], { env })).stdout, /die Konfigurationsdatei lesen und ändern/)

  // The programmatic API from an application that depends on the installed package.
  const app = join(tmp, 'app')
  await run('mkdir', ['-p', app])
  await symlink(join(prefix, 'lib', 'node_modules'), join(app, 'node_modules'))
  await writeFile(join(app, 'use.mts'), `import { OhtNode, type FetchEvent } from 'oht'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
const dir = process.argv[2]!
writeFileSync(join(dir, 'a.bin'), Buffer.alloc(300000, 7))
const seeder = await OhtNode.open({ dataDir: join(dir, 's'), transport: 'tcp', serve: true })
const shared = await seeder.share([join(dir, 'a.bin')])
const leecher = await OhtNode.open({ dataDir: join(dir, 'l'), transport: 'tcp' })
const events = new Set<string>()
leecher.on('fetch', (_id: string, e: FetchEvent) => { events.add(e.type) })
const r = await leecher.fetch(shared.link, { output: join(dir, 'out'), peers: [seeder.address!] })
const same = readFileSync(r.path).equals(readFileSync(join(dir, 'a.bin')))
console.log(JSON.stringify({ bytes: r.bytes, same, events: [...events], shares: (await seeder.list()).length }))
await leecher.close()
await seeder.close()
`)
  // Its types check against the package's declarations (strict, as a user's project would).
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2024', strict: true, noEmit: true, skipLibCheck: true, allowImportingTsExtensions: true, typeRoots: [join(REPO, 'node_modules', '@types')], types: ['node'] }, files: ['use.mts'] }))
  await run(NODE_BIN, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { env }).catch((err: { stdout: string }) => { assert.fail(`the API's types do not check:\n${err.stdout}`) })
  const used = JSON.parse((await run(NODE_BIN, [join(app, 'use.mts'), tmp], { cwd: app, env, timeout: 120_000 })).stdout) as { bytes: number, same: boolean, events: string[], shares: number }
  assert.equal(used.bytes, 300000)
  assert.ok(used.same, 'fetched bytes are identical')
  assert.ok(used.events.includes('progress') && used.events.includes('metadata'), used.events.join(','))
  assert.equal(used.shares, 1)
})
