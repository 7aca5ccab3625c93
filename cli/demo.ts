import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { exportCar, importCar, NodeRuntime, OhtNode, type FoundPeers } from '../src/node/index.ts'
import { parseReadCap, verifyCapOf } from '../src/blocks/index.ts'
import { TcpTransport, TorTestNetwork, TorTransport, type Transport } from '../src/onion/index.ts'
import { fileSealer } from '../src/store/seal.ts'
import type { Output } from './context.ts'
import { formatBytes, formatRate } from './units.ts'
import { t } from './i18n/index.ts'

export interface DemoOptions {
  size: number
  seeders: number
  keep: boolean
  out: Output
  /** tcp (default: quick, NOT anonymous) or tor: a private Tor network on 127.0.0.1 first. */
  transport?: 'tcp' | 'tor'
  /** --memory: the nodes keep keys, state and blocks in memory (no node folders). */
  memory?: boolean
}

/** Random-looking bytes at memory speed: AES-CTR over zeros, written in 1 MiB pieces. */
export async function generateFile (path: string, size: number): Promise<void> {
  const cipher = createCipheriv('aes-256-ctr', randomBytes(32), randomBytes(16))
  const zeros = Buffer.alloc(1024 * 1024)
  async function * chunks (): AsyncGenerator<Buffer> {
    for (let left = size; left > 0; left -= zeros.length) yield cipher.update(zeros.subarray(0, Math.min(left, zeros.length)))
  }
  await pipeline(chunks(), createWriteStream(path))
}

export async function sha256File (path: string): Promise<string> {
  const h = createHash('sha256')
  await pipeline(createReadStream(path), h)
  return h.digest('hex')
}

const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']
/** How long the fetching node keeps asking the DHT until every seeder's announcement is there. */
const ANNOUNCE_WAIT_MS = 20_000

/**
 * A private network of nodes in this process, on real sockets on 127.0.0.1 (plain TCP, or onion
 * services of a private Tor network): every node joins the DHT through alice; alice shares a
 * generated file, the other seeders fetch it from her and from each other, and the last node,
 * given only the link, finds them all in the DHT and fetches from all of them at once. Then the
 * same share travels as a CAR (IPFS interop).
 */
