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
    say(`demo directory: ${dir}`)
    say('transport: TCP on 127.0.0.1 (NOT anonymous; the Tor transport is not built yet)')
    say(`generating ${formatBytes(size)} of test data...`)
    await generateFile(input, size)
    for (let i = 0; i <= count; i++) {
      const node = await OhtNode.open({ dataDir: join(dir, names[i]!) })
      const network = new NodeNetwork(new TcpTransport({ listen: '127.0.0.1:0' }), node.keys)
      const address = await network.listen()
      services.push(new LocalService(node, network, true))
      say(`  ${names[i]!.padEnd(6)} node ${node.keys.nodeId.slice(0, 16)}…  listening on ${address}`)
    }
    const addressOf = (s: LocalService): string => s.network!.address!
    const owner = services[0]!
    let t = performance.now()
    const shared = await owner.share([input], {})
    const tShare = (performance.now() - t) / 1000
    say(`alice shared film.bin in ${tShare.toFixed(2)} s (${formatRate(size / tShare)}): encrypted and hashed in place, nothing copied`)
    say(`  link:              ${shared.link}`)
    say(`  verify capability: ${shared.verifyCap}`)

    for (let i = 1; i < count; i++) {
      const s = services[i]!
      const peers = services.slice(0, i).map(addressOf)
      const r = await s.fetch(shared.link, { output: join(dir, `${names[i]!}-downloads`), peers })
      say(`${names[i]!} fetched it from ${r.peers} peer${r.peers === 1 ? '' : 's'} in ${r.seconds.toFixed(2)} s (${formatRate(r.bytes / r.seconds)}) and now seeds it`)
    }
    const last = services[count]!
    const peers = services.slice(0, count).map(addressOf)
    const fetched = await last.fetch(shared.link, { output: join(dir, `${names[count]!}-downloads`), peers })
    say(`${names[count]!} fetched it from ${fetched.peers} of ${peers.length} peers at once in ${fetched.seconds.toFixed(2)} s (${formatRate(fetched.bytes / fetched.seconds)})`)
    const [a, b] = await Promise.all([sha256File(input), sha256File(fetched.path)])
    if (a !== b) throw new Error(`demo failed: the fetched file differs from the original (${a} vs ${b})`)
    say(`sha256 of original and fetched file: ${a} (identical)`)
    for (const s of services) {
      const st = (await s.status()).swarms[0]
      if (st != null) say(`  ${names[services.indexOf(s)]!.padEnd(6)} uploaded ${formatBytes(st.uploaded).padStart(10)}, downloaded ${formatBytes(st.downloaded).padStart(10)}`)
    }

    // The same ciphertext as an IPFS CAR, carried to a node outside the network.
    const carPath = join(dir, 'film.car')
    const exported = await exportCar(owner.node, shared.verifyCap, carPath)
    const offline = await OhtNode.open({ dataDir: join(dir, 'offline') })
    try {
      await importCar(offline, carPath)
      const local = await offline.fetchLocal(shared.link, join(dir, 'offline-downloads'))
      if (await sha256File(local.path) !== a) throw new Error('demo failed: the CAR round trip differs')
      say(`CAR export (${exported.blocks} blocks, UnixFS root ${exported.unixfsRoot.slice(0, 16)}…) imported and decrypted on an offline node: identical`)
    } finally {
      await offline.close()
    }
    out.result({ ok: true, bytes: size, link: shared.link, nodes: services.length, peers: fetched.peers, fetchSeconds: fetched.seconds, sha256: a },
      'demo passed.')
  } finally {
    for (const s of services) await s.close().catch(() => {})
    if (keep) say(`kept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}
