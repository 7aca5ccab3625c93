import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { OhtNode } from '../src/node/node.ts'
import { exportCar, importCar } from '../src/node/car.ts'
import type { Output } from './context.ts'
import { formatBytes, formatRate } from './units.ts'

export interface DemoOptions {
  size: number
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

export async function runDemo ({ size, keep, out }: DemoOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-demo-'))
  const say = (line: string): void => { out.info(line) }
  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now()
    const v = await fn()
    return [v, (performance.now() - t) / 1000]
  }
  try {
    const input = join(dir, 'film.bin')
    say(`demo directory: ${dir}`)
    say(`generating ${formatBytes(size)} of test data...`)
    await generateFile(input, size)
    const alice = await OhtNode.open({ dataDir: join(dir, 'alice') })
    const bob = await OhtNode.open({ dataDir: join(dir, 'bob') })
    try {
      say(`alice is node ${alice.keys.nodeId.slice(0, 16)}…, bob is node ${bob.keys.nodeId.slice(0, 16)}…`)
      const [shared, tShare] = await timed(async () => await alice.share([input]))
      say(`alice shared film.bin in ${tShare.toFixed(2)} s (${formatRate(size / tShare)}): encrypted, hashed, nothing copied`)
      say(`  link:              ${shared.link}`)
      say(`  verify capability: ${shared.verifyCap}`)
      const carPath = join(dir, 'film.car')
      const [exported, tExport] = await timed(async () => await exportCar(alice, shared.verifyCap, carPath))
      say(`alice exported the ciphertext as a CAR in ${tExport.toFixed(2)} s: ${exported.blocks} blocks, UnixFS root ${exported.unixfsRoot}`)
      const [imported, tImport] = await timed(async () => await importCar(bob, carPath))
      say(`bob imported the CAR in ${tImport.toFixed(2)} s: every block checked against its CID and the Merkle root (${imported.blocks} blocks)`)
      const [fetched, tFetch] = await timed(async () => await bob.fetchLocal(shared.link, join(dir, 'bob-downloads')))
      say(`bob fetched the share with the link in ${tFetch.toFixed(2)} s (${formatRate(size / tFetch)}) to ${fetched.path}`)
      const [a, b] = await Promise.all([sha256File(input), sha256File(fetched.path)])
      if (a !== b) throw new Error(`demo failed: the fetched file differs from the original (${a} vs ${b})`)
      say(`sha256 of original and fetched file: ${a} (identical)`)
      out.result({ ok: true, bytes: size, link: shared.link, shareSeconds: tShare, exportSeconds: tExport, importSeconds: tImport, fetchSeconds: tFetch, sha256: a },
        'demo passed. (Fetching from peers over the swarm, the DHT and Tor are not built yet.)')
    } finally {
      await alice.close()
      await bob.close()
    }
  } finally {
    if (keep) say(`kept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}
