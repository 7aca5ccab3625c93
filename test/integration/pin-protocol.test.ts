// The `pin` protocol in one process over real TCP sockets on 127.0.0.1: an owner node, a pinning
// node (its LocalService, as a daemon runs it) and a requester that sends what a hostile or
// broken peer would: garbage, oversized frames, bad fields, forged certificates, and a requester
// that hangs up right after the pin is accepted; a certificate that expires while its pin runs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { OhtNode } from '../../src/node/transfers/node.ts'
import { NodeNetwork } from '../../src/node/network/network.ts'
import { LocalService } from '../../src/node/service.ts'
import { createAccount, delegate, formatCert, loadAccount } from '../../src/node/identity/accounts.ts'
import { MAX_PIN_FRAME_BYTES, PIN_PROTOCOL, RemotePinRefused, requestRemotePin, type PinReply } from '../../src/node/pins/pin-protocol.ts'
import { FrameReader, TcpTransport, writeFrame } from '../../src/onion/index.ts'
import { tempDir, type TestContextLike } from '../helpers/cli.ts'

async function node (t: TestContextLike, dir: string, name: string): Promise<LocalService> {
  const n = await OhtNode.open({ dataDir: join(dir, name) })
  const service = new LocalService(n, new NodeNetwork(new TcpTransport(), n.keys), true)
  await service.network!.listen()
  await service.seedAll()
  t.after(async () => { await service.close() })
  return service
}

/** Sends raw frames on a `pin` stream and returns the first reply, or 'hung-up' when the pinner ended the stream without one. */
async function raw (from: LocalService, to: LocalService, frames: Buffer[], rawBytes?: Buffer): Promise<PinReply | 'hung-up'> {
  const session = await from.network!.dialProtocol(to.network!.address!, PIN_PROTOCOL)
  session.stream.on('error', () => {})
  if (rawBytes != null) session.stream.write(rawBytes)
  for (const f of frames) await writeFrame(session.stream, f, { maxFrameBytes: 1 << 20 })
  const reader = new FrameReader(session.stream, { maxFrameBytes: MAX_PIN_FRAME_BYTES })
  try {
    const frame = await reader.next()
    return frame == null ? 'hung-up' : JSON.parse(frame.toString()) as PinReply
  } finally {
    session.stream.destroy()
  }
}

