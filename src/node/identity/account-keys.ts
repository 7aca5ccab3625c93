// The two kinds of account key and what differs between them: the id, signatures, the Ethereum
// address. Ed25519 (the default) signs with node:crypto; secp256k1 is Ethereum's curve, so an
// account of that kind has a 0x address and signs messages as EIP-191 `personal_sign` (what
// ethers' verifyMessage and viem check), with @noble/curves (node:crypto's ECDSA cannot return the
// recovery bit Ethereum needs). Account ids are self-certifying public keys, told apart by length:
// 64 hex digits = raw Ed25519 key, 66 = compressed secp256k1 point (02/03 prefix).
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { NodeError } from '../errors.ts'

export type AccountKind = 'ed25519' | 'secp256k1'
export const ACCOUNT_KINDS: readonly AccountKind[] = ['ed25519', 'secp256k1']

export class AccountError extends NodeError {
  override name = 'AccountError'
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const ED25519_ID = /^[0-9a-f]{64}$/
const SECP256K1_ID = /^0[23][0-9a-f]{64}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/

export const isAccountId = (id: string): boolean => ED25519_ID.test(id) || SECP256K1_ID.test(id)
export const isEthAddress = (s: string): boolean => ADDRESS.test(s.trim())

export function checkAccountId (id: string): string {
  const lower = id.trim().toLowerCase()
  if (!isAccountId(lower)) throw new AccountError('account.badId', { id: JSON.stringify(id) }, `not an account id: ${JSON.stringify(id)} (64 hex digits for Ed25519, 66 for secp256k1)`)
  return lower
}

export const kindOfId = (id: string): AccountKind => SECP256K1_ID.test(id) ? 'secp256k1' : 'ed25519'

export function checkKind (kind: string): AccountKind {
  if (!(ACCOUNT_KINDS as readonly string[]).includes(kind)) throw new AccountError('account.badKind', { kind: JSON.stringify(kind) }, `unknown account kind ${JSON.stringify(kind)} (ed25519 or secp256k1)`)
  return kind as AccountKind
}

export function generateAccountKey (kind: AccountKind): KeyObject {
  return kind === 'secp256k1'
    ? generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey
    : generateKeyPairSync('ed25519').privateKey
}

/** The key's kind, from the key itself (a keystore's `kind` field is checked against it). */
export function kindOfKey (privateKey: KeyObject): AccountKind {
  if (privateKey.asymmetricKeyType === 'ed25519') return 'ed25519'
  if (privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'secp256k1') return 'secp256k1'
  throw new AccountError('account.badKey', { kind: privateKey.asymmetricKeyType ?? 'unknown' }, `not an account key: ${privateKey.asymmetricKeyType ?? 'unknown'}`)
}

/** The raw 32-byte secret (Ed25519 seed or secp256k1 scalar). */
export function rawSecret (privateKey: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'))
}

/** A secp256k1 KeyObject from its 32-byte scalar (a v3 keystore holds only that). */
export function secp256k1KeyFrom (secret: Uint8Array): KeyObject {
  if (!secp256k1.utils.isValidSecretKey(secret)) throw new AccountError('account.badKey', { kind: 'secp256k1' }, 'not a valid secp256k1 private key')
  const pub = secp256k1.getPublicKey(secret, false)
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url')
  return createPrivateKey({ key: { kty: 'EC', crv: 'secp256k1', d: b64(secret), x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33)) }, format: 'jwk' })
}

/** The account id of a private key: its raw Ed25519 public key, or its compressed secp256k1 point. */
export function accountIdOf (privateKey: KeyObject): string {
  if (kindOfKey(privateKey) === 'secp256k1') return Buffer.from(secp256k1.getPublicKey(rawSecret(privateKey), true)).toString('hex')
  return Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url').toString('hex')
}

export function ed25519PublicKey (accountId: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(accountId, 'hex')]), format: 'der', type: 'spki' })
}

