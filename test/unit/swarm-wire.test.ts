import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { WireGuard, WireMessageTooLargeError } from '../../src/swarm/guard.ts'
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
  const { error } = await run(new WireGuard(1 << 20), [randomBytes(100)])
  assert.ok(error instanceof WireMessageTooLargeError)
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
