import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PartialBudget, WireGuard, WireMessageStalledError, WireMessageTooLargeError } from '../../src/swarm/guard.ts'
import { Outbox } from '../../src/swarm/outbox.ts'
import { PassThrough } from 'node:stream'
import { decodeMessage, encodeMessage, MessageError } from '../../src/swarm/messages.ts'
import * as dagCbor from '@ipld/dag-cbor'

const handshake = (): Buffer => Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.alloc(8), randomBytes(40)])
const message = (payload: Buffer): Buffer => { const b = Buffer.alloc(4 + payload.length); b.writeUInt32BE(payload.length); payload.copy(b, 4); return b }

async function run (guard: WireGuard, chunks: Buffer[]): Promise<{ out: Buffer, error?: Error }> {
  const out: Buffer[] = []
  guard.on('data', (d: Buffer) => out.push(d))
  const result = new Promise<Error | undefined>(resolve => { guard.on('error', resolve); guard.on('end', () => resolve(undefined)) })
  for (const c of chunks) { if (guard.destroyed) break; guard.write(c) }
  if (!guard.destroyed) guard.end()
  const error = await result
  return { out: Buffer.concat(out), ...(error != null ? { error } : {}) }
}

test('the guard passes the handshake and whole messages through unchanged, whatever the chunking', async () => {
  const stream = Buffer.concat([handshake(), message(randomBytes(1000)), message(Buffer.alloc(0)), message(randomBytes(300_000))])
  for (const size of [1, 7, 4096, stream.length]) {
    const chunks: Buffer[] = []
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size))
    const { out, error } = await run(new WireGuard(1 << 20), chunks)
    assert.equal(error, undefined)
    assert.ok(out.equals(stream), `chunk size ${size}`)
  }
})

test('a length prefix over the limit (up to 2^32-1) is refused before it is buffered', async () => {
  const huge = Buffer.alloc(4); huge.writeUInt32BE(0xffffffff)
  const { error } = await run(new WireGuard(1 << 20), [handshake(), huge])
  assert.ok(error instanceof WireMessageTooLargeError)
})

