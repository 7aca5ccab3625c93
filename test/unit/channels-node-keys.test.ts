// Node keys of channels (src/people/channels/node-key.ts): a writer's entries signed by a
// short-lived key its account certifies for one channel, rotated on a schedule (an injected
// clock, no sleeps), and the refusals every member makes: expired, not yet valid, too long-lived,
// certified by another account, for another channel, revoked. Old logs still verify once their
// node keys have expired, and entries signed by the account itself (before node keys) still do.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import { accountIdOf } from '../../src/node/identity/account-keys.ts'
import { MemoryBackend, SealedDb } from '../../src/store/index.ts'
import {
  append, buildView, Channels, ChannelStore, createChannel, DEFAULT_POLICY, parsePolicy, keepEntries, newNodeKey, readNodeCert, NODE_KEY_MS, readEntry, rotateNodeKey,
  signEntry, signerOf, signNodeCert, writeContent, writeGrant, writeNodeRevoke, type ChannelView, type HeldNodeKey, type Writer
} from '../../src/people/channels/index.ts'

const account = (): Writer => { const { privateKey } = generateKeyPairSync('ed25519'); return { id: accountIdOf(privateKey), privateKey } }
const T0 = 1_800_000_000_000
const HOUR = 3_600_000
const DAY = 24 * HOUR

/** A public channel whose owner and writer Bob sign with node keys; every entry held in one array. */
function world (): { id: string, owner: Writer, bob: Writer, entries: string[], view: (who?: Writer, now?: number) => ChannelView, bobKeys: HeldNodeKey[] } {
  const owner = account()
  const c = createChannel(owner, { name: 'room', private: false, policy: DEFAULT_POLICY, now: T0, nodeKey: {} })
  owner.node = signerOf(c.node!)
  const entries = [...c.entries]
  const view = (who?: Writer, now = T0 + HOUR): ChannelView => buildView(c.descriptor, entries, { ...(who != null ? { account: who } : {}), now })
  const bob = account()
  entries.push(writeGrant(view(owner), owner, bob.id, 'writer', { now: T0 + 1 }))
  const bobKeys = [newNodeKey(bob, c.id, T0 + 2)]
  bob.node = signerOf(bobKeys[0]!)
  return { id: c.id, owner, bob, entries, view, bobKeys }
}

const reasons = (v: ChannelView, author: string): string[] => v.refused.filter(r => r.author === author).map(r => r.reason)
const nodeOf = (text: string): string | undefined => { const e = readEntry(text); return 'fault' in e ? undefined : e.node }

test('a node key rotates on schedule (a third of its life left), and entries under the old and the new key verify', () => {
  const w = world()
  const first = writeContent(w.view(w.bob), w.bob, { k: 'post', text: 'under key 1' }, T0 + HOUR)
  w.entries.push(first)
  // Two thirds of 24 h is 16 h: not due before, due from then on.
  const early = rotateNodeKey(w.bobKeys, w.bob, w.id, T0 + 2 + 16 * HOUR - 1)
  assert.equal(early.rotated, false)
  assert.equal(early.current, w.bobKeys[0])
  const due = rotateNodeKey(w.bobKeys, w.bob, w.id, T0 + 2 + 16 * HOUR)
  assert.equal(due.rotated, true)
  assert.equal(due.held.length, 1, 'the old private key is dropped')
  assert.notEqual(due.current.cert, w.bobKeys[0]!.cert)
  w.bob.node = signerOf(due.current)
  const second = writeContent(w.view(w.bob, T0 + 17 * HOUR), w.bob, { k: 'post', text: 'under key 2' }, T0 + 17 * HOUR)
  w.entries.push(second)
  assert.notEqual(nodeOf(first), nodeOf(second))
  const v = w.view(undefined, T0 + 17 * HOUR)
  assert.deepEqual(v.refused, [])
  assert.deepEqual(v.posts.map(p => p.text), ['under key 1', 'under key 2'])
  assert.equal(v.heads[w.bob.id]!.node, w.bob.node.id)
  // The entries' signer is the node key, not the account.
  const e = readEntry(second)
  assert.ok(!('fault' in e) && e.node === due.current.cert)
})

