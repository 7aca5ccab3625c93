// Every signing and derivation label of the people layer (contacts, messages), in one place.
// Written `oht/v2/people/...` without a terminator; labelBytes() appends one NUL byte, as the other
// layers' caps.ts do (docs/FORMAT.md lists them all).

export const PEOPLE_LABELS = {
  /** An account's signature over its half of a message session's opening (messages/session.ts). */
  hello: 'oht/v2/people/hello',
  /** HKDF info of a session's two chain keys, from the ephemeral X25519 secret. */
  sessionKeys: 'oht/v2/people/session-keys',
  /** The DHT private-value handle under which an account says which node answers for it. */
  locator: 'oht/v2/people/locator',
  /** An account's signature over its locator record (which node, at which address, until when). */
  locatorRecord: 'oht/v2/people/locator-record',
  /** The DHT private-value handle of a published name: sha256(label ‖ account id ‖ NUL ‖ name). */
  name: 'oht/v2/people/name',
  /** An account's signature over a name record (account, name, target, seq, expiry). */
  nameRecord: 'oht/v2/people/name-record',
  /** HMAC key step of a mailbox's epoch-key ratchet: key(e+1) = HMAC(key(e), label). */
  mailboxNext: 'oht/v2/people/mailbox-next',
  /** HMAC of a mailbox slot's DHT private-value handle: HMAC(key(e), label ‖ epoch ‖ slot). */
  mailboxHandle: 'oht/v2/people/mailbox-handle',
  /** HMAC of a mailbox record's AES-256-GCM key: HMAC(key(e), label ‖ epoch ‖ slot); also its AAD prefix. */
  mailboxSeal: 'oht/v2/people/mailbox-seal',
  /** An account's signature introducing one of its contacts to another: label ‖ JSON [introducer, introduced, to, at]. */
  introduction: 'oht/v2/people/introduction'
} as const

export type PeopleLabel = keyof typeof PEOPLE_LABELS

export function labelBytes (name: PeopleLabel): Buffer {
  return Buffer.concat([Buffer.from(PEOPLE_LABELS[name], 'utf8'), Buffer.of(0)])
}
