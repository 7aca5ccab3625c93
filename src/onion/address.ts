// Address syntax of every transport, parsed without ever touching the network. TCP hosts must be
// IP literals: resolving a name would send a DNS query that tells the resolver (and anyone on
// the path) which peer this node is about to contact, so names are refused, not looked up.
//   tcp:127.0.0.1:4001   tcp:[::1]:4001   (also plain 127.0.0.1:4001 and [::1]:4001)
//   mem:<name>
//   onion:<56 base32 chars>.onion:<port>   (also plain <56 chars>.onion:<port>)
import { isIPv4, isIPv6 } from 'node:net'
import { base32 } from 'multiformats/bases/base32'
import { AddressError, type TransportKind } from './transport.ts'

export type Address =
  | { transport: 'tcp', host: string, port: number }
  | { transport: 'memory', name: string }
  /** `host` is the 56-character v3 onion name with its `.onion` suffix, lower case. */
  | { transport: 'tor', host: string, port: number }

/** Longest address accepted: an onion address with its scheme and port is 75 characters. */
const MAX_ADDRESS_LENGTH = 256
const MEMORY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const PORT = /^[0-9]{1,5}$/
const ONION_V3 = /^[a-z2-7]{56}\.onion$/
const ONION_V2 = /^[a-z2-7]{16}\.onion$/
const HOSTNAME_LIKE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/
const SCHEME_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/** rend-spec-v3: onion = base32(pubkey(32) || checksum(2) || version(1)). */
const ONION_VERSION = 3
const ONION_CHECKSUM_LABEL = '.onion checksum'

export function parseAddress (input: string): Address {
  if (typeof input !== 'string' || input.length === 0) throw new AddressError(String(input), 'empty address')
  if (input.length > MAX_ADDRESS_LENGTH) throw new AddressError(input.slice(0, 40) + '…', `address is longer than ${MAX_ADDRESS_LENGTH} characters`)
  if (/\s/.test(input)) throw new AddressError(input, `address "${input}" contains whitespace`)
  if (SCHEME_URL.test(input)) throw new AddressError(input, `"${input}" is a URL, not a peer address (expected tcp:<ip>:<port>, mem:<name> or onion:<name>.onion:<port>)`)
  if (input.startsWith('tcp:')) return parseTcp(input, input.slice(4))
  if (input.startsWith('mem:')) return parseMemory(input, input.slice(4))
  if (input.startsWith('onion:')) return parseOnion(input, input.slice(6))
  // No scheme: an onion name is unmistakable; anything else must be an IP literal and a port.
  if (/\.onion:[^:]*$/i.test(input)) return parseOnion(input, input)
  return parseTcp(input, input)
}

export function formatAddress (address: Address): string {
  switch (address.transport) {
    case 'tcp': return address.host.includes(':') ? `tcp:[${address.host}]:${address.port}` : `tcp:${address.host}:${address.port}`
    case 'memory': return `mem:${address.name}`
    case 'tor': return `onion:${address.host}:${address.port}`
  }
}

/** Parses `input` and checks that it is for the transport `kind`. */
export function parseAddressFor<K extends TransportKind> (kind: K, input: string): Extract<Address, { transport: K }> {
  const address = parseAddress(input)
  if (address.transport !== kind) throw new AddressError(input, `the ${kind} transport cannot use the ${address.transport} address ${input}`)
  return address as Extract<Address, { transport: K }>
}

function parsePort (input: string, text: string, allowZero: boolean): number {
  if (!PORT.test(text)) throw new AddressError(input, `malformed port "${text}" in address "${input}"`)
  const port = Number(text)
  if (port > 65535 || (port === 0 && !allowZero)) throw new AddressError(input, `port ${port} is out of range in address "${input}"`)
  return port
}

