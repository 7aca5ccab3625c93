// Worker thread: the per-block crypto of shares, fetches and seeding, off the main thread so it
// only does wire I/O. Three jobs (message shapes in seal-pool.ts):
//   seal  (SealJob)  encrypt + hash runs of plaintext blocks (share encoder), with their tags;
//   open  (OpenJob)  hash a fetched ciphertext block, compare with its leaf, and only then decrypt
//                    it and write the plaintext to the output files (pwrite on the fds given);
//   serve (ServeJob) read a block's plaintext from the fds given, encrypt, compare its GCM tag
//                    with the known one or else hash it and compare with its leaf; the
//                    ciphertext comes back only when it matches (with `split`, the ciphertext
//                    and its tag apart, so no copy joins them).
// On one or two cores fetches and seeding do the same work on the main thread instead
// (inline.ts, blockCryptoInline); share encoding always comes here.
// Plain JavaScript on purpose: a .ts worker makes every worker load Node's type stripper again
// (~10 MiB and ~70 ms each, bench/RESULTS.md).
import { parentPort } from 'node:worker_threads'
import { createCipheriv, createDecipheriv, createHash, createSecretKey } from 'node:crypto'
import { readSync, writeSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

// Each job leaves dead block-sized buffers; V8 lets them pile up to hundreds of MiB before
// collecting. A minor GC every few MiB of them keeps RSS flat (one per job cost more CPU than
// the job's AES when blocks are 256 KiB).
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024
let garbage = 0
let collect
try {
  setFlagsFromString('--expose-gc')
  collect = runInNewContext('gc')
} catch { /* fine without: only memory is at stake */ }

const TAG = 16
const nonce = Buffer.alloc(12)
/** KeyObjects by key bytes: building one per 256 KiB block cost more than its GHASH. */
const keys = new Map()
/** Reused plaintext buffer of serve jobs (never leaves this thread). */
let scratch = Buffer.alloc(0)

function keyObject (bytes) {
  const id = Buffer.from(bytes).toString('base64')
  let key = keys.get(id)
  if (key == null) {
    if (keys.size >= 32) keys.delete(keys.keys().next().value)
    key = createSecretKey(bytes)
    keys.set(id, key)
  }
  return key
}

function setNonce (index) {
  nonce.writeBigUInt64BE(BigInt(index), 4)
  return nonce
}

function seal (job) {
  const plain = Buffer.from(job.data, 0, job.length)
  const blocks = Math.max(1, Math.ceil(job.length / job.blockSize))
  const digests = Buffer.allocUnsafeSlow(blocks * 32)
  const tags = Buffer.allocUnsafeSlow(blocks * TAG)
  const ciphertext = job.wantCiphertext ? Buffer.allocUnsafeSlow(job.length + blocks * TAG) : undefined
  const key = keyObject(job.key)
  let out = 0
  for (let b = 0; b < blocks; b++) {
    const pt = plain.subarray(b * job.blockSize, Math.min(job.length, (b + 1) * job.blockSize))
    const cipher = createCipheriv('aes-256-gcm', key, setNonce(job.firstIndex + b), { authTagLength: TAG })
    const ct = cipher.update(pt)
    cipher.final()
    const tag = cipher.getAuthTag()
    createHash('sha256').update(ct).update(tag).digest().copy(digests, b * 32)
    tag.copy(tags, b * TAG)
    if (ciphertext != null) {
      ct.copy(ciphertext, out)
      tag.copy(ciphertext, out + ct.length)
      out += ct.length + TAG
    }
  }
  const result = { id: job.id, digests: digests.buffer, tags: tags.buffer }
  const transfer = [result.digests, result.tags]
  if (ciphertext != null) { result.ciphertext = ciphertext.buffer; transfer.push(result.ciphertext) }
  parentPort.postMessage(result, transfer)
  garbage += job.length * 2
}

/**
 * The answer to an open job; the piece's memory goes back with it to the main thread for the
 * next piece (no fresh pages), in the same message (one wake-up of the main thread per block).
 */
function answerOpen (job, status) {
  if (job.data.byteLength > 0) parentPort.postMessage({ id: job.id, status, recycled: job.data }, [job.data])
  else parentPort.postMessage({ id: job.id, status })
}

function open (job) {
  const sealed = Buffer.from(job.data, job.offset, job.length)
  const digest = createHash('sha256').update(sealed).digest()
  if (!digest.equals(Buffer.from(job.leaf))) { answerOpen(job, 'mismatch'); return }
  if (sealed.length < TAG) { answerOpen(job, 'undecryptable'); return }
  const decipher = createDecipheriv('aes-256-gcm', keyObject(job.key), setNonce(job.index), { authTagLength: TAG })
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG))
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG))
  try {
    decipher.final()
  } catch {
    answerOpen(job, 'undecryptable')
    return
  }
  if (plain.length !== job.plainLength) { answerOpen(job, 'bad-length'); return }
  for (const w of job.writes) {
    let done = 0
    while (done < w.length) done += writeSync(w.fd, plain, w.from + done, w.length - done, w.position + done)
  }
  garbage += plain.length
  answerOpen(job, 'ok')
}

