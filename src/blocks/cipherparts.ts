import { createHash } from 'node:crypto'
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises'
import { TAG_BYTES } from './crypto/aead.ts'
import { blockLength, type Manifest } from './manifest.ts'
import { partName, PlaintextStore, RestoreError, type PlaintextStoreOptions, type VerifiedPut } from './plainstore.ts'

/** Blocks decrypted at once by the final pass (reads, hashes and writes overlap). */
const FINISH_WINDOW = 4

/**
 * A fetch's destination with `--encrypted-parts`: verified ciphertext blocks (as they came off
 * the wire, each matching its leaf) go into one sparse `<name>.encrypted.part` file at fixed slots,
 * so no plaintext of the share is on disk until every wanted block is there. finish() then
 * decrypts them in one pass into the plaintext store (its `.part` files, synced and renamed) and
 * removes the ciphertext. It serves the ciphertext it holds as it is (checked against its leaf).
 */
export class CipherPartStore {
  /** Where the plaintext goes, opened only by finish(). */
  readonly plain: PlaintextStore
  /** The ciphertext part file. */
  readonly partPath: string
  readonly #leaves: () => Uint8Array
  readonly #slot: number
  readonly #have = new Set<number>()
  readonly #writing = new Set<number>()
  readonly #jobs = new Set<Promise<unknown>>()
  #handle: FileHandle | undefined
  #finished = false

  constructor (manifest: Manifest, blockKey: Uint8Array, outDir: string, leaves: () => Uint8Array, options: PlaintextStoreOptions = {}) {
    this.plain = new PlaintextStore(manifest, blockKey, outDir, leaves, options)
    this.#leaves = leaves
    this.#slot = manifest.header.blockSize + TAG_BYTES
    this.partPath = partName(`${this.plain.path}.encrypted`, new Set(this.plain.files.map(f => f.part)))
  }

