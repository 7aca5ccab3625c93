// The swarm engine over real TCP sockets on 127.0.0.1, in one process: real files, real
// blockstores. (The oht connection handshake and the daemon wiring come with their own tests.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { socketPair } from '../helpers/sockets.ts'
import type { Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OhtNode } from '../../src/node/transfers/node.ts'
import { BlockstoreSource, blockKeyOf, deriveSwarmInfoHash, parseReadCap, restoreShare, verifyCapOf, openManifest, type BlockSource } from '../../src/blocks/index.ts'
import { Swarm, sourceStore, blockstoreStore, type SwarmStore } from '../../src/swarm/index.ts'
import { MAX_REFUSALS_PER_BLOCK } from '../../src/swarm/constants.ts'

async function connectSwarms (a: Swarm, b: Swarm): Promise<void> {
  const [s1, s2] = await socketPair()
  a.addPeer(s1, true, b.options.localNodeId)
  b.addPeer(s2, false, a.options.localNodeId)
}

/** A seeder whose store can be made to lie. */
function lyingStore (inner: SwarmStore): SwarmStore {
  return { has: inner.has, get: async i => { const b = Buffer.from(await inner.get(i)); b[10]! ^= 0xff; return b } }
}

async function setup (size: number) {
  const dir = await mkdtemp(join(tmpdir(), 'oht-swarm-'))
  const owner = await OhtNode.open({ dataDir: join(dir, 'owner') })
  const plain = randomBytes(size)
  await writeFile(join(dir, 'data.bin'), plain)
  const shared = await owner.share([join(dir, 'data.bin')], { blockSize: 64 * 1024 })
  const cap = parseReadCap(shared.link)
  const verify = verifyCapOf(cap)
  const held = await owner.ciphertextSource(cap.manifestCid)
  assert.ok(held != null)
  const infoHash = deriveSwarmInfoHash(verify.swarmKey, cap.manifestCid.bytes)
  const leaves = (await owner.state.getLeaves(shared.id))!
  const { decodeManifest } = await import('../../src/blocks/index.ts')
  const manifest = decodeManifest(held.manifestBytes, cap.manifestCid)
  /** `lie`: what a hostile seeder serves instead of the share's own manifest or leaves. */
  const seeder = (store: SwarmStore, lie: { manifest?: typeof manifest, leaves?: Uint8Array } = {}): Swarm =>
    new Swarm({ manifestCid: cap.manifestCid, swarmKey: verify.swarmKey, infoHash, localNodeId: randomBytes(32), manifest: lie.manifest ?? manifest, leaves: lie.leaves ?? leaves, store })
  const leecherNode = await OhtNode.open({ dataDir: join(dir, 'leecher') })
  let swarmRef: Swarm | undefined
  const leecher = new Swarm({ manifestCid: cap.manifestCid, swarmKey: verify.swarmKey, infoHash, localNodeId: randomBytes(32), store: blockstoreStore(leecherNode.blockstore, () => swarmRef?.leaves), requestTimeoutMs: 2000, metadataTimeoutMs: 3000 })
  swarmRef = leecher
  const cleanup = async (): Promise<void> => { await owner.close(); await leecherNode.close(); await rm(dir, { recursive: true, force: true }) }
  const restore = async (): Promise<Buffer> => {
    const m = openManifest(leecher.manifest!.bytes, cap.contentKey, cap.manifestCid)
    const src: BlockSource = new BlockstoreSource(leecherNode.blockstore, leecher.leaves!)
    const r = await restoreShare(m, blockKeyOf(cap), src, join(dir, 'out'))
    return await readFile(r.files[0]!)
  }
  return { dir, owner, plain, source: held.source, seeder, leecher, cleanup, restore }
}

test('4 seeders → 1 leecher that holds only the capability: manifest, leaves and blocks from several peers, byte-identical', async () => {
  const s = await setup(3 * 1024 * 1024 + 777)
  const seeders = Array.from({ length: 4 }, () => s.seeder(sourceStore(s.source)))
  try {
    for (const sd of seeders) await sd.start()
    await s.leecher.start()
    const from = new Set<string>()
    s.leecher.on('event', e => { if (e.type === 'block:verified') from.add(e.peer) })
    const counts: Record<string, number> = {}
    s.leecher.on('event', e => { counts[e.type] = (counts[e.type] ?? 0) + 1 })
    for (const sd of seeders) sd.on('event', e => { counts['seed:' + e.type] = (counts['seed:' + e.type] ?? 0) + 1 })
    for (const sd of seeders) await connectSwarms(s.leecher, sd)
    await s.leecher.whenComplete(AbortSignal.timeout(20_000))
    assert.ok((await s.restore()).equals(s.plain))
    assert.ok(from.size >= 2, `blocks came from ${from.size} seeders`)
    const served = seeders.reduce((n, sd) => n + sd.stats().uploaded, 0)
    const got = s.leecher.stats().downloaded
    assert.ok(served <= got * 1.25, `seeders served ${served} bytes for ${got} received: too many duplicates ${JSON.stringify(counts)}`)
  } finally {
    // Closed on failure too, or the seeders keep the test process alive.
    for (const sd of [...seeders, s.leecher]) sd.close()
    await s.cleanup()
  }
})

