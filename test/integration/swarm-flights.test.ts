// Message flights between a fetch's dial and its first verified block (docs/DECISIONS.md, "The
// first block, round trip by round trip"), counted on real TCP sockets on 127.0.0.1 by a
// transport wrapper (test/helpers/flights.ts), not timed: the oht handshake, the BitTorrent and
// extension handshakes with the swarm-key proof, the metadata, the first block. Each flight is
// half a round trip over Tor.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeNetwork } from '../../src/node/network/network.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'
import { OhtNode } from '../../src/node/transfers/node.ts'
import { once } from 'node:events'
import Wire from 'bittorrent-protocol'
import { decodeManifest, deriveSwarmInfoHash, parseReadCap, verifyCapOf } from '../../src/blocks/index.ts'
import { swarmAuthMac } from '../../src/blocks/caps.ts'
import { blockstoreStore, PeerWire, sourceStore, Swarm, type SwarmEvent } from '../../src/swarm/index.ts'
import { decodeMessage, encodeMessage, EXTENSION_ID } from '../../src/swarm/messages.ts'
import { TcpTransport } from '../../src/onion/index.ts'
import { recordFlights } from '../helpers/flights.ts'
import { socketPair } from '../helpers/sockets.ts'

/**
 * One-way flights from the dial to the first block, as the code runs them: (1) both hellos,
 * (2) the initiator's signature, protocol name and, right behind them, its BitTorrent and
 * extension handshakes, swarm-key proof, `interested`, `manifest?` and `leaves?`, (3) the
 * seeder's signature, accept, handshakes, proof, bitfield, unchoke, manifest and leaves,
 * (4) the request, (5) the block. The code before issue 21 took 11.
 */
const FLIGHTS_TO_FIRST_BLOCK = 5

/**
 * A seeding NodeNetwork and a fetching one on recorded TCP transports (the leecher's with
 * `leecherOptions`), a share of `bytes` seeded, and the leecher's swarm for it (no metadata).
 */
async function fetchSetup (t: { after: (fn: () => Promise<void>) => void }, bytes: number, blockSize: number, leecherOptions: { separateLanes?: boolean, maxDownloadBytesPerSecond?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'oht-flights-'))
  const owner = await OhtNode.open({ dataDir: join(dir, 'owner') })
  const leecherNode = await OhtNode.open({ dataDir: join(dir, 'leecher') })
  const { dialer, listener, log } = recordFlights(new TcpTransport(), new TcpTransport())
  const seeder = new NodeNetwork(listener, generateNodeKeys())
  const { separateLanes, ...limits } = leecherOptions
  const leecher = new NodeNetwork(separateLanes === true ? { ...dialer, separateLanes } : dialer, generateNodeKeys(), limits)
  t.after(async () => {
    await leecher.close(); await seeder.close()
    await owner.close(); await leecherNode.close()
    await rm(dir, { recursive: true, force: true })
  })
  await writeFile(join(dir, 'data.bin'), randomBytes(bytes))
  const shared = await owner.share([join(dir, 'data.bin')], { blockSize })
  const cap = parseReadCap(shared.link)
  const { swarmKey } = verifyCapOf(cap)
  const held = (await owner.ciphertextSource(cap.manifestCid))!
  await seeder.seed(cap.manifestCid, swarmKey, held.manifestBytes, (await owner.state.getLeaves(shared.id))!, held.source)
  const address = await seeder.listen()
  const entry = leecher.openSwarm(cap.manifestCid, swarmKey, { store: blockstoreStore(leecherNode.blockstore, () => entry.swarm.leaves) })
  await entry.swarm.start()
  return { leecher, entry, address, log }
}

test('a fetch gets its first block 5 one-way flights after its dial (2.5 round trips)', { timeout: 60_000 }, async t => {
  // One block: nothing but the first block's own exchange can follow it.
  const { leecher, entry, address, log } = await fetchSetup(t, 10_000, 16 * 1024)
  const firstBlock = new Promise<number>(resolve => {
    entry.swarm.on('event', e => { if (e.type === 'block:verified') resolve(log[0]!.dialer.received) })
  })
  await leecher.connect(entry, address, AbortSignal.timeout(30_000))
  const flights = await firstBlock
  assert.equal(log.length, 1, 'one connection')
  assert.equal(flights, FLIGHTS_TO_FIRST_BLOCK, `the first block came in flight ${flights}`)
  await entry.swarm.whenComplete(AbortSignal.timeout(30_000))
})

/** A seeding Swarm of a one-block share, and what it says of its peers. */
async function seedingSwarm (t: { after: (fn: () => Promise<void>) => void }): Promise<{ seeder: Swarm, infoHash: Uint8Array, swarmKey: Uint8Array, closed: Promise<SwarmEvent> }> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-early-'))
  const owner = await OhtNode.open({ dataDir: join(dir, 'owner') })
  await writeFile(join(dir, 'one.bin'), randomBytes(10_000))
  const shared = await owner.share([join(dir, 'one.bin')], { blockSize: 16 * 1024 })
  const cap = parseReadCap(shared.link)
  const { swarmKey } = verifyCapOf(cap)
  const held = (await owner.ciphertextSource(cap.manifestCid))!
  const infoHash = deriveSwarmInfoHash(swarmKey, cap.manifestCid.bytes)
  const seeder = new Swarm({ manifestCid: cap.manifestCid, swarmKey, infoHash, localNodeId: randomBytes(32), manifest: decodeManifest(held.manifestBytes, cap.manifestCid), leaves: (await owner.state.getLeaves(shared.id))!, store: sourceStore(held.source) })
  await seeder.start()
  t.after(async () => { seeder.close(); await owner.close(); await rm(dir, { recursive: true, force: true }) })
  const closed = new Promise<SwarmEvent>(resolve => { seeder.on('event', e => { if (e.type === 'peer:closed') resolve(e) }) })
  return { seeder, infoHash, swarmKey, closed }
}

