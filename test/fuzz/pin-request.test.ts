// Fuzz targets: the remote pin protocol's request frame and the delegation certificate it carries
// (src/node/pins/pin-protocol.ts, src/node/identity/accounts.ts): what any node may send a pinner.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { parsePinRequest, type RefusalCode } from '../../src/node/pins/pin-protocol.ts'
import { AccountError, checkCert, delegate, formatCert, parseCert, type Account } from '../../src/node/identity/accounts.ts'
import { accountIdOf, generateAccountKey } from '../../src/node/identity/account-keys.ts'
import { cborValue, fc, mutated, only, params } from './fuzz.ts'

const accounts: Account[] = (['ed25519', 'secp256k1'] as const).map(kind => {
  const privateKey = generateAccountKey(kind)
  return { id: accountIdOf(privateKey), label: '', kind, privateKey }
})
const nodeId = randomBytes(32).toString('hex')
const certs = accounts.map(a => formatCert(delegate(a, nodeId, 3_600_000)))
const good = Buffer.from(JSON.stringify({ type: 'pin', v: 1, cap: 'oht-verify://x#y', ttlMs: 60_000, peers: ['tcp:127.0.0.1:1'], cert: certs[0] }))

/** A pin request refused with a code from the protocol's list, nothing else. */
const CODES: readonly RefusalCode[] = ['bad-request']
function refusedOrRead (frame: Uint8Array): void {
  try {
    const r = parsePinRequest(Buffer.from(frame))
    assert.equal(r.type, 'pin')
    assert.ok(Array.isArray(r.peers) && r.peers.length <= 16)
    assert.ok(r.ttlMs === null || (Number.isSafeInteger(r.ttlMs) && r.ttlMs > 0))
    assert.equal(typeof r.cert, 'string')
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err
    const code = (err as { code?: string }).code
    if (!(err instanceof Error) || !CODES.includes(code as RefusalCode)) throw new Error(`threw an undocumented ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err })
  }
}

test('fuzz pin requests: arbitrary bytes, arbitrary JSON and mutations of a valid request are read or refused as bad-request', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), refusedOrRead), params(300))
  fc.assert(fc.property(fc.jsonValue(), v => { refusedOrRead(Buffer.from(JSON.stringify(v) ?? 'null')) }), params(300))
  fc.assert(fc.property(cborValue, v => { refusedOrRead(Buffer.from(JSON.stringify(v, (_k, x: unknown) => x instanceof Uint8Array ? [...x] : typeof x === 'bigint' ? String(x) : x) ?? 'null')) }), params(200))
  fc.assert(fc.property(mutated(good), refusedOrRead), params<[Uint8Array]>(300, [[Buffer.from('{"type":"pin","v":1,"cap":"x","ttlMs":1e400,"peers":[],"cert":""}')]]))
})

/** The counterexample found: the same certificate with a character outside base64url inside its signature. */
function respelled (cert: string): Uint8Array {
  const c = JSON.parse(Buffer.from(cert.slice('oht-cert:'.length), 'base64url').toString()) as { sig: string }
  c.sig = `${c.sig.slice(0, 10)}|${c.sig.slice(10)}`
  return Buffer.from(`oht-cert:${Buffer.from(JSON.stringify(c)).toString('base64url')}`)
}

test('fuzz delegation certificates: text parses or fails with an AccountError; a mutated certificate never verifies', () => {
  fc.assert(fc.property(fc.string({ maxLength: 600 }), s => { only([AccountError], () => parseCert(s)) }), params(300))
  for (const [i, cert] of certs.entries()) {
    fc.assert(fc.property(mutated(Buffer.from(cert)), bytes => {
      const text = Buffer.from(bytes).toString('latin1')
      const c = only([AccountError], () => parseCert(text))
      // Found: the signature was read leniently (characters outside base64url skipped), so a
      // certificate with a changed signature text still verified; only the canonical text does now.
      if (c != null && formatCert(c) !== cert) assert.notEqual(checkCert(c, nodeId), undefined, `account ${accounts[i]!.kind}: a changed certificate verified`)
    }), params<[Uint8Array]>(200, [[respelled(cert)]]))
  }
})
