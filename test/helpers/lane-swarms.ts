// A seeder and a leecher swarm in one process, joined by lanes: real TCP socket pairs on
// 127.0.0.1, each lane's reads paced on their own as one Tor circuit is (so more lanes carry more).
// For the lane and streaming tests (test/integration/swarm-lanes.test.ts, swarm-seek.test.ts).
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { socketPair } from './sockets.ts'
import type { DelayProxy } from '../../src/onion/tor/delay-proxy.ts'
import { OhtNode } from '../../src/node/transfers/node.ts'
import { BlockstoreSource, blockKeyOf, decodeManifest, deriveSwarmInfoHash, openManifest, parseReadCap, restoreShare, verifyCapOf, type BlockSource } from '../../src/blocks/index.ts'
import { RateLimiter, Swarm, blockstoreStore, sourceStore, throttleReads } from '../../src/swarm/index.ts'

/** Each lane's own pace, as one Tor circuit's: lanes add up. */
export const LANE_BYTES_PER_SECOND = 3 * 1024 * 1024
export const BLOCK = 64 * 1024

/**
 * A seeder of `size` random bytes (in BLOCK-sized blocks) and a leecher that holds only the link;
 * `openLane` joins them by one more lane (the leecher dials); `addLeecher` adds another leecher.
 */
export async function laneSwarms (size: number) {
  const dir = await mkdtemp(join(tmpdir(), 'oht-lanes-'))
  const owner = await OhtNode.open({ dataDir: join(dir, 'owner') })
  const plain = randomBytes(size)
  await writeFile(join(dir, 'data.bin'), plain)
  const shared = await owner.share([join(dir, 'data.bin')], { blockSize: BLOCK })
  const cap = parseReadCap(shared.link)
  const verify = verifyCapOf(cap)
  const held = await owner.ciphertextSource(cap.manifestCid)
  assert.ok(held != null)
  const infoHash = deriveSwarmInfoHash(verify.swarmKey, cap.manifestCid.bytes)
  const leaves = (await owner.state.getLeaves(shared.id))!
  const manifest = decodeManifest(held.manifestBytes, cap.manifestCid)
  const seeder = new Swarm({ manifestCid: cap.manifestCid, swarmKey: verify.swarmKey, infoHash, localNodeId: randomBytes(32), manifest, leaves, store: sourceStore(held.source) })
  await seeder.start()
  const leecherNode = await OhtNode.open({ dataDir: join(dir, 'leecher') })
  let swarmRef: Swarm | undefined
  const leecher = new Swarm({ manifestCid: cap.manifestCid, swarmKey: verify.swarmKey, infoHash, localNodeId: randomBytes(32), store: blockstoreStore(leecherNode.blockstore, () => swarmRef?.leaves), requestTimeoutMs: 3000 })
  swarmRef = leecher
  await leecher.start()
  const seederId = Buffer.from(seeder.options.localNodeId).toString('hex')
  /**
   * Each lane in the order opened: its leecher-side and seeder-side sockets, the pace of its
   * leecher-side reads (`setRate` slows one lane down), and the block requests the seeder got on it.
   */
  const lanes: Array<{ leecherSide: Socket, seederSide: Socket, pace: RateLimiter, requested: number[] }> = []
  const proxies: DelayProxy[] = []
  /** One more lane; `delayMs` puts it behind a proxy delaying each way by that much (a far circuit). */
  const openLane = async (delayMs?: number): Promise<void> => {
    const [a, b, proxy] = delayMs == null ? await socketPair() : await socketPair(delayMs)
    if (proxy != null) proxies.push(proxy)
    const pace = new RateLimiter(LANE_BYTES_PER_SECOND)
    lanes.push({ leecherSide: a, seederSide: b, pace, requested: watchRequests(b) })
    if (leecher.addPeer(throttleReads(a, pace), true, seeder.options.localNodeId) == null) throw new Error('leecher refused the lane')
    seeder.addPeer(b, false, leecher.options.localNodeId)
  }
  const restore = async (): Promise<Buffer> => {
    const m = openManifest(leecher.manifest!.bytes, cap.contentKey, cap.manifestCid)
    const src: BlockSource = new BlockstoreSource(leecherNode.blockstore, leecher.leaves!)
    const r = await restoreShare(m, blockKeyOf(cap), src, join(dir, 'out'))
    return await readFile(r.files[0]!)
  }
  const others: Array<{ swarm: Swarm, node: OhtNode }> = []
  /** Another leecher, joined to the seeder by one unpaced connection (a plain socket pair). */
  const addLeecher = async (): Promise<Swarm> => {
    const node = await OhtNode.open({ dataDir: join(dir, `leecher${others.length + 2}`) })
    let ref: Swarm | undefined
    const swarm = new Swarm({ manifestCid: cap.manifestCid, swarmKey: verify.swarmKey, infoHash, localNodeId: randomBytes(32), store: blockstoreStore(node.blockstore, () => ref?.leaves), requestTimeoutMs: 3000 })
    ref = swarm
    others.push({ swarm, node })
    await swarm.start()
    const [a, b] = await socketPair()
    swarm.addPeer(a, true, seeder.options.localNodeId)
    seeder.addPeer(b, false, swarm.options.localNodeId)
    return swarm
  }
  const cleanup = async (): Promise<void> => {
    seeder.close(); leecher.close()
    for (const proxy of proxies) await proxy.close()
    for (const o of others) { o.swarm.close(); await o.node.close() }
    await owner.close(); await leecherNode.close(); await rm(dir, { recursive: true, force: true })
  }
  const blockCount = Math.ceil(size / BLOCK)
  return { plain, seeder, leecher, seederId, lanes, openLane, addLeecher, restore, cleanup, blockCount }
}

/**
 * The block indices of the BitTorrent requests (message id 6) read from `socket` (a seeder's side
 * of a lane, watched from its first byte: the 68-byte handshake, then length-prefixed messages).
 */
function watchRequests (socket: Socket): number[] {
  const requested: number[] = []
  let pending = Buffer.alloc(0)
  let skip = 68
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk])
    if (skip > 0) {
      const n = Math.min(skip, pending.length)
      pending = pending.subarray(n)
      skip -= n
    }
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0)
      if (pending.length < 4 + length) break
      if (length === 13 && pending[4] === 6) requested.push(pending.readUInt32BE(5))
      pending = pending.subarray(4 + length)
    }
  })
  return requested
}

/** Counts block:verified events by index: every block once, none twice. */
/** The first block at or after `start` (wrapping round the end) that `swarm` does not hold. */
export function firstMissing (swarm: Swarm, start: number): number {
  const count = swarm.header!.blockCount
  for (let k = 0; k < count; k++) if (!swarm.isHeld((start + k) % count)) return (start + k) % count
  throw new Error(`no block missing from ${start}: the share downloaded before the seeks`)
}

export function verifiedBlocks (swarm: Swarm): Map<number, number> {
  const seen = new Map<number, number>()
  swarm.on('event', e => { if (e.type === 'block:verified') seen.set(e.index, (seen.get(e.index) ?? 0) + 1) })
  return seen
}
