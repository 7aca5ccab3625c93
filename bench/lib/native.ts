// Contender "native": the single-core limit of oht's share work on this machine. One thread reads
// the file sequentially in 4 MiB chunks and, for each block, encrypts it with AES-256-GCM and
// hashes ciphertext || tag with SHA-256, with node:crypto (OpenSSL), exactly as a share does.
import { closeSync, openSync, readSync } from 'node:fs'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { childArgs, measure } from './measure.ts'

const args = childArgs()
const CHUNK = 4 * 1024 * 1024

await measure('native', async () => {
  const key = randomBytes(32)
  const nonce = Buffer.alloc(12)
  const buf = Buffer.allocUnsafe(Math.max(CHUNK, args.blockSize))
  const fd = openSync(args.file, 'r')
  let bytes = 0
  let index = 0
  let readNs = 0n
  let aesNs = 0n
  let shaNs = 0n
  const fold = Buffer.alloc(32) // XOR of all digests, so the work cannot be skipped
  try {
    for (;;) {
      const r0 = process.hrtime.bigint()
      const n = readSync(fd, buf, 0, CHUNK, null)
      readNs += process.hrtime.bigint() - r0
      if (n === 0) break
      for (let off = 0; off < n; off += args.blockSize) {
        const block = buf.subarray(off, Math.min(n, off + args.blockSize))
        const a0 = process.hrtime.bigint()
        nonce.writeBigUInt64BE(BigInt(index++), 4)
        const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 })
        const ct = cipher.update(block)
        cipher.final()
        const tag = cipher.getAuthTag()
        const a1 = process.hrtime.bigint()
        const digest = createHash('sha256').update(ct).update(tag).digest()
        shaNs += process.hrtime.bigint() - a1
        aesNs += a1 - a0
        for (let i = 0; i < 32; i++) fold[i]! ^= digest[i]!
      }
      bytes += n
    }
  } finally {
    closeSync(fd)
  }
  const s = (ns: bigint): number => Number(ns) / 1e9
  return { bytes, extra: { blocks: index, readSeconds: s(readNs), aesGcmSeconds: s(aesNs), sha256Seconds: s(shaNs), fold: fold.toString('hex') } }
})