export async function runDemo ({ size, seeders, keep, out, transport = 'tcp', memory = false }: DemoOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-demo-'))
  const say = (line: string): void => { out.info(line) }
  const count = Math.max(1, Math.min(seeders, names.length - 1))
  const nodes: NodeRuntime[] = []
  let tor: TorTestNetwork | undefined
  try {
    const input = join(dir, 'film.bin')
    say(t('demo.directory', { dir }))
    let makeTransport: (nodeDir: string, storageKey: Uint8Array) => Transport = () => new TcpTransport({ listen: '127.0.0.1:0' })
    if (transport === 'tor') {
      say(t('demo.torStarting'))
      const started = performance.now()
      // --memory: the authorities' keys are not cached for the next run either (a trace in the temp dir).
      tor = await TorTestNetwork.start({ root: join(dir, 'tor-network'), ...(memory ? { keyCache: null } : {}) })
      const client = await tor.startClient()
      say(t('demo.torReady', { seconds: ((performance.now() - started) / 1000).toFixed(1) }))
      // --memory: no key file, and tor discards the key (a new address every run).
      makeTransport = (nodeDir, storageKey) => new TorTransport({
        tor: { kind: 'attach', port: client.controlPort, cookieFile: client.cookieFile },
        ...(memory ? { discardKey: true } : { keyFile: join(nodeDir, 'onion.key'), keySealer: fileSealer(storageKey, 'onion.key') })
      })
    } else {
      say(t('demo.transport'))
    }
    say(t('demo.generating', { size: formatBytes(size) }))
    await generateFile(input, size)
    for (let i = 0; i <= count; i++) {
      const nodeDir = join(dir, names[i]!)
      const runtime = await NodeRuntime.open({
        dataDir: nodeDir,
        ...(memory ? { memory: true } : {}),
        transport: keys => makeTransport(nodeDir, keys.storageKey),
        daemon: true,
        dht: { bootstrap: i === 0 ? [] : [nodes[0]!.network!.address!], saveRoutingTable: false }
      })
      nodes.push(runtime)
      const address = await runtime.join()
      say(t('demo.node', { name: names[i]!.padEnd(6), nodeId: runtime.node.keys.nodeId.slice(0, 16), address }))
    }
    const services = nodes.map(n => n.service)
    const addressOf = (n: NodeRuntime): string => n.network!.address!
    const owner = services[0]!
    const shareStarted = performance.now()
    const shared = await owner.share([input], {})
    // The link as every other node would get it: as text, parsed once.
    const cap = parseReadCap(shared.link)
    const tShare = (performance.now() - shareStarted) / 1000
    say(t('demo.shared', { seconds: tShare.toFixed(2), rate: formatRate(size / tShare) }))
    say(t('demo.link', { link: shared.link }))
    say(t('demo.verifyCap', { verifyCap: shared.verifyCap }))

    for (let i = 1; i < count; i++) {
      const s = services[i]!
      const peers = nodes.slice(0, i).map(addressOf)
      const r = await s.fetch(cap, { output: join(dir, `${names[i]!}-downloads`), peers })
      say(t('demo.fetched', { name: names[i]!, peers: r.peers, seconds: r.seconds.toFixed(2), rate: formatRate(r.bytes / r.seconds) }))
    }
    // The last node has only the link: the DHT tells it who provides the share.
    const last = services[count]!
    const lookup = async (): Promise<FoundPeers> => await nodes[count]!.discovery!.findPeers(verifyCapOf(cap))
    let found = await lookup()
    // A seeder announces itself while it fetches, without waiting for the DHT: over Tor the last
    // one's record can still be on its way (a store takes a few circuits). Ask again, bounded.
    const giveUpAt = performance.now() + ANNOUNCE_WAIT_MS
    while (found.addresses.length < count && performance.now() < giveUpAt) {
      await sleep(1000)
      found = await lookup()
    }
    say(t('demo.found', { name: names[count]!, n: found.addresses.length, hops: found.hops, messages: found.messages }))
    // Live progress, once a second.
    const fetchStarted = performance.now()
    let shown = 0
    const fetched = await last.fetch(cap, { output: join(dir, `${names[count]!}-downloads`), peers: found.addresses }, e => {
      if (e.type !== 'progress' || e.bytesTotal === 0) return
      const now = performance.now()
      if (now - shown < 1000 || e.bytesDone === e.bytesTotal) return
      shown = now
      say(t('demo.progress', { name: names[count]!, percent: Math.floor(100 * e.bytesDone / e.bytesTotal), rate: formatRate(e.bytesDone / ((now - fetchStarted) / 1000)), peers: e.peers }))
    })
    say(t('demo.fetchedAll', { name: names[count]!, peers: fetched.peers, of: found.addresses.length, seconds: fetched.seconds.toFixed(2), rate: formatRate(fetched.bytes / fetched.seconds) }))
    const [a, b] = await Promise.all([sha256File(input), sha256File(fetched.path)])
    if (a !== b) throw new Error(t('demo.differs', { a, b }))
    say(t('demo.identical', { sha: a }))
    for (const s of services) {
      const st = (await s.status()).swarms[0]
      if (st != null) say(t('demo.traffic', { name: names[services.indexOf(s)]!.padEnd(6), up: formatBytes(st.uploaded).padStart(10), down: formatBytes(st.downloaded).padStart(10) }))
    }

    // The same ciphertext as an IPFS CAR, carried to a node outside the network.
    const carPath = join(dir, 'film.car')
    const exported = await exportCar(owner.node, verifyCapOf(cap), carPath)
    const offline = await OhtNode.open({ dataDir: join(dir, 'offline'), ...(memory ? { memory: true } : {}) })
    try {
      await importCar(offline, carPath)
      const local = await offline.fetchLocal(cap, join(dir, 'offline-downloads'))
      if (await sha256File(local.path) !== a) throw new Error(t('demo.carDiffers'))
      say(t('demo.car', { blocks: exported.blocks, root: exported.unixfsRoot.slice(0, 16) }))
    } finally {
      await offline.close()
    }
    out.result({ ok: true, transport, addresses: nodes.map(addressOf), bytes: size, link: shared.link, nodes: services.length, providers: found.addresses.length, peers: fetched.peers, fetchSeconds: fetched.seconds, sha256: a },
      t('demo.passed'))
  } finally {
    for (const n of nodes) await n.close().catch(() => {})
    await tor?.stop().catch(() => {})
    if (keep) say(t('demo.kept', { dir }))
    else await rm(dir, { recursive: true, force: true })
  }
}
