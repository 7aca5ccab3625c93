// A join through a bootstrap address that does not answer the first time is tried again (over
// Tor, the first circuit to a fresh onion service can outlast a request's timeout on a loaded
// machine: the memory demo's DHT step failed that way, docs/DECISIONS.md). Real TCP on 127.0.0.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { TcpTransport } from '../../src/onion/index.ts'
import { Discovery, NodeNetwork } from '../../src/node/network/index.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'

/** A port that was free a moment ago: nothing listens there until the test says so. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

async function node (listen: string, bootstrap: string[], onJoinRetry?: (attempt: number) => Promise<void>, keys = generateNodeKeys()): Promise<{ network: NodeNetwork, discovery: Discovery, close: () => Promise<void> }> {
  const network = new NodeNetwork(new TcpTransport({ listen }), keys)
  const discovery = new Discovery(network, { bootstrap, config: { rpcTimeoutMs: 5_000, dialTimeoutMs: 5_000 }, rejoinDelaysMs: [300, 600, 1_200], ...(onJoinRetry != null ? { onJoinRetry } : {}) })
  await network.listen()
  return { network, discovery, close: async () => { await discovery.stop(); await network.close() } }
}

test('a join that reached nobody is tried again, and joins once the bootstrap node answers', async t => {
  const port = await freePort()
  const retries: number[] = []
  let alice: Awaited<ReturnType<typeof node>> | undefined
  const bob = await node('127.0.0.1:0', [`tcp:127.0.0.1:${port}`], async attempt => {
    retries.push(attempt)
    // The bootstrap node comes up only now, between the first attempt and the second.
    alice ??= await node(`127.0.0.1:${port}`, [])
    await alice.discovery.start()
  })
  t.after(async () => { await bob.close(); await alice?.close() })
  const joined = await bob.discovery.start()
  assert.deepEqual(retries, [1], 'one retry')
  assert.equal(joined.reached, 1)
  assert.equal(joined.tableSize, 1)
  assert.deepEqual(bob.discovery.peers().map(p => p.address), [alice!.network.address])
})

test('a bootstrap address that never answers: bounded attempts, then an empty table; stop ends a waiting join', async t => {
  const port = await freePort()
  const retries: number[] = []
  const bob = await node('127.0.0.1:0', [`tcp:127.0.0.1:${port}`], async attempt => { retries.push(attempt) })
  t.after(async () => { await bob.close() })
  const joined = await bob.discovery.start()
  assert.deepEqual(retries, [1, 2], 'three attempts in all')
  assert.equal(joined.reached, 0)
  assert.equal(joined.tableSize, 0)

  let stopNow: () => void = () => {}
  const waiting = new Promise<void>(resolve => { stopNow = resolve })
  const carol = await node('127.0.0.1:0', [`tcp:127.0.0.1:${port}`], async () => { stopNow() })
  const started = carol.discovery.start()
  await waiting
  await carol.close()
  assert.equal((await started).tableSize, 0, 'the join ends with the node')
})

/** Polls `done` every 50 ms for up to 10 s; whether it came true. */
async function eventually (done: () => boolean): Promise<boolean> {
  const deadline = performance.now() + 10_000
  while (!done() && performance.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  return done()
}

test('a join that reached its bootstrap node but none of the peers it named looks again, and finds them once they answer', async t => {
  const nodes: Array<Awaited<ReturnType<typeof node>>> = []
  t.after(async () => { for (const n of nodes.reverse()) await n.close() })
  const alice = await node('127.0.0.1:0', [])
  nodes.push(alice)
  await alice.discovery.start()
  const carolPort = await freePort()
  const carolKeys = generateNodeKeys()
  const carol = await node(`127.0.0.1:${carolPort}`, [alice.network.address!], undefined, carolKeys)
  await carol.discovery.start()
  assert.ok(await eventually(() => alice.discovery.peers().some(p => p.address === carol.network.address)), 'alice knows carol')
  // Carol goes away for the moment bob joins: alice still names her, bob's dial is refused.
  await carol.close()
  const bob = await node('127.0.0.1:0', [alice.network.address!])
  nodes.push(bob)
  const joined = await bob.discovery.start()
  assert.equal(joined.tableSize, 1, 'the join learned no one beyond alice')

  const carolAgain = await node(`127.0.0.1:${carolPort}`, [], undefined, carolKeys)
  nodes.push(carolAgain)
  await carolAgain.discovery.start()
  assert.ok(await eventually(() => bob.discovery.peers().some(p => p.address === carolAgain.network.address)), 'bob found carol without being asked to')
  assert.deepEqual(bob.discovery.peers().map(p => p.address).sort(), [alice.network.address, carolAgain.network.address].sort())
})
