// Fuzz targets: what strangers send to the people layer (src/people): DHT records naming where an
// account's node is (locators) and what a name points to, the invite exchange's frames and its
// offer, invite codes as typed, and the payloads inside a contact session.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { accountIdOf, generateAccountKey } from '../../src/node/identity/account-keys.ts'
import { locatorRecord, readLocator } from '../../src/people/contacts/locator.ts'
import { readNameRecord, signNameRecord } from '../../src/people/names/record.ts'
import { decodeMessage, decodeOffer, decodeRendezvous, encodeMessage, encodeOffer, InviteWireError } from '../../src/people/invite/wire.ts'
import { InviteCodeError, parseCode } from '../../src/people/invite/code.ts'
import { parsePayload, PeopleProtocolError } from '../../src/people/messages/channel.ts'
import { cborValue, fc, mutated, only, params } from './fuzz.ts'

const key = generateAccountKey('ed25519')
const account = { id: accountIdOf(key), privateKey: key }
const node = randomBytes(32).toString('hex')
const locator = locatorRecord(account, node, 'onion:abc.onion:4001')
const nameRecord = signNameRecord(account, { name: 'holiday', target: 'oht://x#y', seq: 3, expires: Date.now() + 3_600_000 })

test('fuzz locator and name records: arbitrary and mutated bytes read as null or as the original, never throw', () => {
  assert.deepEqual(readLocator(account.id, locator), { address: 'onion:abc.onion:4001', node })
  assert.equal(readNameRecord(account.id, 'holiday', nameRecord)?.seq, 3)
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), b => {
    assert.equal(readLocator(account.id, b), null)
    assert.equal(readNameRecord(account.id, 'holiday', b), null)
  }), params(300))
  fc.assert(fc.property(mutated(locator), b => {
    const r = readLocator(account.id, b)
    // JSON may spell one record several ways (spaces); a changed field never verifies.
    if (r != null) assert.deepEqual(r, { address: 'onion:abc.onion:4001', node })
  }), params(300))
  fc.assert(fc.property(mutated(nameRecord), b => {
    const r = readNameRecord(account.id, 'holiday', b)
    if (r != null) assert.deepEqual([r.target, r.seq], ['oht://x#y', 3])
  }), params(300))
})

test('fuzz invite frames and offers: arbitrary CBOR and mutated frames decode or fail with an InviteWireError', () => {
  const frames = [
    encodeMessage({ t: 'hello', y: new Uint8Array(32) }),
    encodeMessage({ t: 'pake', y: new Uint8Array(32), c: new Uint8Array(32) }),
    encodeMessage({ t: 'refuse', r: 'busy' })
  ]
  const offer = encodeOffer({ link: 'oht://x#y', name: 'film.mkv', bytes: 12345, peers: ['onion:abc.onion:4001'] })
  const decoders = [decodeMessage, decodeOffer, decodeRendezvous]
  fc.assert(fc.property(cborValue, v => { for (const d of decoders) only([InviteWireError], () => d(dagCbor.encode(v))) }), params(300))
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), b => { for (const d of decoders) only([InviteWireError], () => d(b)) }), params(300))
  for (const f of [...frames, offer]) {
    fc.assert(fc.property(mutated(f), b => { for (const d of decoders) only([InviteWireError], () => d(b)) }), params(100))
  }
  assert.equal(decodeOffer(offer).name, 'film.mkv')
})

test('fuzz invite codes and session payloads: parsed or refused with their error, never another', () => {
  fc.assert(fc.property(fc.string({ maxLength: 80 }), s => { only([InviteCodeError], () => parseCode(s)) }), params(300))
  fc.assert(fc.property(fc.jsonValue(), v => { only([PeopleProtocolError], () => parsePayload(Buffer.from(JSON.stringify(v) ?? 'null'))) }), params(300))
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), b => { only([PeopleProtocolError], () => parsePayload(b)) }), params(300))
})
