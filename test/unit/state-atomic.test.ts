// Records that belong together are written in one atomic batch (docs/SECURITY.md, the crash row):
// a process killed at any write leaves all of them or none. The kill is played by a backend whose
// n-th write fails before it lands, for every n, so a record set split over two writes is caught
// here deterministically, where the crash loop (test/integration/crash-consistency.test.ts) finds
// it only if a kill happens to fall between the two.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { NodeState } from '../../src/node/identity/state.ts'
import type { OwnedShare, HeldShare } from '../../src/node/identity/state.ts'

const storageKey = new Uint8Array(randomBytes(32))

/** A fresh state whose `killAt`-th write (0-based) dies before it lands, and every write after it. */
async function dyingState (killAt: number): Promise<NodeState> {
  const state = new NodeState({ memory: true }, storageKey)
  await state.open()
  const backend = state.db.backend
  const write = backend.batch.bind(backend)
  let writes = 0
  backend.batch = async ops => {
    if (writes++ >= killAt) throw new Error('killed')
    await write(ops)
  }
  return state
}

const share = { id: 'share-1', name: 'film.mkv' } as unknown as OwnedShare
const held = { id: 'share-2' } as unknown as HeldShare

/** What is there of one record set: present or not, per part. */
async function parts (state: NodeState, id: string, kind: 'owned' | 'held'): Promise<boolean[]> {
  const main = kind === 'owned' ? await state.owned.get(id) : await state.held.get(id)
  const out = [main != null, await state.leaves.get(id) != null]
  if (kind === 'owned') out.push(await state.tags.get(id) != null)
  return out
}

const allOrNothing = (p: boolean[], what: string): void => {
  assert.ok(p.every(x => x) || p.every(x => !x), `${what}: ${JSON.stringify(p)} (record, leaves${p.length > 2 ? ', tags' : ''}): some written, some not`)
}

test('a share and its leaves and tags are written all or none, whichever write the process dies at', async () => {
  for (let killAt = 0; killAt < 4; killAt++) {
    const state = await dyingState(killAt)
    await state.putOwned(share, randomBytes(64), randomBytes(32)).catch(() => {})
    allOrNothing(await parts(state, share.id, 'owned'), `putOwned killed at write ${killAt}`)
    await state.putHeld(held, randomBytes(64)).catch(() => {})
    allOrNothing(await parts(state, held.id, 'held'), `putHeld killed at write ${killAt}`)
  }
})

test('unsharing removes a share and its tags all or none', async () => {
  for (let killAt = 1; killAt < 4; killAt++) {
    const state = await dyingState(killAt)
    await state.putOwned(share, randomBytes(64), randomBytes(32))
    await state.deleteOwned(share.id).catch(() => {})
    const [owned, , tags] = await parts(state, share.id, 'owned')
    assert.equal(owned, tags, `deleteOwned killed at write ${killAt}: the record ${owned === true ? 'kept' : 'gone'}, its tags ${tags === true ? 'kept' : 'gone'}`)
  }
})
