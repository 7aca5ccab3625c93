// Fuzz targets: length-prefixed framing and the connection handshake, as a hostile dialer sends them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { FrameReader, FramingError, encodeFrame } from '../../src/onion/framing.ts'
import { HandshakeError, identityFromSeed, initiateHandshake, respondHandshake } from '../../src/onion/handshake.ts'
import { MemoryStream } from '../../src/onion/pair.ts'
import { chunked, fc, mutated, onlyAsync, params } from './fuzz.ts'

/** Reads every frame of `chunks` with a FrameReader of limit `max`. */
async function readAll (chunks: Buffer[], max: number): Promise<{ frames: Buffer[], maxBuffered: number }> {
  const stream = new PassThrough()
  const reader = new FrameReader(stream, { maxFrameBytes: max })
  for (const c of chunks) stream.write(c)
  stream.end()
  const frames: Buffer[] = []
  let maxBuffered = 0
  for await (const f of reader) { frames.push(f); maxBuffered = Math.max(maxBuffered, reader.buffered) }
  return { frames, maxBuffered }
}

test('fuzz framing: frames round-trip however the stream is chunked; anything else fails with a FramingError', async () => {
  const payloads = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 })
  await fc.assert(fc.asyncProperty(payloads.chain(ps => fc.tuple(fc.constant(ps), chunked(Buffer.concat(ps.map(p => encodeFrame(p)))))), async ([ps, chunks]) => {
    const { frames } = await readAll(chunks, 300)
    assert.deepEqual(frames.map(f => Buffer.from(f)), ps.map(p => Buffer.from(p)))
  }), params(300))
  // Whole frames over the limit too: random bytes or mutations rarely spell a length past it that
  // the bytes then fill, so without this the reader's length check was never reached.
  const oversized = fc.uint8Array({ minLength: 301, maxLength: 400 }).map(p => encodeFrame(p))
  const hostile = fc.oneof(fc.uint8Array({ maxLength: 400 }), payloads.chain(ps => mutated(Buffer.concat(ps.map(p => encodeFrame(p))))), oversized)
  await fc.assert(fc.asyncProperty(hostile.chain(b => chunked(b)), async chunks => {
    const read = await onlyAsync([FramingError], async () => await readAll(chunks, 300))
    // Never more buffered than one frame's limit plus what one chunk brought.
    if (read !== undefined) for (const f of read.frames) assert.ok(f.length <= 300)
  }), params(500))
})

const serverKeys = identityFromSeed(new Uint8Array(32).fill(1))
const clientKeys = identityFromSeed(new Uint8Array(32).fill(2))
const REFUSALS = new Set(['timeout', 'closed', 'truncated', 'frame-too-large', 'malformed', 'bad-signature', 'self', 'unsupported-protocol'])

/** What an honest dialer sends to the responder (its hello, signature and protocol), recorded. */
async function recordedDial (): Promise<Buffer> {
  const [a, b] = MemoryStream.pair()
  const sent: Buffer[] = []
  const write = a.write.bind(a)
  a.write = ((chunk: Buffer, ...rest: never[]) => { sent.push(Buffer.from(chunk)); return write(chunk, ...rest) }) as typeof a.write
  await Promise.all([initiateHandshake(a, { keys: clientKeys, protocol: 'dht' }), respondHandshake(b, { keys: serverKeys, protocols: ['dht'] })])
  a.destroy(); b.destroy()
  return Buffer.concat(sent)
}

test('fuzz handshake: a responder given arbitrary or mutated dialer bytes refuses with a HandshakeError, never hangs or throws anything else', async () => {
  const honest = await recordedDial()
  const hello = honest.subarray(0, 4 + 68)
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    mutated(honest),
    // A genuine hello, then anything: past the first check.
    fc.uint8Array({ maxLength: 200 }).map(rest => Buffer.concat([hello, rest])),
    fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 4 }).map(fs => Buffer.concat([hello, ...fs.map(f => encodeFrame(f))]))
  )
  await fc.assert(fc.asyncProperty(input.chain(b => chunked(Buffer.from(b))), async chunks => {
    const [a, b] = MemoryStream.pair()
    a.on('data', () => {})
    a.on('error', () => {})
    const answer = respondHandshake(b, { keys: serverKeys, protocols: ['dht'], timeoutMs: 2000 })
    for (const c of chunks) a.write(c)
    a.end()
    const err = await answer.then(() => undefined, (e: unknown) => e)
    a.destroy()
    // The recorded signature is bound to the recorded nonces: a replay is always refused.
    assert.ok(err instanceof HandshakeError, `accepted, or threw ${String(err)}`)
    assert.ok(REFUSALS.has(err.code), err.code)
    assert.notEqual(err.code, 'timeout', 'the peer ended its stream: the responder must not wait for the deadline')
  }), params(300))
})

test('fuzz handshake: an initiator facing a hostile responder refuses with a HandshakeError', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.oneof(fc.uint8Array({ maxLength: 100 }).map(f => encodeFrame(f)), fc.uint8Array({ maxLength: 20 })), { maxLength: 4 }), async frames => {
    const [a, b] = MemoryStream.pair()
    b.on('data', () => {})
    b.on('error', () => {})
    const dial = initiateHandshake(a, { keys: clientKeys, protocol: 'dht', timeoutMs: 2000 })
    for (const f of frames) b.write(f)
    b.end()
    const err = await dial.then(() => undefined, (e: unknown) => e)
    b.destroy()
    assert.ok(err instanceof HandshakeError && err.code !== 'timeout', String(err))
  }), params<[Array<Buffer | Uint8Array>]>(200, [[[encodeFrame(randomBytes(68))]]]))
})
