// Worker thread: encrypts and hashes runs of blocks so both cores work on a share.
import { parentPort } from 'node:worker_threads'
import { createCipheriv, createHash, createSecretKey } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

// Each job leaves ~16 dead 256 KiB ciphertext buffers; V8 lets them pile up to hundreds of MiB
// before collecting. A minor GC after each job keeps a share's RSS flat (bench/RESULTS.md).
let collect: ((options: { type: 'minor' }) => void) | undefined
try {
  setFlagsFromString('--expose-gc')
  collect = runInNewContext('gc') as typeof collect
} catch { /* fine without: only memory is at stake */ }

export interface SealJob {
  id: number
  key: Uint8Array
  firstIndex: number
  blockSize: number
  data: ArrayBuffer
  length: number
  wantCiphertext: boolean
}

export interface SealResult {
  id: number
  digests: ArrayBuffer
  ciphertext?: ArrayBuffer
  error?: string
}

const TAG = 16
const nonce = Buffer.alloc(12)

parentPort?.on('message', (job: SealJob) => {
  try {
    const plain = Buffer.from(job.data, 0, job.length)
    const blocks = Math.max(1, Math.ceil(job.length / job.blockSize))
    const digests = Buffer.allocUnsafeSlow(blocks * 32)
    const ciphertext = job.wantCiphertext ? Buffer.allocUnsafeSlow(job.length + blocks * TAG) : undefined
    let out = 0
    const key = createSecretKey(job.key)
    for (let b = 0; b < blocks; b++) {
      const pt = plain.subarray(b * job.blockSize, Math.min(job.length, (b + 1) * job.blockSize))
      nonce.writeBigUInt64BE(BigInt(job.firstIndex + b), 4)
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG })
      const ct = cipher.update(pt)
      cipher.final()
      const tag = cipher.getAuthTag()
      createHash('sha256').update(ct).update(tag).digest().copy(digests, b * 32)
      if (ciphertext != null) {
        ct.copy(ciphertext, out)
        tag.copy(ciphertext, out + ct.length)
        out += ct.length + TAG
      }
    }
    const result: SealResult = { id: job.id, digests: digests.buffer as ArrayBuffer }
    const transfer: ArrayBuffer[] = [result.digests]
    if (ciphertext != null) { result.ciphertext = ciphertext.buffer as ArrayBuffer; transfer.push(result.ciphertext) }
    parentPort!.postMessage(result, transfer)
    collect?.({ type: 'minor' })
  } catch (err) {
    parentPort!.postMessage({ id: job.id, digests: new ArrayBuffer(0), error: (err as Error).message } satisfies SealResult)
  }
})