/** EIP-55: the hex address with letters upper-cased where keccak(lowercase hex) has a nibble >= 8. */
export function checksumAddress (hex40: string): string {
  const lower = hex40.toLowerCase().replace(/^0x/, '')
  const hash = Buffer.from(keccak_256(Buffer.from(lower, 'ascii'))).toString('hex')
  let out = '0x'
  for (let i = 0; i < 40; i++) out += parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!
  return out
}

/** The Ethereum address of a secp256k1 public key (compressed or not): keccak of x||y, last 20 bytes. */
export function ethAddressOf (publicKey: Uint8Array): string {
  let full: Uint8Array
  try {
    full = secp256k1.Point.fromBytes(publicKey).toBytes(false)
  } catch {
    const hex = Buffer.from(publicKey).toString('hex')
    throw new AccountError('account.badId', { id: JSON.stringify(hex) }, `not a secp256k1 public key: ${hex}`)
  }
  return checksumAddress(Buffer.from(keccak_256(full.subarray(1))).subarray(12).toString('hex'))
}

/** The address of a secp256k1 account id; undefined for Ed25519 accounts. */
export const addressOfId = (accountId: string): string | undefined =>
  kindOfId(accountId) === 'secp256k1' ? ethAddressOf(Buffer.from(accountId, 'hex')) : undefined

/** EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" + byte length + message). */
export function eip191Hash (message: Uint8Array): Uint8Array {
  const prefix = Buffer.from(`\x19Ethereum Signed Message:\n${message.length}`, 'utf8')
  return keccak_256(Buffer.concat([prefix, message]))
}

/** `personal_sign`: 0x + r || s || v (65 bytes, v = 27 or 28), low-s, as wallets and ethers make it. */
export function personalSign (secret: Uint8Array, message: Uint8Array): string {
  const rec = secp256k1.sign(eip191Hash(message), secret, { prehash: false, format: 'recovered' })
  return '0x' + Buffer.concat([rec.subarray(1), Buffer.from([27 + rec[0]!])]).toString('hex')
}

/** The address that made a `personal_sign` signature over `message`, or undefined if it is malformed. */
export function recoverPersonal (message: Uint8Array, signature: string): string | undefined {
  const hex = signature.trim().replace(/^0x/i, '')
  if (!/^[0-9a-fA-F]{130}$/.test(hex)) return undefined
  const sig = Buffer.from(hex, 'hex')
  const v = sig[64]!
  const recid = v >= 27 ? v - 27 : v
  if (recid !== 0 && recid !== 1) return undefined
  try {
    const pub = secp256k1.recoverPublicKey(Buffer.concat([Buffer.from([recid]), sig.subarray(0, 64)]), eip191Hash(message), { prehash: false })
    return ethAddressOf(pub)
  } catch {
    return undefined
  }
}

/**
 * Signs oht's own labelled bytes (delegation certificates). secp256k1 signs SHA-256 of them, not
 * an EIP-191 keccak hash: a `personal_sign` the user makes over chosen text can never double as a
 * certificate. 64 bytes either way (Ed25519, or secp256k1 r || s low-s), base64url.
 */
export function signLabelled (privateKey: KeyObject, bytes: Uint8Array): string {
  if (kindOfKey(privateKey) === 'secp256k1') return Buffer.from(secp256k1.sign(sha256(bytes), rawSecret(privateKey), { prehash: false })).toString('base64url')
  return sign(null, bytes, privateKey).toString('base64url')
}

export function verifyLabelled (accountId: string, bytes: Uint8Array, signature: string): boolean {
  // Only the canonical text: Buffer skips characters outside the alphabet, so without this check
  // one signature would have many accepted spellings (a certificate changed and still valid).
  const text = signature.trim()
  const sig = Buffer.from(text, 'base64url')
  if (sig.length !== 64 || sig.toString('base64url') !== text) return false
  try {
    if (kindOfId(accountId) === 'secp256k1') return secp256k1.verify(sig, sha256(bytes), Buffer.from(accountId, 'hex'), { prehash: false })
    return verify(null, bytes, ed25519PublicKey(accountId), sig)
  } catch {
    return false
  }
}
