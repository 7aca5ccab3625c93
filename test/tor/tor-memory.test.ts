// A memory-only daemon over Tor (private Tor network on 127.0.0.1): attached to a client tor with
// --tor-control, its onion service is added with Flags=DiscardPK, so its address is new on every
// start and its key is written nowhere (not in tor's DataDirectory either); it fetches a share
// from a seeder with a data directory, and when it stops nothing of it is left in the HOME and
// temp folders it was given. The seeder's data directory and the client tor's name nothing of
// the share at rest.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, it } from 'node:test'
import type { TorTestNetwork } from '../../src/onion/tor/testnet.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { startTestNetwork } from '../helpers/tor-network.ts'
import { generateFile } from '../../cli/demo.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { listTree, NODE_BIN, OHT_BIN, REPO, oht, ohtJson } from '../helpers/cli.ts'

let network: TorTestNetwork
let client: TorProcess
let dir = ''
let seeder: Daemon | undefined

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-tor-memory-'))
  network = await startTestNetwork()
  client = await network.startClient()
})

after(async () => {
  await seeder?.stop()
  await network?.stop()
  await rm(dir, { recursive: true, force: true })
})

async function filesUnder (root: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name))
  return out
}

/** `oht --memory --tor-control … daemon` with `env`; resolves at its listening line. */
async function memoryDaemon (env: NodeJS.ProcessEnv): Promise<{ address: string, stop: () => Promise<void> }> {
  const proc = spawn(NODE_BIN, [OHT_BIN, '--memory', '--transport', 'tor', '--tor-control', `127.0.0.1:${client.controlPort}`, '--tor-cookie', client.cookieFile, '--json', 'daemon'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  proc.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<void>(resolve => proc.once('exit', () => { resolve() }))
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`memory daemon did not start: ${err}`)) }, 180_000)
    createInterface({ input: proc.stdout }).once('line', l => { clearTimeout(timer); resolve(l) })
    proc.once('exit', code => { clearTimeout(timer); reject(new Error(`memory daemon exited with ${code}: ${err}`)) })
  })
  return { address: (JSON.parse(line) as { address: string }).address, stop: async () => { proc.kill('SIGTERM'); await exited } }
}

describe('a memory-only daemon over Tor', { timeout: 600_000 }, () => {
  it('gets a new onion address on every start, keeps its key nowhere, fetches, and leaves nothing', async () => {
    seeder = await startDaemon(join(dir, 'seeder'), ['--transport', 'tor', '--tor-control', `127.0.0.1:${client.controlPort}`, '--tor-cookie', client.cookieFile], 180_000)
    const input = join(dir, 'night-train-7Q.bin')
    await generateFile(input, 1024 * 1024 + 77)
    const link = (await ohtJson<{ link: string }>(seeder.dataDir, ['share', input], { timeoutMs: 120_000 })).value.link

    const home = join(dir, 'home')
    const tmp = join(dir, 'tmp')
    for (const d of [home, tmp]) await mkdir(d, { mode: 0o700 })
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: tmp, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, OHT_PASSPHRASE: undefined }
    for (const k of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR', 'OHT_HOME']) delete env[k]
    const cliEnv = { HOME: home, TMPDIR: tmp, XDG_DATA_HOME: undefined, XDG_CONFIG_HOME: undefined, XDG_RUNTIME_DIR: undefined, OHT_HOME: undefined }

    const first = await memoryDaemon(env)
    const out = join(home, 'Downloads')
    const got = await oht(undefined, ['--memory', 'fetch', link, '--peer', seeder.address, '-o', out], { env: cliEnv, timeoutMs: 240_000 })
    assert.equal(got.code, 0, got.stderr)
    assert.equal(sha(await readFile(join(out, 'night-train-7Q.bin'))), sha(await readFile(input)))
    await first.stop()
    const second = await memoryDaemon(env)
    await second.stop()
    assert.match(first.address, /^onion:[a-z2-7]{56}\.onion:\d+$/)
    assert.notEqual(second.address, first.address, 'a memory node gets a new onion address on every start')

    // Tor keeps no key or trace of the discarded services on disk.
    const ids = [first.address, second.address].map(a => a.slice('onion:'.length, 'onion:'.length + 56))
    for (const f of await filesUnder(join(network.root, 'client0'))) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0))
      for (const id of ids) assert.ok(!bytes.includes(id), `${id} found in tor's ${f}`)
    }
    assert.deepEqual([...(await listTree(tmp)).keys()], [], 'nothing left in the temp folder')

    // The seeder keeps a data directory: at rest it names neither the share, the file, its node
    // id nor its onion address (onion.key is sealed), and the client tor's DataDirectory names
    // none of them either (issue 16's grep, over Tor).
    await seeder.stop()
    const id = link.slice('oht://'.length, link.indexOf('#'))
    const key = link.slice(link.indexOf('#') + 1)
    const onion = seeder.address.slice('onion:'.length, 'onion:'.length + 56)
    const needles = ['night-train-7Q', input, id, key, seeder.nodeId, onion].map(n => Buffer.from(n))
    needles.push(Buffer.from(key, 'base64url'), Buffer.from(seeder.nodeId, 'hex'))
    for (const f of [...await filesUnder(seeder.dataDir), ...await filesUnder(join(network.root, 'client0'))]) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0))
      for (const n of needles) assert.ok(!bytes.includes(n), `${n.toString('latin1').slice(0, 24)}… found in ${f}`)
    }
    assert.deepEqual([...(await listTree(home)).keys()], ['Downloads', 'Downloads/night-train-7Q.bin'], 'only the fetched file under HOME')
  })
})
