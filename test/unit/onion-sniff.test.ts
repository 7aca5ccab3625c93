// One listener, two protocols (src/onion/sniff.ts, for --public-fetch): on a real TCP transport,
// an oht dialer's stream reaches the listener with its first bytes intact, an HTTP request goes
// to the HTTP handler, a dialer that sends less than 4 bytes and leaves reaches neither, and with
// no HTTP handler an HTTP request gets no HTTP answer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, get } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { TcpTransport } from '../../src/onion/index.ts'

function portOf (address: string): number { return Number(address.split(':').pop()) }

/** The next `bytes` bytes of `stream` (left open). */
async function readAll (stream: Duplex, bytes: number): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let have = 0
    const onData = (chunk: Buffer): void => {
      parts.push(chunk)
      have += chunk.length
      if (have >= bytes) { stream.off('data', onData); stream.off('error', reject); stream.pause(); resolve(Buffer.concat(parts)) }
    }
    stream.on('data', onData)
    stream.once('error', reject)
  })
}

test('oht streams and HTTP requests share the listener when an HTTP handler is set', async t => {
  const transport = new TcpTransport()
  t.after(async () => { await transport.close() })
  const http = createServer((req, res) => { res.end(`http ${req.url}`) })
  const httpSockets: Socket[] = []
  transport.serveHttp(socket => { httpSockets.push(socket); http.emit('connection', socket) })
  const accepted: Duplex[] = []
  const gotStream = Promise.withResolvers<Duplex>()
  const address = await transport.listen(stream => { accepted.push(stream); gotStream.resolve(stream) })

  // An oht dialer: its bytes (the handshake's magic first) arrive whole and in order.
  const dialed = await transport.dial(address)
  const hello = Buffer.concat([Buffer.from('oht1'), Buffer.alloc(60, 7)])
  dialed.write(hello.subarray(0, 2))
  dialed.write(hello.subarray(2))
  const stream = await gotStream.promise
  assert.deepEqual(await readAll(stream, hello.length), hello)
  stream.write('back')
  assert.equal((await readAll(dialed, 4)).toString(), 'back')

  // An HTTP request on the same port.
  const body = await new Promise<string>((resolve, reject) => {
    get(`http://127.0.0.1:${portOf(address)}/pf/x`, res => {
      let s = ''
      res.on('data', (c: Buffer) => { s += c.toString() })
      res.on('end', () => { resolve(s) })
    }).on('error', reject)
  })
  assert.equal(body, 'http /pf/x')
  assert.equal(accepted.length, 1)
  assert.equal(httpSockets.length, 1)

  // Two bytes, then gone: neither side hears of it.
  const shy = connect(portOf(address), '127.0.0.1')
  await new Promise<void>(resolve => shy.once('connect', resolve))
  shy.end('GE')
  await new Promise<void>(resolve => shy.once('close', () => { resolve() }))
  assert.equal(accepted.length, 1)
  assert.equal(httpSockets.length, 1)
  dialed.destroy()
  for (const s of httpSockets) s.destroy()
})

test('without an HTTP handler an HTTP request reaches the listener as bytes, and no HTTP answer comes back', async t => {
  const transport = new TcpTransport()
  t.after(async () => { await transport.close() })
  const first = Promise.withResolvers<Buffer>()
  const address = await transport.listen(stream => { stream.once('data', (c: Buffer) => { first.resolve(c); stream.destroy() }) })
  const outcome = await new Promise<string>(resolve => {
    get(`http://127.0.0.1:${portOf(address)}/`, res => { resolve(`HTTP ${res.statusCode}`) }).on('error', err => { resolve(`error: ${err.message}`) })
  })
  assert.match((await first.promise).toString('latin1'), /^GET \/ HTTP\/1\.1/)
  assert.match(outcome, /^error: /)
})
