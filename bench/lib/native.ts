// Contender "native": the limit of oht's share work on this machine. Each thread reads its part of
// the file sequentially in 4 MiB chunks and, for each block, encrypts it with AES-256-GCM and
// hashes ciphertext || tag with SHA-256, with node:crypto (OpenSSL), exactly as a share does.
// threads = 1 (the default) is the single-core limit; threads = N splits the file into N ranges
// worked on by N worker threads (the all-cores ceiling, for reference).
import { closeSync, openSync, readSync } from 'node:fs'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { statSync } from 'node:fs'
import { childArgs, measure } from './measure.ts'

const CHUNK = 4 * 1024 * 1024

interface Range { file: string, blockSize: number, start: number, end: number, firstIndex: number, key: Buffer }
interface Tally { bytes: number, blocks: number, readNs: bigint, aesNs: bigint, shaNs: bigint, fold: Buffer }

function work (r: Range): Tally {
  const nonce = Buffer.alloc(12)
  const buf = Buffer.allocUnsafe(Math.max(CHUNK, r.blockSize))
  const fd = openSync(r.file, 'r')
  const t: Tally = { bytes: 0, blocks: 0, readNs: 0n, aesNs: 0n, shaNs: 0n, fold: Buffer.alloc(32) } // fold: XOR of all digests, so no work can be skipped
  let index = r.firstIndex
  try {
    for (let pos = r.start; pos < r.end;) {
      const r0 = process.hrtime.bigint()
      const n = readSync(fd, buf, 0, Math.min(CHUNK, r.end - pos), pos)
      t.readNs += process.hrtime.bigint() - r0
      if (n === 0) break
      for (let off = 0; off < n; off += r.blockSize) {
        const block = buf.subarray(off, Math.min(n, off + r.blockSize))
        const a0 = process.hrtime.bigint()
        nonce.writeBigUInt64BE(BigInt(index++), 4)
        const cipher = createCipheriv('aes-256-gcm', r.key, nonce, { authTagLength: 16 })
        const ct = cipher.update(block)
        cipher.final()
        const tag = cipher.getAuthTag()
        const a1 = process.hrtime.bigint()
        const digest = createHash('sha256').update(ct).update(tag).digest()
        t.shaNs += process.hrtime.bigint() - a1
        t.aesNs += a1 - a0
        for (let i = 0; i < 32; i++) t.fold[i]! ^= digest[i]!
        t.blocks++
      }
      pos += n
      t.bytes += n
    }
  } finally {
    closeSync(fd)
  }
  return t
}

if (!isMainThread) {
  parentPort!.postMessage(work(workerData as Range))
} else {
  const args = childArgs()
  const threads = Math.max(1, args.threads ?? 1)
  await measure(threads === 1 ? 'native' : `native-${threads}t`, async () => {
    const key = randomBytes(32)
    const size = statSync(args.file).size
    const blocks = Math.ceil(size / args.blockSize)
    let tallies: Tally[]
    if (threads === 1) {
      tallies = [work({ file: args.file, blockSize: args.blockSize, start: 0, end: size, firstIndex: 0, key })]
    } else {
      const per = Math.ceil(blocks / threads)
      tallies = await Promise.all(Array.from({ length: threads }, async (_, i) => {
        const first = Math.min(blocks, i * per)
        const range: Range = { file: args.file, blockSize: args.blockSize, start: first * args.blockSize, end: Math.min(size, (first + per) * args.blockSize), firstIndex: first, key }
        const worker = new Worker(new URL(import.meta.url), { workerData: range })
        return await new Promise<Tally>((resolve, reject) => {
          worker.once('message', resolve)
          worker.once('error', reject)
        })
      }))
    }
    const s = (ns: bigint): number => Number(ns) / 1e9
    const sum = (f: (t: Tally) => bigint): bigint => tallies.reduce((a, t) => a + f(t), 0n)
    const fold = Buffer.alloc(32)
    for (const t of tallies) for (let i = 0; i < 32; i++) fold[i]! ^= t.fold[i]!
    return {
      bytes: tallies.reduce((a, t) => a + t.bytes, 0),
      extra: { threads, blocks: tallies.reduce((a, t) => a + t.blocks, 0), readSeconds: s(sum(t => t.readNs)), aesGcmSeconds: s(sum(t => t.aesNs)), sha256Seconds: s(sum(t => t.shaNs)), fold: fold.toString('hex') }
    }
  })
}
