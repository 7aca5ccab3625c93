import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PassThrough } from 'node:stream'
import {
  DEFAULT_MAX_FRAME_BYTES, FrameReader, FrameTooLargeError, StreamClosedError, TruncatedFrameError,
  encodeFrame, memoryDuplexPair, readFrames, writeFrame
} from '../../src/onion/index.ts'
import { within } from '../../src/onion/compliance.ts'

const prefix = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0, 0); return b }

test('frames round-trip: empty, small, exactly the maximum; a clean end stops iteration', async () => {
  const stream = new PassThrough()
  const max = 4096
  const payloads = [Buffer.alloc(0), Buffer.from('hello'), randomBytes(max)]
  for (const p of payloads) await writeFrame(stream, p, { maxFrameBytes: max })
  stream.end()
  const got: Buffer[] = []
  for await (const frame of readFrames(stream, { maxFrameBytes: max })) got.push(frame)
  assert.deepEqual(got, payloads)
  assert.equal(DEFAULT_MAX_FRAME_BYTES, 1024 * 1024)
})

test('an oversized length prefix is refused as soon as it arrives, before any body or allocation', async () => {
  for (const length of [0xffff_ffff, 1025]) {
    const stream = new PassThrough()
    const reader = new FrameReader(stream, { maxFrameBytes: 1024 })
    const emitted = new Promise<Error>(resolve => stream.once('error', resolve))
    // Only the 4 prefix bytes: the body never comes, so waiting for it (or buffering it) would hang.
    stream.write(prefix(length))
    await assert.rejects(within(reader.next(), 1000, 'the refusal'), (err: unknown) => err instanceof FrameTooLargeError && err.length === length && err.max === 1024)
    assert.equal(stream.destroyed, true, 'the stream is destroyed')
    assert.ok((await emitted) instanceof FrameTooLargeError, 'the stream was destroyed with the typed error')
    assert.equal(reader.buffered, 0)
    await assert.rejects(reader.next(), FrameTooLargeError, 'the reader stays failed')
  }
})

test('the sending side refuses oversized payloads too', async () => {
  assert.throws(() => encodeFrame(Buffer.alloc(11), { maxFrameBytes: 10 }), FrameTooLargeError)
  await assert.rejects(writeFrame(new PassThrough(), Buffer.alloc(11), { maxFrameBytes: 10 }), FrameTooLargeError)
  assert.throws(() => encodeFrame(Buffer.alloc(1), { maxFrameBytes: -1 }), RangeError)
})

test('a stream that ends inside a frame is a TruncatedFrameError', async () => {
  const inBody = new PassThrough()
  inBody.end(Buffer.concat([prefix(100), Buffer.alloc(50)]))
  await assert.rejects(new FrameReader(inBody).next(), TruncatedFrameError)

  const inPrefix = new PassThrough()
  inPrefix.end(Buffer.from([0, 0]))
  await assert.rejects(new FrameReader(inPrefix).next(), TruncatedFrameError)

  const afterOne = new PassThrough()
  afterOne.end(Buffer.concat([encodeFrame(Buffer.from('ok')), prefix(3), Buffer.from('a')]))
  const reader = new FrameReader(afterOne)
  assert.equal((await reader.next())?.toString(), 'ok')
  await assert.rejects(reader.next(), TruncatedFrameError)
})

test('many small frames, in one chunk and split into single bytes', async () => {
  const payloads = Array.from({ length: 10_000 }, (_, i) => Buffer.from(`frame ${i} ${'x'.repeat(i % 37)}`))
  const all = Buffer.concat(payloads.map(p => encodeFrame(p)))

  const whole = new PassThrough()
  whole.end(all)
  let i = 0
  for await (const frame of readFrames(whole)) assert.deepEqual(frame, payloads[i++])
  assert.equal(i, payloads.length)

  const bytewise = new PassThrough()
  const head = all.subarray(0, encodeFrame(payloads[0]!).length + encodeFrame(payloads[1]!).length + encodeFrame(payloads[2]!).length)
  for (const byte of head) bytewise.write(Buffer.of(byte))
  bytewise.end()
  const got: Buffer[] = []
  for await (const frame of readFrames(bytewise)) got.push(frame)
  assert.deepEqual(got, payloads.slice(0, 3))
})

test('writeFrame waits for the reader (backpressure) and nothing is lost', async () => {
  const [a, b] = memoryDuplexPair({ highWaterMark: 16 * 1024 })
  const total = 1000
  let sent = 0
  const writer = (async () => {
    for (let i = 0; i < total; i++) {
      const payload = Buffer.alloc(1024, i & 0xff)
      payload.writeUInt32BE(i, 0)
      await writeFrame(a, payload)
      sent++
    }
    a.end()
  })()
  // Until the writer waits for the reader (or, were backpressure broken, has sent everything).
  while (!a.writableNeedDrain && sent < total) await new Promise(resolve => setImmediate(resolve))
  assert.ok(sent < total, `the writer sent all ${total} frames without a reader`)
  assert.ok(b.readableLength + a.writableLength < 64 * 1024, `buffered ${b.readableLength + a.writableLength} bytes`)
  let i = 0
  for await (const frame of readFrames(b)) {
    assert.equal(frame.readUInt32BE(0), i++)
  }
  await writer
  assert.equal(i, total)
})

test('release() hands back the bytes after the last frame, in order, to the next reader', async () => {
  const stream = new PassThrough()
  stream.write(Buffer.concat([encodeFrame(Buffer.from('one')), encodeFrame(Buffer.from('two')), Buffer.from('raw bytes')]))
  const reader = new FrameReader(stream)
  assert.equal((await reader.next())?.toString(), 'one')
  assert.equal(reader.buffered > 0, true)
  reader.release()
  stream.end(' and more')
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  assert.equal(Buffer.concat(chunks).toString(), `${encodeFrame(Buffer.from('two')).toString('latin1')}raw bytes and more`)
})

test('stream errors surface from next(); writing to a closed stream is a StreamClosedError', async () => {
  const stream = new PassThrough()
  const reader = new FrameReader(stream)
  const pending = reader.next()
  stream.destroy(Object.assign(new Error('boom'), { code: 'ECONNRESET' }))
  await assert.rejects(pending, /boom/)
  await assert.rejects(writeFrame(stream, Buffer.from('x')), StreamClosedError)

  const ended = new PassThrough()
  ended.end()
  await assert.rejects(writeFrame(ended, Buffer.from('x')), StreamClosedError)
})

test('a stream closed (destroyed) between frames ends iteration', async () => {
  const stream = new PassThrough()
  stream.write(encodeFrame(Buffer.from('last')))
  const reader = new FrameReader(stream)
  assert.equal((await reader.next())?.toString(), 'last')
  const pending = reader.next()
  stream.destroy()
  assert.equal(await within(pending, 1000, 'end'), null)
})
