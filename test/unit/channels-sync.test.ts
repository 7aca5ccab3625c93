// Channels between nodes (src/people/channels Channels + the `channel` protocol), over in-memory
// stream pairs standing in for onion connections: joining, pushing, catching up after being
// offline, removal with key rotation, hostile peers, nothing in clear at rest, and a node key
// revoked by the owner.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { duplexPair } from 'node:stream'
import { accountIdOf } from '../../src/node/identity/account-keys.ts'
import { MemoryBackend, SealedDb } from '../../src/store/index.ts'
import { FrameReader, writeFrame, type HandshakeResult } from '../../src/onion/index.ts'
import { MAX_ARRIVAL_REFUSALS } from '../../src/people/channels/arrivals.ts'
import { buildView, Channels, CHANNEL_PROTOCOL, keepEntries, readDescriptor, readNodeCert, signEntry, signerOf, type ChannelEvent, type ChannelNetwork } from '../../src/people/channels/index.ts'

type Handler = (s: HandshakeResult) => void
const hub = new Map<string, Handler>()
/** The answering end of the newest session (a hostile test watches it close). */
let lastServed: import('node:stream').Duplex | undefined

function network (address: string): ChannelNetwork {
  return {
    address,
    registerProtocol: (protocol, handler) => { if (protocol === CHANNEL_PROTOCOL) hub.set(address, handler) },
    dialProtocol: async (to, protocol) => {
      const h = hub.get(to)
      if (h == null) throw new Error(`${to} is offline`)
      const [a, b] = duplexPair()
      lastServed = b
      h({ remoteNodeId: '00', remotePublicKey: new Uint8Array(32), protocol, stream: b })
      return { remoteNodeId: '00', remotePublicKey: new Uint8Array(32), protocol, stream: a }
    }
  }
}

