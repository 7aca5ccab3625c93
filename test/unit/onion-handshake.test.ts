import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, sign } from 'node:crypto'
import type { Duplex } from 'node:stream'
import {
  FrameReader, HANDSHAKE_LABELS, HandshakeError, MemoryNetwork, TcpTransport, acceptConnection, acceptHandshakes,
  dialConnection, dialPeer, encodeFrame, initiateHandshake, memoryDuplexPair, nodeIdOf, respondHandshake,
  type HandshakeFailure, type HandshakeResult, type IdentityKeys, type Transport
} from '../../src/onion/index.ts'
import { onionLabel, ONION_LABELS } from '../../src/onion/caps.ts'
import { closedStream, digestOf, until, within } from '../../src/onion/compliance.ts'
import { generateNodeKeys, type NodeKeys } from '../../src/node/identity/keystore.ts'

const alice = generateNodeKeys()
const bob = generateNodeKeys()
const mallory = generateNodeKeys()
const PROTOCOLS = ['dht', 'swarm'] as const
/**
 * Bob's handshake deadline: generous, since every handshake of these tests must finish within it
 * on a loaded machine. The silent-peer test has a listener of its own with a short one.
 */
const BOB_TIMEOUT_MS = 10_000
const SILENT_PEER_TIMEOUT_MS = 300
/** Waits that only catch a hang. */
const HANG_MS = 10_000

const isFailure = (code: HandshakeFailure) => (err: unknown): boolean => {
  if (!(err instanceof HandshakeError)) return false
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`)
  return true
}

/** Bob, listening on a transport, recording every session and every failure with its stream. */
class Listener {
  readonly sessions: HandshakeResult[] = []
  readonly failures: Array<{ error: HandshakeError, stream: Duplex }> = []
  readonly transport: Transport
  readonly timeoutMs: number
  address = ''
  #seen = 0

  constructor (transport: Transport, timeoutMs = BOB_TIMEOUT_MS) { this.transport = transport; this.timeoutMs = timeoutMs }

  async start (): Promise<void> {
    this.address = await this.transport.listen((stream, info) => {
      acceptHandshakes({ keys: bob, protocols: PROTOCOLS, timeoutMs: this.timeoutMs }, session => {
        this.sessions.push(session)
        session.stream.resume()
      }, error => { this.failures.push({ error, stream }) })(stream, info)
    })
  }

  /** The next failure bob sees; asserts its code and that its stream was destroyed. */
  async failure (code: HandshakeFailure): Promise<HandshakeError> {
    const index = this.#seen++
    await until(() => this.failures.length > index, HANG_MS, `bob's ${code} failure`)
    const { error, stream } = this.failures[index]!
    assert.equal(error.code, code, `bob: expected ${code}, got ${error.code}: ${error.message}`)
    assert.equal(stream.destroyed, true, 'bob destroyed the stream')
    return error
  }

  /** Proves the listener still serves: a full, successful handshake from alice. */
  async stillServes (client: Transport): Promise<void> {
    const before = this.sessions.length
    const session = await dialPeer(client, this.address, { keys: alice, protocol: 'dht', expectedNodeId: bob.nodeId })
    assert.equal(session.remoteNodeId, bob.nodeId)
    await until(() => this.sessions.length > before, HANG_MS, 'bob\'s session')
    session.stream.destroy()
  }
}

/** Dials bob and returns the raw stream (for hand-made, hostile peers). */
async function raw (client: Transport, listener: Listener): Promise<Duplex> {
  const stream = await client.dial(listener.address)
  stream.on('error', () => {})
  stream.resume() // so the end of the stream is read and the stream closes
  return stream
}

/** A hand-rolled initiator hello (magic || key || nonce). */
const helloOf = (publicKeyRaw: Uint8Array): Buffer => Buffer.concat([Buffer.from(HANDSHAKE_LABELS.magic), publicKeyRaw, randomBytes(32)])

