import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import type { Duplex } from 'node:stream'
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import {
  AddressError, DialError, ListenError, MemoryNetwork, MemoryTransport, TcpTransport, TCP_WARNING,
  formatAddress, memoryDuplexPair, onionNameFromPublicKey, parseAddress,
  type ConnectionHandler, type DialOptions, type Transport, type TransportKind
} from '../../src/onion/index.ts'
import { closedStream, digestOf, transportCompliance, until, within, writeAll } from '../../src/onion/compliance.ts'

transportCompliance('tcp', { create: () => new TcpTransport({ listen: '127.0.0.1:0' }) })

const sharedNetwork = new MemoryNetwork()
transportCompliance('memory', { create: () => new MemoryTransport(sharedNetwork) })

// A memory network with Tor-like per-chunk delays must pass the same suite (smaller payload).
const slowNetwork = new MemoryNetwork({ latency: { dial: () => 5, message: () => Math.random() * 3 } })
transportCompliance('memory with latency', { create: () => new MemoryTransport(slowNetwork), echoBytes: 1024 * 1024, connections: 20 })

/**
 * Tor's way with an onion service: a client whose stream waits too long for its circuit retries
 * it on another one, and the service may then get the abandoned attempt too, reset at once. The
 * suite must not count on one accepted stream per dial (a Tor run once waited forever for
 * exactly three accepted streams while a fourth had come): here every dial brings one more.
 */