test('a seeder that serves corrupt blocks is banned and the file still arrives intact from the others', async () => {
  const s = await setup(2 * 1024 * 1024)
  try {
    const liar = s.seeder(lyingStore(sourceStore(s.source)))
    const honest = s.seeder(sourceStore(s.source))
    await liar.start(); await honest.start(); await s.leecher.start()
    const rejected: number[] = []
    s.leecher.on('event', e => { if (e.type === 'block:rejected') rejected.push(e.index) })
    await connectSwarms(s.leecher, liar)
    await connectSwarms(s.leecher, honest)
    await s.leecher.whenComplete(AbortSignal.timeout(20_000))
    assert.ok((await s.restore()).equals(s.plain))
    assert.ok(s.leecher.banned.has(Buffer.from(liar.options.localNodeId).toString('hex')), 'liar banned')
    assert.ok(rejected.length >= 1)
    liar.close(); honest.close(); s.leecher.close()
  } finally { await s.cleanup() }
})

test('a seeder that never answers: its requests time out and move to another peer', async () => {
  const s = await setup(1024 * 1024)
  try {
    const silent = s.seeder({ has: async () => true, get: async () => await new Promise<Uint8Array>(() => {}) })
    const honest = s.seeder(sourceStore(s.source))
    await silent.start(); await honest.start(); await s.leecher.start()
    // The first request to expire (the leecher's request timeout is 2 s); the deadline only catches
    // a leecher that never times a request out.
    const timedOut = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('no request to the silent peer timed out in 60 s')) }, 60_000)
      s.leecher.on('event', e => { if (e.type === 'block:timeout') { clearTimeout(timer); resolve() } })
    })
    try {
      await connectSwarms(s.leecher, silent)
      await timedOut
      await connectSwarms(s.leecher, honest)
      await s.leecher.whenComplete(AbortSignal.timeout(20_000))
      assert.ok((await s.restore()).equals(s.plain))
    } finally { silent.close(); honest.close(); s.leecher.close() }
  } finally { await s.cleanup() }
})

test('a peer that advertises every block and never answers the metadata request does not stall the fetch', async () => {
  const s = await setup(1024 * 1024)
  const { PeerWire } = await import('../../src/swarm/index.ts')
  try {
    const honest = s.seeder(sourceStore(s.source))
    await honest.start()
    await s.leecher.start()
    // The mute peer connects first, so it is the one asked for the manifest.
    const [a, b] = await socketPair()
    const muteId = randomBytes(32)
    const o = honest.options
    const mute = new PeerWire({ stream: b, initiator: false, infoHash: o.infoHash, swarmKey: o.swarmKey, localNodeId: muteId, remoteNodeId: s.leecher.options.localNodeId, maxBlockBytes: 1 << 20 })
    mute.on('close', () => {})
    mute.on('ready', () => { mute.wire.bitfield(Buffer.from([0xff, 0xff])) }) // 16 blocks of 64 KiB
    const timeouts: string[] = []
    s.leecher.on('event', e => { if (e.type === 'metadata:timeout') timeouts.push(e.peer) })
    s.leecher.addPeer(a, true, muteId)
    await new Promise<void>(resolve => { s.leecher.once('event', () => { resolve() }) })
    await connectSwarms(s.leecher, honest)
    await s.leecher.whenComplete(AbortSignal.timeout(60_000))
    assert.ok((await s.restore()).equals(s.plain))
    assert.deepEqual(timeouts, [muteId.toString('hex')])
    for (const sw of [honest, s.leecher]) sw.close()
    mute.close()
  } finally { await s.cleanup() }
})