for (const kind of ['memory', 'tcp'] as const) {
  describe(`handshake over ${kind}`, () => {
    let server: Transport
    let client: Transport
    let listener: Listener
    let network: MemoryNetwork
    /** Another listening node, reachable from `client`. */
    const another = (): Transport => kind === 'tcp' ? new TcpTransport() : network.transport()

    before(async () => {
      if (kind === 'tcp') {
        server = new TcpTransport()
        client = new TcpTransport()
      } else {
        network = new MemoryNetwork()
        server = network.transport('bob')
        client = network.transport('alice')
      }
      listener = new Listener(server)
      await listener.start()
    })

    after(async () => {
      await client.close()
      await server.close()
    })

    test('succeeds: each side learns the other\'s node id, and the protocol', async () => {
      const session = await dialPeer(client, listener.address, { keys: alice, protocol: 'swarm' })
      assert.equal(session.remoteNodeId, bob.nodeId)
      assert.deepEqual(Buffer.from(session.remotePublicKey), Buffer.from(bob.publicKeyRaw))
      assert.equal(session.protocol, 'swarm')
      await until(() => listener.sessions.length > 0, HANG_MS, 'bob\'s session')
      const theirs = listener.sessions.at(-1)!
      assert.equal(theirs.remoteNodeId, alice.nodeId)
      assert.equal(theirs.remoteNodeId, nodeIdOf(alice.publicKeyRaw))
      assert.equal(theirs.protocol, 'swarm')
      session.stream.destroy()
    })

    test('bytes sent right after the handshake are not lost, either way', async () => {
      const sessions = Promise.withResolvers<HandshakeResult>()
      const other = another()
      try {
        const address = await other.listen(stream => {
          respondHandshake(stream, { keys: bob, protocols: PROTOCOLS }).then(s => {
            // Written in the same tick as the accept: likely the same packet as the handshake.
            s.stream.write('from bob ')
            s.stream.end('the end')
            sessions.resolve(s)
          }, sessions.reject)
        })
        const ours = await dialPeer(client, address, { keys: alice, protocol: 'dht' })
        ours.stream.end('alice speaks first')
        const theirs = await within(sessions.promise, HANG_MS, 'bob\'s session')
        const [toAlice, toBob] = await within(Promise.all([digestOf(ours.stream), collect(theirs.stream)]), HANG_MS, 'data')
        assert.equal(toAlice.bytes, 'from bob the end'.length)
        assert.equal(toBob, 'alice speaks first')
      } finally {
        await other.close()
      }
    })

    test('a wrong expectedNodeId is refused before signing; bob keeps serving', async () => {
      await assert.rejects(
        dialPeer(client, listener.address, { keys: alice, protocol: 'dht', expectedNodeId: mallory.nodeId }),
        (err: unknown) => isFailure('unexpected-peer')(err) && (err as HandshakeError).remoteNodeId === bob.nodeId
      )
      await listener.failure('closed')
      await listener.stillServes(client)
    })

    test('a forged key (someone else\'s public key, signed with one\'s own) is refused', async () => {
      const forged: IdentityKeys = { privateKey: mallory.privateKey, publicKeyRaw: alice.publicKeyRaw }
      await assert.rejects(dialPeer(client, listener.address, { keys: forged, protocol: 'dht' }), HandshakeError)
      const error = await listener.failure('bad-signature')
      assert.equal(error.remoteNodeId, alice.nodeId)
      await listener.stillServes(client)
    })

    test('garbage is refused (an HTTP request, a wrong magic)', async () => {
      const http = await raw(client, listener)
      http.write('GET / HTTP/1.1\r\nHost: example\r\n\r\n')
      await listener.failure('frame-too-large')
      await within(closedStream(http), HANG_MS, 'the stream to close')
      await listener.stillServes(client)

      const magic = await raw(client, listener)
      magic.write(encodeFrame(Buffer.concat([Buffer.from('oht9'), alice.publicKeyRaw, randomBytes(32)])))
      await listener.failure('malformed')
      await listener.stillServes(client)

      const short = await raw(client, listener)
      short.write(encodeFrame(Buffer.from('hi')))
      await listener.failure('malformed')
      await listener.stillServes(client)
    })

    test('a length prefix of 2^32-1 is refused at once', async () => {
      const stream = await raw(client, listener)
      stream.write(Buffer.from([0xff, 0xff, 0xff, 0xff]))
      const error = await listener.failure('frame-too-large')
      assert.match(error.message, /4294967295-byte/)
      await listener.stillServes(client)
    })

    test('a truncated hello is refused', async () => {
      const stream = await raw(client, listener)
      stream.end(Buffer.concat([encodeFrame(helloOf(alice.publicKeyRaw)).subarray(0, 4 + 10)]))
      await listener.failure('truncated')
      await listener.stillServes(client)
    })

    test('a peer that sends nothing times out', async () => {
      // Its own listener with a short deadline: the failure's code says the deadline ended it
      // (the peer sent nothing else that could), so no clock is read here.
      const quick = new Listener(another(), SILENT_PEER_TIMEOUT_MS)
      try {
        await quick.start()
        const stream = await raw(client, quick)
        stream.resume()
        await quick.failure('timeout')
        await within(closedStream(stream), HANG_MS, 'the silent peer to be disconnected')
      } finally {
        await quick.transport.close()
      }
    })

    test('an unknown protocol is refused with a reason', async () => {
      await assert.rejects(
        dialPeer(client, listener.address, { keys: alice, protocol: 'ftp' }),
        (err: unknown) => isFailure('rejected')(err) && /refused protocol "ftp": unsupported protocol "ftp"; this node speaks dht, swarm/.test((err as Error).message)
      )
      await listener.failure('unsupported-protocol')
      await listener.stillServes(client)
    })

    test('a connection to oneself is refused', async () => {
      await assert.rejects(dialPeer(client, listener.address, { keys: bob, protocol: 'dht' }), isFailure('self'))
      await listener.failure('self')
      await listener.stillServes(client)
    })

    test('the initiator times out on a silent responder, and can be aborted', async () => {
      const silent = another()
      try {
        const address = await silent.listen(stream => { stream.resume() })
        await assert.rejects(dialPeer(client, address, { keys: alice, protocol: 'dht', timeoutMs: 100 }), isFailure('timeout'))
        const controller = new AbortController()
        const pending = dialPeer(client, address, { keys: alice, protocol: 'dht', signal: controller.signal })
        setTimeout(() => { controller.abort() }, 50)
        await assert.rejects(within(pending, HANG_MS, 'the abort'), isFailure('aborted'))
      } finally {
        await silent.close()
      }
    })
  })
}

