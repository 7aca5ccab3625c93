// Mailbox records: a message for a contact that is offline, left in the DHT (docs/FORMAT.md
// "Mailbox records"; docs/DECISIONS.md "Offline delivery: DHT mailboxes keyed by a contact's
// epoch ratchet"). The recipient gives each contact a secret mailbox key; both sides step it
// forward once per epoch (key(e+1) = HMAC(key(e), label)) and wipe the old one, so a key taken
// today opens no record of an earlier epoch that was already stepped past. Slot n of epoch e is
// the DHT private value under HMAC(key(e), label ‖ e ‖ n): a random-looking handle that names
// neither side, different for every slot. Each record is sealed again under its own key and
// padded to one fixed size, so the holder sees the same number of bytes for every message.
import { createHmac, randomBytes } from 'node:crypto'
import { open, seal, NONCE_BYTES, TAG_BYTES } from '../../blocks/crypto/aead.ts'
import { labelBytes, type PeopleLabel } from '../caps.ts'
import { PeopleError } from '../errors.ts'

/** How long one mailbox key lives before both sides step it forward. */
export const MAILBOX_EPOCH_MS = 6 * 3600_000
/** How long a record stays in the DHT (the DHT's longest record life); the sender leaves it again after. */
export const MAILBOX_TTL_MS = 48 * 3600_000
/** Every record's size, whatever it holds. */
export const MAILBOX_RECORD_BYTES = 12 * 1024
const VERSION = 1
const BODY_BYTES = MAILBOX_RECORD_BYTES - 1 - NONCE_BYTES - TAG_BYTES
const BODY_HEAD = 8 + 4
/** The largest payload one record holds; the rest of its fixed size is zero padding. */
export const MAILBOX_PAYLOAD_BYTES = BODY_BYTES - BODY_HEAD
/** A ratchet is never stepped further than this at once (a clock far off, or a hostile epoch). */
const MAX_RATCHET_STEPS = 4 * 366 * 10

export type MailboxErrorCode = 'too-large' | 'bad-record' | 'tampered' | 'expired' | 'bad-epoch'

export class MailboxError extends PeopleError<MailboxErrorCode> {
  override name = 'MailboxError'
}

/** A ratchet position: the mailbox key of one epoch. */
export interface EpochKey { epoch: number, key: Uint8Array }

export const epochOf = (now: number, epochMs = MAILBOX_EPOCH_MS): number => Math.floor(now / epochMs)

function mac (key: Uint8Array, label: PeopleLabel, ...numbers: number[]): Buffer {
  const h = createHmac('sha256', key).update(labelBytes(label))
  for (const n of numbers) {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n)
    h.update(b)
  }
  return h.digest()
}

/** The key of `epoch`, stepped forward from `from` (never back: an earlier epoch's key is gone). */
export function keyAt (from: EpochKey, epoch: number): EpochKey {
  if (!Number.isSafeInteger(epoch) || epoch < from.epoch) throw new MailboxError('bad-epoch', `epoch ${epoch} is before this mailbox key's epoch ${from.epoch}: its key is gone`)
  if (epoch - from.epoch > MAX_RATCHET_STEPS) throw new MailboxError('bad-epoch', `epoch ${epoch} is too far ahead of ${from.epoch}`)
  let key: Buffer = Buffer.from(from.key)
  for (let e = from.epoch; e < epoch; e++) {
    const next = mac(key, 'mailboxNext')
    key.fill(0)
    key = next
  }
  return { epoch, key }
}

/** The DHT private-value handle of slot `slot` of the key's epoch. */
export function slotHandle (k: EpochKey, slot: number): Uint8Array {
  return new Uint8Array(mac(k.key, 'mailboxHandle', k.epoch, slot))
}

const aad = (epoch: number, slot: number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeUInt32BE(epoch)
  b.writeUInt32BE(slot, 4)
  return Buffer.concat([labelBytes('mailboxSeal'), b])
}

/** version(1) ‖ nonce(12) ‖ AES-256-GCM(expires u64 ‖ length u32 ‖ payload ‖ zeros) ‖ tag(16): MAILBOX_RECORD_BYTES in all. */
export function sealRecord (k: EpochKey, slot: number, payload: Uint8Array, expires: number): Buffer {
  if (payload.length > MAILBOX_PAYLOAD_BYTES) throw new MailboxError('too-large', `a mailbox record holds at most ${MAILBOX_PAYLOAD_BYTES} bytes, got ${payload.length}`)
  const body = Buffer.alloc(BODY_BYTES)
  body.writeBigUInt64BE(BigInt(expires), 0)
  body.writeUInt32BE(payload.length, 8)
  body.set(payload, BODY_HEAD)
  const key = mac(k.key, 'mailboxSeal', k.epoch, slot)
  const nonce = randomBytes(NONCE_BYTES)
  const sealed = seal(key, nonce, body, aad(k.epoch, slot))
  key.fill(0)
  body.fill(0)
  return Buffer.concat([Buffer.of(VERSION), nonce, sealed])
}

/** The payload of the record found in slot `slot`; a MailboxError when it is not one, was altered, moved or has expired. */
export function openRecord (k: EpochKey, slot: number, record: Uint8Array, now = Date.now()): Buffer {
  if (record.length !== MAILBOX_RECORD_BYTES || record[0] !== VERSION) throw new MailboxError('bad-record', `not a mailbox record (${record.length} bytes)`)
  const key = mac(k.key, 'mailboxSeal', k.epoch, slot)
  let body: Buffer
  try {
    body = open(key, record.subarray(1, 1 + NONCE_BYTES), record.subarray(1 + NONCE_BYTES), aad(k.epoch, slot))
  } catch {
    throw new MailboxError('tampered', 'a mailbox record that was altered, or sealed for another slot')
  } finally {
    key.fill(0)
  }
  const expires = Number(body.readBigUInt64BE(0))
  if (expires <= now) throw new MailboxError('expired', 'a mailbox record past its expiry')
  const length = body.readUInt32BE(8)
  if (length > MAILBOX_PAYLOAD_BYTES) throw new MailboxError('bad-record', 'a mailbox record whose length is out of range')
  return Buffer.from(body.subarray(BODY_HEAD, BODY_HEAD + length))
}