test('an entry dated after its node key expired, or before it was valid, is refused', () => {
  const w = world()
  const v0 = w.view(w.bob)
  const chain = v0.authority!.chain
  const late = signEntry(w.bob.node!.key, { ch: w.id, author: w.bob.id, seq: 0, prev: null, at: T0 + 2 + NODE_KEY_MS, chain, node: w.bob.node!.cert, body: { k: 'post', text: 'after expiry' } })
  const v = buildView(v0.descriptor, [...w.entries, late], { now: T0 + 2 * DAY })
  assert.deepEqual(reasons(v, w.bob.id), ['its node key expired'])
  assert.equal(v.posts.length, 0)
  // The writer's side never signs with an expired key.
  assert.throws(() => writeContent(w.view(w.bob, T0 + 2 * DAY), w.bob, { k: 'post', text: 'x' }, T0 + 2 + NODE_KEY_MS), /node's key for the channel has expired/)
  // Dated more than the clock skew (10 min) before the key's certificate starts.
  const future = newNodeKey(w.bob, w.id, T0 + 5 * HOUR)
  const early = signEntry(signerOf(future).key, { ch: w.id, author: w.bob.id, seq: 0, prev: null, at: T0 + HOUR, chain, node: future.cert, body: { k: 'post', text: 'too early' } })
  assert.deepEqual(reasons(buildView(v0.descriptor, [...w.entries, early], { now: T0 + DAY }), w.bob.id), ['a node key not valid yet'])
})

test('a node-key certificate longer than 7 days, or not signed by the entry\'s account, is refused', () => {
  const w = world()
  const v0 = w.view(w.bob)
  const chain = v0.authority!.chain
  const post = (node: HeldNodeKey, text: string): string =>
    signEntry(createPrivateKey({ key: Buffer.from(node.key, 'base64'), format: 'der', type: 'pkcs8' }), { ch: w.id, author: w.bob.id, seq: 0, prev: null, at: T0 + HOUR, chain, node: node.cert, body: { k: 'post', text } })
  // Too long-lived: signed by Bob, but for 8 days (newNodeKey caps lifetimes, so it is signed by hand).
  const { privateKey } = generateKeyPairSync('ed25519')
  const long: HeldNodeKey = { cert: signNodeCert(w.bob.privateKey, { v: 1, ch: w.id, acct: w.bob.id, key: accountIdOf(privateKey), nb: T0, exp: T0 + 8 * DAY }), key: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') }
  assert.deepEqual(reasons(buildView(v0.descriptor, [...w.entries, post(long, 'long')], { now: T0 + DAY }), w.bob.id), ['a node-key certificate lives at most 7 days'])

  // Mallory certifies her node key in Bob's name: the certificate's signature is not Bob's.
  const mallory = account()
  const { privateKey: mk } = generateKeyPairSync('ed25519')
  const forgedCert: HeldNodeKey = { cert: signNodeCert(mallory.privateKey, { v: 1, ch: w.id, acct: w.bob.id, key: accountIdOf(mk), nb: T0, exp: T0 + DAY }), key: mk.export({ format: 'der', type: 'pkcs8' }).toString('base64') }
  const forged = readEntry(post(forgedCert, 'in bob\'s name'))
  assert.deepEqual(forged, { fault: 'forged (its node-key certificate is malformed or not signed by its account)' })
  // Mallory's own, genuine node key on an entry in Bob's name: the certificate is another account's.
  const hers = readEntry(post(newNodeKey(mallory, w.id, T0), 'also in bob\'s name'))
  assert.deepEqual(hers, { fault: 'forged (its node-key certificate is another account\'s)' })
  const v = buildView(v0.descriptor, [...w.entries, post(forgedCert, 'a'), post(newNodeKey(mallory, w.id, T0), 'b')], { now: T0 + DAY })
  assert.equal(v.posts.length, 0)
  assert.equal(v.refused.filter(r => /forged/.test(r.reason)).length, 2)
})

test('an entry whose node key is certified for another channel is refused', () => {
  const w = world()
  const other = createChannel(account(), { name: 'elsewhere', private: false, policy: DEFAULT_POLICY, now: T0 })
  const foreign = signerOf(newNodeKey(w.bob, other.id, T0))
  const text = signEntry(foreign.key, { ch: w.id, author: w.bob.id, seq: 0, prev: null, at: T0 + HOUR, chain: w.view(w.bob).authority!.chain, node: foreign.cert, body: { k: 'post', text: 'wrong room' } })
  const v = buildView(w.view().descriptor, [...w.entries, text], { now: T0 + DAY })
  assert.deepEqual(reasons(v, w.bob.id), ['a node-key certificate of another channel'])
  assert.equal(v.posts.length, 0)
})

test('a revoked node key: its entries from the revocation\'s place on are refused; the writer goes on with a new key', () => {
  const w = world()
  w.entries.push(writeContent(w.view(w.bob), w.bob, { k: 'post', text: 'before' }, T0 + HOUR))
  const stolen = w.bob.node!
  // A writer may not revoke another writer's node key; a moderator (the owner) may.
  const carol = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, carol.id, 'writer', { now: T0 + HOUR }))
  carol.node = signerOf(newNodeKey(carol, w.id, T0 + HOUR))
  assert.throws(() => writeNodeRevoke(w.view(carol), carol, w.bob.id, undefined, T0 + 2 * HOUR), /may not revoke/)
  w.entries.push(writeNodeRevoke(w.view(w.owner), w.owner, w.bob.id, undefined, T0 + 2 * HOUR))
  const after = w.view(w.bob, T0 + 2 * HOUR)
  assert.ok(after.revoked.includes(stolen.id))
  // Whoever holds the stolen key writes on in Bob's log: refused by every member.
  const thief = signEntry(stolen.key, { ch: w.id, author: w.bob.id, seq: 1, prev: after.heads[w.bob.id]!.id, at: T0 + 3 * HOUR, chain: after.authority!.chain, node: stolen.cert, body: { k: 'post', text: 'by the thief' } })
  const v = buildView(after.descriptor, [...w.entries, thief], { now: T0 + 4 * HOUR })
  assert.deepEqual(reasons(v, w.bob.id), ['signed by a revoked node key'])
  assert.deepEqual(v.posts.map(p => p.text), ['before'])
  assert.ok(v.members.some(m => m.account === w.bob.id), 'revoking a node key does not remove its account')
  // Bob's node sees its key revoked, makes a new one, and writes on (instead of the thief's entry).
  const rot = rotateNodeKey(w.bobKeys, w.bob, w.id, T0 + 3 * HOUR, { revoked: after.revoked })
  assert.equal(rot.rotated, true)
  w.bob.node = signerOf(rot.current)
  w.entries.push(writeContent(after, w.bob, { k: 'post', text: 'with a new key' }, T0 + 3 * HOUR))
  const ok = w.view(undefined, T0 + 4 * HOUR)
  assert.deepEqual(ok.refused, [])
  assert.deepEqual(ok.posts.map(p => p.text), ['before', 'with a new key'])
})

