// Web3 Secret Storage v3 keystores (geth, ethers, MetaMask import): a secp256k1 private key under
// scrypt (or PBKDF2 on import) + AES-128-CTR, with a keccak-256 MAC over the second half of the
// derived key and the ciphertext. Only for moving secp256k1 accounts in and out of Ethereum
// tools; oht's own account files keep their format (scrypt + AES-256-GCM, keystore.ts).
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { KeystoreError } from './keystore.ts'
import { ethAddressOf } from './account-keys.ts'
import { secp256k1 } from '@noble/curves/secp256k1.js'

/** What geth's "standard" and ethers' defaults use; the memory is 128 * n * r bytes (128 MiB). */
export const V3_SCRYPT = { n: 2 ** 17, r: 8, p: 1 }
/** Refuse work factors past geth's standard (2^18) before paying for them. */
const MAX_N = 2 ** 18

interface V3Crypto {
  cipher: string
  cipherparams: { iv: string }
  ciphertext: string
  kdf: string
  kdfparams: { n?: number, r?: number, p?: number, c?: number, prf?: string, dklen: number, salt: string }
  mac: string
}

export interface V3Keystore {
  version: 3
  id: string
  address: string
  crypto: V3Crypto
}

// Ethers turns passwords into NFKC UTF-8 bytes; so do we, so a password typed either way opens both.
const passwordBytes = (passphrase: string): Buffer => Buffer.from(passphrase.normalize('NFKC'), 'utf8')

async function scryptKey (passphrase: string, salt: Buffer, n: number, r: number, p: number, dklen: number): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    scrypt(passwordBytes(passphrase), salt, dklen, { N: n, r, p, maxmem: 256 * n * r + 16 * 1024 * 1024 }, (err, key) => { if (err != null) reject(err); else resolve(key) })
  })
}

async function pbkdf2Key (passphrase: string, salt: Buffer, c: number, dklen: number): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    pbkdf2(passwordBytes(passphrase), salt, c, dklen, 'sha256', (err, key) => { if (err != null) reject(err); else resolve(key) })
  })
}

const mac = (derived: Buffer, ciphertext: Buffer): Buffer => Buffer.from(keccak_256(Buffer.concat([derived.subarray(16, 32), ciphertext])))

/** Encrypts a secp256k1 private key as a v3 keystore (the JSON object; `address` without 0x, as geth writes it). */
export async function encryptV3 (secret: Uint8Array, passphrase: string, params: { n: number, r: number, p: number } = V3_SCRYPT): Promise<V3Keystore> {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const derived = await scryptKey(passphrase, salt, params.n, params.r, params.p, 32)
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()])
  return {
    version: 3,
    id: randomUUID(),
    address: ethAddressOf(secp256k1.getPublicKey(secret, true)).slice(2).toLowerCase(),
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: iv.toString('hex') },
      ciphertext: ciphertext.toString('hex'),
      kdf: 'scrypt',
      kdfparams: { dklen: 32, n: params.n, p: params.p, r: params.r, salt: salt.toString('hex') },
      mac: mac(derived, ciphertext).toString('hex')
    }
  }
}

const unsupported = (why: string): KeystoreError => new KeystoreError('keystore.v3unsupported', { why }, `not a usable v3 keystore: ${why}`)
const hex = (s: unknown): Buffer => {
  if (typeof s !== 'string' || !/^(0x)?([0-9a-fA-F]{2})*$/.test(s)) throw unsupported('a field is not hex')
  return Buffer.from(s.replace(/^0x/, ''), 'hex')
}

/** Whether a parsed JSON value looks like a v3 keystore (so `import` can tell it from ours). */
export const isV3 = (v: unknown): boolean => typeof v === 'object' && v != null && (v as { version?: unknown }).version === 3

/**
 * The private key in a v3 keystore: the MAC must match (a wrong password or an edited byte is one
 * error), and so must the address when the file names one.
 */
export async function decryptV3 (json: unknown, passphrase: string): Promise<Uint8Array> {
  if (!isV3(json)) throw unsupported('version is not 3')
  const file = json as { address?: unknown, crypto?: V3Crypto, Crypto?: V3Crypto }
  const c = file.crypto ?? file.Crypto
  if (c == null || typeof c !== 'object') throw unsupported('no crypto section')
  if (c.cipher !== 'aes-128-ctr') throw unsupported(`cipher ${String(c.cipher)}`)
  const kp = c.kdfparams
  if (kp == null || kp.dklen !== 32) throw unsupported('kdf parameters')
  const salt = hex(kp.salt)
  let derived: Buffer
  if (c.kdf === 'scrypt') {
    const { n, r, p } = kp
    if (!Number.isSafeInteger(n) || !Number.isSafeInteger(r) || !Number.isSafeInteger(p) || n! < 2 || n! > MAX_N || (n! & (n! - 1)) !== 0 || r! < 1 || r! > 16 || p! < 1 || p! > 4) throw unsupported('unreasonable scrypt parameters')
    derived = await scryptKey(passphrase, salt, n!, r!, p!, 32)
  } else if (c.kdf === 'pbkdf2') {
    if (kp.prf !== 'hmac-sha256' || !Number.isSafeInteger(kp.c) || kp.c! < 1 || kp.c! > 10_000_000) throw unsupported('pbkdf2 parameters')
    derived = await pbkdf2Key(passphrase, salt, kp.c!, 32)
  } else throw unsupported(`kdf ${String(c.kdf)}`)
  const ciphertext = hex(c.ciphertext)
  const expected = hex(c.mac)
  const actual = mac(derived, ciphertext)
  if (expected.length !== 32 || !timingSafeEqual(expected, actual)) throw new KeystoreError('keystore.locked', { what: 'the v3 keystore' }, 'cannot unlock the v3 keystore: wrong passphrase (OHT_PASSPHRASE) or a damaged file')
  const iv = hex(c.cipherparams?.iv)
  if (iv.length !== 16 || ciphertext.length !== 32) throw unsupported('iv or key length')
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
  const secret = new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]))
  if (!secp256k1.utils.isValidSecretKey(secret)) throw unsupported('the key is not a secp256k1 private key')
  if (typeof file.address === 'string' && file.address !== '') {
    const want = file.address.replace(/^0x/i, '').toLowerCase()
    if (ethAddressOf(secp256k1.getPublicKey(secret, true)).slice(2).toLowerCase() !== want) throw unsupported('its address does not match its key')
  }
  return secret
}