test('a leecher without metadata says it is interested at once: the unchoke arrives before the leaves (one round trip less over Tor)', async () => {
  const s = await setup(1024 * 1024)
  const seeder = s.seeder(sourceStore(s.source))
  try {
    await seeder.start()
    await s.leecher.start()
    const unchokedAtLeaves = new Promise<boolean>(resolve => {
      s.leecher.on('event', e => {
        if (e.type === 'leaves:verified') resolve(s.leecher.snapshot().peerList.some(p => !p.peerChoking))
      })
    })
    await connectSwarms(s.leecher, seeder)
    assert.equal(await unchokedAtLeaves, true, 'the seeder had unchoked the leecher by the time its leaves were verified')
    await s.leecher.whenComplete(AbortSignal.timeout(20_000))
    assert.ok((await s.restore()).equals(s.plain))
  } finally {
    for (const sw of [seeder, s.leecher]) sw.close()
    await s.cleanup()
  }
})

/** Connects `first` and waits for the leecher's first event (it asks `first` for the metadata), then the others. */
async function firstThen (s: Awaited<ReturnType<typeof setup>>, first: Swarm, ...others: Swarm[]): Promise<void> {
  const seen = new Promise<void>(resolve => { s.leecher.once('event', () => { resolve() }) })
  await connectSwarms(s.leecher, first)
  await seen
  for (const o of others) await connectSwarms(s.leecher, o)
}

const idOf = (sw: Swarm): string => Buffer.from(sw.options.localNodeId).toString('hex')

test('hostile metadata: leaves that do not match the root, a different share\'s manifest: the liar is banned, the fetch completes from the honest seeder', async () => {
  for (const lie of ['leaves', 'manifest'] as const) {
    const s = await setup(1024 * 1024)
    const swarms: Swarm[] = [s.leecher]
    try {
      let liar: Swarm
      if (lie === 'leaves') {
        const leaves = Uint8Array.from((s.seeder(sourceStore(s.source))).options.leaves!)
        leaves[40]! ^= 0x01
        liar = s.seeder(sourceStore(s.source), { leaves })
      } else {
        await writeFile(join(s.dir, 'other.bin'), randomBytes(1024 * 1024))
        const other = await s.owner.share([join(s.dir, 'other.bin')], { blockSize: 64 * 1024 })
        const otherCap = parseReadCap(other.link)
        const held = (await s.owner.ciphertextSource(otherCap.manifestCid))!
        const { decodeManifest } = await import('../../src/blocks/index.ts')
        liar = s.seeder(sourceStore(s.source), { manifest: decodeManifest(held.manifestBytes, otherCap.manifestCid) })
      }
      const honest = s.seeder(sourceStore(s.source))
      swarms.push(liar, honest)
      await liar.start(); await honest.start(); await s.leecher.start()
      // The liar's metadata taken fails the test at once (it stalled the fetch until its timeout).
      const taken = new Promise<never>((_resolve, reject) => {
        s.leecher.on('event', e => {
          if (e.type === (lie === 'leaves' ? 'leaves:verified' : 'manifest:received') && e.peer === idOf(liar)) reject(new Error(`${lie}: the liar's ${lie} taken`))
        })
      })
      await firstThen(s, liar, honest)
      await Promise.race([s.leecher.whenComplete(AbortSignal.timeout(60_000)), taken])
      assert.ok((await s.restore()).equals(s.plain), `${lie}: byte-identical`)
      assert.ok(s.leecher.banned.has(idOf(liar)), `${lie}: the liar is banned`)
    } finally {
      for (const sw of swarms) sw.close()
      await s.cleanup()
    }
  }
})

test('blocks one byte short are rejected and their seeder banned; the fetch completes intact', async () => {
  const s = await setup(1024 * 1024)
  const short: SwarmStore = { has: async i => await sourceStore(s.source).has(i), get: async i => (await sourceStore(s.source).get(i)).subarray(0, -1) }
  const liar = s.seeder(short)
  const honest = s.seeder(sourceStore(s.source))
  try {
    await liar.start(); await honest.start(); await s.leecher.start()
    await connectSwarms(s.leecher, liar)
    await connectSwarms(s.leecher, honest)
    await s.leecher.whenComplete(AbortSignal.timeout(60_000))
    assert.ok((await s.restore()).equals(s.plain))
    assert.ok(s.leecher.banned.has(idOf(liar)), 'banned')
  } finally {
    for (const sw of [liar, honest, s.leecher]) sw.close()
    await s.cleanup()
  }
})