test('a member syncing an old log verifies entries under node keys long expired; account-signed entries (before node keys) still verify', async () => {
  const w = world()
  let keys = w.bobKeys
  for (let i = 0; i < 4; i++) {
    const at = T0 + HOUR + i * 20 * HOUR // each step is past the previous key's rotation time
    const rot = rotateNodeKey(keys, w.bob, w.id, at)
    keys = rot.held
    w.bob.node = signerOf(rot.current)
    w.entries.push(writeContent(w.view(w.bob, at), w.bob, { k: 'post', text: `day ${i}` }, at))
  }
  // One entry signed by Bob's account itself, as entries were before node keys.
  const legacy: Writer = { id: w.bob.id, privateKey: w.bob.privateKey }
  w.entries.push(writeContent(w.view(w.bob, T0 + 4 * DAY), legacy, { k: 'post', text: 'account-signed' }, T0 + 4 * DAY))
  assert.equal(nodeOf(w.entries.at(-1)!), undefined)
  assert.equal(new Set(w.entries.slice(2, 6).map(nodeOf)).size, 4, 'four node keys')
  const later = T0 + 30 * DAY // every node key expired long ago; Bob's writer certificate (90 days) has not
  const v = w.view(undefined, later)
  assert.deepEqual(v.refused, [])
  assert.deepEqual(v.posts.map(p => p.text), ['day 0', 'day 1', 'day 2', 'day 3', 'account-signed'])
  // A new member's store takes the whole log in a sync, checked at its own time.
  const store = new ChannelStore(new SealedDb(new MemoryBackend(), randomBytes(32)))
  await store.put({ id: w.id, descriptor: v.descriptor.text, joinedAt: later, peers: [] })
  assert.equal(await keepEntries(store, w.id, w.entries, later), w.entries.length)
})