test('pin protocol: malformed and hostile requests are refused, the pinner keeps working', async t => {
  const dir = await tempDir(t, 'oht-pin-proto-')
  const [owner, pinner, requester] = await Promise.all(['owner', 'pinner', 'requester'].map(async n => await node(t, dir, n)))
  await writeFile(join(dir, 'f.bin'), randomBytes(700_000))
  const share = await owner!.share([join(dir, 'f.bin')], {})
  const account = await loadAccount(dir, (await createAccount(dir, 'pw')).id, 'pw')
  const cert = formatCert(delegate(account, requester!.node.keys.nodeId, 60_000))
  const good = { type: 'pin', v: 1, cap: share.verifyCap, ttlMs: 60_000, peers: [owner!.network!.address!], cert }
  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v))
  const refusal = (r: PinReply | 'hung-up'): string => r === 'hung-up' ? r : r?.type === 'refused' ? r.code : `not a refusal: ${JSON.stringify(r)}`

  assert.equal(refusal(await raw(requester!, pinner!, [Buffer.from('not json')])), 'bad-request')
  assert.equal(refusal(await raw(requester!, pinner!, [json({ ...good, v: 2 })])), 'bad-request')
  assert.equal(refusal(await raw(requester!, pinner!, [json({ ...good, peers: Array(100).fill('tcp:127.0.0.1:1') })])), 'bad-request')
  assert.equal(refusal(await raw(requester!, pinner!, [json({ ...good, ttlMs: -5 })])), 'bad-request')
  assert.equal(refusal(await raw(requester!, pinner!, [json({ ...good, cap: 'oht://nonsense' })])), 'bad-request')
  // A frame over the cap, and a 4 GiB length prefix: cut off at the length prefix, never buffered.
  assert.equal(refusal(await raw(requester!, pinner!, [Buffer.alloc(MAX_PIN_FRAME_BYTES + 1, 0x20)])), 'hung-up')
  assert.equal(refusal(await raw(requester!, pinner!, [], Buffer.from([0xff, 0xff, 0xff, 0xff]))), 'hung-up')
  // Certificates: forged (extended), for another node; then an account nobody allowed.
  const c = delegate(account, requester!.node.keys.nodeId, 60_000)
  assert.equal(refusal(await raw(requester!, pinner!, [json({ ...good, cert: formatCert({ ...c, expiresAt: c.expiresAt + 1e9 }) })])), 'bad-certificate')
  assert.equal(refusal(await raw(owner!, pinner!, [json(good)])), 'wrong-node')
  assert.equal(refusal(await raw(requester!, pinner!, [json(good)])), 'not-authorized')

  // Allowed: a requester that hangs up once the pin is accepted does not stop the pin.
  await pinner!.pins.allow(account.id, { quotaBytes: 10 * 2 ** 20, maxTtlMs: 86_400_000 })
  const accepted = await requestRemotePin(requester!.network!, pinner!.network!.address!, { cap: share.verifyCap, ttlMs: 60_000, peers: [owner!.network!.address!], cert }, { wait: false })
  assert.equal(accepted.complete, false)
  assert.equal(accepted.id, share.id)
  const deadline = Date.now() + 30_000
  while ((await pinner!.pins.list())[0]?.state !== 'active' && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
  const [pin] = await pinner!.pins.list()
  assert.equal(pin?.state, 'active')
  assert.equal(pin?.holder, account.id)
  assert.deepEqual((await pinner!.pins.audit()).wrong, [])
  const codes = (await pinner!.pins.requests(50)).map(r => r.code ?? r.outcome)
  assert.ok(codes.includes('wrong-node') && codes.includes('bad-certificate') && codes.filter(c => c === 'bad-request').length >= 5, codes.join(','))

  // A secp256k1 (Ethereum-compatible) account delegates the same way: refused until allowed, then held under its id.
  const eth = await loadAccount(dir, (await createAccount(dir, '', 'eth', 'secp256k1')).id, '')
  const ethCert = formatCert(delegate(eth, requester!.node.keys.nodeId, 60_000))
  assert.equal(refusal(await raw(requester!, pinner!, [json({ ...good, cert: ethCert })])), 'not-authorized')
  await pinner!.pins.allow(eth.id, { quotaBytes: 10 * 2 ** 20, maxTtlMs: 86_400_000 })
  const ethPin = await requestRemotePin(requester!.network!, pinner!.network!.address!, { cap: share.verifyCap, ttlMs: 60_000, peers: [owner!.network!.address!], cert: ethCert }, { wait: false })
  assert.equal(ethPin.id, share.id)
  assert.deepEqual((await pinner!.pins.list()).map(p => p.holder).sort(), [account.id, eth.id].sort())
})

test('pin events: active when a share\'s blocks are all held, inactive when its last pin goes', async t => {
  const dir = await tempDir(t, 'oht-pin-events-')
  const [owner, pinner] = await Promise.all(['owner', 'pinner'].map(async n => await node(t, dir, n)))
  await writeFile(join(dir, 'f.bin'), randomBytes(300_000))
  const share = await owner!.share([join(dir, 'f.bin')], {})
  const events: string[] = []
  pinner!.pins.manager.on('active', e => { events.push(`active ${e.id} ${Buffer.from(e.topic).toString('hex').length}`) })
  pinner!.pins.manager.on('inactive', e => { events.push(`inactive ${e.id}`) })
  await pinner!.pins.pin(share.verifyCap, { ttlMs: 60_000, peers: [owner!.network!.address!] })
  assert.ok(pinner!.network!.swarmFor(share.id) != null, 'the pinned share is served')
  const r = await pinner!.pins.unpin(share.verifyCap)
  assert.equal(r.removed, true)
  assert.equal(r.sweep.blocksDeleted, 2 + 1) // a 300 000-byte file is two 256 KiB blocks, plus the manifest
  assert.equal(pinner!.network!.swarmFor(share.id), undefined, 'no longer served')
  assert.deepEqual(events, [`active ${share.id} 64`, `inactive ${share.id}`])
})

