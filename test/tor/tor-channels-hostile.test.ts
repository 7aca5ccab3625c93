// Hostile writers of a private channel over onion services on the private Tor network
// (src/onion/tor/testnet.ts; nothing touches the real Tor network): three daemons (alice, who owns
// the channel; bob, a writer; carol, a reader) and, in this process, a node that speaks the real
// oht handshake and `channel` sync protocol through a client tor for five hostile accounts: mona, a
// moderator, grants ed a writer certificate that lives 20 s; rex, ray and fay are writers. Each
// first writes what it may (it stands everywhere), then the node pushes to every daemon: ed's post
// after his certificate expired, rex's after alice removed him, a post in bob's log signed by fay's
// key (forged), ray's log reordered and fay's log forked. Entries that are not what they claim
// (forged, or outside their chain's validity) are refused on arrival, never kept, and listed as
// refused ("not kept"); entries that are well signed but break the rules are kept as evidence and
// listed as refused (the fork under `forks`). bob's next real post then stands everywhere: the forged one took no place in his log.
import assert from 'node:assert/strict'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ohtJson } from '../helpers/cli.ts'
import { initiateHandshake } from '../../src/onion/index.ts'
import { TorTransport } from '../../src/onion/tor/transport.ts'
import { accountIdOf } from '../../src/node/identity/account-keys.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'
import {
  append, buildView, CHANNEL_PROTOCOL, entryId, readDescriptor, readEntry, sealContent, sealForGrant, signCert, signEntry, syncDial, writeContent,
  type ChannelReading, type ChannelSummary, type ChannelView
} from '../../src/people/channels/index.ts'

const suite = torSuite('oht-tor-chanhostile-', 3)
const HONEST = ['alice', 'bob', 'carol'] as const
type Honest = typeof HONEST[number]
const HOSTILE = ['mona', 'ed', 'rex', 'ray', 'fay'] as const
type Hostile = typeof HOSTILE[number]
interface Account { id: string, privateKey: KeyObject }