function parseTcp (input: string, rest: string): Address {
  if (rest.startsWith('[')) {
    const m = /^\[([^\]]+)\]:([^:]*)$/.exec(rest)
    if (m == null) throw new AddressError(input, `malformed address "${input}": expected [<IPv6>]:<port>`)
    const host = m[1]!.toLowerCase()
    if (!isIPv6(host)) throw new AddressError(input, `"${m[1]!}" is not an IPv6 address`)
    return { transport: 'tcp', host, port: parsePort(input, m[2]!, true) }
  }
  const colon = rest.lastIndexOf(':')
  if (colon < 0) throw new AddressError(input, `address "${input}" has no port: expected <ip>:<port>`)
  const host = rest.slice(0, colon)
  const portText = rest.slice(colon + 1)
  if (host.includes(':')) throw new AddressError(input, `IPv6 addresses need brackets, as in [::1]:4001 (got "${input}")`)
  if (isIPv4(host)) return { transport: 'tcp', host, port: parsePort(input, portText, true) }
  if (host.length > 0 && HOSTNAME_LIKE.test(host)) {
    throw new AddressError(input, `"${host}" is a host name, not an IP address: oht never resolves names, because the DNS lookup would reveal which peer you contact; use an IP address such as 127.0.0.1 or [::1]`)
  }
  throw new AddressError(input, `malformed address "${input}": expected tcp:<ip>:<port>, mem:<name> or onion:<name>.onion:<port>`)
}

function parseMemory (input: string, name: string): Address {
  if (!MEMORY_NAME.test(name)) throw new AddressError(input, `malformed memory address "${input}": the name must be 1–128 letters, digits, '.', '_' or '-'`)
  return { transport: 'memory', name }
}

function parseOnion (input: string, rest: string): Address {
  const colon = rest.lastIndexOf(':')
  if (colon < 0) throw new AddressError(input, `onion address "${input}" has no port: expected <name>.onion:<port>`)
  const host = rest.slice(0, colon).toLowerCase()
  const port = parsePort(input, rest.slice(colon + 1), false)
  if (ONION_V2.test(host)) throw new AddressError(input, `"${host}" is a v2 onion address; Tor no longer supports them (v3 names have 56 characters)`)
  if (!ONION_V3.test(host)) throw new AddressError(input, `"${host}" is not a v3 onion name (56 base32 characters followed by .onion)`)
  if (!onionChecksumValid(host)) throw new AddressError(input, `"${host}" has a bad checksum or version: it is mistyped or not a v3 onion name`)
  return { transport: 'tor', host, port }
}

/** RFC 4648 base32, lower case, unpadded (onion names, Tor's client-authorization keys): multiformats' base32 without its multibase prefix. */
export function base32Encode (bytes: Uint8Array): string {
  return base32.baseEncode(bytes)
}

function onionChecksum (publicKey: Uint8Array): Buffer {
  // node:crypto taken when an onion name is first checked: the config (and so every CLI command)
  // imports this module, and loading crypto costs ~5 ms of each start (bench/cli.ts).
  const { createHash } = process.getBuiltinModule('node:crypto')
  return createHash('sha3-256').update(ONION_CHECKSUM_LABEL).update(publicKey).update(Uint8Array.of(ONION_VERSION)).digest().subarray(0, 2)
}

function onionChecksumValid (host: string): boolean {
  // RFC 4648 base32, lower case, no padding: multiformats' base32 without its multibase prefix.
  const raw = base32.baseDecode(host.slice(0, 56))
  if (raw.length !== 35 || raw[34] !== ONION_VERSION) return false
  return onionChecksum(raw.subarray(0, 32)).equals(raw.subarray(32, 34))
}

/** The v3 onion name (`<56 chars>.onion`) of an onion service's Ed25519 public key. */
export function onionNameFromPublicKey (publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new TypeError(`an onion service key is 32 bytes, got ${publicKey.length}`)
  const raw = new Uint8Array(35)
  raw.set(publicKey, 0)
  raw.set(onionChecksum(publicKey), 32)
  raw[34] = ONION_VERSION
  return `${base32.baseEncode(raw)}.onion`
}