test('requests that ride behind a wrong swarm-key proof are not answered: the seeder closes the connection', { timeout: 30_000 }, async t => {
  const { seeder, infoHash, closed } = await seedingSwarm(t)
  const [a, b] = await socketPair()
  const id = randomBytes(32)
  // The new initiator's first flight (BitTorrent and extension handshakes, proof, then the
  // requests), with a proof made from the wrong key.
  const hostile = new PeerWire({ stream: a, initiator: true, infoHash, swarmKey: randomBytes(32), localNodeId: id, remoteNodeId: seeder.options.localNodeId, maxBlockBytes: 1 << 20 })
  hostile.wire.interested()
  hostile.send({ t: 'manifest?' })
  hostile.send({ t: 'leaves?', from: 0, count: 16 })
  const got: string[] = []
  hostile.on('message', m => { got.push(m.t) })
  for (const event of ['bitfield', 'have-all', 'unchoke', 'piece']) hostile.wire.on(event, () => { got.push(event) })
  seeder.addPeer(b, false, id)
  const e = await closed
  assert.match((e as { reason?: string }).reason ?? '', /does not know the swarm key/)
  if (!hostile.closed) await once(hostile, 'close')
  assert.deepEqual(got, [], 'nothing of the share came back')
})

test('a request sent before the proof, even with the right key, is not answered: the seeder closes the connection', { timeout: 30_000 }, async t => {
  const { seeder, infoHash, swarmKey, closed } = await seedingSwarm(t)
  const [a, b] = await socketPair()
  const id = randomBytes(32)
  const wire = new Wire()
  function Named (): void {}
  Named.prototype.name = 'oht_v1'
  wire.use(Named as never)
  a.pipe(wire as unknown as NodeJS.WritableStream)
  ;(wire as unknown as NodeJS.ReadableStream).pipe(a)
  const got: string[] = []
  // The seeder's own proof may come back; anything else of oht_v1 would be an answer.
  wire.on('extended', (name: string, buf: Uint8Array) => { if (name === 'oht_v1' && decodeMessage(buf).t !== 'auth') got.push(decodeMessage(buf).t) })
  for (const event of ['bitfield', 'unchoke', 'piece']) wire.on(event, () => { got.push(event) })
  wire.handshake(infoHash, id.subarray(0, 20), { fast: true })
  ;(wire as unknown as { _sendExtendedHandshake: () => void })._sendExtendedHandshake()
  wire.extended(EXTENSION_ID, encodeMessage({ t: 'manifest?' }))
  wire.extended(EXTENSION_ID, encodeMessage({ t: 'auth', mac: swarmAuthMac(swarmKey, infoHash, id, seeder.options.localNodeId) }))
  seeder.addPeer(b, false, id)
  const e = await closed
  assert.match((e as { reason?: string }).reason ?? '', /before proving the swarm key/)
  if (!a.destroyed) await once(a, 'close')
  assert.deepEqual(got, [], 'no manifest came back')
})

test('a striping lane dials optimistically too, and the fetch completes over both lanes', { timeout: 60_000 }, async t => {
  // Lanes open only where they take separate paths (Tor); the download limit keeps the fetch
  // running long enough for the lane controller's first window.
  const { leecher, entry, address, log } = await fetchSetup(t, 4 * 1024 * 1024, 64 * 1024, { separateLanes: true, maxDownloadBytesPerSecond: 2 * 1024 * 1024 })
  let lanes = 0
  entry.swarm.on('event', e => { if (e.type === 'block:verified') lanes = Math.max(lanes, entry.swarm.laneCount) })
  await leecher.connect(entry, address, AbortSignal.timeout(30_000))
  await entry.swarm.whenComplete(AbortSignal.timeout(50_000))
  assert.ok(log.length >= 2 && lanes >= 2, `${log.length} connections, at most ${lanes} lanes at once`)
})

test('a share of more than 512 blocks: the leaves answer that rides with the seeder\'s proof (over the limit before it) is taken', { timeout: 60_000 }, async t => {
  // 1,100 blocks: the first leaves answer holds 1,024 leaves (32 KiB), over the 16 KiB allowed
  // before the swarm key is proven, and arrives in the same chunk as the proof. The guard read
  // it before the wire had taken the proof and dropped the seeder: "no peer offers the share".
  const { leecher, entry, address } = await fetchSetup(t, 1100 * 16 * 1024, 16 * 1024)
  const closed = new Promise<string>(resolve => {
    entry.swarm.on('event', e => { if (e.type === 'peer:closed') resolve(`closed: ${(e as { reason?: string }).reason ?? ''}`) })
  })
  await leecher.connect(entry, address, AbortSignal.timeout(30_000))
  const outcome = await Promise.race([entry.swarm.whenComplete(AbortSignal.timeout(50_000)).then(() => 'complete'), closed])
  assert.equal(outcome, 'complete')
})