describe('hostile writers of a channel over Tor onion services', { timeout: 900_000 }, () => {
  it('expired, revoked, forged, reordered and forked entries are refused by every daemon, and shown as such', async t => {
    const d = {} as Record<Honest, Daemon>
    const ids = {} as Record<Honest, string>
    for (const [i, name] of HONEST.entries()) {
      ids[name] = (await ohtJson<{ id: string }>(join(suite.dir, name), ['account', 'create'])).value.id
      const extra = i === 0 ? [] : ['--bootstrap', d.alice.address]
      d[name] = await startDaemon(join(suite.dir, name), [...torArgs(suite.clients[i]!), ...extra], 180_000, ['--channel-sync', '5s'])
      suite.daemons.push(d[name])
    }
    const ch = (await ohtJson<ChannelSummary>(d.alice.dataDir, ['channel', 'create', 'guarded', '--private'])).value.id
    await ohtJson(d.alice.dataDir, ['channel', 'invite', ch, ids.bob])
    await ohtJson(d.alice.dataDir, ['channel', 'invite', ch, ids.carol, '--role', 'reader'])
    const h = {} as Record<Hostile, Account>
    for (const name of HOSTILE) {
      const { privateKey } = generateKeyPairSync('ed25519')
      h[name] = { id: accountIdOf(privateKey), privateKey }
      if (name !== 'ed') await ohtJson(d.alice.dataDir, ['channel', 'invite', ch, h[name].id, '--role', name === 'mona' ? 'moderator' : 'writer'])
    }
    for (const name of ['bob', 'carol'] as const) await ohtJson(d[name].dataDir, ['channel', 'join', ch, '--peer', d.alice.address], { timeoutMs: 240_000 })
    const who = new Map<string, string>([...HONEST.map(n => [ids[n], n] as const), ...HOSTILE.map(n => [h[n].id, n] as const)])

    // The hostile node: its own node key, dialing through carol's client tor.
    const transport = new TorTransport({ tor: { kind: 'attach', port: suite.clients[2]!.controlPort, cookieFile: suite.clients[2]!.cookieFile }, dialTimeoutMs: 120_000 })
    t.after(async () => { await transport.close() })
    const nodeKeys = generateNodeKeys()
    let descriptor: string | undefined
    /** One sync session with `name`'s daemon: pushes `send`, returns every entry it holds. */
    const session = async (name: Honest, send: string[]): Promise<string[]> => {
      const hs = await initiateHandshake(await transport.dial(d[name].address), { keys: nodeKeys, protocol: CHANNEL_PROTOCOL, timeoutMs: 120_000 })
      const got: string[] = []
      await syncDial(hs.stream, ch, {
        descriptor: () => descriptor,
        heads: async () => ({}),
        missing: async () => send,
        accept: async (texts, text) => { descriptor ??= text; got.push(...texts); return texts.length }
      }, null)
      return got
    }
    const pushAll = async (send: string[]): Promise<void> => { for (const name of HONEST) await session(name, send) }
    const viewOf = (texts: string[], account: Account): ChannelView => buildView(readDescriptor(ch, descriptor!)!, texts, { account })
    const read = async (name: Honest): Promise<ChannelReading> => (await ohtJson<ChannelReading>(d[name].dataDir, ['channel', 'read', ch])).value
    /** Reads `name` until `done` holds (pushes and the daemons' own sync rounds land a little later). */
    const readUntil = async (name: Honest, done: (r: ChannelReading) => boolean): Promise<ChannelReading> => {
      let r = await read(name)
      for (let i = 0; i < 60 && !done(r); i++) { await new Promise(resolve => setTimeout(resolve, 2000)); r = await read(name) }
      return r
    }
    const idOf = (t: string): string => { const e = readEntry(t); assert.ok('id' in e, 'fault' in e ? e.fault : ''); return e.id }
    const texts = (r: ChannelReading): string[] => r.posts.map(p => p.text ?? (p.unreadable === true ? '(unreadable)' : '?')).sort()

    // What each may do, it does: bob posts; mona grants ed a 20-second writer certificate; each hostile writer posts once.
    await ohtJson(d.bob.dataDir, ['channel', 'post', ch, 'from bob'])
    await readUntil('alice', r => r.posts.some(p => p.text === 'from bob'))
    const held = await session('alice', [])
    const mona = viewOf(held, h.mona)
    const ref = mona.currentKey!.ref
    const edExp = Date.now() + 20_000
    const edCert = signCert(h.mona.privateKey, { v: 1, ch, iss: h.mona.id, sub: h.ed.id, role: 'writer', scope: ['post'], nb: Date.now(), exp: edExp })
    const first = [append(mona, h.mona, { k: 'grant', cert: edCert, key: sealForGrant(h.ed.id, ref, mona.keys.get(ref)!) })]
    held.push(first[0]!)
    for (const name of ['ed', 'rex', 'ray', 'fay'] as const) first.push(writeContent(viewOf(held, h[name]), h[name], { k: 'post', text: `${name} may write` }))
    await pushAll(first)
    const allowed = ['ed may write', 'fay may write', 'from bob', 'ray may write', 'rex may write']
    for (const name of HONEST) assert.deepEqual(texts(await readUntil(name, r => texts(r).join() === allowed.join())), allowed, name)
    held.push(...first.slice(1))
    const before = Object.fromEntries(HOSTILE.map(n => [n, viewOf(held, h[n])])) as Record<Hostile, ChannelView>

    // alice removes rex; ed's certificate runs out.
    await ohtJson(d.alice.dataDir, ['channel', 'revoke', ch, h.rex.id])
    await new Promise(resolve => setTimeout(resolve, Math.max(0, edExp + 1000 - Date.now())))

    /** A post at `seq` of `author`'s log naming `prev`, sealed under the key `v` holds, signed by `signer`. */
    const sealed = (v: ChannelView, signer: KeyObject, author: string, chain: string[], seq: number, prev: string, text: string, at = Date.now()): string =>
      signEntry(signer, { ch, author, seq, prev, at, chain, body: sealContent(v.keys.get(v.currentKey!.ref)!, v.currentKey!.ref, { ch, author, seq }, { k: 'post', text }) })
    const next = (name: Hostile, text: string): string => {
      const v = before[name]
      const head = v.heads[h[name].id]!
      return sealed(v, h[name].privateKey, h[name].id, v.authority!.chain, head.seq + 1, head.id, text)
    }
    const bobHead = before.fay.heads[ids.bob]!
    const bobEntry = readEntry(held.find(t => idOf(t) === bobHead.id)!)
    assert.ok('chain' in bobEntry)
    // ray's next two entries, then the same two swapped in his log (each re-signed naming the other).
    const ray1 = next('ray', 'ray one')
    const ray0 = before.ray.heads[h.ray.id]!
    const swapped1 = sealed(before.ray, h.ray.privateKey, h.ray.id, before.ray.authority!.chain, ray0.seq + 1, idOf(ray1), 'ray two')
    const swapped2 = sealed(before.ray, h.ray.privateKey, h.ray.id, before.ray.authority!.chain, ray0.seq + 2, idOf(swapped1), 'ray one')
    const hostile = [
      next('ed', 'ed after expiry'),
      next('rex', 'rex after removal'),
      sealed(before.fay, h.fay.privateKey, ids.bob, bobEntry.chain, bobHead.seq + 1, bobHead.id, 'forged as bob'),
      swapped1, swapped2,
      next('fay', 'fay fork a'), next('fay', 'fay fork b')
    ]
    await pushAll(hostile)
    await ohtJson(d.bob.dataDir, ['channel', 'post', ch, 'bob again'])

    const stands = [...allowed, 'bob again'].sort()
    const refusals = (r: ChannelReading): string[] => r.refused.map(x => `${who.get(x.author ?? '') ?? x.author ?? '?'} ${x.seq ?? '?'}: ${
      /^not kept: forged/.test(x.reason) ? 'forged, not kept' : /^not kept: expired/.test(x.reason) ? 'expired, not kept'
        : /revoked/.test(x.reason) ? 'revoked' : /broken log/.test(x.reason) ? 'broken log' : /fork/.test(x.reason) ? 'fork' : x.reason}`).sort()
    // The forged entry names no writer (its signature is nobody's); the others are their writers'.
    const expected = ['? ?: forged, not kept', `ed ${before.ed.heads[h.ed.id]!.seq + 1}: expired, not kept`, 'fay 1: fork', 'fay 1: fork', 'ray 1: broken log', 'rex 1: revoked'].sort()
    for (const name of HONEST) {
      const r = await readUntil(name, x => refusals(x).join() === expected.join() && texts(x).join() === stands.join())
      assert.deepEqual(texts(r), stands, `${name}: the posts that stand`)
      assert.deepEqual(refusals(r), expected, `${name}: the refused entries (kept as evidence, or listed as not kept)`)
      assert.deepEqual(r.forks, [h.fay.id], `${name}: fay is shown as forked`)
      assert.equal(r.waiting, 1, `${name}: ray's entry after the break waits`)
      for (const n of ['ed', 'rex'] as const) assert.ok(!r.members.some(m => m.account === h[n].id), `${name}: ${n} is no member`)
      assert.ok(r.members.some(m => m.account === h.fay.id), `${name}: fay's certificate stands (a fork is shown, not a removal)`)
    }
    // The expired and the forged entries were refused on arrival: no daemon keeps or passes them on.
    const kept = (await Promise.all(HONEST.map(async n => await session(n, [])))).flat().map(t => entryId(t))
    for (const t of [hostile[0]!, hostile[2]!]) assert.ok(!kept.includes(entryId(t)), 'not kept by any daemon')
  })
})
