// The file holding a node's onion service key (mode 0600), read and written whole: the key line,
// then the service id it belongs to. Given a sealer (the node's: its storage key), the file holds
// those two lines sealed, so it names no onion address at rest; a clear file is sealed on first
// read (docs/FORMAT.md §12).
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { ListenError } from '../transport.ts'

/** Seals and opens the key file's text (an AEAD under a key the transport never sees); open throws on anything altered. */
export interface KeySealer {
  seal: (plain: Buffer) => Buffer
  open: (sealed: Buffer) => Buffer
}

/** The first line of a sealed key file; the second is the sealed text, base64. */
const SEALED_HEADER = 'oht sealed onion key 1'

const KEY_PREFIX = 'ED25519-V3:'
/** An expanded Ed25519 secret key as tor exports it: 64 bytes, base64. */
export const KEY_BLOB = /^ED25519-V3:[A-Za-z0-9+/]{86}==$/

/**
 * Reads a key file written by saveKey: the key line, then the service id it belongs to (kept so
 * a leftover detached service can be removed by id). Refuses anything else: a wrong file must
 * not silently become a new identity.
 */
export async function loadKey (file: string, sealer?: KeySealer): Promise<{ key: string, serviceId: string | null } | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const sealed = text.startsWith(SEALED_HEADER + '\n')
  if (sealed) {
    if (sealer === undefined) throw new ListenError(`${file} is sealed: it opens only with its node's storage key`)
    try {
      text = sealer.open(Buffer.from(text.slice(SEALED_HEADER.length + 1).trim(), 'base64')).toString('utf8')
    } catch {
      throw new ListenError(`${file} does not open with this node's storage key (altered, or another node's)`)
    }
  }
  const [key = '', serviceId = ''] = text.trim().split(/\r?\n/)
  if (!KEY_BLOB.test(key)) throw new ListenError(`${file} does not hold an ED25519-V3 onion service key`)
  // The key is the onion address's identity: keep it private even if someone loosened the mode.
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
  const found = { key, serviceId: /^[a-z2-7]{56}$/.test(serviceId) ? serviceId : null }
  // A clear file from before: sealed once, now (write-then-rename replaces it whole).
  if (!sealed && sealer !== undefined) await saveKey(file, key, found.serviceId ?? '', sealer)
  return found
}

export async function saveKey (file: string, key: string, serviceId: string, sealer?: KeySealer): Promise<void> {
  if (!key.startsWith(KEY_PREFIX) || !KEY_BLOB.test(key)) throw new ListenError('tor returned an onion service key in an unexpected format')
  const plain = `${key}\n${serviceId}\n`
  const text = sealer === undefined ? plain : `${SEALED_HEADER}\n${sealer.seal(Buffer.from(plain)).toString('base64')}\n`
  // Write-then-rename: a crash never leaves a half-written key (which would lose the address).
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, text, { mode: 0o600, flag: 'wx' })
  await rename(temporary, file)
}