test('a node (Channels, injected clock) rotates its key in the sync round\'s check, keeps it sealed, and its posts under both keys verify', async () => {
  let now = T0
  const { privateKey } = generateKeyPairSync('ed25519')
  const me = { id: accountIdOf(privateKey), privateKey }
  const backend = new MemoryBackend()
  const network = { address: 'mem:solo', registerProtocol: () => {}, dialProtocol: async () => { throw new Error('offline') } }
  const channels = new Channels({ account: me, db: new SealedDb(backend, randomBytes(32)), network, clock: () => now })
  const c = await channels.create('diary', { private: false })
  await channels.post(c.id, { k: 'post', text: 'morning' })
  const key1 = (await channels.store.get(c.id))!.nodeKeys!
  assert.equal(await channels.rotateNodeKeys(), 0, 'not due yet')
  now += 16 * HOUR
  assert.equal(await channels.rotateNodeKeys(), 1)
  const key2 = (await channels.store.get(c.id))!.nodeKeys!
  assert.equal(key2.length, 1)
  assert.notEqual(key2[0]!.cert, key1[0]!.cert)
  await channels.post(c.id, { k: 'post', text: 'evening' })
  const texts = await channels.store.texts(c.id)
  assert.deepEqual(texts.map(nodeOf).filter(n => n != null).sort(), [key1[0]!.cert, key1[0]!.cert, key2[0]!.cert].sort())
  // Its own key revoked: replaced first, so the revocation and what follows are signed by the next one.
  const r = await channels.revokeNodeKey(c.id)
  assert.equal(r.node, readNodeCert(key2[0]!.cert)!.id)
  const key3 = (await channels.store.get(c.id))!.nodeKeys!
  assert.notEqual(key3[0]!.cert, key2[0]!.cert)
  await channels.post(c.id, { k: 'post', text: 'night' })
  now += 2 * DAY
  const reading = await channels.read(c.id)
  assert.deepEqual(reading.refused, [])
  assert.deepEqual(reading.posts.map(p => p.text), ['morning', 'evening', 'night'])
  // The private node keys are not in clear at rest.
  const raw: Buffer[] = []
  for await (const [k, v] of backend.entries({})) raw.push(Buffer.from(k), Buffer.from(v))
  const blob = Buffer.concat(raw)
  for (const held of [...key1, ...key2]) {
    assert.equal(blob.includes(Buffer.from(held.key, 'base64')), false)
    assert.equal(blob.includes(held.key), false)
  }
  channels.close()
})


test('a node key may be revoked by the issuer of its account\'s certificate (without the moderate scope), not by another writer', () => {
  const policy = parsePolicy({ v: 1, roles: { curator: { may: ['post', 'invite'], maxDays: 30, grants: ['writer'] }, writer: { may: ['post'], maxDays: 30 } } })
  const owner = account()
  const c = createChannel(owner, { name: 'feed', private: false, policy, now: T0, nodeKey: {} })
  owner.node = signerOf(c.node!)
  const entries = [...c.entries]
  const view = (who?: Writer): ChannelView => buildView(c.descriptor, entries, { ...(who != null ? { account: who } : {}), now: T0 + DAY })
  const [cleo, bob, dan] = [account(), account(), account()]
  entries.push(writeGrant(view(owner), owner, cleo.id, 'curator', { now: T0 + 1 }))
  entries.push(writeGrant(view(owner), owner, dan.id, 'writer', { now: T0 + 2 }))
  for (const w of [cleo, bob, dan]) w.node = signerOf(newNodeKey(w, c.id, T0 + 3))
  entries.push(writeGrant(view(cleo), cleo, bob.id, 'writer', { now: T0 + 4 }))
  entries.push(writeContent(view(bob), bob, { k: 'post', text: 'bob' }, T0 + 5))
  const bobKey = view().heads[bob.id]!.node!
  const thiefAfter = (v: ChannelView): string => signEntry(bob.node!.key, { ch: c.id, author: bob.id, seq: 1, prev: v.heads[bob.id]!.id, at: T0 + 10, chain: v.authority!.chain, node: bob.node!.cert, body: { k: 'post', text: 'thief' } })
  // Dan, a writer beside Bob, may not: refused when written, ignored when signed anyway.
  assert.throws(() => writeNodeRevoke(view(dan), dan, bob.id, bobKey, T0 + 6), /may not revoke/)
  const byDan = [...entries, append(view(dan), dan, { k: 'revoke', cert: bobKey, upto: 1 }, T0 + 6)]
  const withDan = buildView(c.descriptor, [...byDan, thiefAfter(view(bob))], { now: T0 + DAY })
  assert.deepEqual(withDan.posts.map(p => p.text), ['bob', 'thief'])
  // Cleo, who invited Bob, may.
  entries.push(writeNodeRevoke(view(cleo), cleo, bob.id, bobKey, T0 + 6))
  const v = buildView(c.descriptor, [...entries, thiefAfter(view(bob))], { now: T0 + DAY })
  assert.deepEqual(reasons(v, bob.id), ['signed by a revoked node key'])
  assert.deepEqual(v.posts.map(p => p.text), ['bob'])
})