test('a lying bitfield (every block advertised, half of them refused) and a 1 byte/s drip do not stall the fetch', async () => {
  const s = await setup(1024 * 1024)
  const real = sourceStore(s.source)
  const liar = s.seeder({ has: async () => true, get: async i => { if (i % 2 === 1) throw new Error('not held'); return await real.get(i) } })
  const drip = s.seeder(sourceStore(s.source))
  const honest = s.seeder(sourceStore(s.source))
  const sockets: Socket[] = []
  try {
    await liar.start(); await drip.start(); await honest.start(); await s.leecher.start()
    // The drip: its first 8 KiB (handshakes, metadata) at full speed, then one byte a second.
    const [leecherSide, proxyIn] = await socketPair()
    const [proxyOut, dripSide] = await socketPair()
    sockets.push(leecherSide, proxyIn, proxyOut, dripSide)
    proxyIn.pipe(proxyOut)
    let passed = 0
    const pending: Buffer[] = []
    dripSide.on('error', () => {})
    proxyOut.on('data', (chunk: Buffer) => {
      const fast = chunk.subarray(0, Math.max(0, 8192 - passed))
      passed += fast.length
      if (fast.length > 0) proxyIn.write(fast)
      if (fast.length < chunk.length) pending.push(chunk.subarray(fast.length))
    })
    const ticker = setInterval(() => {
      const head = pending[0]
      if (head == null || proxyIn.destroyed) return
      proxyIn.write(head.subarray(0, 1))
      if (head.length === 1) pending.shift(); else pending[0] = head.subarray(1)
    }, 1000)
    const asked = new Map<string, number>()
    const liarAsked = new Map<number, number>()
    s.leecher.on('event', e => {
      if (e.type === 'block:requested' || e.type === 'block:timeout') asked.set(`${e.type} ${e.peer}`, (asked.get(`${e.type} ${e.peer}`) ?? 0) + 1)
      if (e.type === 'block:requested' && e.peer === idOf(liar)) liarAsked.set(e.index, (liarAsked.get(e.index) ?? 0) + 1)
    })
    try {
      s.leecher.addPeer(leecherSide, true, drip.options.localNodeId)
      drip.addPeer(dripSide, false, s.leecher.options.localNodeId)
      await connectSwarms(s.leecher, liar)
      await connectSwarms(s.leecher, honest)
      await s.leecher.whenComplete(AbortSignal.timeout(60_000))
      assert.ok((await s.restore()).equals(s.plain))
      assert.ok((asked.get(`block:requested ${idOf(drip)}`) ?? 0) > 0, `the drip was asked for blocks: ${JSON.stringify([...asked])}`)
      assert.ok((asked.get(`block:requested ${idOf(liar)}`) ?? 0) > 0, 'the liar was asked for blocks')
      // A block the liar refused is not asked of it again past the bound (it is taken from the others).
      const most = Math.max(...liarAsked.values())
      assert.ok(most <= MAX_REFUSALS_PER_BLOCK, `the liar was asked for one block ${most} times: ${JSON.stringify([...liarAsked])}`)
    } finally { clearInterval(ticker) }
  } finally {
    for (const sw of [liar, drip, honest, s.leecher]) sw.close()
    for (const so of sockets) so.destroy()
    await s.cleanup()
  }
})

test('a leecher asks for the first leaf range together with the manifest (one round trip less over Tor)', async () => {
  const s = await setup(1024 * 1024)
  const seeder = s.seeder(sourceStore(s.source))
  try {
    await seeder.start()
    await s.leecher.start()
    const [toSeeder, fromLeecher] = await socketPair()
    let leavesAsked = false
    const write = toSeeder.write.bind(toSeeder) as (chunk: Uint8Array, ...rest: unknown[]) => boolean
    toSeeder.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
      if (Buffer.from(chunk).includes('leaves?')) leavesAsked = true
      return write(chunk, ...rest)
    }) as typeof toSeeder.write
    const askedBeforeManifest = new Promise<boolean>(resolve => {
      s.leecher.on('event', e => { if (e.type === 'manifest:received') resolve(leavesAsked) })
    })
    s.leecher.addPeer(toSeeder, true, seeder.options.localNodeId)
    seeder.addPeer(fromLeecher, false, s.leecher.options.localNodeId)
    assert.equal(await askedBeforeManifest, true, 'leaves? was on the wire before the manifest arrived')
    await s.leecher.whenComplete(AbortSignal.timeout(20_000))
    assert.ok((await s.restore()).equals(s.plain))
  } finally {
    for (const sw of [seeder, s.leecher]) sw.close()
    await s.cleanup()
  }
})
