// Sealed boxes to an account's public key (`oht account encrypt/decrypt`): anyone who knows an
// account id can seal bytes only that account opens; the sender stays anonymous (a fresh
// ephemeral key per box) and the box does not name its recipient. Ed25519 accounts receive over
// X25519 (their key converted to Montgomery form), secp256k1 accounts over ECIES (secp256k1 ECDH);
// both then HKDF-SHA256 and AES-256-GCM (native). docs/FORMAT.md "Account sealed boxes".
import { hkdfSync, type KeyObject } from 'node:crypto'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { seal, open } from '../../blocks/crypto/aead.ts'
import { labelBytes } from './caps.ts'
import { AccountError, checkAccountId, kindOfId, kindOfKey, rawSecret, accountIdOf } from './account-keys.ts'

const MAGIC = Buffer.from('OHTBOX', 'ascii')
const VERSION = 1
const SUITE_X25519 = 1
const SUITE_SECP256K1 = 2
const INFO = labelBytes('accountBox')
/** Boxes are sealed in memory: meant for messages, keys and links, not for shares (`oht share` is). */
export const MAX_BOX_PLAINTEXT = 64 * 1024 * 1024
const TAG = 16

const header = (suite: number, ephemeral: Uint8Array): Buffer => Buffer.concat([MAGIC, Buffer.from([VERSION, suite]), ephemeral])

/** key (32) || nonce (12), bound to the header and the recipient's public key. */
function boxKeys (shared: Uint8Array, head: Uint8Array, recipient: Uint8Array): { key: Buffer, nonce: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), Buffer.concat([INFO, head, recipient]), 44))
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) }
}

/** Seals `plaintext` so only the account `accountId` (its public key) can open it. */
export function sealToAccount (accountId: string, plaintext: Uint8Array): Buffer {
  const id = checkAccountId(accountId)
  if (plaintext.length > MAX_BOX_PLAINTEXT) throw new AccountError('account.boxTooLarge', { max: String(MAX_BOX_PLAINTEXT) }, `a sealed box holds at most ${MAX_BOX_PLAINTEXT} bytes; share a file with \`oht share\` and seal its link instead`)
  const pub = Buffer.from(id, 'hex')
  let suite: number, ephemeral: Uint8Array, shared: Uint8Array, recipient: Uint8Array
  if (kindOfId(id) === 'secp256k1') {
    if (!secp256k1.utils.isValidPublicKey(pub, true)) throw new AccountError('account.badId', { id: JSON.stringify(accountId) }, `not a secp256k1 public key: ${accountId}`)
    const e = secp256k1.utils.randomSecretKey()
    suite = SUITE_SECP256K1
    ephemeral = secp256k1.getPublicKey(e, true)
    recipient = pub
    shared = secp256k1.getSharedSecret(e, pub, true).subarray(1)
  } else {
    let mont: Uint8Array
    try { mont = ed25519.utils.toMontgomery(pub) } catch { throw new AccountError('account.badId', { id: JSON.stringify(accountId) }, `not an Ed25519 public key: ${accountId}`) }
    const e = x25519.utils.randomSecretKey()
    suite = SUITE_X25519
    ephemeral = x25519.getPublicKey(e)
    recipient = mont
    shared = x25519.getSharedSecret(e, mont)
  }
  const head = header(suite, ephemeral)
  const { key, nonce } = boxKeys(shared, head, recipient)
  return Buffer.concat([head, seal(key, nonce, plaintext, head)])
}

const notABox = (why: string): AccountError => new AccountError('account.notBox', { why }, `not an oht sealed box (${why})`)
const cannotOpen = (): AccountError => new AccountError('account.boxRefused', {}, 'cannot open the sealed box: it was not sealed to this account, or it was altered')

/** Opens a box sealed to `privateKey`'s account; a box for another account or any edited byte is one error. */
export function openFromAccount (privateKey: KeyObject, box: Uint8Array): Buffer {
  const b = Buffer.from(box.buffer, box.byteOffset, box.byteLength)
  if (b.length < MAGIC.length + 2 || !b.subarray(0, MAGIC.length).equals(MAGIC)) throw notABox('no OHTBOX header')
  if (b[MAGIC.length] !== VERSION) throw notABox(`version ${b[MAGIC.length]!}, this oht reads ${VERSION}`)
  const suite = b[MAGIC.length + 1]!
  const kind = kindOfKey(privateKey)
  const secret = rawSecret(privateKey)
  const ephLen = suite === SUITE_SECP256K1 ? 33 : suite === SUITE_X25519 ? 32 : -1
  if (ephLen < 0) throw notABox(`unknown suite ${suite}`)
  if ((suite === SUITE_SECP256K1) !== (kind === 'secp256k1')) {
    throw new AccountError('account.boxKind', { box: suite === SUITE_SECP256K1 ? 'secp256k1' : 'Ed25519', account: kind === 'secp256k1' ? 'secp256k1' : 'Ed25519' }, `this box was sealed to a ${suite === SUITE_SECP256K1 ? 'secp256k1' : 'Ed25519'} account; this account is ${kind === 'secp256k1' ? 'secp256k1' : 'Ed25519'}`)
  }
  const headLen = MAGIC.length + 2 + ephLen
  if (b.length < headLen + TAG) throw notABox('truncated')
  const head = b.subarray(0, headLen)
  const ephemeral = b.subarray(MAGIC.length + 2, headLen)
  let shared: Uint8Array, recipient: Uint8Array
  try {
    if (suite === SUITE_SECP256K1) {
      recipient = Buffer.from(accountIdOf(privateKey), 'hex')
      shared = secp256k1.getSharedSecret(secret, ephemeral, true).subarray(1)
    } else {
      recipient = x25519.getPublicKey(ed25519.utils.toMontgomerySecret(secret))
      shared = x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(secret), ephemeral)
    }
  } catch {
    throw cannotOpen() // an ephemeral key edited off the curve (or to a low-order point)
  }
  const { key, nonce } = boxKeys(shared, head, recipient)
  try {
    return open(key, nonce, b.subarray(headLen), head)
  } catch {
    throw cannotOpen()
  }
}
