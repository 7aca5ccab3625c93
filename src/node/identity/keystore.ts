import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt, type KeyObject } from 'node:crypto'
import { open as openFile, readFile, rename, unlink } from 'node:fs/promises'
import { seal, open, DecryptError } from '../../blocks/crypto/aead.ts'
import { NodeError } from '../errors.ts'

/**
 * scrypt cost N=2^15, r=8, p=1 (32 MiB), paid once per command. node:crypto's native scrypt, not
 * @noble/hashes': same output, a third of the time, and no 32 MiB array left for the GC during
 * a share (docs/DECISIONS.md).
 */
const SCRYPT = { n: 2 ** 15, r: 8, p: 1, dklen: 32 }
/**
 * Without a passphrase (the default for a node keystore) the key derivation protects nothing:
 * anyone who can read the file derives the same key from the empty string, and the file's 0600
 * mode is the protection. So no work factor is paid there: N=2^10 (1 MiB instead of 32 MiB of
 * memory on every command, which was the peak of a leecher's RSS). The parameters are stored in
 * the file, so keystores written before keep opening with theirs.
 */
const SCRYPT_NO_PASSPHRASE = { n: 2 ** 10, r: 8, p: 1, dklen: 32 }
/**
 * Format 2 names nothing in clear: the node id is derived from the key inside. Format 1 kept the
 * node id beside the ciphertext (and as its associated data); it is rewritten as format 2 when it
 * is first unlocked.
 */
const KEYSTORE_VERSION = 2
/** Associated data of a format-2 node keystore: binds the ciphertext to what it is. */
const NODE_KEYSTORE_AAD = 'oht node keystore 2'

export class KeystoreError extends NodeError {
  override name = 'KeystoreError'
}

/** The secrets of a node: its identity key pair and the key that seals share keys at rest. */
export interface NodeKeys {
  /** Ed25519 identity; the node id is SHA-256 of the raw public key. */
  privateKey: KeyObject
  publicKey: KeyObject
  publicKeyRaw: Uint8Array
  nodeId: string
  /** Encrypts content keys of owned shares in the state database. */
  vaultKey: Uint8Array
  /** Seals the state database and keys block file names (src/store); in the keystore since format 1's `storageKey`. */
  storageKey: Uint8Array
}

/** The encrypted part of a keystore file, as in an Ethereum v3 keystore (scrypt + AES-256-GCM). */
export interface KeystoreCrypto {
  kdf: 'scrypt'
  kdfparams: typeof SCRYPT & { salt: string }
  cipher: 'aes-256-gcm'
  nonce: string
  ciphertext: string
}

/** On-disk form of the node keystore; `nodeId` only in format 1. */
interface KeystoreFile {
  version: number
  nodeId?: string
  crypto: KeystoreCrypto
}

export function generateNodeKeys (): NodeKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return keysFrom(privateKey, publicKey, new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32)))
}

function keysFrom (privateKey: KeyObject, publicKey: KeyObject, vaultKey: Uint8Array, storageKey: Uint8Array): NodeKeys {
  const jwk = publicKey.export({ format: 'jwk' })
  const publicKeyRaw = new Uint8Array(Buffer.from(jwk.x!, 'base64url'))
  return { privateKey, publicKey, publicKeyRaw, nodeId: createHash('sha256').update(publicKeyRaw).digest('hex'), vaultKey, storageKey }
}

/**
 * Keys derived in this process, by salt, parameters and passphrase digest: finding an account
 * among several sealed keystores unlocks them, and using it unlocks one again; scrypt is paid once.
 */
const derived = new Map<string, Uint8Array>()
const DERIVED_KEPT = 64

async function kdf (passphrase: string, salt: Uint8Array, params: typeof SCRYPT): Promise<Uint8Array> {
  const memo = [Buffer.from(salt).toString('hex'), params.n, params.r, params.p, params.dklen, createHash('sha256').update(passphrase).digest('hex')].join(':')
  const known = derived.get(memo)
  if (known != null) return known
  const key = await new Promise<Uint8Array>((resolve, reject) => {
    scrypt(passphrase, salt, params.dklen, { N: params.n, r: params.r, p: params.p, maxmem: 256 * params.n * params.r + 16 * 1024 * 1024 }, (err, key) => {
      if (err != null) reject(err)
      else resolve(new Uint8Array(key))
    })
  })
  if (derived.size >= DERIVED_KEPT) derived.delete(derived.keys().next().value!)
  derived.set(memo, key)
  return key
}

/**
 * Encrypts `secret` under a key scrypt derives from `passphrase`; `aad` (an id stored next to the
 * ciphertext) is authenticated, so editing it is noticed. Shared by the node and account keystores.
 */
export async function sealSecret (secret: Uint8Array, passphrase: string, aad: string): Promise<KeystoreCrypto> {
  const salt = randomBytes(32)
  const nonce = randomBytes(12)
  const params = passphrase === '' ? SCRYPT_NO_PASSPHRASE : SCRYPT
  const key = await kdf(passphrase, salt, params)
  return {
    kdf: 'scrypt',
    kdfparams: { ...params, salt: salt.toString('hex') },
    cipher: 'aes-256-gcm',
    nonce: nonce.toString('hex'),
    ciphertext: seal(key, nonce, secret, Buffer.from(aad)).toString('hex')
  }
}