test('a peer that does not speak the BitTorrent protocol is refused', async () => {
  // Refused at its first bytes: nothing reaches the BitTorrent wire (random bytes would also end
  // as an oversized length later, after their first 68 bytes had passed as a handshake).
  const { out, error } = await run(new WireGuard(1 << 20), [Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${'x'.repeat(60)}`)])
  assert.ok(error instanceof WireMessageTooLargeError && /does not speak the BitTorrent/.test(error.message), String(error))
  assert.equal(out.length, 0, 'nothing passed the guard')
})

test('extension messages round-trip and malformed ones are refused', () => {
  const msgs = [
    { t: 'auth', mac: new Uint8Array(32) },
    { t: 'manifest?' },
    { t: 'leaves?', from: 3, count: 10 },
    { t: 'leaves', from: 3, data: new Uint8Array(64) },
    { t: 'proof', index: 5, leaf: new Uint8Array(32), siblings: new Uint8Array(96) },
    { t: 'refuse', reason: 'no' }
  ] as const
  for (const m of msgs) assert.deepEqual(decodeMessage(encodeMessage(m)), m)
  const bad: unknown[] = [
    { t: 'auth', mac: new Uint8Array(31) }, { t: 'leaves?', from: 0, count: 0 }, { t: 'leaves?', from: -1, count: 1 },
    { t: 'leaves?', from: 0, count: 1e9 }, { t: 'leaves', from: 0, data: new Uint8Array(33) }, { t: 'proof?', index: 2 ** 40 },
    { t: 'nope' }, [1, 2], 'x', { t: 'refuse', reason: 'x'.repeat(500) }
  ]
  for (const b of bad) assert.throws(() => decodeMessage(dagCbor.encode(b as never)), MessageError, JSON.stringify(b))
  assert.throws(() => decodeMessage(randomBytes(50)), MessageError)
})

test('the guard limits each message type as the caller says, before buffering it', async () => {
  const piece = Buffer.concat([Buffer.from([7]), randomBytes(100)])
  const other = Buffer.concat([Buffer.from([20]), randomBytes(100)])
  const limitFor = (id: number): number => id === 7 ? 1000 : 50
  assert.equal((await run(new WireGuard(1 << 20, { limitFor }), [handshake(), message(piece)])).error, undefined)
  const { error } = await run(new WireGuard(1 << 20, { limitFor }), [handshake(), message(other)])
  assert.ok(error instanceof WireMessageTooLargeError && /type 20/.test(error.message), String(error))
})

test('a message its type\'s limit allows only after the messages before it in the same chunk is checked once they are read', async () => {
  // A peer's swarm-key proof and its answer to the metadata request come in one chunk (the
  // one-flight opening): the answer is over the limit before the proof and within it after. The
  // consumer (bittorrent-protocol's wire) reads what passed on a later tick, as here.
  let proven = false
  const proof = Buffer.concat([Buffer.from([20, 1]), randomBytes(40)])
  const answer = Buffer.concat([Buffer.from([20, 1]), randomBytes(30_000)])
  const limitFor = (id: number): number => id === 20 && !proven ? 16_384 : 1 << 20
  const guard = new WireGuard(1 << 20, { limitFor })
  const seen: number[] = []
  guard.on('data', (d: Buffer) => { seen.push(d.length); if (d.length === 4 + proof.length) process.nextTick(() => { proven = true }) })
  const result = new Promise<Error | undefined>(resolve => { guard.on('error', resolve); guard.on('end', () => resolve(undefined)) })
  guard.end(Buffer.concat([handshake(), message(proof), message(answer)]))
  assert.equal(await result, undefined)
  assert.deepEqual(seen, [68, 4 + proof.length, 4 + answer.length])
  // Still refused when what came before it does not change the limit.
  proven = false
  const { error } = await run(new WireGuard(1 << 20, { limitFor }), [Buffer.concat([handshake(), message(Buffer.from([20, 0])), message(answer)])])
  assert.ok(error instanceof WireMessageTooLargeError && /type 20/.test(error.message), String(error))
})

// Without the deadline or the total bound, the awaited failures never come: the timeout fails it.
test('an unfinished message fails at its deadline, and the total bound drops the stalest holder', { timeout: 30_000 }, async () => {
  const budget = new PartialBudget(300)
  const slow = new WireGuard(1 << 20, { budget, deadline: { baseMs: 50, bytesPerSecond: 1e9 } })
  const failed = new Promise<Error>(resolve => { slow.on('error', resolve) })
  const head = Buffer.alloc(4); head.writeUInt32BE(1000)
  slow.write(Buffer.concat([handshake(), head, randomBytes(100)]))
  assert.equal(budget.total, 104)
  assert.ok((await failed) instanceof WireMessageStalledError)
  assert.equal(budget.total, 0, 'a failed guard gives its bytes back')

  const lazy = new WireGuard(1 << 20, { budget })
  const busy = new WireGuard(1 << 20, { budget })
  const lazyFailed = new Promise<Error>(resolve => { lazy.on('error', resolve) })
  busy.on('error', err => { assert.fail(`the busier peer was dropped: ${err.message}`) })
  lazy.write(Buffer.concat([handshake(), head, randomBytes(150)]))
  await new Promise(resolve => setTimeout(resolve, 5))
  busy.write(Buffer.concat([handshake(), head, randomBytes(150)]))
  assert.ok((await lazyFailed) instanceof WireMessageStalledError)
  assert.equal(budget.total, 154)
  busy.destroy()
})

test('the outbox admits answers in order while the queue is under the bound, and overflows past the hard one', async () => {
  let queued = 0
  const stream = new PassThrough()
  const overflows: string[] = []
  const box = new Outbox(() => queued, stream, { answerBytes: 100, maxBytes: 500, stallMs: 60_000, pollMs: 5 }, r => { overflows.push(r) })
  assert.equal(await box.reserve(80), true)
  const order: number[] = []
  const second = box.reserve(80).then(ok => { order.push(2); return ok })
  const third = box.reserve(10).then(ok => { order.push(3); return ok })
  await new Promise(resolve => setTimeout(resolve, 20))
  assert.deepEqual(order, [], 'nothing more fits beside the first answer')
  queued = 80; box.release(80)
  await new Promise(resolve => setTimeout(resolve, 20))
  assert.deepEqual(order, [2, 3].slice(0, order.length))
  queued = 0; box.release(80)
  assert.equal(await second, true); assert.equal(await third, true)
  assert.deepEqual(order, [2, 3])
  queued = 501; box.check()
  assert.equal(overflows.length, 1)
  box.close()
  assert.equal(await box.reserve(1), false, 'a closed outbox admits nothing')
})
