// Five DHT nodes over the real TCP transport on 127.0.0.1 with the real oht handshake: the
// wiring src/node does (acceptHandshakes → handleStream, dialPeer as the dialer).
import { describe, test, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { TcpTransport, acceptHandshakes, dialPeer } from '../../src/onion/index.ts'
import { DhtNode, DHT_PROTOCOL, MemoryRoutingTableStore, idToHex, type Dialer } from '../../src/dht/index.ts'
import { generateNodeKeys, type NodeKeys } from '../../src/node/identity/keystore.ts'

interface Peer { keys: NodeKeys, transport: TcpTransport, dht: DhtNode, store: MemoryRoutingTableStore }

async function startPeer (store = new MemoryRoutingTableStore(), keys = generateNodeKeys()): Promise<Peer> {
  const transport = new TcpTransport({ listen: '127.0.0.1:0' })
  const dial: Dialer = async (target, signal) => await dialPeer(transport, target.address, {
    keys, protocol: DHT_PROTOCOL, signal, ...(target.nodeId === undefined ? {} : { expectedNodeId: target.nodeId })
  })
  let dht: DhtNode | null = null
  const address = await transport.listen(acceptHandshakes({ keys, protocols: [DHT_PROTOCOL] }, session => {
    if (dht === null) session.stream.destroy()
    else dht.handleStream(session)
  }))
  dht = new DhtNode({ keys, address, dial, routingStore: store, config: { rpcTimeoutMs: 5_000, dialTimeoutMs: 5_000 } })
  await dht.start()
  return { keys, transport, dht, store }
}

async function stopPeer (peer: Peer): Promise<void> {
  await peer.dht.stop()
  await peer.transport.close()
}

// A fresh network for every test (five in-process nodes start in milliseconds): the tests that
// kill or restart a node leave nothing behind for the others, in any order.
describe('dht over TCP with the oht handshake', () => {
  let peers: Peer[] = []

  beforeEach(async () => {
    peers = []
    for (let i = 0; i < 5; i++) peers.push(await startPeer())
    // Everyone bootstraps from the first node's bare address: the handshake tells its id.
    for (const peer of peers.slice(1)) {
      const { reached } = await peer.dht.bootstrap([peers[0]!.dht.address!])
      assert.equal(reached, 1)
    }
  })
  afterEach(async () => { for (const peer of peers) await stopPeer(peer) })

  test('bootstrap fills routing tables with handshake-verified contacts', () => {
    for (const peer of peers) {
      assert.ok(peer.dht.table.size >= 3, `node has ${peer.dht.table.size} contacts`)
      for (const info of peer.dht.peers()) {
        const other = peers.find(p => p.dht.nodeIdHex === info.nodeId)
        assert.ok(other !== undefined, 'every contact is one of the five nodes')
        assert.equal(info.address, other.dht.address, 'with the address it announced itself')
      }
    }
  })

  test('provide and find providers', async () => {
    const topic = new Uint8Array(randomBytes(32))
    const provided = await peers[1]!.dht.provide(topic)
    assert.ok(provided.stored >= 4)
    const found: string[] = []
    for await (const record of peers[4]!.dht.findProviders(topic)) found.push(record.address)
    assert.deepEqual(found, [peers[1]!.dht.address])
  })

  test('mutable values, tombstones and private values', async () => {
    const salt = new TextEncoder().encode('nick')
    await peers[2]!.dht.putMutable(new TextEncoder().encode('carol'), { salt })
    const got = await peers[3]!.dht.getMutable(peers[2]!.keys.publicKeyRaw, { salt })
    assert.equal(new TextDecoder().decode(got.record!.value), 'carol')
    await peers[2]!.dht.deleteMutable({ salt })
    assert.equal((await peers[0]!.dht.getMutable(peers[2]!.keys.publicKeyRaw, { salt })).record?.deleted, true)
    const handle = new Uint8Array(randomBytes(32))
    await peers[0]!.dht.putPrivate(handle, new TextEncoder().encode('hidden'))
    assert.equal(new TextDecoder().decode((await peers[4]!.dht.getPrivate(handle)).value!), 'hidden')
  })

  test('a dead peer fails its requests and is evicted; lookups go on', async () => {
    const victim = peers[3]!
    await victim.transport.close()
    const target = new Uint8Array(randomBytes(32))
    for (let i = 0; i < 2; i++) await peers[0]!.dht.findNode(target)
    assert.equal(peers[0]!.dht.table.has(victim.dht.nodeIdHex), false, 'evicted after failed requests')
    const lookup = await peers[1]!.dht.findNode(target)
    assert.ok(lookup.closest.length >= 3)
  })

  test('the routing table is saved on stop and loaded on start', async () => {
    const peer = peers[4]!
    await peer.dht.stop()
    assert.ok(peer.store.contacts.length >= 3)
    const saved = peer.store.contacts.map(c => c.nodeId).sort()
    await peer.transport.close()
    const restarted = await startPeer(peer.store, peer.keys)
    peers[4] = restarted
    assert.deepEqual(restarted.dht.peers().map(p => p.nodeId).sort(), saved)
    assert.equal(idToHex(restarted.dht.nodeId), peer.dht.nodeIdHex)
    // It is immediately useful: a lookup through the loaded contacts works without bootstrap.
    const lookup = await restarted.dht.findNode(peers[0]!.dht.nodeId)
    assert.ok(lookup.found)
  })
})
