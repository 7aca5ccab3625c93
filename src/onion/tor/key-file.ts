// The file holding a node's onion service key (mode 0600), read and written whole: the key line,
// then the service id it belongs to.
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { ListenError } from '../transport.ts'

const KEY_PREFIX = 'ED25519-V3:'
/** An expanded Ed25519 secret key as tor exports it: 64 bytes, base64. */
export const KEY_BLOB = /^ED25519-V3:[A-Za-z0-9+/]{86}==$/

/**
 * Reads a key file written by saveKey: the key line, then the service id it belongs to (kept so
 * a leftover detached service can be removed by id). Refuses anything else: a wrong file must
 * not silently become a new identity.
 */
export async function loadKey (file: string): Promise<{ key: string, serviceId: string | null } | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const [key = '', serviceId = ''] = text.trim().split(/\r?\n/)
  if (!KEY_BLOB.test(key)) throw new ListenError(`${file} does not hold an ED25519-V3 onion service key`)
  // The key is the onion address's identity: keep it private even if someone loosened the mode.
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
  return { key, serviceId: /^[a-z2-7]{56}$/.test(serviceId) ? serviceId : null }
}

export async function saveKey (file: string, key: string, serviceId: string): Promise<void> {
  if (!key.startsWith(KEY_PREFIX) || !KEY_BLOB.test(key)) throw new ListenError('tor returned an onion service key in an unexpected format')
  // Write-then-rename: a crash never leaves a half-written key (which would lose the address).
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, `${key}\n${serviceId}\n`, { mode: 0o600, flag: 'wx' })
  await rename(temporary, file)
}
