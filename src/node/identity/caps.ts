// Every signing label of the node's identity layer (accounts), in one place. A label is written
// without a terminator; labelBytes() appends one NUL byte, so no label is a prefix of another's
// signable. Changing a label changes what every signature covers (a new format version).

export const IDENTITY_LABELS = {
  /** `oht account sign`: an account's signature over a message. */
  accountMessage: 'oht/v2/account-message',
  /** A delegation certificate: "node X may act for account A until T". */
  delegation: 'oht/v2/delegation'
} as const

export type IdentityLabel = keyof typeof IDENTITY_LABELS

/** The label as signed: its UTF-8 bytes followed by one NUL byte. */
export function labelBytes (name: IdentityLabel): Buffer {
  return Buffer.concat([Buffer.from(IDENTITY_LABELS[name], 'utf8'), Buffer.of(0)])
}

/** `label || message`: what an account signs for `name`. */
export function signable (name: IdentityLabel, message: Uint8Array): Buffer {
  return Buffer.concat([labelBytes(name), message])
}

/** HKDF info of the console's history key, derived from the node's vault key (cli/console/history.ts). */
export const CONSOLE_HISTORY_LABEL = 'oht/v2/console-history'