  get manifest (): Manifest { return this.plain.manifest }
  get wanted (): number[] { return this.plain.wanted }
  get path (): string { return this.plain.path }
  get bytesWanted (): number { return this.plain.bytesWanted }
  /** True once finish() has written and renamed every selected file. */
  get complete (): boolean { return this.#finished && this.plain.complete }
  heldBlocks (): number[] { return this.#finished ? this.plain.heldBlocks() : [...this.#have] }

  /**
   * Checks the output as a plaintext fetch would, then opens the ciphertext part. `resumeBlocks`
   * (an earlier run's record) are each read back and kept only if they still hash to their leaf.
   */
  async open (resumeBlocks: readonly number[] = [], resuming = resumeBlocks.length > 0): Promise<number[]> {
    await this.plain.checkOutput(resuming)
    try {
      await mkdir(this.plain.root, { recursive: true })
    } catch (err) {
      throw new RestoreError(`cannot create the output directory ${this.plain.root}: ${(err as Error).message}`)
    }
    const there = await exists(this.partPath)
    this.#handle = await open(this.partPath, there && resuming ? 'r+' : 'w+', 0o600)
    const kept: number[] = []
    const wanted = new Set(this.wanted)
    for (const index of resumeBlocks) {
      if (!wanted.has(index) || this.#have.has(index)) continue
      if (await this.#read(index) == null) continue // not written or damaged: fetched again
      this.#have.add(index)
      kept.push(index)
    }
    return kept
  }

  /** Every wanted block is held as ciphertext (finish() may run). */
  get allHeld (): boolean { return this.wanted.every(i => this.#have.has(i)) }

  has (index: number): boolean { return this.#finished ? this.plain.has(index) : this.#have.has(index) }

  /** A block that already matched its leaf (the swarm hashed it). */
  async put (index: number, ciphertext: Uint8Array): Promise<number> {
    if (this.#have.has(index) || this.#writing.has(index)) return 0
    await this.#write(index, ciphertext)
    return ciphertext.byteLength
  }

  /** A block fresh off the wire: kept only when it hashes to `leaf`. */
  async verifyAndPut (index: number, ciphertext: Uint8Array, leaf: Uint8Array): Promise<VerifiedPut> {
    if (!sha256(ciphertext).equals(leaf)) return 'mismatch'
    if (this.#have.has(index) || this.#writing.has(index) || this.#finished) return 'duplicate'
    if (ciphertext.byteLength !== blockLength(this.manifest.header, index) + TAG_BYTES) throw new RestoreError(`block ${index} has the wrong length`)
    await this.#write(index, ciphertext)
    return 'stored'
  }

  async #write (index: number, ciphertext: Uint8Array): Promise<void> {
    const handle = this.#handle
    if (handle == null) throw new RestoreError(`block ${index}: ${this.partPath} is not open for writing`)
    this.#writing.add(index)
    try {
      await this.#track(handle.write(ciphertext, 0, ciphertext.byteLength, index * this.#slot))
    } finally {
      this.#writing.delete(index)
    }
    this.#have.add(index)
  }

  /** The ciphertext of a held block, checked against its leaf before it leaves the node. */
  async get (index: number): Promise<Uint8Array> {
    if (this.#finished) return await this.plain.get(index)
    if (!this.#have.has(index)) throw new RestoreError(`block ${index} is not held`)
    const block = await this.#read(index)
    if (block == null) throw new RestoreError(`block ${index} in ${this.partPath} no longer matches the share`)
    return block
  }

  /** Block `index` read from its slot, or undefined when it is missing or does not match its leaf. */
  async #read (index: number): Promise<Buffer | undefined> {
    const handle = this.#handle
    if (handle == null) return undefined
    const block = Buffer.allocUnsafe(blockLength(this.manifest.header, index) + TAG_BYTES)
    const { bytesRead } = await this.#track(handle.read(block, 0, block.length, index * this.#slot))
    if (bytesRead !== block.length) return undefined
    return sha256(block).equals(this.#leaves().subarray(index * 32, index * 32 + 32)) ? block : undefined
  }

  /** Makes written ciphertext durable (call before recording held blocks). */
  async sync (): Promise<void> {
    await this.#handle?.datasync()
    if (this.#finished) await this.plain.sync()
  }

  /**
   * The final pass: every block is read back, checked against its leaf and decrypted into the
   * plaintext `.part` files, which are synced and renamed as each completes; then the ciphertext
   * part is removed. A pass an earlier run left midway goes on from the plaintext it wrote
   * (re-checked). A block that no longer matches is dropped (a resume fetches it again), and the
   * unfinished plaintext files are removed.
   */
  async finish (): Promise<void> {
    if (this.#finished) return
    if (!this.allHeld) throw new RestoreError('the encrypted part is not complete yet')
    let midway = false
    for (const f of this.plain.files) if (f.selected && (await exists(f.part) || await exists(f.final))) midway = true
    const kept = new Set(await this.plain.open(midway ? this.wanted : []))
    const todo = this.wanted.filter(i => !kept.has(i))
    const leaves = this.#leaves()
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const index = todo[next++]!
        const block = Buffer.allocUnsafe(blockLength(this.manifest.header, index) + TAG_BYTES)
        const { bytesRead } = await this.#track(this.#handle!.read(block, 0, block.length, index * this.#slot))
        const put = bytesRead === block.length ? await this.plain.verifyAndPut(index, block, leaves.subarray(index * 32, index * 32 + 32)) : 'mismatch'
        if (put === 'mismatch') {
          this.#have.delete(index)
          throw new RestoreError(`block ${index} in ${this.partPath} no longer matches the share: fetch again to replace it`)
        }
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.min(FINISH_WINDOW, todo.length) }, worker))
    } catch (err) {
      // The unfinished plaintext goes: it is not left on disk by a pass that did not complete.
      await this.plain.close(true)
      throw err
    }
    if (!this.plain.complete) throw new RestoreError('the final decryption pass left files incomplete')
    this.#finished = true
    await this.#closeCipher()
    await rm(this.partPath, { force: true })
  }

  /** Closes what is open; with `discard`, removes the parts (a cancelled fetch). */
  async close (discard = false): Promise<void> {
    await this.#closeCipher()
    if (discard) await rm(this.partPath, { force: true })
    await this.plain.close(discard)
  }

  async #closeCipher (): Promise<void> {
    if (this.#jobs.size > 0) await Promise.allSettled([...this.#jobs])
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close().catch(() => {})
  }

  #track<T> (job: Promise<T>): Promise<T> {
    this.#jobs.add(job)
    const forget = (): void => { this.#jobs.delete(job) }
    job.then(forget, forget)
    return job
  }
}

function sha256 (b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest()
}

async function exists (path: string): Promise<boolean> {
  try { await stat(path); return true } catch { return false }
}
