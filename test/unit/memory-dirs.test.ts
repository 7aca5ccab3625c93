// `--memory` with oht's own tor: the Tor transport the CLI makes puts tor's DataDirectory in a
// fresh private folder (0700) of the runtime directory, and that folder goes when the process
// exits (cli/memory.ts). A real process: it makes the transport (tor itself starts only on
// listen), writes into the folder as tor would, and exits.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { NODE_BIN, REPO, tempDir } from '../helpers/cli.ts'

const script = `
const { makeTorTransport } = await import('./cli/tor.ts')
const { statSync, writeFileSync, readdirSync } = await import('node:fs')
makeTorTransport({ memory: true }, { quiet: true, json: false, warn: () => {} })
const dirs = readdirSync(process.env.TMPDIR).filter(n => n.startsWith('oht-tor-'))
const dir = process.env.TMPDIR + '/' + dirs[0]
writeFileSync(dir + '/cached-consensus', 'as tor would')
console.log(JSON.stringify({ dirs, mode: statSync(dir).mode & 0o777 }))
`

test('the memory node\'s own tor gets a private DataDirectory that is gone when the process exits', async t => {
  const tmp = join(await tempDir(t, 'oht-memory-dirs-'), 'tmp')
  await mkdir(tmp, { mode: 0o700 })
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined }
  delete env.XDG_RUNTIME_DIR
  const { stdout } = await promisify(execFile)(NODE_BIN, ['--input-type=module', '-e', script], { cwd: REPO, env })
  const seen = JSON.parse(stdout) as { dirs: string[], mode: number }
  assert.equal(seen.dirs.length, 1, 'one folder for tor, in the temp dir')
  assert.equal(seen.mode, 0o700)
  assert.deepEqual(await readdir(tmp), [], 'gone at exit, with what tor wrote')
})
