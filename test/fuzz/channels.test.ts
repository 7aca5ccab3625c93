// Fuzz targets: a channel's signed texts (entries, certificates, node-key certificates,
// descriptors), its policy, the whole merge, and the `channel` sync protocol's answerer; entries
// signed by node keys and by accounts. Each may refuse, never throw (or throw only its one
// documented error), and what it takes from a mutated text is what was signed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { duplexPair } from 'node:stream'
import { accountIdOf } from '../../src/node/identity/account-keys.ts'
import {
  buildView, ChannelError, createChannel, DEFAULT_POLICY, newNodeKey, parsePolicy, readCert, readDescriptor, readEntry, readNodeCert, signerOf, syncAnswer,
  writeContent, writeGrant, type SyncPeer
} from '../../src/people/channels/index.ts'
import { encodeFrame } from '../../src/onion/index.ts'
import { fc, mutated, only, onlyAsync, params } from './fuzz.ts'

const account = (): { id: string, privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'] } => { const { privateKey } = generateKeyPairSync('ed25519'); return { id: accountIdOf(privateKey), privateKey } }
const owner = account()
const bob = account()
const c = createChannel(owner, { name: 'fuzz', private: true, policy: DEFAULT_POLICY, now: 1_800_000_000_000, nodeKey: {} })
const ownerWriter = { ...owner, node: signerOf(c.node!) }
const bobKey = newNodeKey(bob, c.id, 1_800_000_000_000)
const bobWriter = { ...bob, node: signerOf(bobKey) }
const entries = [...c.entries]
entries.push(writeGrant(buildView(c.descriptor, entries, { account: owner }), ownerWriter, bob.id, 'writer', { now: 1_800_000_000_001 }))
entries.push(writeContent(buildView(c.descriptor, entries, { account: bob }), bobWriter, { k: 'post', text: 'hello' }, 1_800_000_000_002))
// And one signed by Bob's account itself, as before node keys.
entries.push(writeContent(buildView(c.descriptor, entries, { account: bob }), bob, { k: 'post', text: 'hello' }, 1_800_000_000_003))
const nodeCerts = [c.node!.cert, bobKey.cert]
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom(...entries).chain(e => mutated(Buffer.from(e))).map(text),
  fc.constantFrom(c.descriptor.text).chain(d => mutated(Buffer.from(d))).map(text), fc.constantFrom(...nodeCerts).chain(n => mutated(Buffer.from(n))).map(text))

test('fuzz channel texts: arbitrary and mutated entries, certificates and descriptors are refused or read as signed', () => {
  fc.assert(fc.property(anyText, s => {
    const e = readEntry(s)
    if (!('fault' in e)) assert.ok(entries.includes(s), 'only a text its writer signed reads as an entry')
    const cert = readCert(s)
    if (cert != null) assert.equal(cert.text, s)
    const node = readNodeCert(s)
    if (node != null) assert.ok(nodeCerts.includes(s), 'only a node-key certificate its account signed reads as one')
    const d = readDescriptor(c.id, s)
    if (d != null) assert.equal(s, c.descriptor.text)
  }), params(1500))
})

test('fuzz policies: arbitrary JSON is a policy or one ChannelError', () => {
  const role = fc.record({ may: fc.oneof(fc.constant(['post']), fc.array(fc.string(), { maxLength: 4 }), fc.anything()), maxDays: fc.oneof(fc.integer(), fc.double(), fc.anything()) }, { requiredKeys: [] })
  const policy = fc.oneof(fc.anything(), fc.record({ v: fc.oneof(fc.constant(1), fc.anything()), roles: fc.oneof(fc.dictionary(fc.string(), role), fc.anything()) }, { requiredKeys: [] }))
  fc.assert(fc.property(policy, p => {
    const parsed = only([ChannelError], () => parsePolicy(p))
    if (parsed !== undefined) assert.deepEqual(parsePolicy(JSON.stringify(parsed)), parsed)
    only([ChannelError], () => parsePolicy(JSON.stringify(p) ?? ''))
  }), params(1500))
})

test('fuzz the merge: any mix of valid, mutated and arbitrary texts builds a view without throwing', () => {
  fc.assert(fc.property(fc.array(fc.oneof(anyText, fc.constantFrom(...entries)), { maxLength: 12 }), texts => {
    const v = buildView(c.descriptor, texts, { account: bob })
    for (const p of v.posts) assert.ok(p.text === 'hello' || p.unreadable === true || p.text === undefined)
  }), params(400))
})

test('fuzz the sync answerer: any frames get an answer or a closed stream, never an exception', async () => {
  const peer: SyncPeer = { descriptor: () => c.descriptor.text, heads: async () => ({}), missing: async () => entries, accept: async texts => texts.length }
  const frame = fc.oneof(
    fc.anything().map(v => Buffer.from(JSON.stringify(v) ?? 'null')),
    fc.record({ t: fc.constantFrom('hello', 'entries', 'done', 'error'), v: fc.constantFrom(1, 2), ch: fc.constantFrom(c.id, 'x'), d: fc.constantFrom(null, 'x'), heads: fc.anything(), addr: fc.anything(), es: fc.anything() }, { requiredKeys: [] }).map(v => Buffer.from(JSON.stringify(v))),
    fc.uint8Array({ maxLength: 64 }).map(b => Buffer.from(b)))
  await fc.assert(fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async frames => {
    const [a, b] = duplexPair()
    a.on('error', () => {})
    b.on('error', () => {})
    const run = onlyAsync([ChannelError], async () => await syncAnswer(b, async () => peer))
    for (const f of frames) a.write(encodeFrame(f, { maxFrameBytes: 1 << 20 }))
    a.end()
    await run
    a.destroy()
  }), params(300))
})
