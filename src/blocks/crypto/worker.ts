// Worker thread of SealPool (pool.ts): the per-block crypto of block.ts off the main thread, so
// that thread only does wire I/O. Three jobs (messages in jobs.ts):
//   seal  encrypt + hash runs of plaintext blocks (share encoder), with their tags;
//   open  check a fetched block against its leaf, and only then decrypt it and write the
//         plaintext to the output files (pwrite on the fds given);
//   serve read a block's plaintext from the fds given, re-encrypt and check it; the ciphertext
//         comes back only when it matches (with `split`, ciphertext and tag apart, no copy).
// Sources run it with type stripping, a build (dist/) as compiled JavaScript.
import { readSync, writeSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'
import { TAG_BYTES } from './aead.ts'
import { blockKeyObject, leafOf, openBlock, sealBlock, serveBlock, type OpenStatus } from './block.ts'
import type { OpenJob, SealJob, SealResult, ServeJob } from './jobs.ts'
import { threadGarbage } from './memory.ts'

const port = parentPort!

/** Reused plaintext buffer of serve jobs (never leaves this thread). */
let scratch = Buffer.alloc(0)

function seal (job: SealJob): void {
  const plain = Buffer.from(job.data, 0, job.length)
  const blocks = Math.max(1, Math.ceil(job.length / job.blockSize))
  const digests = Buffer.allocUnsafeSlow(blocks * 32)
  const tags = Buffer.allocUnsafeSlow(blocks * TAG_BYTES)
  const joined = job.wantCiphertext ? Buffer.allocUnsafeSlow(job.length + blocks * TAG_BYTES) : undefined
  const key = blockKeyObject(job.key)
  let out = 0
  for (let b = 0; b < blocks; b++) {
    const pt = plain.subarray(b * job.blockSize, Math.min(job.length, (b + 1) * job.blockSize))
    const { ciphertext, tag } = sealBlock(key, job.firstIndex + b, pt)
    leafOf(ciphertext, tag).copy(digests, b * 32)
    tag.copy(tags, b * TAG_BYTES)
    if (joined != null) {
      ciphertext.copy(joined, out)
      tag.copy(joined, out + ciphertext.length)
      out += ciphertext.length + TAG_BYTES
    }
  }
  const result: SealResult = { id: job.id, digests: digests.buffer, tags: tags.buffer }
  const transfer = [digests.buffer, tags.buffer]
  if (joined != null) { result.ciphertext = joined.buffer; transfer.push(joined.buffer) }
  port.postMessage(result, transfer)
  threadGarbage(job.length * 2)
}

/**
 * The answer to an open job; the piece's memory goes back with it to the main thread for the
 * next piece (no fresh pages), in the same message (one wake-up of the main thread per block).
 */
function answerOpen (job: OpenJob, status: OpenStatus): void {
  if (job.data.byteLength > 0) port.postMessage({ id: job.id, status, recycled: job.data } satisfies SealResult, [job.data])
  else port.postMessage({ id: job.id, status } satisfies SealResult)
}

function open (job: OpenJob): void {
  const sealed = Buffer.from(job.data, job.offset, job.length)
  const opened = openBlock(blockKeyObject(job.key), job.index, sealed, job.leaf, job.plainLength)
  if (opened.status !== 'ok') { answerOpen(job, opened.status); return }
  const plain = opened.plain
  for (const w of job.writes) {
    let done = 0
    while (done < w.length) done += writeSync(w.fd, plain, w.from + done, w.length - done, w.position + done)
  }
  answerOpen(job, 'ok')
  threadGarbage(plain.length)
}

function serve (job: ServeJob): void {
  if (scratch.length < job.plainLength) scratch = Buffer.allocUnsafeSlow(job.plainLength)
  const plain = scratch.subarray(0, job.plainLength)
  for (const r of job.reads) {
    let done = 0
    while (done < r.length) {
      const n = readSync(r.fd, plain, r.to + done, r.length - done, r.position + done)
      if (n === 0) { port.postMessage({ id: job.id, status: 'short' } satisfies SealResult); return }
      done += n
    }
  }
  const served = serveBlock(blockKeyObject(job.key), job.index, plain, job.leaf, job.tag)
  if (served == null) { port.postMessage({ id: job.id, status: 'mismatch' } satisfies SealResult); return }
  const { ciphertext, tag } = served
  threadGarbage(ciphertext.length)
  if (job.split === true && ciphertext.byteOffset === 0 && ciphertext.byteLength === ciphertext.buffer.byteLength) {
    const whole = ciphertext.buffer as ArrayBuffer // node:crypto's output: memory of its own
    port.postMessage({ id: job.id, status: 'ok', ciphertext: whole, tag: new Uint8Array(tag) } satisfies SealResult, [whole])
    return
  }
  const joined = Buffer.allocUnsafeSlow(ciphertext.length + TAG_BYTES)
  ciphertext.copy(joined, 0)
  tag.copy(joined, ciphertext.length)
  port.postMessage({ id: job.id, status: 'ok', ciphertext: joined.buffer } satisfies SealResult, [joined.buffer])
}

port.on('message', (job: SealJob | OpenJob | ServeJob) => {
  try {
    if (job.kind === 'open') open(job)
    else if (job.kind === 'serve') serve(job)
    else seal(job)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const answer: SealResult = { id: job.id, digests: new ArrayBuffer(0), error: e.message, ...(e.code != null ? { code: e.code } : {}) }
    // An open job that failed before answering still gives its piece memory back.
    if (job.kind === 'open' && job.data.byteLength > 0) {
      answer.recycled = job.data
      port.postMessage(answer, [job.data])
    } else port.postMessage(answer)
  }
})
