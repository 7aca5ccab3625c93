import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'

/** Message to crypto-worker.js. */
export interface SealJob {
  id: number
  key: Uint8Array
  firstIndex: number
  blockSize: number
  data: ArrayBuffer
  length: number
  wantCiphertext: boolean
}

/** Message from crypto-worker.js. */
export interface SealResult {
  id: number
  digests: ArrayBuffer
  ciphertext?: ArrayBuffer
  error?: string
}

export interface Sealed {
  /** 32-byte SHA-256 per block, back to back. */
  digests: Buffer
  /** Ciphertext blocks (each plaintext block + 16-byte tag) back to back, when asked for. */
  ciphertext?: Buffer
}

interface Pending {
  resolve: (value: Sealed) => void
  reject: (err: Error) => void
}

/** A small pool of worker threads that encrypt and hash runs of blocks (the share hot path). */
export class SealPool {
  readonly #workers: Array<{ worker: Worker, busy: number }> = []
  readonly #pending = new Map<number, Pending>()
  #nextId = 0
  #closed = false

  constructor (size = Math.max(1, Math.min(availableParallelism(), 4))) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./crypto-worker.js', import.meta.url))
      const slot = { worker, busy: 0 }
      worker.on('message', (result: SealResult) => {
        slot.busy--
        const pending = this.#pending.get(result.id)
        if (pending == null) return
        this.#pending.delete(result.id)
        if (result.error != null) pending.reject(new Error(`block sealing failed: ${result.error}`))
        else {
          const sealed: Sealed = { digests: Buffer.from(result.digests) }
          if (result.ciphertext != null) sealed.ciphertext = Buffer.from(result.ciphertext)
          pending.resolve(sealed)
        }
      })
      worker.on('error', err => { this.#failAll(err) })
      this.#workers.push(slot)
    }
  }

  get size (): number { return this.#workers.length }

  /** Seals `data` (plaintext of consecutive blocks from `firstIndex`); `data` is transferred, do not reuse it. */
  seal (key: Uint8Array, firstIndex: number, blockSize: number, data: Buffer, wantCiphertext: boolean): Promise<Sealed> {
    if (this.#closed) return Promise.reject(new Error('seal pool is closed'))
    const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : Buffer.from(data)
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a))
    const id = this.#nextId++
    const job: SealJob = { id, key, firstIndex, blockSize, data: owned.buffer as ArrayBuffer, length: owned.byteLength, wantCiphertext }
    return new Promise<Sealed>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      slot.busy++
      slot.worker.postMessage(job, [job.data])
    })
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#failAll(new Error('seal pool closed'))
    await Promise.all(this.#workers.map(async s => await s.worker.terminate()))
  }

  #failAll (err: Error): void {
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
  }
}