interface Node { channels: Channels, backend: MemoryBackend, account: { id: string, privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'] }, address: string }

function node (name: string, restarted?: Node & { db: SealedDb }): Node & { db: SealedDb } {
  const { privateKey } = generateKeyPairSync('ed25519')
  const account = restarted?.account ?? { id: accountIdOf(privateKey), privateKey }
  const backend = restarted?.backend ?? new MemoryBackend()
  const db = restarted?.db ?? new SealedDb(backend, randomBytes(32))
  const address = `mem:${name}`
  const channels = new Channels({ account, db, network: network(address) })
  return { channels, backend, account, address, db }
}

const posted = (n: Node, text: string): Promise<unknown> => new Promise(resolve => {
  const on = (e: ChannelEvent): void => { if (e.type === 'channel-post' && e.post.text === text) { n.channels.off('event', on); resolve(e) } }
  n.channels.on('event', on)
})

test('a private channel between three nodes: join, push, catch-up, removal, refusal', async () => {
  const alice = node('alice')
  const bob = node('bob')
  const carol = node('carol')
  const c = await alice.channels.create('garden club', { private: true })
  await alice.channels.invite(c.id, bob.account.id, 'writer')
  await alice.channels.invite(c.id, carol.account.id, 'writer')
  const joined = await bob.channels.join(c.id, { peers: [alice.address] })
  assert.deepEqual([joined.name, joined.private, joined.role], ['garden club', true, 'writer'])
  await carol.channels.join(c.id, { peers: [bob.address] }) // from any member, not only the owner

  // Bob posts: pushed to Alice at once (the event), Carol gets it at her next sync.
  const atAlice = posted(alice, 'first rose')
  await bob.channels.post(c.id, { k: 'post', text: 'first rose' })
  await atAlice
  await carol.channels.sync(c.id)
  assert.deepEqual((await carol.channels.read(c.id)).posts.map(p => p.text), ['first rose'])

  // Carol is offline for 20 posts, then catches up from Bob alone.
  const carolServes = hub.get(carol.address)!
  hub.delete(carol.address)
  for (let i = 0; i < 20; i++) await alice.channels.post(c.id, { k: 'post', text: `tip ${i}` })
  await bob.channels.sync(c.id, { peers: [alice.address] })
  hub.set(carol.address, carolServes) // back
  const r = await carol.channels.sync(c.id, { peers: [bob.address] })
  assert.ok(r.received >= 20, JSON.stringify(r))
  assert.equal((await carol.channels.read(c.id)).posts.length, 21)

  // Carol is removed: the key rotates; what Bob posts next she cannot read.
  const carolBefore = await carol.channels.read(c.id)
  const removed = await alice.channels.remove(c.id, carol.account.id)
  assert.equal(removed.rotated, true)
  await bob.channels.sync(c.id, { peers: [alice.address] })
  await bob.channels.post(c.id, { k: 'post', text: 'without carol' })
  assert.equal(carolBefore.summary.role, 'writer')
  // Carol has not synced yet and still thinks she may post: Alice refuses her post.
  const refused = new Promise<string>(resolve => { alice.channels.on('event', e => { if (e.type === 'channel-refused' && e.author === carol.account.id) resolve(e.reason) }) })
  await carol.channels.post(c.id, { k: 'post', text: 'am I still here?' })
  await carol.channels.sync(c.id, { peers: [alice.address] })
  assert.match(await refused, /revoked/)
  await carol.channels.sync(c.id, { peers: [bob.address] })
  const carolAfter = await carol.channels.read(c.id)
  assert.equal(carolAfter.summary.role, null)
  assert.ok(carolAfter.posts.some(p => p.unreadable === true), 'the post after her removal is unreadable to carol')
  assert.ok(!carolAfter.posts.some(p => p.text === 'without carol'))
  assert.ok((await bob.channels.read(c.id)).posts.some(p => p.text === 'without carol'))
  assert.ok(!(await bob.channels.read(c.id)).posts.some(p => p.text === 'am I still here?'))
  await assert.rejects(carol.channels.post(c.id, { k: 'post', text: 'again' }), /may not write/)

  // Nothing identifying in clear at rest: not the channel id, its name, a post, a member.
  for (const n of [alice, bob, carol]) {
    const raw: Buffer[] = []
    for await (const [k, v] of n.backend.entries({})) raw.push(Buffer.from(k), Buffer.from(v))
    const blob = Buffer.concat(raw)
    for (const clear of [c.id, 'garden club', 'first rose', 'tip 3', bob.account.id]) assert.equal(blob.includes(clear), false, clear)
  }
})

test('a public channel is readable by anyone holding its id; a non-member cannot post', async () => {
  const owner = node('owner2')
  const reader = node('reader2')
  const c = await owner.channels.create('news', { private: false })
  await owner.channels.post(c.id, { k: 'share', link: 'oht://bafyreig376r6shtdf5f6ih64n2rk673ghep6hgvuzjy5nw2lwmn5kjuww4#' + 'A'.repeat(43), title: 'Film', size: 5 })
  await reader.channels.join(c.id, { peers: [owner.address] })
  const v = await reader.channels.read(c.id)
  assert.deepEqual(v.posts.map(p => [p.kind, p.title]), [['share', 'Film']])
  assert.equal(v.summary.role, null)
  await assert.rejects(reader.channels.post(c.id, { k: 'post', text: 'hi' }), /may not write/)
  await assert.rejects(reader.channels.join('ab'.repeat(32), { peers: [owner.address] }), /no member of channel/)
})

test('hostile sync peers: garbage, an oversized frame, a forged entry: one error, nothing kept', async () => {
  const owner = node('owner3')
  const c = await owner.channels.create('quiet', { private: false })
  const before = await owner.channels.store.count(c.id)
  const dial = async (): Promise<{ reader: FrameReader, stream: import('node:stream').Duplex }> => {
    const s = await network('mem:x').dialProtocol(owner.address, CHANNEL_PROTOCOL)
    return { reader: new FrameReader(s.stream, { maxFrameBytes: 1 << 20 }), stream: s.stream }
  }
  let d = await dial()
  await writeFrame(d.stream, Buffer.from('not json'))
  assert.match(JSON.parse((await d.reader.next())!.toString()).reason, /not JSON/)
  d = await dial()
  await writeFrame(d.stream, Buffer.from(JSON.stringify({ t: 'hello', v: 1, ch: c.id, d: null, heads: { nope: [1, 'x'] }, addr: null })))
  assert.match(JSON.parse((await d.reader.next())!.toString()).reason, /malformed head/)
  d = await dial()
  const served = lastServed!
  const big = Buffer.alloc(4); big.writeUInt32BE(64 << 20)
  d.stream.write(big)
  await new Promise(resolve => served.once('close', resolve)) // refused at its length, before 64 MiB were buffered
  assert.match(String(served.errored?.message), /over the limit/)
  // A forged entry (signed by a stranger's key, with no chain of this channel), then done.
  d = await dial()
  await writeFrame(d.stream, Buffer.from(JSON.stringify({ t: 'hello', v: 1, ch: c.id, d: null, heads: {}, addr: null })))
  const { privateKey } = generateKeyPairSync('ed25519')
  const forged = signEntry(privateKey, { ch: c.id, author: accountIdOf(privateKey), seq: 0, prev: null, at: Date.now(), chain: ['x.y'], body: { k: 'post', text: 'spam' } })
  await writeFrame(d.stream, Buffer.from(JSON.stringify({ t: 'entries', es: [forged, 'junk'] })))
  await writeFrame(d.stream, Buffer.from(JSON.stringify({ t: 'done' })))
  for (let f = await d.reader.next(); f != null; f = await d.reader.next()) { /* its hello, entries, done */ }
  assert.equal(await owner.channels.store.count(c.id), before)
  assert.deepEqual((await owner.channels.read(c.id)).posts, [])
})

test('a member that leaves a private channel: the owner\'s node rotates the key, the leaver cannot read what follows', async () => {
  const owner = node('owner4')
  const bob = node('bob4')
  const c = await owner.channels.create('quiet room', { private: true })
  await owner.channels.invite(c.id, bob.account.id, 'writer')
  await bob.channels.join(c.id, { peers: [owner.address] })
  const gone = new Promise<void>(resolve => { owner.channels.on('event', e => { if (e.type === 'channel-member' && e.change === 'removed') resolve() }) })
  await bob.channels.leave(c.id)
  await bob.channels.sync(c.id).catch(() => {}) // refused: bob left; the leave was pushed by leave()
  await gone
  await owner.channels.post(c.id, { k: 'post', text: 'after bob left' })
  const record = (await owner.channels.store.get(c.id))!
  const asBob = buildView(readDescriptor(c.id, record.descriptor)!, await owner.channels.store.texts(c.id), { account: bob.account })
  assert.equal(asBob.currentKey!.sealedTo.includes(bob.account.id), false, 'the new key is not sealed to bob')
  assert.deepEqual(asBob.posts.map(p => p.unreadable === true), [true])
  assert.deepEqual((await owner.channels.read(c.id)).posts.map(p => p.text), ['after bob left'])
})

test('addresses claimed in hellos by anyone holding the id never push out a member that answered', async () => {
  const owner = node('owner5')
  const bob = node('bob5')
  const c = await owner.channels.create('open house', { private: false })
  await owner.channels.invite(c.id, bob.account.id, 'writer')
  await bob.channels.join(c.id, { peers: [owner.address] })
  for (let i = 0; i < 40; i++) {
    const s = await network('mem:x').dialProtocol(owner.address, CHANNEL_PROTOCOL)
    const reader = new FrameReader(s.stream, { maxFrameBytes: 1 << 20 })
    await writeFrame(s.stream, Buffer.from(JSON.stringify({ t: 'hello', v: 1, ch: c.id, d: null, heads: {}, addr: `mem:junk-${i}` })))
    await writeFrame(s.stream, Buffer.from(JSON.stringify({ t: 'done' })))
    while (await reader.next() != null) { /* its hello, entries, done */ }
  }
  const peers = (await owner.channels.store.get(c.id))!.peers
  assert.equal(peers[0], bob.address)
  assert.equal(peers.length, 32)
  const atBob = posted(bob, 'still reaches bob')
  await owner.channels.post(c.id, { k: 'post', text: 'still reaches bob' })
  await atBob
})

test('after a restart, a post pushed in before the first sync round is told as new', async () => {
  const owner = node('owner6')
  let bob = node('bob6')
  const c = await owner.channels.create('restarts', { private: true })
  await owner.channels.invite(c.id, bob.account.id, 'writer')
  await bob.channels.join(c.id, { peers: [owner.address] })
  await bob.channels.sync(c.id) // the owner now knows where bob answers
  bob.channels.close()
  bob = node('bob6', bob) // the same store, a new process: it has not looked at its channels yet
  const told = posted(bob, 'while you were restarting')
  await owner.channels.post(c.id, { k: 'post', text: 'while you were restarting' })
  await told
})

test('a writer\'s node key revoked by the owner: its node makes a new one and writes on; what the old key signs next is refused', async () => {
  const alice = node('nk-alice')
  const bob = node('nk-bob')
  const c = await alice.channels.create('keys', { private: false })
  await alice.channels.invite(c.id, bob.account.id, 'writer')
  await bob.channels.join(c.id, { peers: [alice.address] })
  await bob.channels.post(c.id, { k: 'post', text: 'one' })
  await alice.channels.sync(c.id, { peers: [bob.address] })
  const old = (await bob.channels.store.get(c.id))!.nodeKeys![0]!
  const r = await alice.channels.revokeNodeKey(c.id, bob.account.id)
  assert.equal(r.node, readNodeCert(old.cert)!.id)
  await bob.channels.sync(c.id, { peers: [alice.address] })
  await bob.channels.post(c.id, { k: 'post', text: 'two' })
  const fresh = (await bob.channels.store.get(c.id))!.nodeKeys!
  assert.notEqual(fresh[0]!.cert, old.cert, 'Bob\'s node saw its key revoked and made a new one')
  await alice.channels.sync(c.id, { peers: [bob.address] })
  let read = await alice.channels.read(c.id)
  assert.deepEqual(read.refused, [])
  assert.deepEqual(read.posts.map(p => p.text), ['one', 'two'])
  // A copy of the old key writes next in Bob's log: kept (well formed, signed, certified) but refused in every view.
  const v = buildView(readDescriptor(c.id, (await alice.channels.store.get(c.id))!.descriptor)!, await alice.channels.store.texts(c.id), { account: bob.account })
  const head = v.heads[bob.account.id]!
  const thief = signEntry(signerOf(old).key, { ch: c.id, author: bob.account.id, seq: head.seq + 1, prev: head.id, at: head.at + 1, chain: v.authority!.chain, node: old.cert, body: { k: 'post', text: 'by a thief' } })
  assert.equal(await keepEntries(alice.channels.store, c.id, [thief]), 1)
  read = await alice.channels.read(c.id)
  assert.deepEqual(read.refused.map(x => x.reason), ['signed by a revoked node key'])
  assert.deepEqual(read.posts.map(p => p.text), ['one', 'two'])
  assert.ok(read.members.some(m => m.account === bob.account.id))
})

// The sync bounds, each failing fast on its own (docs/SECURITY.md "a hostile `channel` sync peer").
const within = async <T>(p: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} not within ${ms / 1000} s`)), ms) })])
  } finally { clearTimeout(timer) }
}

test('hostile sync peers, each bound alone: a 64 MiB length, over 2000 heads, over 5000 entries in one session', async () => {
  const owner = node('owner-bounds')
  const c = await owner.channels.create('bounded', { private: false })
  const before = await owner.channels.store.count(c.id)
  const dial = async (): Promise<{ reader: FrameReader, stream: import('node:stream').Duplex, served: import('node:stream').Duplex }> => {
    const s = await network('mem:y').dialProtocol(owner.address, CHANNEL_PROTOCOL)
    return { reader: new FrameReader(s.stream, { maxFrameBytes: 1 << 20 }), stream: s.stream, served: lastServed! }
  }
  // A length prefix of 64 MiB: the answerer closes at the length, it does not wait for the bytes.
  let d = await dial()
  const big = Buffer.alloc(4); big.writeUInt32BE(64 << 20)
  d.stream.write(big)
  await within(new Promise(resolve => d.served.once('close', resolve)), 5000, 'a 64 MiB length prefix was refused at its length:')
  // 2001 writers' heads in a hello: one error frame.
  d = await dial()
  const heads = Object.fromEntries(Array.from({ length: 2001 }, () => [randomBytes(32).toString('hex'), [0, 'A'.repeat(43)]]))
  await writeFrame(d.stream, Buffer.from(JSON.stringify({ t: 'hello', v: 1, ch: c.id, d: null, heads, addr: null })))
  const answer = await within(d.reader.next(), 5000, 'an answer to 2001 heads')
  assert.match(JSON.parse(answer!.toString()).reason, /over 2000 writers/)
  // 5001 entries in one session (junk, never done): the answerer ends the session at the bound,
  // without waiting for a `done` or its 60 s frame timeout.
  d = await dial()
  await writeFrame(d.stream, Buffer.from(JSON.stringify({ t: 'hello', v: 1, ch: c.id, d: null, heads: {}, addr: null })))
  const closed = new Promise(resolve => d.served.once('close', resolve))
  for (let i = 0; i < 6; i++) {
    if (d.stream.destroyed) break
    await writeFrame(d.stream, Buffer.from(JSON.stringify({ t: 'entries', es: Array.from({ length: 1000 }, () => 'junk') }))).catch(() => {})
  }
  await within(closed, 5000, 'a session of 5001 entries was ended at the bound:')
  assert.equal(await owner.channels.store.count(c.id), before)
})

test('the store keeps two versions of one log place and at most 20,000 entries a channel', async () => {
  const { store } = node('store-bounds').channels
  const place = (seq: number, id: string): { author: string, seq: number, id: string, text: string } => ({ author: 'a'.repeat(64), seq, id, text: `entry ${seq} ${id}` })
  assert.equal(await store.add('forks', place(0, 'x1')), true)
  assert.equal(await store.add('forks', place(0, 'x2')), true, 'a second version: the evidence of a fork')
  assert.equal(await store.add('forks', place(0, 'x3')), false, 'a third version of one place is refused')
  let kept = 0
  for (let seq = 0; seq < 20_001; seq++) if (await store.add('flood', place(seq, `e${seq}`))) kept++
  assert.equal(kept, 20_000, 'the 20,001st entry of a channel is refused')
  assert.equal(await store.count('flood'), 20_000)
})

test('an entry dated over 10 minutes in the future is not kept; one within the clock skew is', async () => {
  const owner = node('future-owner')
  const c = await owner.channels.create('clocks', { private: false })
  await owner.channels.post(c.id, { k: 'post', text: 'now' })
  const v = buildView(readDescriptor(c.id, (await owner.channels.store.get(c.id))!.descriptor)!, await owner.channels.store.texts(c.id), { account: owner.account })
  const head = v.heads[owner.account.id]!
  const now = head.at
  const at = (ms: number, seq: number, prev: string): string => signEntry(owner.account.privateKey, { ch: c.id, author: owner.account.id, seq, prev, at: now + ms, chain: v.authority!.chain, body: { k: 'post', text: `+${ms} ms` } })
  const soon = at(5 * 60_000, head.seq + 1, head.id)
  const tooLate = at(11 * 60_000, head.seq + 1, head.id)
  assert.equal(await keepEntries(owner.channels.store, c.id, [tooLate], now), 0, 'an entry dated 11 minutes ahead is not kept')
  assert.equal(await keepEntries(owner.channels.store, c.id, [soon], now), 1, 'one dated 5 minutes ahead is')
})

test('entries a sync brings that are not kept are still shown: listed with the refusals and told as events, bounded, once each', async () => {
  const owner = node('owner-arrivals')
  const c = await owner.channels.create('told', { private: false })
  const told: string[] = []
  owner.channels.on('event', e => { if (e.type === 'channel-refused' && e.channel === c.id) told.push(e.reason) })
  const { privateKey } = generateKeyPairSync('ed25519')
  const entry = (text: string, at = Date.now()): string => signEntry(privateKey, { ch: c.id, author: accountIdOf(privateKey), seq: 0, prev: null, at, chain: ['x.y'], body: { k: 'post', text } })
  // A stranger's entry (no chain of this channel) and the same bytes with their signature broken.
  const stranger = entry('spam')
  const forged = stranger.slice(0, -4) + (stranger.endsWith('AAAA') ? 'BBBB' : 'AAAA')
  const push = async (es: string[]): Promise<void> => {
    const s = await network('mem:hostile').dialProtocol(owner.address, CHANNEL_PROTOCOL)
    const reader = new FrameReader(s.stream, { maxFrameBytes: 1 << 20 })
    await writeFrame(s.stream, Buffer.from(JSON.stringify({ t: 'hello', v: 1, ch: c.id, d: null, heads: {}, addr: null })))
    await writeFrame(s.stream, Buffer.from(JSON.stringify({ t: 'entries', es })))
    await writeFrame(s.stream, Buffer.from(JSON.stringify({ t: 'done' })))
    for (let f = await reader.next(); f != null; f = await reader.next()) { /* its hello, entries, done */ }
  }
  await push([stranger, forged])
  await push([stranger, forged]) // the same entries again: listed and told once
  const refused = (await owner.channels.read(c.id)).refused
  assert.equal(refused.length, 2, JSON.stringify(refused))
  assert.match(refused[0]!.reason, /^not kept: /)
  assert.equal(refused[0]!.author, accountIdOf(privateKey), 'a well-signed entry names its (unauthorized) writer')
  assert.match(refused[1]!.reason, /^not kept: forged/)
  for (let i = 0; i < 50 && told.length < 2; i++) await new Promise(resolve => setTimeout(resolve, 20))
  assert.equal(told.length, 2, `told once each: ${told.join(' | ')}`)
  assert.equal(await owner.channels.store.count(c.id), 1, 'nothing of them stored (the descriptor entry only)')
  // A flood is bounded: only the newest MAX_ARRIVAL_REFUSALS are listed.
  await push(Array.from({ length: 40 }, (_, i) => entry(`flood ${i}`, Date.now() + i)))
  assert.equal((await owner.channels.read(c.id)).refused.length, MAX_ARRIVAL_REFUSALS)
})