test('a delegation certificate that expires during an active remote pin: the lease holds, a renewal with it is refused', async t => {
  const dir = await tempDir(t, 'oht-pin-cert-')
  const [owner, pinner, requester] = await Promise.all(['owner', 'pinner', 'requester'].map(async n => await node(t, dir, n)))
  await writeFile(join(dir, 'f.bin'), randomBytes(300_000))
  const share = await owner!.share([join(dir, 'f.bin')], {})
  const account = await loadAccount(dir, (await createAccount(dir, 'pw')).id, 'pw')
  await pinner!.pins.allow(account.id, { quotaBytes: 10 * 2 ** 20, maxTtlMs: 7 * 86_400_000 })
  // A certificate for a minute, a lease for a day.
  const cert = formatCert(delegate(account, requester!.node.keys.nodeId, 60_000))
  const request = { cap: share.verifyCap, ttlMs: 86_400_000, peers: [owner!.network!.address!], cert }
  const done = await requestRemotePin(requester!.network!, pinner!.network!.address!, request)
  assert.equal(done.complete, true)

  // The wall clock ten minutes on (Date only: sockets and their timers run as ever).
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.mock.timers.setTime(Date.now() + 10 * 60_000)
  assert.equal((await pinner!.pins.sweep()).pinsCollected, 0, 'the sweep leaves the pin: its lease runs a day')
  const [pin] = await pinner!.pins.list()
  assert.deepEqual([pin?.state, pin?.holder], ['active', account.id])
  assert.ok(pinner!.network!.swarmFor(share.id) != null, 'still served')
  await assert.rejects(requestRemotePin(requester!.network!, pinner!.network!.address!, request),
    (err: unknown) => err instanceof RemotePinRefused && err.code === 'certificate-expired')
  assert.equal((await pinner!.pins.list())[0]?.expiresAt, pin?.expiresAt, 'the refused renewal changed nothing')
})

test('per-account limits: pins held (count), bytes (quota), and requests weighed at once; each refused with its reason', async t => {
  const dir = await tempDir(t, 'oht-pin-limits-')
  const [owner, pinner, requester] = await Promise.all(['owner', 'pinner', 'requester'].map(async n => await node(t, dir, n)))
  const shares: Array<{ verifyCap: string }> = []
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
    await writeFile(join(dir, name), randomBytes(100_000))
    shares.push(await owner!.share([join(dir, name)], {}))
  }
  const account = await loadAccount(dir, (await createAccount(dir, 'pw')).id, 'pw')
  const cert = formatCert(delegate(account, requester!.node.keys.nodeId, 600_000))
  const ask = async (verifyCap: string, peers = [owner!.network!.address!]): Promise<unknown> =>
    await requestRemotePin(requester!.network!, pinner!.network!.address!, { cap: verifyCap, ttlMs: 60_000, peers, cert })
  const refusedWith = (code: string, reason: RegExp) => (err: unknown): boolean => {
    assert.ok(err instanceof RemotePinRefused, String(err))
    assert.equal(err.code, code)
    assert.match(err.message, reason)
    return true
  }

  // Two pins at most: the third share is refused, a renewal of one held is not a new pin.
  await pinner!.pins.allow(account.id, { quotaBytes: 10 * 2 ** 20, maxTtlMs: 86_400_000, maxPins: 2 })
  await ask(shares[0]!.verifyCap)
  await ask(shares[1]!.verifyCap)
  await assert.rejects(ask(shares[2]!.verifyCap), refusedWith('too-many-pins', /your account holds 2 pins on this node, which allows it 2/))
  await ask(shares[0]!.verifyCap)
  assert.equal((await pinner!.pins.list()).length, 2)

  // The byte quota, with room for more pins: the held two fill it.
  const held = (await pinner!.pins.list()).reduce((n, p) => n + p.bytes, 0)
  await pinner!.pins.allow(account.id, { quotaBytes: held + 1000, maxTtlMs: 86_400_000, maxPins: 10 })
  await assert.rejects(ask(shares[2]!.verifyCap), refusedWith('quota-exceeded', /quota exceeded: this pin needs .* your account uses/))
  assert.deepEqual((await pinner!.pins.grants()).map(g => g.maxPins), [10])

  // Requests weighed at once: four whose only peer never answers stay pending; the fifth is
  // refused at once as busy, not queued behind them.
  await pinner!.pins.allow(account.id, { quotaBytes: 10 * 2 ** 20, maxTtlMs: 86_400_000, maxPins: 10 })
  const sockets = new Set<import('node:net').Socket>()
  const silent = createServer(s => { sockets.add(s); s.on('error', () => {}) })
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.after(() => { for (const s of sockets) s.destroy(); silent.close() })
  const silentAddress = `tcp:127.0.0.1:${(silent.address() as AddressInfo).port}`
  const stalled = [3, 4, 5, 6].map(async i => await ask(shares[i]!.verifyCap, [silentAddress]).catch((err: Error) => err))
  await new Promise<void>(resolve => { const check = (): void => { if (sockets.size >= 4) resolve(); else setTimeout(check, 20) }; check() })
  await assert.rejects(ask(shares[2]!.verifyCap), refusedWith('busy', /weighing 4 pin requests of your (node|account) already/))
  // Once they end (the silent peer hangs up), the account may ask again.
  for (const s of sockets) s.destroy()
  silent.close()
  await Promise.all(stalled)
  await ask(shares[2]!.verifyCap)
  assert.equal((await pinner!.pins.list()).length, 3)
})
