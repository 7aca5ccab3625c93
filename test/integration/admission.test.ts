// Inbound connection bounds (src/node/network/admission.ts) over real TCP sockets on 127.0.0.1:
// connections that never finish the handshake, too many from one peer, too many in all. Past a
// bound a new connection is closed at once; the ones held are untouched, and slots come back
// when connections close. The limits are made small here; the defaults are the named constants.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import type { Duplex } from 'node:stream'
import { NodeNetwork } from '../../src/node/network/network.ts'
import { MAX_HANDSHAKING_CONNECTIONS, MAX_INBOUND_CONNECTIONS, MAX_INBOUND_CONNECTIONS_PER_PEER } from '../../src/node/network/admission.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'
import { TcpTransport } from '../../src/onion/index.ts'

/** Waits for a condition the server reaches by itself (accepting, counting); checks every 10 ms. */
async function until (what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** A connection past a bound is closed at once: within 5 s, not at the handshake deadline or the test's timeout. */
async function closed (s: Duplex, what: string): Promise<void> {
  if (s.destroyed) return
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what} was not closed within 5 s: the bound did not hold`)) }, 5000) })
  try { await Promise.race([once(s, 'close'), late]) } finally { clearTimeout(timer) }
}

test('inbound connections: handshakes at once, per peer and in all are bounded; past a bound a connection is closed at once', { timeout: 60_000 }, async t => {
  assert.ok(MAX_HANDSHAKING_CONNECTIONS > 0 && MAX_INBOUND_CONNECTIONS_PER_PEER < MAX_INBOUND_CONNECTIONS)
  const server = new NodeNetwork(new TcpTransport(), generateNodeKeys(), {}, { handshaking: 3, total: 3, perPeer: 2 })
  const held: Duplex[] = []
  server.registerProtocol('hold', session => { held.push(session.stream); session.stream.on('error', () => {}) })
  const address = await server.listen()
  const port = Number(address.split(':').at(-1))
  const clients = [new NodeNetwork(new TcpTransport(), generateNodeKeys()), new NodeNetwork(new TcpTransport(), generateNodeKeys())]
  const sockets: Socket[] = []
  t.after(async () => {
    for (const s of [...sockets, ...held]) s.destroy()
    await Promise.all([server, ...clients].map(async n => { await n.transport.close() }))
  })

  // Three sockets that never say a word hold the three handshake slots; a fourth is closed at once.
  for (let i = 0; i < 3; i++) { const s = connect(port, '127.0.0.1'); s.on('error', () => {}); sockets.push(s) }
  await until('three handshakes held', () => server.admission.counts().handshaking === 3)
  const fourth = connect(port, '127.0.0.1')
  fourth.on('error', () => {})
  await closed(fourth, 'a fourth silent socket (3 handshakes at once)')
  assert.ok(sockets.every(s => !s.destroyed), 'the held ones stay')
  for (const s of sockets) s.destroy()
  await until('the handshake slots to come back', () => server.admission.counts().handshaking === 0)

  // One peer: two connections, the third is closed right after its handshake.
  const [a, b] = clients as [NodeNetwork, NodeNetwork]
  const a1 = await a.dialProtocol(address, 'hold')
  const a2 = await a.dialProtocol(address, 'hold')
  await until('two held for peer a', () => held.length === 2)
  const a3 = await a.dialProtocol(address, 'hold')
  await closed(a3.stream, 'a third connection of one peer (2 per peer)')
  assert.equal(held.length, 2, 'the third never reached the protocol')
  // In all: peer b's first fills the three, its second is closed.
  const b1 = await b.dialProtocol(address, 'hold')
  await until('three held', () => held.length === 3)
  const b2 = await b.dialProtocol(address, 'hold')
  await closed(b2.stream, 'a fourth connection in all (3 open)')
  assert.deepEqual(server.admission.counts(), { handshaking: 0, open: 3, peers: 2 })
  // A connection closes: its slot comes back.
  a1.stream.destroy()
  await until('a slot back', () => server.admission.counts().open === 2)
  const b3 = await b.dialProtocol(address, 'hold')
  await until('b3 held', () => held.length === 4)
  for (const s of [a2, b1, b3]) s.stream.destroy()
})
