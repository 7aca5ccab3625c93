// Fuzz targets: the DHT's requests and answers, and the signed records inside them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import {
  RecordError, WireError, createImmutableRecord, createMutableRecord, createProviderRecord, decodeRequest, decodeResponse,
  encodeRequest, encodeResponse, validateProviderRecord, validateValueRecord, type RequestFrame, type ValueRecord
} from '../../src/dht/index.ts'
import { randomIdentity } from '../../src/dht/sim/adversaries.ts'
import { onionNameFromPublicKey } from '../../src/onion/address.ts'
import { cborValue, fc, mutated, only, params } from './fuzz.ts'

const keys = randomIdentity()
const now = Date.now()
const id = fc.uint8Array({ minLength: 32, maxLength: 32 })
const address = fc.constantFrom('tcp:127.0.0.1:4001', 'mem:a', `onion:${onionNameFromPublicKey(keys.publicKeyRaw)}:80`)
const expires = fc.integer({ min: now + 1000, max: now + 3_600_000 })

const provider = fc.tuple(id, address, expires).map(([t, a, e]) => createProviderRecord(keys, t, a, e))
const value: fc.Arbitrary<ValueRecord> = fc.oneof(
  fc.tuple(fc.uint8Array({ maxLength: 100 }), expires).map(([v, e]) => createImmutableRecord(keys, v, e)),
  fc.tuple(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.uint8Array({ maxLength: 20 }), expires)
    .map(([v, seq, salt, e]) => createMutableRecord(keys, { value: v, seq, salt, expires: e }))
)
const request: fc.Arbitrary<RequestFrame> = fc.record({
  id: fc.nat({ max: 0xffffffff }),
  from: address,
  request: fc.oneof(
    fc.constant({ type: 'ping' as const }),
    id.map(target => ({ type: 'find-node' as const, target })),
    id.map(topic => ({ type: 'get-providers' as const, topic })),
    id.map(key => ({ type: 'get-value' as const, key })),
    provider.map(record => ({ type: 'add-provider' as const, record })),
    value.map(record => ({ type: 'put-value' as const, record }))
  )
}).map(r => ({ id: r.id, from: r.from, request: { ...r.request } })) // plain objects, as the decoder makes
const arbitraryBytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  cborValue.map(v => dagCbor.encode(v)),
  fc.dictionary(fc.constantFrom('v', 'i', 't', 'a', 'k', 'r', 'n', 'p', 'e', 'm'), cborValue, { maxKeys: 6 }).map(m => dagCbor.encode({ ...m, v: 1, i: 7 }))
)

/** Checks whatever records a decoded request or answer carries: valid, or a RecordError. */
function validateAll (records: { providers?: unknown[], values?: unknown[] }): void {
  for (const r of records.providers ?? []) only([RecordError], () => { validateProviderRecord(r as never, now) })
  for (const r of records.values ?? []) only([RecordError], () => { validateValueRecord(r as never, now) })
}

test('fuzz DHT wire: requests round-trip through their encoding', () => {
  fc.assert(fc.property(request, r => { assert.deepEqual(decodeRequest(encodeRequest(r)), r) }), params(200))
})

test('fuzz DHT wire: arbitrary frames are decoded or refused with a WireError, records valid or refused with a RecordError', () => {
  fc.assert(fc.property(arbitraryBytes, bytes => {
    const req = only([WireError], () => decodeRequest(bytes))
    if (req?.request.type === 'add-provider') validateAll({ providers: [req.request.record] })
    if (req?.request.type === 'put-value') validateAll({ values: [req.request.record] })
    const res = only([WireError], () => decodeResponse(bytes))
    if (res?.ok === true) {
      validateAll({ providers: res.body.providers ?? [], values: res.body.record != null ? [res.body.record] : [] })
      // What was read is written back the same way.
      assert.deepEqual(decodeResponse(encodeResponse(res)), res.dropped === 0 ? res : { ...res, dropped: 0 })
    }
    if (res?.ok === false) assert.ok(['malformed', 'unknown-type', 'refused', 'invalid-record', 'busy'].includes(res.error), `unknown error code ${res.error}`)
  }), params(1500, [
    // Found: an answer's error code was passed on unchecked ({e: 'auth', i: 7, v: 1}).
    [Uint8Array.from([163, 97, 101, 100, 97, 117, 116, 104, 97, 105, 7, 97, 118, 1])] as [Uint8Array]
  ]))
})

test('fuzz DHT wire: a mutated signed request is refused, or decodes to a record that still verifies only if it is unchanged', () => {
  const signed = fc.oneof(
    provider.map(record => ({ id: 1, request: { type: 'add-provider' as const, record } })),
    value.map(record => ({ id: 1, request: { type: 'put-value' as const, record } }))
  )
  fc.assert(fc.property(signed.chain(r => fc.tuple(fc.constant(r), mutated(encodeRequest(r)))), ([original, bytes]) => {
    const req = only([WireError], () => decodeRequest(bytes))
    if (req == null || (req.request.type !== 'add-provider' && req.request.type !== 'put-value')) return
    const r = req.request
    const valid = only([RecordError], () => {
      if (r.type === 'add-provider') validateProviderRecord(r.record, now)
      else validateValueRecord(r.record, now)
      return true
    })
    const record = r.record
    if (valid === true) assert.deepEqual(record, original.request.record, 'a changed record passed its signature check')
  }), params(1000))
})
