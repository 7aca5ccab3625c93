// Introductions (src/people/contacts/introductions.ts): a statement signed by the introducer
// checks only for the same introducer, introduced account, recipient and time; altered, expired,
// future-dated or malformed ones do not; both account kinds sign; the book keeps a bounded number;
// the wire refuses a malformed `via` (and a malformed file message, `oht send --to`).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { randomBytes } from 'node:crypto'
import { generateAccountKey, accountIdOf, type AccountKind } from '../../src/node/identity/account-keys.ts'
import { MemoryBackend, SealedDb } from '../../src/store/index.ts'
import {
  checkIntroduction, IntroductionBook, INTRODUCTION_TTL_MS, MAX_INTRODUCTIONS, parsePayload, PeopleProtocolError, signIntroduction
} from '../../src/people/index.ts'

const account = (kind: AccountKind = 'ed25519'): { id: string, privateKey: ReturnType<typeof generateAccountKey> } => {
  const privateKey = generateAccountKey(kind)
  return { id: accountIdOf(privateKey), privateKey }
}
const NOW = 1_800_000_000_000

describe('introductions', () => {
  const bob = account().id
  const carol = account('secp256k1').id

  for (const kind of ['ed25519', 'secp256k1'] as const) {
    it(`a ${kind} introducer's statement checks for exactly what it says`, () => {
      const alice = account(kind)
      const via = signIntroduction(alice, bob, carol, NOW)
      assert.equal(via.account, alice.id)
      assert.equal(checkIntroduction(via, bob, carol, NOW), true)
      assert.equal(checkIntroduction(via, carol, bob, NOW), false, 'the two sides swapped')
      assert.equal(checkIntroduction(via, bob, account().id, NOW), false, 'shown to someone else')
      assert.equal(checkIntroduction({ ...via, at: NOW + 1 }, bob, carol, NOW), false, 'another time')
      assert.equal(checkIntroduction({ ...via, account: account().id }, bob, carol, NOW), false, 'claimed by another account')
      const sig = Buffer.from(via.sig, 'base64url')
      sig[5]! ^= 1
      assert.equal(checkIntroduction({ ...via, sig: sig.toString('base64url') }, bob, carol, NOW), false, 'an altered signature')
      assert.equal(checkIntroduction(via, bob, carol, NOW + INTRODUCTION_TTL_MS + 1), false, 'expired')
      assert.equal(checkIntroduction(signIntroduction(alice, bob, carol, NOW + 3600_000), bob, carol, NOW), false, 'dated in the future')
      assert.equal(checkIntroduction({ ...via, sig: 'x' }, bob, carol, NOW), false, 'malformed')
      assert.equal(checkIntroduction({ ...via, account: 'not-an-account' }, bob, carol, NOW), false, 'malformed account')
    })
  }

  it('the wire takes an intro and a request with a via, and refuses malformed ones', () => {
    const via = signIntroduction(account(), bob, carol, NOW)
    const enc = (p: unknown): Uint8Array => Buffer.from(JSON.stringify(p))
    assert.equal(parsePayload(enc({ k: 'intro', id: 'i1', account: bob, addr: 'tcp:127.0.0.1:1', node: null, via })).k, 'intro')
    assert.equal(parsePayload(enc({ k: 'request', id: 'r1', text: 'hi', via })).k, 'request')
    for (const bad of [
      { k: 'intro', id: 'i1', account: bob, addr: null, node: null },
      { k: 'intro', id: 'i1', account: bob, addr: 5, node: null, via },
      { k: 'intro', id: 'i1', account: 'x'.repeat(500), addr: null, node: null, via },
      { k: 'request', id: 'r1', text: 'hi', via: { account: bob, at: 'soon', sig: 'x' } },
      { k: 'request', id: 'r1', text: 'hi', via: 'alice said so' }
    ]) assert.throws(() => parsePayload(enc(bad)), (e: Error) => e instanceof PeopleProtocolError && e.code === 'bad-frame', JSON.stringify(bad).slice(0, 60))
  })

  it('the wire takes a file message (oht send --to) and refuses a malformed one', () => {
    const enc = (p: unknown): Uint8Array => Buffer.from(JSON.stringify(p))
    const ok = { k: 'file', id: 'f1', link: 'oht://abc#def', name: 'plans.pdf', bytes: 1234, peers: ['tcp:127.0.0.1:4001'] }
    assert.equal(parsePayload(enc(ok)).k, 'file')
    for (const bad of [
      { ...ok, link: 'https://example.org/x' },
      { ...ok, link: 'oht://' + 'a'.repeat(3000) },
      { ...ok, name: '' },
      { ...ok, bytes: -1 },
      { ...ok, bytes: 1.5 },
      { ...ok, peers: Array(9).fill('tcp:127.0.0.1:1') },
      { ...ok, peers: [5] },
      { ...ok, peers: 'tcp:127.0.0.1:1' }
    ]) assert.throws(() => parsePayload(enc(bad)), (e: Error) => e instanceof PeopleProtocolError && e.code === 'bad-frame', JSON.stringify(bad).slice(0, 80))
  })

  it('the book keeps the newest introductions, one per account', async () => {
    const db = new SealedDb(new MemoryBackend(), randomBytes(32))
    await db.open()
    const book = new IntroductionBook(db)
    const alice = account()
    const ids: string[] = []
    for (let i = 0; i < MAX_INTRODUCTIONS + 3; i++) {
      const id = randomBytes(32).toString('hex')
      ids.push(id)
      await book.add({ account: id, via: { account: alice.id, at: NOW + i, sig: 'x' }, address: null, node: null })
    }
    const kept = await book.list()
    assert.equal(kept.length, MAX_INTRODUCTIONS)
    assert.deepEqual(kept.map(k => k.account), ids.slice(3))
    await book.add({ account: ids.at(-1)!, via: { account: alice.id, at: NOW + 10_000, sig: 'y' }, address: null, node: null })
    assert.equal((await book.list()).length, MAX_INTRODUCTIONS)
    assert.equal((await book.get(ids.at(-1)!))?.via.sig, 'y')
  })
})
