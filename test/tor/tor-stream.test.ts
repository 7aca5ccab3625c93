// OnionStream, the end-of-data framing every Tor stream carries (tor cannot half-close a
// stream), over real loopback sockets: no tor is needed to test the framing itself, and a raw
// socket on the other side plays the peer that lies or dies.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import { digestOf, within, writeAll } from '../../src/onion/compliance.ts'
import { OnionStream, OnionStreamError, ONION_STREAM_MAX_FRAME } from '../../src/onion/tor/stream.ts'

/** A connected pair of loopback sockets. */
async function socketPair (): Promise<{ a: Socket, b: Socket, close: () => void }> {
  const accepted = Promise.withResolvers<Socket>()
  const server = createServer(socket => { accepted.resolve(socket) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const a = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port })
  const b = await accepted.promise
  await new Promise(resolve => a.once('connect', resolve))
  return { a, b, close: () => { server.close() } }
}

const frame = (payload: Buffer): Buffer => {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(payload.length, 0)
  return Buffer.concat([header, payload])
}

async function errorOf (stream: OnionStream): Promise<Error | undefined> {
  return await within(new Promise<Error | undefined>(resolve => {
    let error: Error | undefined
    stream.on('error', err => { error = err })
    stream.once('close', () => { resolve(error) })
    stream.resume()
  }), 5_000, 'the stream to close')
}

describe('OnionStream framing', () => {
  it('delivers everything written before end() in both directions, then closes both sides cleanly', async () => {
    const { a, b, close } = await socketPair()
    const client = new OnionStream(a)
    const server = new OnionStream(b)
    server.pipe(server) // echo
    const data = randomBytes(3 * ONION_STREAM_MAX_FRAME + 12345) // writes larger than a frame are split
    const received = digestOf(client)
    const serverClosed = errorOf(server)
    await writeAll(client, data, 300 * 1024)
    const got = await within(received, 10_000, 'the echo')
    assert.equal(got.bytes, data.length)
    assert.equal(got.sha256, createHash('sha256').update(data).digest('hex'))
    assert.equal(await serverClosed, undefined, 'an orderly end is no error')
    await within(new Promise(resolve => { if (client.closed) resolve(null); else client.once('close', resolve) }), 5_000, 'the client to close')
    close()
  })

  it('refuses a frame above the limit (a peer must not make us buffer without bound)', async () => {
    const { a, b, close } = await socketPair()
    const server = new OnionStream(b)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(ONION_STREAM_MAX_FRAME + 1, 0)
    a.write(header)
    const err = await errorOf(server)
    assert.ok(err instanceof OnionStreamError && err.code === 'EPROTO', String(err))
    a.destroy(); close()
  })

  it('refuses data after the end marker', async () => {
    const { a, b, close } = await socketPair()
    const server = new OnionStream(b)
    a.write(Buffer.concat([frame(Buffer.from('hello')), Buffer.alloc(4), frame(Buffer.from('more'))]))
    const err = await errorOf(server)
    assert.ok(err instanceof OnionStreamError && err.code === 'EPROTO', String(err))
    a.destroy(); close()
  })

  it('reports a peer that hangs up without the end marker as a reset, after the data it did send', async () => {
    const { a, b, close } = await socketPair()
    const server = new OnionStream(b)
    const chunks: Buffer[] = []
    server.on('data', (c: Buffer) => { chunks.push(c) })
    a.end(Buffer.concat([frame(Buffer.from('partial ')), frame(Buffer.from('data'))]))
    const err = await errorOf(server)
    assert.equal(Buffer.concat(chunks).toString(), 'partial data')
    assert.ok(err instanceof OnionStreamError && err.code === 'ECONNRESET', String(err))
    close()
  })
})