class AbandoningTransport implements Transport {
  readonly kind: TransportKind
  readonly anonymous: boolean
  readonly #inner: MemoryTransport
  constructor (inner: MemoryTransport) { this.#inner = inner; this.kind = inner.kind; this.anonymous = inner.anonymous }
  async listen (handler: ConnectionHandler): Promise<string> { return await this.#inner.listen(handler) }
  async dial (address: string, options?: DialOptions): Promise<Duplex> {
    const abandoned = await this.#inner.dial(address, options)
    abandoned.destroy()
    return await this.#inner.dial(address, options)
  }

  async close (): Promise<void> { await this.#inner.close() }
}
const abandoningNetwork = new MemoryNetwork()
transportCompliance('memory with abandoned dial attempts (as Tor)', { create: () => new AbandoningTransport(new MemoryTransport(abandoningNetwork)) })

const onionName = (): string => {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!
  return onionNameFromPublicKey(Buffer.from(raw, 'base64url'))
}

describe('addresses', () => {
  test('parse and format every form', () => {
    assert.deepEqual(parseAddress('tcp:127.0.0.1:4001'), { transport: 'tcp', host: '127.0.0.1', port: 4001 })
    assert.deepEqual(parseAddress('127.0.0.1:4001'), { transport: 'tcp', host: '127.0.0.1', port: 4001 })
    assert.deepEqual(parseAddress('[::1]:4001'), { transport: 'tcp', host: '::1', port: 4001 })
    assert.deepEqual(parseAddress('tcp:[::1]:0'), { transport: 'tcp', host: '::1', port: 0 })
    assert.deepEqual(parseAddress('mem:node-7'), { transport: 'memory', name: 'node-7' })
    const name = onionName()
    assert.equal(name.length, 56 + '.onion'.length)
    assert.deepEqual(parseAddress(`onion:${name}:80`), { transport: 'tor', host: name, port: 80 })
    assert.deepEqual(parseAddress(`${name.toUpperCase().replace('.ONION', '.onion')}:80`), { transport: 'tor', host: name, port: 80 })
    for (const text of ['tcp:127.0.0.1:4001', 'tcp:[::1]:4001', 'mem:a.b_c-d', `onion:${name}:4001`]) {
      assert.equal(formatAddress(parseAddress(text)), text)
    }
    assert.equal(formatAddress({ transport: 'tcp', host: 'fe80::1', port: 1 }), 'tcp:[fe80::1]:1')
  })

  test('host names are refused, never resolved', () => {
    for (const text of ['localhost:4001', 'tcp:localhost:4001', 'example.com:80', 'tcp:example.com:80', '127.1:80', 'my-host.lan:9']) {
      assert.throws(() => parseAddress(text), (err: unknown) => err instanceof AddressError && /host name.*never resolves names/.test(err.message), text)
    }
  })

  test('malformed addresses are refused with a typed error', () => {
    const name = onionName()
    const bad = [
      '', ' ', 'tcp:', 'tcp:127.0.0.1', 'tcp:127.0.0.1:', 'tcp:127.0.0.1:65536', 'tcp:127.0.0.1:-1', 'tcp:127.0.0.1:80x',
      '::1:4001', 'tcp:[::1]', '[::1]:', '[127.0.0.1]:80', '[::1:80', 'tcp:999.0.0.1:80', 'tcp: 127.0.0.1:80',
      'mem:', 'mem:has space', 'mem:-lead', 'mem:a/b', `mem:${'x'.repeat(129)}`,
      'http://127.0.0.1:80', 'onion:abc.onion:80', `onion:${name}`, `onion:${name}:0`,
      `onion:${name.replace(/^./, c => (c === 'a' ? 'b' : 'a'))}:80`, // checksum no longer matches
      'onion:expyuzz4wqqyqhjn.onion:80', // v2
      'x'.repeat(300)
    ]
    for (const text of bad) assert.throws(() => parseAddress(text), AddressError, JSON.stringify(text))
  })

  test('the v3 onion name of a known key (rend-spec checksum)', () => {
    // Tor Project's own onion service, a fixed public test vector.
    const name = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion'
    assert.deepEqual(parseAddress(`${name}:443`), { transport: 'tor', host: name, port: 443 })
  })
})

describe('tcp transport', () => {
  test('says it is not anonymous', () => {
    const t = new TcpTransport()
    assert.equal(t.anonymous, false)
    assert.equal(t.kind, 'tcp')
    assert.equal(t.warning, TCP_WARNING)
    assert.match(t.warning, /not anonymous: peers see your IP address/)
  })

  test('listen on port 0 returns the real port; remote info names the dialer', async () => {
    const server = new TcpTransport({ listen: 'tcp:127.0.0.1:0' })
    const client = new TcpTransport()
    try {
      const remote = Promise.withResolvers<string>()
      const address = await server.listen((stream, info) => { remote.resolve(info.remote); stream.destroy() })
      const parsed = parseAddress(address)
      assert.ok(parsed.transport === 'tcp' && parsed.port > 0 && parsed.host === '127.0.0.1', address)
      const stream = await client.dial(address)
      assert.match(await within(remote.promise, 2000, 'remote'), /^tcp:127\.0\.0\.1:\d+$/)
      stream.destroy()
    } finally {
      await server.close()
      await client.close()
    }
  })

  test('listens on IPv6 loopback', async (t) => {
    const server = new TcpTransport({ listen: '[::1]:0' })
    const client = new TcpTransport()
    try {
      let address: string
      try {
        address = await server.listen(stream => { stream.end('hi') })
      } catch (err) {
        t.skip(`no IPv6 loopback here: ${(err as Error).message}`)
        return
      }
      assert.match(address, /^tcp:\[::1\]:\d+$/)
      const stream = await client.dial(address)
      assert.equal((await within(digestOf(stream), 2000, 'data')).bytes, 2)
    } finally {
      await server.close()
      await client.close()
    }
  })

  test('refuses host names for listening, and reports an address in use', async () => {
    assert.throws(() => new TcpTransport({ listen: 'localhost:0' }), AddressError)
    assert.throws(() => new TcpTransport({ listen: 'mem:x' }), AddressError)
    const a = new TcpTransport()
    try {
      const address = await a.listen(() => {})
      const b = new TcpTransport({ listen: address })
      await assert.rejects(b.listen(() => {}), (err: unknown) => err instanceof ListenError && /in use/.test(err.message))
      await b.close()
      await assert.rejects(a.dial('tcp:127.0.0.1:0'), AddressError)
      await assert.rejects(a.dial('mem:x'), AddressError)
    } finally {
      await a.close()
    }
  })

  test('a refused connection is a DialError with code refused', async () => {
    const dead = new TcpTransport()
    const address = await dead.listen(() => {})
    await dead.close()
    const client = new TcpTransport()
    try {
      await assert.rejects(client.dial(address), (err: unknown) => err instanceof DialError && err.code === 'refused')
    } finally {
      await client.close()
    }
  })
})

describe('memory transport', () => {
  test('dial to an unknown name is refused with a typed error', async () => {
    const network = new MemoryNetwork()
    const t = network.transport()
    await assert.rejects(t.dial('mem:nobody'), (err: unknown) => err instanceof DialError && err.code === 'refused' && /nothing listens at mem:nobody/.test(err.message))
    await t.close()
  })

  test('names are unique on a network and reusable after the node leaves', async () => {
    const network = new MemoryNetwork()
    const a = new MemoryTransport(network, { name: 'alice' })
    assert.throws(() => new MemoryTransport(network, { name: 'alice' }), AddressError)
    assert.throws(() => new MemoryTransport(network, { name: 'bad name' }), AddressError)
    assert.equal(await a.listen(() => {}), 'mem:alice')
    assert.equal(network.isListening('alice'), true)
    await a.close()
    assert.equal(network.isListening('alice'), false)
    const again = new MemoryTransport(network, { name: 'alice' })
    await again.close()
  })

  test('dial latency: a dial slower than its timeout fails with code timeout', async () => {
    const network = new MemoryNetwork({ latency: { dial: () => 5_000 } })
    const server = network.transport('server')
    const client = network.transport()
    await server.listen(() => {})
    // A dial that ignored its timeout would succeed after the 5 s latency: a deadline short of
    // that (and 40 times the timeout) tells apart, without a clock read on a loaded machine.
    await assert.rejects(within(client.dial('mem:server', { timeoutMs: 100 }), 4_000, 'the dial to time out'), (err: unknown) => err instanceof DialError && err.code === 'timeout')
    // Nothing leaked: the late dial never reached the server.
    assert.equal(server.connections, 0)
    await server.close()
    await client.close()
  })

  test('dial latency is applied (Tor-like circuits take time)', async () => {
    const network = new MemoryNetwork({ latency: { dial: (from, to) => (from === 'a' && to === 'b' ? 60 : 0) } })
    const b = network.transport('b')
    await b.listen(stream => { stream.destroy() })
    const a = network.transport('a')
    const started = Date.now()
    const stream = await a.dial('mem:b')
    assert.ok(Date.now() - started >= 55, `dial took ${Date.now() - started} ms`)
    stream.destroy()
    await a.close()
    await b.close()
  })

  test('per-chunk latency keeps order even when drawn at random', async () => {
    const network = new MemoryNetwork({ latency: { message: () => Math.random() * 20 } })
    const server = network.transport()
    const address = await server.listen(stream => { stream.pipe(stream) })
    const client = network.transport()
    const stream = await client.dial(address)
    const data = randomBytes(256 * 1024)
    const received = digestOf(stream)
    await writeAll(stream, data, 1000)
    const got = await within(received, 10_000, 'echo')
    assert.equal(got.sha256, createHash('sha256').update(data).digest('hex'))
    await server.close()
    await client.close()
  })

  test('disconnect(name) kills a node: its streams die, its peers see the end, dials fail', async () => {
    const network = new MemoryNetwork()
    const victim = network.transport('victim')
    const accepted: import('node:stream').Duplex[] = []
    await victim.listen(stream => { accepted.push(stream); stream.resume() })
    const other = network.transport('other')
    await other.listen(stream => { stream.resume() })
    const peer = network.transport()
    const inbound = await peer.dial('mem:victim')
    const outbound = await victim.dial('mem:other')
    inbound.resume()
    await until(() => accepted.length === 1, 2000, 'accept')
    assert.equal(network.disconnect('victim'), true)
    assert.equal(network.disconnect('victim'), false)
    assert.equal(network.isListening('victim'), false)
    await within(Promise.all([closedStream(accepted[0]!), closedStream(outbound), closedStream(inbound)]), 2000, 'streams to close')
    assert.equal(inbound.readableEnded, true, 'the peer read the end of the stream')
    await assert.rejects(peer.dial('mem:victim'), (err: unknown) => err instanceof DialError && err.code === 'refused')
    await assert.rejects(victim.dial('mem:other'), (err: unknown) => err instanceof DialError && err.code === 'closed')
    await peer.close()
    await other.close()
  })

  test('backpressure: a writer waits while its reader does not read', async () => {
    const [a, b] = memoryDuplexPair({ highWaterMark: 16 * 1024 })
    let written = 0
    const chunk = Buffer.alloc(4096)
    while (a.write(chunk)) {
      written += chunk.length
      assert.ok(written < 1024 * 1024, 'write() never asked us to wait')
    }
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.ok(b.readableLength <= 16 * 1024 + chunk.length, `reader buffered ${b.readableLength} bytes`)
    assert.ok(a.writableLength > 0, 'the rest waits in the writer')
    const drained = new Promise(resolve => a.once('drain', resolve))
    b.resume()
    await within(drained, 2000, 'drain')
    a.destroy()
    b.destroy()
  })

  test('writing to a destroyed peer fails with ECONNRESET', async () => {
    const [a, b] = memoryDuplexPair()
    const failed = new Promise<Error>(resolve => a.once('error', resolve))
    b.destroy()
    a.write('hello')
    const err = await within(failed, 1000, 'error') as Error & { code?: string }
    assert.equal(err.code, 'ECONNRESET')
  })

  test('a thousand nodes in one process', async () => {
    const network = new MemoryNetwork()
    const nodes = Array.from({ length: 1000 }, () => network.transport())
    const addresses = await Promise.all(nodes.map(async n => await n.listen(stream => { stream.pipe(stream) })))
    assert.equal(network.size, 1000)
    await within(Promise.all(nodes.map(async (n, i) => {
      const stream = await n.dial(addresses[(i * 7 + 1) % addresses.length]!)
      const received = digestOf(stream)
      stream.end(`hello from ${n.name}`)
      assert.equal((await received).bytes, `hello from ${n.name}`.length)
    })), 10_000, 'a thousand echoes')
    await Promise.all(nodes.map(async n => { await n.close() }))
    assert.equal(network.size, 0)
  })
})
