import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { OhtNode } from '../src/node/node.ts'
import { NodeNetwork } from '../src/node/network.ts'
import { LocalService } from '../src/node/service.ts'
import { exportCar, importCar } from '../src/node/car.ts'
import { TcpTransport } from '../src/onion/index.ts'
import type { Output } from './context.ts'
import { formatBytes, formatRate } from './units.ts'
import { t } from './i18n/index.ts'

export interface DemoOptions {
  size: number
  seeders: number
  keep: boolean
  out: Output
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

/**
 * A private network of nodes in this process, on real TCP sockets on 127.0.0.1: alice shares a
 * generated file, the other seeders fetch it from her and from each other, and the last node
 * fetches it from all of them at once. Then the same share travels as a CAR (IPFS interop).
 */
export async function runDemo ({ size, seeders, keep, out }: DemoOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-demo-'))
  const say = (line: string): void => { out.info(line) }
  const count = Math.max(1, Math.min(seeders, names.length - 1))
  const services: LocalService[] = []
  try {
    const input = join(dir, 'film.bin')
    say(t('demo.directory', { dir }))
    say(t('demo.transport'))
    say(t('demo.generating', { size: formatBytes(size) }))
    await generateFile(input, size)
    for (let i = 0; i <= count; i++) {
      const node = await OhtNode.open({ dataDir: join(dir, names[i]!) })
      const network = new NodeNetwork(new TcpTransport({ listen: '127.0.0.1:0' }), node.keys)
      const address = await network.listen()
      services.push(new LocalService(node, network, true))
      say(t('demo.node', { name: names[i]!.padEnd(6), nodeId: node.keys.nodeId.slice(0, 16), address }))
    }
    const addressOf = (s: LocalService): string => s.network!.address!
    const owner = services[0]!
    const shareStarted = performance.now()
    const shared = await owner.share([input], {})
    const tShare = (performance.now() - shareStarted) / 1000
    say(t('demo.shared', { seconds: tShare.toFixed(2), rate: formatRate(size / tShare) }))
    say(t('demo.link', { link: shared.link }))
    say(t('demo.verifyCap', { verifyCap: shared.verifyCap }))

    for (let i = 1; i < count; i++) {
      const s = services[i]!
      const peers = services.slice(0, i).map(addressOf)
      const r = await s.fetch(shared.link, { output: join(dir, `${names[i]!}-downloads`), peers })
      say(t('demo.fetched', { name: names[i]!, peers: r.peers, seconds: r.seconds.toFixed(2), rate: formatRate(r.bytes / r.seconds) }))
    }
    const last = services[count]!
    const peers = services.slice(0, count).map(addressOf)
    const fetched = await last.fetch(shared.link, { output: join(dir, `${names[count]!}-downloads`), peers })
    say(t('demo.fetchedAll', { name: names[count]!, peers: fetched.peers, of: peers.length, seconds: fetched.seconds.toFixed(2), rate: formatRate(fetched.bytes / fetched.seconds) }))
    const [a, b] = await Promise.all([sha256File(input), sha256File(fetched.path)])
    if (a !== b) throw new Error(t('demo.differs', { a, b }))
    say(t('demo.identical', { sha: a }))
    for (const s of services) {
      const st = (await s.status()).swarms[0]
      if (st != null) say(t('demo.traffic', { name: names[services.indexOf(s)]!.padEnd(6), up: formatBytes(st.uploaded).padStart(10), down: formatBytes(st.downloaded).padStart(10) }))
    }

    // The same ciphertext as an IPFS CAR, carried to a node outside the network.
    const carPath = join(dir, 'film.car')
    const exported = await exportCar(owner.node, shared.verifyCap, carPath)
    const offline = await OhtNode.open({ dataDir: join(dir, 'offline') })
    try {
      await importCar(offline, carPath)
      const local = await offline.fetchLocal(shared.link, join(dir, 'offline-downloads'))
      if (await sha256File(local.path) !== a) throw new Error(t('demo.carDiffers'))
      say(t('demo.car', { blocks: exported.blocks, root: exported.unixfsRoot.slice(0, 16) }))
    } finally {
      await offline.close()
    }
    out.result({ ok: true, bytes: size, link: shared.link, nodes: services.length, peers: fetched.peers, fetchSeconds: fetched.seconds, sha256: a },
      t('demo.passed'))
  } finally {
    for (const s of services) await s.close().catch(() => {})
    if (keep) say(t('demo.kept', { dir }))
    else await rm(dir, { recursive: true, force: true })
  }
}
