// The pin store's leases on an injected time (`sweep(now)`): expiry, quota release, `never`
// leases, renewals that never shorten, and blocks shared between shares kept while one claims them.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { blockCid, CipherBlockstore } from '../../src/blocks/index.ts'
import { NodeState } from '../../src/node/identity/state.ts'
import { LOCAL_HOLDER, PinStore, type PinRecord } from '../../src/node/pins/pin-store.ts'

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest()

/** A share's blocks written to the store: its id (the manifest's CID) and leaves. */
async function putShare (blocks: CipherBlockstore, ciphertexts: Buffer[]): Promise<{ id: string, leaves: Uint8Array }> {
  const manifest = randomBytes(200)
  const id = blockCid(sha(manifest))
  await blocks.put(id, manifest)
  for (const c of ciphertexts) await blocks.put(blockCid(sha(c)), c)
  return { id: id.toString(), leaves: new Uint8Array(Buffer.concat(ciphertexts.map(sha))) }
}

function record (id: string, holder: string, expiresAt: number | null, bytes: number): PinRecord {
  return { id, holder, swarmKey: 'k', expiresAt, state: 'active', bytes, blockCount: 3, peers: [], createdAt: 0, renewedAt: 0 }
}

/** A memory state and a block store in a temp folder, both closed and removed after the test. */
async function openStores (t: TestContext): Promise<{ state: NodeState, blocks: CipherBlockstore }> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-pinstore-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const state = new NodeState({ memory: true }, new Uint8Array(randomBytes(32)))
  await state.open()
  const blocks = new CipherBlockstore(join(dir, 'blocks'))
  await blocks.open()
  t.after(async () => { await blocks.close(); await state.close() })
  return { state, blocks }
}

test('leases expire on the sweep clock, release their quota and blocks, keep shared blocks and never-leases', async t => {
  const { state, blocks } = await openStores(t)
  const store = new PinStore(state, blocks, { batchSize: 2 })

  const shared = randomBytes(1000)
  const only = [randomBytes(1000), randomBytes(1000)]
  const a = await putShare(blocks, [only[0]!, shared, only[1]!])
  const b = await putShare(blocks, [shared, randomBytes(1000)])
  const t0 = 1_800_000_000_000
  await store.claim(record(a.id, 'acct', t0 + 60_000, 3000), a.leaves)
  await store.claim(record(b.id, LOCAL_HOLDER, null, 2000), b.leaves)
  assert.equal(await store.refCount(sha(shared).toString('hex')), 2, 'the shared block is claimed by both')
  assert.equal(await store.usage('acct'), 3000)

  // A renewal to an earlier end keeps the later one.
  await store.claim(record(a.id, 'acct', t0 + 1_000, 3000), a.leaves)
  assert.equal((await store.get(a.id, 'acct'))?.expiresAt, t0 + 60_000)
  assert.equal(await store.usage('acct'), 3000, 'a renewal does not count twice')

  const early = await store.sweep(t0 + 59_999)
  assert.equal(early.pinsCollected, 0, 'nothing collected before its lease ends')
  assert.equal(await store.nextExpiry(), t0 + 60_000)

  const due = await store.sweep(t0 + 60_001)
  assert.equal(due.pinsCollected, 1)
  assert.equal(due.blocksDeleted, 3, 'the manifest and the two blocks only this share had')
  assert.equal(await store.usage('acct'), 0, 'the quota is free again')
  assert.equal(await store.get(a.id, 'acct'), undefined)
  for (const c of only) assert.equal(await blocks.has(blockCid(sha(c))), false)
  assert.equal(await blocks.has(blockCid(sha(shared))), true, 'still claimed by the other share')
  assert.equal(await store.refCount(sha(shared).toString('hex')), 1)
  assert.deepEqual(await store.journals(), [], 'the sweep finished its journal')

  const century = await store.sweep(t0 + 100 * 365 * 86_400_000)
  assert.equal(century.pinsCollected, 0, 'a never-lease is never collected')
  assert.equal(await store.nextExpiry(), undefined)
  assert.equal((await store.list()).length, 1)
  assert.deepEqual((await store.audit()).wrong, [])
})

test('two claims of one account at once: the quota is weighed under the lock, so only the one that fits is recorded', async t => {
  const { blocks, state } = await openStores(t)
  const store = new PinStore(state, blocks)
  const a = await putShare(blocks, [randomBytes(1000), randomBytes(1000), randomBytes(1000)])
  const b = await putShare(blocks, [randomBytes(1000), randomBytes(1000), randomBytes(1000)])
  // As the pin protocol's admit: the account's holdings read, then refused past a 4000-byte quota.
  // The pause between the read and the answer is where two unlocked claims would both fit.
  const admit = async (bytes: number): Promise<void> => {
    const { bytes: used } = await store.holdings('acct')
    await new Promise(resolve => setTimeout(resolve, 20))
    if (used + bytes > 4000) throw new Error('quota exceeded')
  }
  const results = await Promise.allSettled([
    store.claim(record(a.id, 'acct', null, 3000), a.leaves, admit),
    store.claim(record(b.id, 'acct', null, 3000), b.leaves, admit)
  ])
  assert.deepEqual(results.map(r => r.status).sort(), ['fulfilled', 'rejected'], 'one of two 3000-byte pins fits a 4000-byte quota')
  assert.equal(await store.usage('acct'), 3000)
})

test('an audit while a sweep releases claims sees a consistent count (it waits for the step, not half of it)', async t => {
  const { state, blocks } = await openStores(t)
  const store = new PinStore(state, blocks, { batchSize: 1 })
  const shares = []
  for (let i = 0; i < 4; i++) shares.push(await putShare(blocks, Array.from({ length: 6 }, () => randomBytes(300))))
  for (const s of shares) await store.claim(record(s.id, LOCAL_HOLDER, null, 1800), s.leaves)
  for (const s of shares) assert.equal(await store.release(s.id, LOCAL_HOLDER), true)
  // Each sweep step releases one claim; audits run beside it, as a client's check after a restart does.
  const sweeping = store.sweep()
  const audits: Array<Awaited<ReturnType<PinStore['audit']>>> = []
  while (audits.length < 200 && (await store.journals()).length > 0) audits.push(await store.audit())
  await sweeping
  audits.push(await store.audit())
  const wrong = audits.filter(a => a.wrong.length > 0)
  assert.deepEqual(wrong.map(a => a.wrong), [], `${wrong.length} of ${audits.length} audits saw counts off`)
  assert.deepEqual(await store.journals(), [])
})
