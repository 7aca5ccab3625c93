// The one signed-text shape channels use for descriptors, certificates and entries:
// base64url(JSON body) "." base64url(signature over label ‖ JSON body). The signature covers the
// exact bytes that travel, so no one has to agree on how to re-encode JSON.
import type { KeyObject } from 'node:crypto'
import { signLabelled, verifyLabelled } from '../../node/identity/account-keys.ts'
import { labelled, type ChannelLabel } from './caps.ts'

export function signText (label: ChannelLabel, key: KeyObject, body: unknown): string {
  const json = JSON.stringify(body)
  return `${Buffer.from(json, 'utf8').toString('base64url')}.${signLabelled(key, labelled(label, json))}`
}

const B64 = /^[A-Za-z0-9_-]+$/

/** The body of a signed text, or undefined when it does not decode as JSON (its signature is not checked here). */
export function bodyOf (text: unknown, maxChars: number): { json: string, body: unknown, sig: string } | undefined {
  if (typeof text !== 'string' || text.length > maxChars) return undefined
  const dot = text.indexOf('.')
  if (dot <= 0 || dot !== text.lastIndexOf('.')) return undefined
  const [b, sig] = [text.slice(0, dot), text.slice(dot + 1)]
  if (!B64.test(b) || !B64.test(sig)) return undefined
  const json = Buffer.from(b, 'base64url').toString('utf8')
  try { return { json, body: JSON.parse(json), sig } } catch { return undefined }
}

export const signedBy = (label: ChannelLabel, signer: string, json: string, sig: string): boolean => verifyLabelled(signer, labelled(label, json), sig)

/**
 * A bounded cache of what a pure check said about an immutable text (a signature verified, a box
 * opened): a view is rebuilt from every entry after each change, and verifying the same bytes
 * again would say the same. The oldest results go first once `max` are held.
 */
export class Memo<T> {
  readonly #map = new Map<string, T>()
  readonly #max: number
  constructor (max: number) { this.#max = max }
  get (key: string, compute: () => T): T {
    if (this.#map.has(key)) return this.#map.get(key)!
    const v = compute()
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!)
    this.#map.set(key, v)
    return v
  }
}
