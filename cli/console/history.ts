// The input history, kept across runs encrypted with a key only this node's keystore gives:
// AES-256-GCM under HKDF-SHA256(vault key, label). The file holds a nonce and ciphertext, no
// command in clear (commands carry links, which decrypt shares). Browsing is in memory.
import { hkdfSync, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { open, seal } from '../../src/blocks/crypto/aead.ts'
import { CONSOLE_HISTORY_LABEL } from '../../src/node/identity/caps.ts'
import { writePrivateFile } from '../../src/node/identity/keystore.ts'

/** Lines kept; older ones are dropped. */
export const HISTORY_LIMIT = 500
const FORMAT = 'oht-console-history/1'

/** The history key of a node: derived, so the vault key itself is never used for two things. */
export function historyKey (vaultKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', vaultKey, Buffer.alloc(0), Buffer.from(CONSOLE_HISTORY_LABEL + '\0'), 32))
}

export class HistoryFile {
  readonly path: string
  readonly #key: Buffer
  constructor (path: string, key: Uint8Array) { this.path = path; this.#key = Buffer.from(key) }

  /** The saved lines, oldest first; an absent file is an empty history. A file that does not open (another node's key, damage) throws. */
  async load (): Promise<string[]> {
    let text: string
    try { text = await readFile(this.path, 'utf8') } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const file = JSON.parse(text) as { format?: string, nonce?: string, ciphertext?: string }
    if (file.format !== FORMAT || typeof file.nonce !== 'string' || typeof file.ciphertext !== 'string') throw new Error(`${this.path} is not a console history file`)
    const plain = open(this.#key, Buffer.from(file.nonce, 'base64'), Buffer.from(file.ciphertext, 'base64'), Buffer.from(FORMAT))
    const lines = JSON.parse(plain.toString('utf8')) as unknown
    return Array.isArray(lines) ? lines.filter((l): l is string => typeof l === 'string') : []
  }

  async save (lines: readonly string[]): Promise<void> {
    const nonce = randomBytes(12)
    const ciphertext = seal(this.#key, nonce, Buffer.from(JSON.stringify(lines.slice(-HISTORY_LIMIT))), Buffer.from(FORMAT))
    await writePrivateFile(this.path, JSON.stringify({ format: FORMAT, nonce: nonce.toString('base64'), ciphertext: ciphertext.toString('base64') }) + '\n')
  }
}

/** Up/down browsing of past lines, as a shell does: the line being typed is kept while browsing. */
export class History {
  readonly #lines: string[]
  #index: number
  #draft = ''

  constructor (lines: readonly string[] = []) { this.#lines = [...lines]; this.#index = this.#lines.length }

  get lines (): readonly string[] { return this.#lines }

  /** Records a run line (not blank, not a repeat of the last one); browsing starts over. */
  add (line: string): void {
    if (line.trim() !== '' && this.#lines.at(-1) !== line) this.#lines.push(line)
    if (this.#lines.length > HISTORY_LIMIT) this.#lines.splice(0, this.#lines.length - HISTORY_LIMIT)
    this.#index = this.#lines.length
    this.#draft = ''
  }

  /** The older line (or undefined at the oldest); `current` is what is typed now. */
  up (current: string): string | undefined {
    if (this.#index === 0) return undefined
    if (this.#index === this.#lines.length) this.#draft = current
    return this.#lines[--this.#index]
  }

  down (): string | undefined {
    if (this.#index >= this.#lines.length) return undefined
    this.#index++
    return this.#index === this.#lines.length ? this.#draft : this.#lines[this.#index]
  }
}