/** Decrypts what sealSecret made; a wrong passphrase or any edited byte gives a KeystoreError. */
export async function openSecret (crypto: KeystoreCrypto | undefined, passphrase: string, aad: string, what: string): Promise<Buffer> {
  if (crypto?.kdf !== 'scrypt' || crypto.cipher !== 'aes-256-gcm' || crypto.kdfparams == null) throw new KeystoreError('keystore.unreadable', { what, why: 'format' }, `${what} has an unsupported format`)
  const p = crypto.kdfparams
  if (!(p.n >= 2 && p.n <= 2 ** 20) || !(p.r >= 1 && p.r <= 16) || !(p.p >= 1 && p.p <= 4) || p.dklen !== 32) throw new KeystoreError('keystore.unreadable', { what, why: 'scrypt' }, `${what} asks for unreasonable scrypt parameters`)
  const key = await kdf(passphrase, Buffer.from(p.salt, 'hex'), p)
  try {
    return open(key, Buffer.from(crypto.nonce, 'hex'), Buffer.from(crypto.ciphertext, 'hex'), Buffer.from(aad))
  } catch (err) {
    if (err instanceof DecryptError || err instanceof RangeError || err instanceof TypeError) throw new KeystoreError('keystore.locked', { what }, `cannot unlock ${what}: wrong passphrase (OHT_PASSPHRASE) or a damaged file`)
    throw err
  }
}

/** Writes `text` with mode 0600, atomically (temp file + fsync + rename). */
export async function writePrivateFile (path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  const handle = await openFile(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}

/** Writes the keystore with mode 0600, atomically (temp file + rename). */
export async function writeKeystore (path: string, keys: NodeKeys, passphrase: string): Promise<void> {
  const secret = Buffer.from(JSON.stringify({
    nodeKey: keys.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    vaultKey: Buffer.from(keys.vaultKey).toString('base64'),
    storageKey: Buffer.from(keys.storageKey).toString('base64')
  }))
  const file: KeystoreFile = { version: KEYSTORE_VERSION, crypto: await sealSecret(secret, passphrase, NODE_KEYSTORE_AAD) }
  await writePrivateFile(path, JSON.stringify(file, null, 2) + '\n')
}

export async function readKeystore (path: string, passphrase: string): Promise<NodeKeys> {
  let file: KeystoreFile
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as KeystoreFile
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeystoreError('keystore.missing', { path }, `no keystore at ${path}`)
    throw new KeystoreError('keystore.unreadable', { what: path, why: 'read', reason: (err as Error).message }, `keystore ${path} is unreadable: ${(err as Error).message}`)
  }
  const legacy = file?.version === 1 && typeof file.nodeId === 'string'
  if ((file?.version !== KEYSTORE_VERSION && !legacy) || file.crypto?.kdf !== 'scrypt' || file.crypto.cipher !== 'aes-256-gcm') {
    throw new KeystoreError('keystore.unreadable', { what: path, why: 'format' }, `keystore ${path} has an unsupported format`)
  }
  const secret = await openSecret(file.crypto, passphrase, legacy ? file.nodeId! : NODE_KEYSTORE_AAD, 'the keystore')
  const parsed = JSON.parse(secret.toString()) as { nodeKey: string, vaultKey: string, storageKey?: string }
  const privateKey = createPrivateKey({ key: Buffer.from(parsed.nodeKey, 'base64'), format: 'der', type: 'pkcs8' })
  const storageKey = parsed.storageKey != null ? Buffer.from(parsed.storageKey, 'base64') : randomBytes(32)
  const keys = keysFrom(privateKey, createPublicKey(privateKey), new Uint8Array(Buffer.from(parsed.vaultKey, 'base64')), new Uint8Array(storageKey))
  if (legacy && keys.nodeId !== file.nodeId) throw new KeystoreError('keystore.unreadable', {}, 'keystore is inconsistent: node id does not match its key')
  // An older keystore (the node id in clear, or no storage key yet) is rewritten once, under the same passphrase.
  if (legacy || parsed.storageKey == null) await writeKeystore(path, keys, passphrase)
  return keys
}

/**
 * Whether a keystore's secret was sealed under a passphrase. oht seals without one (an empty
 * passphrase) with cheaper scrypt parameters, so the parameters tell, without trying to unlock.
 */
export function isPassphraseProtected (crypto: KeystoreCrypto | undefined): boolean {
  return crypto?.kdfparams != null && crypto.kdfparams.n !== SCRYPT_NO_PASSPHRASE.n
}

/** Whether the keystore file at `path` needs a passphrase; false when it is missing or unreadable (its use reports that). */
export async function keystoreFileIsProtected (path: string): Promise<boolean> {
  try {
    return isPassphraseProtected((JSON.parse(await readFile(path, 'utf8')) as { crypto?: KeystoreCrypto }).crypto)
  } catch {
    return false
  }
}

/** Re-encrypts the node keystore under `next` (it must unlock with `current`). */
export async function changeKeystorePassphrase (path: string, current: string, next: string): Promise<void> {
  await writeKeystore(path, await readKeystore(path, current), next)
}

