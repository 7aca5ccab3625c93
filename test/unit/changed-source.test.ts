// The owner's side and the fetcher's side of a share whose files changed on disk, in one process
// over the memory transport: the fetch fails with the owner's reason, the owner lists the share
// broken and no longer offers it. (test/integration/changed-source.test.ts does the same with
// daemons over TCP.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryNetwork, MemoryTransport } from '../../src/onion/memory.ts'
import { NodeRuntime } from '../../src/node/runtime.ts'
import { parseReadCap, verifyCapOf } from '../../src/blocks/index.ts'
import { FetchError } from '../../src/node/transfers/index.ts'

/** An owner listening and a fetcher, memory-only nodes on one memory network, and a folder. */
async function twoNodes (t: { after: (fn: () => Promise<void>) => void }): Promise<{ dir: string, owner: NodeRuntime, fetcher: NodeRuntime, address: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-changed-'))
  const network = new MemoryNetwork()
  const owner = await NodeRuntime.open({ dataDir: join(dir, 'owner'), memory: true, transport: () => new MemoryTransport(network) })
  const fetcher = await NodeRuntime.open({ dataDir: join(dir, 'fetcher'), memory: true, transport: () => new MemoryTransport(network) })
  t.after(async () => { await fetcher.close(); await owner.close(); await rm(dir, { recursive: true, force: true }) })
  return { dir, owner, fetcher, address: await owner.network!.listen() }
}

test('a file rewritten in place: the fetch fails naming the cause, the owner marks the share broken and leaves its swarm', async t => {
  const { dir, owner, fetcher, address } = await twoNodes(t)
  const file = join(dir, 'film.bin')
  await writeFile(file, randomBytes(1024 * 1024))
  // A whole second: the time set again below is then exactly the one shared.
  await utimes(file, 1_700_000_000, 1_700_000_000)
  const shared = await owner.service.share([file], {})
  await writeFile(file, randomBytes(1024 * 1024))
  await utimes(file, 1_700_000_000, 1_700_000_000)

  await assert.rejects(fetcher.service.fetch(parseReadCap(shared.link), { output: join(dir, 'out'), peers: [address] }),
    // The owner's reason names its paths: the peer is told the cause, not them.
    (err: unknown) => err instanceof FetchError && err.code === 'fetch.noSource' && /the owner's files changed on disk/.test(err.message) && !err.message.includes(dir))
  const listed = (await owner.service.list()).find(s => s.id === shared.id)
  assert.match(listed?.broken ?? '', /no longer matches the share/)
  const status = await owner.service.status()
  assert.deepEqual(status.broken?.map(b => b.id), [shared.id])
  assert.equal(status.swarms.some(s => s.id === shared.id), false, 'no longer offered')
  // Asked again, the owner offers it no more.
  await assert.rejects(fetcher.service.fetch(parseReadCap(shared.link), { output: join(dir, 'out2'), peers: [address] }), FetchError)
})

test('a peer that advertises every block and refuses every request: the fetch ends with one clear error instead of asking forever', async t => {
  const { dir, owner, fetcher, address } = await twoNodes(t)
  await writeFile(join(dir, 'data.bin'), randomBytes(600_000))
  const shared = await owner.service.share([join(dir, 'data.bin')], {})
  const cap = parseReadCap(shared.link)
  // The same share offered again from a source that has every block and serves none.
  const held = (await owner.node.ciphertextSource(cap.manifestCid))!
  const leaves = (await owner.node.state.getLeaves(shared.id))!
  owner.network!.closeSwarm(shared.id)
  await owner.network!.seed(cap.manifestCid, verifyCapOf(cap).swarmKey, held.manifestBytes, leaves, {
    kind: 'blockstore', has: async () => true, get: async () => { throw new Error('not today') }
  })
  let requests = 0
  // Far past what the bound allows, the test fails at once (without the bound the fetch asked for ever).
  const runaway = new Promise<never>((_resolve, reject) => {
    fetcher.network!.on('swarm', (_id, e) => { if (e.type === 'block:requested' && ++requests === 100) reject(new Error(`${requests} requests for 3 blocks: refused blocks asked again without bound`)) })
  })
  await assert.rejects(Promise.race([fetcher.service.fetch(cap, { output: join(dir, 'out'), peers: [address] }), runaway]),
    (err: unknown) => err instanceof FetchError && err.code === 'fetch.noSource' && /refused it/.test(err.message))
  // Each of the 3 blocks asked at most twice (a seed may deflect once).
  assert.ok(requests <= 6, `${requests} requests`)
})
