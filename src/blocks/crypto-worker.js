// Worker thread: encrypts and hashes runs of blocks so both cores work on a share.
// Plain JavaScript on purpose: a .ts worker makes every worker load Node's type stripper again
// (~10 MiB and ~70 ms each, bench/RESULTS.md). The message shapes are SealJob/SealResult in
// seal-pool.ts.
import { parentPort } from 'node:worker_threads'
import { createCipheriv, createHash, createSecretKey } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

// Each job leaves ~8 dead 256 KiB ciphertext buffers; V8 lets them pile up to hundreds of MiB
// before collecting. A minor GC after each job keeps a share's RSS flat.
let collect
try {
  setFlagsFromString('--expose-gc')
  collect = runInNewContext('gc')
} catch { /* fine without: only memory is at stake */ }

const TAG = 16
const nonce = Buffer.alloc(12)

parentPort?.on('message', job => {
  try {
    const plain = Buffer.from(job.data, 0, job.length)
    const blocks = Math.max(1, Math.ceil(job.length / job.blockSize))
    const digests = Buffer.allocUnsafeSlow(blocks * 32)
    const ciphertext = job.wantCiphertext ? Buffer.allocUnsafeSlow(job.length + blocks * TAG) : undefined
    const key = createSecretKey(job.key)
    let out = 0
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
    const result = { id: job.id, digests: digests.buffer }
    const transfer = [result.digests]
    if (ciphertext != null) { result.ciphertext = ciphertext.buffer; transfer.push(result.ciphertext) }
    parentPort.postMessage(result, transfer)
    collect?.({ type: 'minor' })
  } catch (err) {
    parentPort.postMessage({ id: job.id, digests: new ArrayBuffer(0), error: err.message })
  }
})
