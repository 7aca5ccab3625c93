import { FsBlockstore } from 'blockstore-fs'
import { cidMatches, type CID } from './cid.ts'

export class CorruptBlockError extends Error {
  override name = 'CorruptBlockError'
  readonly cid: string
  constructor (cid: CID, where: string) {
    super(`block ${cid.toString()} ${where} does not match its hash`)
    this.cid = cid.toString()
  }
}

/**
 * Content-addressed store of ciphertext blocks on disk (blockstore-fs). Every put and get checks
 * the bytes against the CID, so a flipped bit on disk is reported, never served.
 */
export class CipherBlockstore {
  readonly #fs: FsBlockstore

  constructor (dir: string) {
    this.#fs = new FsBlockstore(dir)
  }

  async open (): Promise<void> { await this.#fs.open() }
  async close (): Promise<void> { await this.#fs.close() }

  async put (cid: CID, bytes: Uint8Array): Promise<void> {
    if (!cidMatches(cid, bytes)) throw new CorruptBlockError(cid, 'to be stored')
    if (await this.#fs.has(cid)) return
    await this.#fs.put(cid, bytes)
  }

  async has (cid: CID): Promise<boolean> {
    return await this.#fs.has(cid)
  }

  async get (cid: CID): Promise<Uint8Array> {
    const parts: Uint8Array[] = []
    for await (const part of this.#fs.get(cid)) parts.push(part)
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    if (!cidMatches(cid, bytes)) throw new CorruptBlockError(cid, 'in the blockstore')
    return bytes
  }

  async delete (cid: CID): Promise<void> {
    await this.#fs.delete(cid)
  }
}
