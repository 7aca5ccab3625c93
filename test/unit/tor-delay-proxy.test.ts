// The delay proxy of the WAN-like test network (src/onion/tor/delay-proxy.ts) on loopback
// sockets. Timing asserts are lower bounds only: on a loaded machine anything may be late.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { afterEach, describe, it } from 'node:test'
import { DelayProxy, type DelayProxyOptions } from '../../src/onion/tor/delay-proxy.ts'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A server behind a proxy; `accepted` yields the server side of each connection. */
async function setup (options: Omit<DelayProxyOptions, 'port' | 'targetPort'>): Promise<{ proxy: DelayProxy, accepted: () => Promise<Socket>, dial: () => Promise<Socket> }> {
  const queue: Socket[] = []
  const all: Socket[] = []
  const waiters: Array<(s: Socket) => void> = []
  const server: Server = createServer({ allowHalfOpen: true }, socket => {
    socket.on('error', () => {})
    all.push(socket)
    const w = waiters.shift()
    if (w !== undefined) w(socket)
    else queue.push(socket)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const proxy = await DelayProxy.listen({ ...options, port: 0, targetPort: (server.address() as AddressInfo).port })
  const clients: Socket[] = []
  cleanups.push(async () => {
    for (const c of clients) c.destroy()
    for (const s of all) s.destroy() // half-open server sides would keep server.close() waiting
    await proxy.close()
    await new Promise(resolve => server.close(resolve))
  })
  return {
    proxy,
    accepted: async () => queue.shift() ?? await new Promise<Socket>(resolve => waiters.push(resolve)),
    dial: async () => {
      const socket = connect({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true, noDelay: true })
      socket.on('error', () => {})
      clients.push(socket)
      await once(socket, 'connect')
      return socket
    }
  }
}

/** Resolves on 'close' whatever came before it (events.once would reject on the 'error' of a reset). */
const closed = async (socket: Socket): Promise<void> => { if (!socket.closed) await new Promise(resolve => socket.once('close', resolve)) }
const firstData = async (socket: Socket): Promise<Buffer> => (await once(socket, 'data'))[0] as Buffer

describe('DelayProxy', { timeout: 5_000 }, () => {
  it('delays each direction by the one-way delay', async () => {
    const { accepted, dial } = await setup({ delayMs: 60 })
    const client = await dial()
    const server = await accepted()
    let t = performance.now()
    client.write('ping')
    assert.equal((await firstData(server)).toString(), 'ping')
    const up = performance.now() - t
    t = performance.now()
    server.write('pong')
    assert.equal((await firstData(client)).toString(), 'pong')
    const down = performance.now() - t
    assert.ok(up >= 59, `client → server took ${up.toFixed(1)} ms`)
    assert.ok(down >= 59, `server → client took ${down.toFixed(1)} ms`)
  })

  it('asks for a delay per connection (one link, one distance)', async () => {
    const delays = [10, 80]
    const { accepted, dial } = await setup({ delayMs: () => delays.shift()! })
    const near = await dial()
    const nearServer = await accepted()
    const far = await dial()
    const farServer = await accepted()
    const t = performance.now()
    near.write('a')
    far.write('b')
    await firstData(nearServer)
    await firstData(farServer)
    assert.ok(performance.now() - t >= 79)
    assert.equal(delays.length, 0)
  })

  it('keeps the order of bytes under jitter', async () => {
    let seed = 7
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
    const { accepted, dial } = await setup({ delayMs: 5, jitterMs: 40, random })
    const client = await dial()
    const server = await accepted()
    const sent = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256))
    const received: Buffer[] = []
    server.on('data', (c: Buffer) => { received.push(c) })
    for (let i = 0; i < sent.length; i += 3) {
      client.write(sent.subarray(i, i + 3))
      await new Promise(resolve => setImmediate(resolve)) // separate chunks, each with its own jitter
    }
    client.end()
    await once(server, 'end')
    assert.deepEqual(Buffer.concat(received), sent)
  })

  it('carries a half-close after the bytes before it, keeps the other direction open, then closes both', async () => {
    const { proxy, accepted, dial } = await setup({ delayMs: 40 })
    const client = await dial()
    const server = await accepted()
    const serverGot: Buffer[] = []
    server.on('data', (c: Buffer) => { serverGot.push(c) })
    const t = performance.now()
    client.end('last words')
    await once(server, 'end')
    assert.ok(performance.now() - t >= 39)
    assert.equal(Buffer.concat(serverGot).toString(), 'last words')
    // Half-open: the server still answers, and its FIN follows its bytes.
    const clientGot: Buffer[] = []
    client.on('data', (c: Buffer) => { clientGot.push(c) })
    server.end('reply')
    await once(client, 'end')
    assert.equal(Buffer.concat(clientGot).toString(), 'reply')
    await Promise.all([closed(client), closed(server)])
    // The proxy lets go of the connection once both sides have closed.
    for (let i = 0; i < 100 && proxy.connections > 0; i++) await new Promise(resolve => setTimeout(resolve, 10))
    assert.equal(proxy.connections, 0)
  })

  it('propagates a reset at once and forgets the connection', async () => {
    const { proxy, accepted, dial } = await setup({ delayMs: 200 })
    const client = await dial()
    const server = await accepted()
    client.write('never mind')
    server.resetAndDestroy() // a TCP RST; a plain destroy() is a FIN, which travels as a half-close
    await closed(client)
    assert.equal(proxy.connections, 0)
  })

  it('close() tears down open connections and leaves nothing behind', async () => {
    const { proxy, accepted, dial } = await setup({ delayMs: 50 })
    const client = await dial()
    const server = await accepted()
    client.write('in flight') // queued behind a pending timer
    await proxy.close()
    // Both ends see the proxy hang up (half-open sockets stay open until they end too).
    const hungUp = async (socket: Socket): Promise<void> => { await new Promise(resolve => { socket.once('end', resolve); socket.once('close', resolve); socket.resume() }) }
    await Promise.all([hungUp(client), hungUp(server)])
    assert.equal(proxy.connections, 0)
    assert.equal(proxy.bufferedBytes, 0)
  })

  it('holds at most maxBufferedBytes (plus one chunk) when the receiver does not read, and loses nothing', async () => {
    const max = 64 * 1024
    const { proxy, accepted, dial } = await setup({ delayMs: 1, maxBufferedBytes: max })
    const client = await dial()
    const server = await accepted()
    server.pause()
    const total = 16 * 1024 * 1024
    const chunk = Buffer.alloc(16 * 1024, 1)
    let written = 0
    let blocked = false
    while (written < total) {
      written += chunk.length
      if (!client.write(chunk)) {
        // Blocked for good once no 'drain' comes within 200 ms: the proxy has filled what it holds.
        const drained = await new Promise<boolean>(resolve => {
          const timer = setTimeout(() => { client.off('drain', onDrain); resolve(false) }, 200)
          const onDrain = (): void => { clearTimeout(timer); resolve(true) }
          client.once('drain', onDrain)
        })
        if (drained) continue
        blocked = true
        break
      }
    }
    assert.ok(blocked, 'the writer never felt backpressure')
    assert.ok(written < total, 'everything fit: nothing was bounded')
    let peak = proxy.bufferedBytes
    const sampler = setInterval(() => { peak = Math.max(peak, proxy.bufferedBytes) }, 5)
    try {
      assert.ok(peak <= max + 64 * 1024, `the proxy holds ${peak} bytes`)
      let got = 0
      server.on('data', (c: Buffer) => { got += c.length })
      server.resume()
      client.end()
      await once(server, 'end')
      assert.equal(got, written)
      assert.ok(peak <= max + 64 * 1024, `the proxy held ${peak} bytes`)
    } finally {
      clearInterval(sampler)
    }
  })
})