function serve (job) {
  if (scratch.length < job.plainLength) scratch = Buffer.allocUnsafeSlow(job.plainLength)
  const plain = scratch.subarray(0, job.plainLength)
  for (const r of job.reads) {
    let done = 0
    while (done < r.length) {
      const n = readSync(r.fd, plain, r.to + done, r.length - done, r.position + done)
      if (n === 0) { parentPort.postMessage({ id: job.id, status: 'short', read: r.fd }); return }
      done += n
    }
  }
  const cipher = createCipheriv('aes-256-gcm', keyObject(job.key), setNonce(job.index), { authTagLength: TAG })
  const ct = cipher.update(plain)
  cipher.final()
  const tag = cipher.getAuthTag()
  // With the block's known GCM tag (tags.ts), comparing 16 bytes does; otherwise the leaf, which
  // is SHA-256(ciphertext || tag): hashed in two parts, so the ciphertext is never copied next to
  // its tag here (a 256 KiB allocation and copy per block); with `split` both go back as they
  // are and the wire sends them as one piece.
  const matches = job.tag != null
    ? tag.equals(Buffer.from(job.tag))
    : createHash('sha256').update(ct).update(tag).digest().equals(Buffer.from(job.leaf))
  if (!matches) { parentPort.postMessage({ id: job.id, status: 'mismatch' }); return }
  garbage += ct.length
  if (job.split === true && ct.byteOffset === 0 && ct.byteLength === ct.buffer.byteLength) {
    parentPort.postMessage({ id: job.id, status: 'ok', ciphertext: ct.buffer, tag: new Uint8Array(tag) }, [ct.buffer])
    return
  }
  const sealed = Buffer.allocUnsafeSlow(ct.length + TAG)
  ct.copy(sealed, 0)
  tag.copy(sealed, ct.length)
  parentPort.postMessage({ id: job.id, status: 'ok', ciphertext: sealed.buffer }, [sealed.buffer])
}

parentPort?.on('message', job => {
  try {
    if (job.kind === 'open') open(job)
    else if (job.kind === 'serve') serve(job)
    else seal(job)
  } catch (err) {
    const answer = { id: job.id, digests: new ArrayBuffer(0), error: err.message, code: err.code }
    // An open job that failed before answering still gives its piece memory back.
    if (job.kind === 'open' && job.data.byteLength > 0) {
      answer.recycled = job.data
      parentPort.postMessage(answer, [job.data])
    } else parentPort.postMessage(answer)
  }
  if (garbage >= COLLECT_EVERY_BYTES) {
    garbage = 0
    collect?.({ type: 'minor' })
  }
})
