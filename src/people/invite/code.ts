// An invite code, `<nameplate>-<word>-<word>` (`7-guitar-nebula`, Magic Wormhole's shape): the
// nameplate is public (it names the rendezvous record in the DHT); the whole code is the PAKE's
// password (pake.ts), so a guess costs an attacker one online attempt. Parsed once at the edge.
import { randomInt } from 'node:crypto'
import { INVITE_WORDS, wordIndex } from './words.ts'

/** Nameplates are drawn from 1..MAX_NAMEPLATE first; a crowded range widens (sender.ts). */
export const MAX_NAMEPLATE = 999
export const MAX_WIDE_NAMEPLATE = 99_999
export const CODE_WORDS = 2

export interface InviteCode {
  readonly kind: 'invite-code'
  readonly nameplate: number
  readonly words: readonly string[]
}

export class InviteCodeError extends Error {
  override name = 'InviteCodeError'
  readonly code = 'invite.badCode'
}

/** A fresh code on `nameplate` with random words. */
export function randomCode (nameplate: number): InviteCode {
  return { kind: 'invite-code', nameplate, words: Array.from({ length: CODE_WORDS }, () => INVITE_WORDS[randomInt(INVITE_WORDS.length)]!) }
}

export function formatCode (code: InviteCode): string {
  return [String(code.nameplate), ...code.words].join('-')
}

/**
 * Reads a code as people type it: case, surrounding space and spaces instead of hyphens are
 * forgiven; anything else (an unknown word, a missing part, a nameplate out of range) is an
 * InviteCodeError naming what is wrong.
 */
export function parseCode (text: string): InviteCode {
  const parts = text.trim().toLowerCase().split(/[\s-]+/)
  const [plate, ...words] = parts
  if (plate == null || !/^[1-9]\d{0,4}$/.test(plate) || words.length !== CODE_WORDS) {
    throw new InviteCodeError(`not an invite code: ${JSON.stringify(text.slice(0, 64))} (expected a number and ${CODE_WORDS} words, like 7-guitar-nebula)`)
  }
  for (const w of words) {
    if (wordIndex(w) === undefined) throw new InviteCodeError(`not an invite code: "${w.slice(0, 32)}" is not one of the code words (check the spelling)`)
  }
  return { kind: 'invite-code', nameplate: Number(plate), words }
}