describe('handshake on a stream pair (hand-rolled peers)', () => {
  test('the responder keeps bytes that arrive in the same chunk as the protocol name', async () => {
    const [a, b] = memoryDuplexPair()
    const responding = respondHandshake(b, { keys: bob, protocols: PROTOCOLS })
    const reader = new FrameReader(a, { maxFrameBytes: 1024 })
    const ourHello = helloOf(alice.publicKeyRaw)
    a.write(encodeFrame(ourHello))
    const theirHello = (await reader.next())!
    const transcript = Buffer.concat([onionLabel(ONION_LABELS.transcript), ourHello, theirHello, Buffer.of(HANDSHAKE_LABELS.initiatorRole)])
    // Signature, protocol name and the first application bytes in one write.
    a.write(Buffer.concat([encodeFrame(sign(null, transcript, alice.privateKey)), encodeFrame(Buffer.from('dht')), Buffer.from('APPLICATION BYTES')]))
    const session = await within(responding, 2000, 'the responder')
    assert.equal(session.remoteNodeId, alice.nodeId)
    assert.equal(session.protocol, 'dht')
    a.end()
    assert.equal(await within(collect(session.stream), 2000, 'the application bytes'), 'APPLICATION BYTES')
    reader.release()
  })

  test('the initiator keeps bytes that arrive in the same chunk as the answer', async () => {
    const [a, b] = memoryDuplexPair()
    const initiating = initiateHandshake(a, { keys: alice, protocol: 'swarm', expectedNodeId: bob.nodeId })
    const reader = new FrameReader(b, { maxFrameBytes: 1024 })
    const theirHello = (await reader.next())!
    const ourHello = helloOf(bob.publicKeyRaw)
    const transcript = Buffer.concat([onionLabel(ONION_LABELS.transcript), theirHello, ourHello, Buffer.of(HANDSHAKE_LABELS.responderRole)])
    // Hello, signature, accept and application bytes, all in one write.
    b.write(Buffer.concat([encodeFrame(ourHello), encodeFrame(sign(null, transcript, bob.privateKey)), encodeFrame(Buffer.of(0)), Buffer.from('SERVER FIRST')]))
    const session = await within(initiating, 2000, 'the initiator')
    assert.equal(session.remoteNodeId, bob.nodeId)
    b.end()
    assert.equal(await within(collect(session.stream), 2000, 'the application bytes'), 'SERVER FIRST')
  })

  test('a responder that signs with a key other than the one it presented is refused', async () => {
    const [a, b] = memoryDuplexPair()
    const initiating = initiateHandshake(a, { keys: alice, protocol: 'dht' })
    respondHandshake(b, { keys: { privateKey: mallory.privateKey, publicKeyRaw: bob.publicKeyRaw }, protocols: PROTOCOLS }).catch(() => {})
    await assert.rejects(within(initiating, 2000, 'the initiator'), isFailure('bad-signature'))
    assert.equal(a.destroyed, true)
  })

  test('a signature reflected with the other role is refused', async () => {
    const [a, b] = memoryDuplexPair()
    const responding = respondHandshake(b, { keys: bob, protocols: PROTOCOLS })
    const reader = new FrameReader(a, { maxFrameBytes: 1024 })
    const ourHello = helloOf(alice.publicKeyRaw)
    a.write(encodeFrame(ourHello))
    const theirHello = (await reader.next())!
    const wrongRole = Buffer.concat([onionLabel(ONION_LABELS.transcript), ourHello, theirHello, Buffer.of(HANDSHAKE_LABELS.responderRole)])
    a.write(Buffer.concat([encodeFrame(sign(null, wrongRole, alice.privateKey)), encodeFrame(Buffer.from('dht'))]))
    await assert.rejects(within(responding, 2000, 'the responder'), isFailure('bad-signature'))
    assert.equal(b.destroyed, true)
  })

  test('a malformed protocol name and a bad answer are refused', async () => {
    const [a, b] = memoryDuplexPair()
    const responding = respondHandshake(b, { keys: bob, protocols: PROTOCOLS })
    const reader = new FrameReader(a, { maxFrameBytes: 1024 })
    const ourHello = helloOf(alice.publicKeyRaw)
    a.write(encodeFrame(ourHello))
    const theirHello = (await reader.next())!
    const transcript = Buffer.concat([onionLabel(ONION_LABELS.transcript), ourHello, theirHello, Buffer.of(HANDSHAKE_LABELS.initiatorRole)])
    a.write(Buffer.concat([encodeFrame(sign(null, transcript, alice.privateKey)), encodeFrame(Buffer.from('DHT\u0000'.repeat(20)))]))
    await assert.rejects(within(responding, 2000, 'the responder'), isFailure('malformed'))

    const [c, d] = memoryDuplexPair()
    const initiating = initiateHandshake(c, { keys: alice, protocol: 'dht' })
    const reader2 = new FrameReader(d, { maxFrameBytes: 1024 })
    const aliceHello = (await reader2.next())!
    const bobHello = helloOf(bob.publicKeyRaw)
    const t2 = Buffer.concat([onionLabel(ONION_LABELS.transcript), aliceHello, bobHello, Buffer.of(HANDSHAKE_LABELS.responderRole)])
    d.write(Buffer.concat([encodeFrame(bobHello), encodeFrame(sign(null, t2, bob.privateKey)), encodeFrame(Buffer.of(7, 7))]))
    await assert.rejects(within(initiating, 2000, 'the initiator'), isFailure('malformed'))
  })

  test('bad arguments are programming errors (TypeError), not handshake failures', async () => {
    const [a] = memoryDuplexPair()
    await assert.rejects(initiateHandshake(a, { keys: alice, protocol: 'Not Valid' }), TypeError)
    await assert.rejects(initiateHandshake(a, { keys: alice, protocol: 'x'.repeat(33) }), TypeError)
    await assert.rejects(initiateHandshake(a, { keys: alice, protocol: 'dht', expectedNodeId: 'abc' }), TypeError)
    await assert.rejects(respondHandshake(a, { keys: { privateKey: alice.publicKey, publicKeyRaw: alice.publicKeyRaw }, protocols: PROTOCOLS }), TypeError)
    a.destroy()
  })

  test('dialConnection/acceptConnection give the node id as bytes', async () => {
    const [a, b] = memoryDuplexPair()
    const [ours, theirs] = await Promise.all([
      dialConnection(a, alice as NodeKeys, 'swarm'),
      acceptConnection(b, bob, ['swarm'])
    ])
    assert.deepEqual(Buffer.from(ours.remoteNodeId), Buffer.from(bob.nodeId, 'hex'))
    assert.deepEqual(Buffer.from(theirs.remoteNodeId), Buffer.from(alice.nodeId, 'hex'))
    assert.equal(theirs.protocol, 'swarm')
    a.destroy()
  })
})

async function collect (stream: Duplex): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}
