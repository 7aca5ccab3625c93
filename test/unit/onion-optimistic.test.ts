// Optimistic protocol start (src/onion/optimistic.ts) over real TCP sockets on 127.0.0.1: the
// initiator's first protocol bytes travel behind its protocol name, the responder hands them to
// the protocol only once it accepted, a refusal drops them with a clear error, and an initiator
// that sends more than MAX_OPTIMISTIC_BYTES before the answer is dropped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import {
  HandshakeError, MAX_OPTIMISTIC_BYTES, TcpTransport, initiateOptimistic, respondHandshake, runInitiator,
  type HandshakeResult, type Transport
} from '../../src/onion/index.ts'
import { within } from '../../src/onion/compliance.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'

const alice = generateNodeKeys()
const bob = generateNodeKeys()
const HANG_MS = 10_000

/** Bob on TCP, serving `protocols`; every outcome of his handshakes, with the raw socket. */
async function bobServes (t: { after: (fn: () => Promise<void>) => void }, protocols: string[]): Promise<{ address: string, client: Transport, outcomes: Array<Promise<{ session?: HandshakeResult, error?: HandshakeError, socket: Socket }>> }> {
  const server = new TcpTransport()
  const client = new TcpTransport()
  t.after(async () => { await client.close(); await server.close() })
  const outcomes: Array<Promise<{ session?: HandshakeResult, error?: HandshakeError, socket: Socket }>> = []
  const address = await server.listen(stream => {
    stream.on('error', () => {})
    const socket = stream as Socket
    outcomes.push(respondHandshake(stream, { keys: bob, protocols }).then(session => ({ session, socket }), (error: HandshakeError) => ({ error, socket })))
  })
  return { address, client, outcomes }
}

async function collect (stream: Duplex): Promise<string> {
  let text = ''
  stream.setEncoding('utf8')
  for await (const chunk of stream) text += chunk as string
  return text
}

test('the initiator writes before the answer; the responder reads those bytes first, the initiator reads only after the accept', async t => {
  const bobSide = await bobServes(t, ['swarm'])
  const raw = await bobSide.client.dial(bobSide.address)
  const session = await initiateOptimistic(raw, { keys: alice, protocol: 'swarm' })
  // Nothing of bob's has been checked yet: only his hello's claim.
  assert.equal(session.remoteNodeId, bob.nodeId)
  session.stream.write('early ')
  await within(session.accepted, HANG_MS, 'the accept')
  session.stream.end('and late')
  const outcome = await within(bobSide.outcomes[0]!, HANG_MS, 'bob\'s handshake')
  assert.ok(outcome.session != null, `bob accepted: ${outcome.error?.message}`)
  outcome.session.stream.end('from bob')
  const [toBob, toAlice] = await within(Promise.all([collect(outcome.session.stream), collect(session.stream)]), HANG_MS, 'data')
  assert.equal(toBob, 'early and late')
  assert.equal(toAlice, 'from bob')
})

test('a refusal after optimistic bytes: the bytes are dropped unread and the initiator gets the refusal', async t => {
  const bobSide = await bobServes(t, ['dht'])
  const raw = await bobSide.client.dial(bobSide.address)
  raw.on('error', () => {})
  const session = await initiateOptimistic(raw, { keys: alice, protocol: 'swarm' })
  session.stream.on('error', () => {})
  const read: Buffer[] = []
  session.stream.on('data', (b: Buffer) => { read.push(b) })
  session.stream.write('manifest? please')
  await assert.rejects(within(session.accepted, HANG_MS, 'the refusal'), (err: unknown) => {
    assert.ok(err instanceof HandshakeError)
    assert.equal(err.code, 'rejected', err.message)
    assert.match(err.message, /refused protocol "swarm": unsupported protocol "swarm"; this node speaks dht/)
    return true
  })
  assert.equal(session.stream.destroyed, true, 'the stream handed over is destroyed')
  assert.equal(session.stream.errored, await session.accepted.catch((e: unknown) => e), 'with the refusal')
  assert.deepEqual(read, [], 'nothing of the refusing side reached the protocol')
  const outcome = await within(bobSide.outcomes[0]!, HANG_MS, 'bob\'s refusal')
  assert.equal(outcome.error?.code, 'unsupported-protocol')
  assert.equal(outcome.session, undefined, 'no protocol handler saw the bytes')
})

test('the stream handed over lets at most MAX_OPTIMISTIC_BYTES through before the answer, the rest after it', async t => {
  const bobSide = await bobServes(t, ['swarm'])
  const raw = await bobSide.client.dial(bobSide.address)
  const session = await initiateOptimistic(raw, { keys: alice, protocol: 'swarm' })
  const big = Buffer.alloc(MAX_OPTIMISTIC_BYTES * 4, 7)
  session.stream.end(big)
  await within(session.accepted, HANG_MS, 'the accept (bob took the first part only)')
  const outcome = await within(bobSide.outcomes[0]!, HANG_MS, 'bob\'s handshake')
  assert.ok(outcome.session != null, `bob accepted: ${outcome.error?.message}`)
  let got = 0
  for await (const chunk of outcome.session.stream) got += (chunk as Buffer).length
  assert.equal(got, big.length, 'the rest followed the accept')
  session.stream.destroy()
})

test('an initiator that floods before the answer is dropped, and the responder read a bounded part of it', async t => {
  const bobSide = await bobServes(t, ['swarm'])
  const raw = await bobSide.client.dial(bobSide.address)
  raw.on('error', () => {})
  const flood = 4 * 1024 * 1024
  // A hostile initiator: the handshake without the optimistic stream's cap, then a burst.
  const handshake = runInitiator(raw, { keys: alice, protocol: 'swarm' }, () => { raw.write(Buffer.alloc(flood)) })
  await assert.rejects(within(handshake, HANG_MS, 'the initiator\'s failure'), HandshakeError)
  const outcome = await within(bobSide.outcomes[0]!, HANG_MS, 'bob\'s handshake')
  assert.equal(outcome.error?.code, 'optimistic-overflow', outcome.error?.message)
  assert.equal(outcome.session, undefined)
  assert.equal(outcome.socket.destroyed, true)
  assert.ok(outcome.socket.bytesRead < flood / 8, `bob read ${outcome.socket.bytesRead} of ${flood} bytes`)
})
