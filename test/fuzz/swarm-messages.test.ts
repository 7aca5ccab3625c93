// Fuzz targets: the oht_v1 extension messages and the WireGuard in front of the BitTorrent wire.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { decodeMessage, encodeMessage, MessageError, type ExtensionMessage } from '../../src/swarm/messages.ts'
import { PartialBudget, WireGuard, WireMessageStalledError, WireMessageTooLargeError } from '../../src/swarm/guard.ts'
import { cborValue, chunked, fc, mutated, only, params } from './fuzz.ts'

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 })
const uint32 = fc.nat({ max: 0xffffffff })
const hashes = (max: number, min = 0): fc.Arbitrary<Uint8Array> => fc.integer({ min, max }).chain(k => fc.uint8Array({ minLength: 32 * k, maxLength: 32 * k }))

const message: fc.Arbitrary<ExtensionMessage> = fc.oneof(
  hash.map(mac => ({ t: 'auth' as const, mac })),
  fc.constant({ t: 'manifest?' as const }),
  fc.uint8Array({ maxLength: 300 }).map(data => ({ t: 'manifest' as const, data })),
  fc.record({ from: uint32, count: fc.integer({ min: 1, max: 64 }) }).map(r => ({ t: 'leaves?' as const, ...r })),
  fc.record({ from: uint32, data: hashes(8, 1) }).map(r => ({ t: 'leaves' as const, ...r })),
  uint32.map(index => ({ t: 'proof?' as const, index })),
  fc.record({ index: uint32, leaf: hash, siblings: hashes(6) }).map(r => ({ t: 'proof' as const, ...r })),
  fc.string({ maxLength: 100 }).map(reason => ({ t: 'refuse' as const, reason }))
)

/** Every number of an accepted message is a uint32 (block indexes, leaf positions, counts). */
function assertUint32s (m: ExtensionMessage): void {
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number') assert.ok(Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff, `${m.t}.${k} = ${v} accepted, not a uint32`)
  }
}

/** Numbers no field takes (random maps rarely reach a field's range check with a type that passes). */
const OUT_OF_RANGE: Array<[Uint8Array]> = [{ t: 'proof?', index: -1 }, { t: 'proof?', index: 1.5 }, { t: 'leaves?', from: 2 ** 32, count: 1 }, { t: 'leaves', from: 2 ** 53, data: new Uint8Array(32) }].map(m => [dagCbor.encode(m)])

test('fuzz oht_v1: every message round-trips through its encoding', () => {
  fc.assert(fc.property(message, m => { assert.deepEqual(decodeMessage(encodeMessage(m)), m) }), params(500))
})

test('fuzz oht_v1: arbitrary bytes and CBOR values are decoded or refused with a MessageError', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), cborValue.map(v => dagCbor.encode(v))), bytes => {
    const m = only([MessageError], () => decodeMessage(bytes))
    // Whatever is accepted is a message the encoder writes the same way, its numbers uint32s.
    if (m !== undefined) { assert.deepEqual(decodeMessage(encodeMessage(m)), m); assertUint32s(m) }
  }), params(1500, OUT_OF_RANGE))
})

test('fuzz oht_v1: mutations of valid messages are refused or decode to a valid message', () => {
  fc.assert(fc.property(message.chain(m => mutated(encodeMessage(m))), bytes => {
    const m = only([MessageError], () => decodeMessage(bytes))
    if (m !== undefined) { assert.deepEqual(decodeMessage(encodeMessage(m)), m); assertUint32s(m) }
  }), params(1500))
})

const handshake = Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.alloc(48)])
const frame = (payload: Uint8Array): Buffer => { const b = Buffer.alloc(4 + payload.length); b.writeUInt32BE(payload.length); b.set(payload, 4); return b }

/** Feeds `chunks` to a fresh guard; what came out, and the error it failed with. */
async function guarded (chunks: Buffer[], max: number, budget: PartialBudget): Promise<{ out: Buffer[], error?: Error }> {
  const guard = new WireGuard(max, { budget, limitFor: id => id === 7 ? max : 300 })
  const out: Buffer[] = []
  guard.on('data', (d: Buffer) => out.push(d))
  const done = new Promise<Error | undefined>(resolve => { guard.on('error', resolve); guard.on('end', () => { resolve(undefined) }) })
  for (const c of chunks) { if (guard.destroyed) break; guard.write(c) }
  if (!guard.destroyed) guard.end()
  const error = await done
  guard.destroy()
  return { out, ...(error != null ? { error } : {}) }
}

test('fuzz WireGuard: any byte stream is passed as whole messages or refused with a guard error, and it holds no more than one message', async () => {
  const messages = fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 6 })
  const stream = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    messages.map(ms => Buffer.concat([handshake, ...ms.map(frame)])),
    messages.chain(ms => mutated(Buffer.concat([handshake, ...ms.map(frame)]))),
    // Messages of any length up to past the limit: fast-check's small default sizes kept the ones
    // above stay far below both limits, so neither was ever reached.
    fc.array(fc.integer({ min: 0, max: 1200 }).chain(n => fc.uint8Array({ minLength: n, maxLength: n })), { maxLength: 4 }).map(ms => Buffer.concat([handshake, ...ms.map(frame)]))
  )
  await fc.assert(fc.asyncProperty(stream.chain(s => fc.tuple(fc.constant(s), chunked(s))), async ([bytes, chunks]) => {
    const budget = new PartialBudget(1 << 20)
    const { out, error } = await guarded(chunks, 1000, budget)
    if (error != null) assert.ok(error instanceof WireMessageTooLargeError || error instanceof WireMessageStalledError, `undocumented ${error.name}: ${error.message}`)
    assert.equal(budget.total, 0, 'a guard that ended or failed holds nothing')
    // What passed is a prefix of the input: the handshake, then whole messages.
    const passed = Buffer.concat(out)
    assert.ok(Buffer.from(bytes).subarray(0, passed.length).equals(passed))
    if (out.length > 0) assert.equal(out[0]!.length, 68)
    for (const m of out.slice(1)) {
      assert.equal(m.readUInt32BE(0) + 4, m.length, 'one whole message per chunk')
      assert.ok(m.length <= 1004, 'no message over the limit')
      if (m.length > 4 && m[4] !== 7) assert.ok(m.length <= 304, 'the per-type limit held')
    }
    if (error == null) {
      // Without an error, what did not pass is one unfinished message (dropped with the stream).
      const rest = Buffer.from(bytes).subarray(passed.length)
      if (out.length === 0) assert.ok(rest.length < 68)
      else assert.ok(rest.length < 4 || rest.length < 4 + rest.readUInt32BE(0), 'a whole message was held back')
    }
  }), params(400))
})
