// The onion layer's pieces together, as the DHT will use them: a few hundred in-memory nodes with
// Tor-like latencies dial each other, authenticate with the oht handshake (insisting on the node
// id they expect), exchange framed messages, and survive nodes dying.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  DialError, FrameReader, HandshakeError, MemoryNetwork, acceptHandshakes, dialPeer, writeFrame,
  type HandshakeResult, type Transport
} from '../../src/onion/index.ts'
import { within } from '../../src/onion/compliance.ts'
import { generateNodeKeys, type NodeKeys } from '../../src/node/identity/keystore.ts'

const NODES = 200
const MAX_FRAME = 4096

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface SimNode { keys: NodeKeys, transport: Transport, name: string, address: string }

/** Serves a ping protocol: answers each framed ping with a framed pong naming both ends. */
function serve (node: NodeKeys, session: HandshakeResult): void {
  const reader = new FrameReader(session.stream, { maxFrameBytes: MAX_FRAME })
  void (async () => {
    try {
      for await (const frame of reader) {
        await writeFrame(session.stream, Buffer.from(`pong ${node.nodeId} to ${session.remoteNodeId}: ${frame.toString()}`), { maxFrameBytes: MAX_FRAME })
      }
      session.stream.end()
    } catch {
      session.stream.destroy()
    }
  })()
}

test(`${NODES} memory nodes with Tor-like latency: handshakes, framed messages, churn`, { timeout: 600_000 }, async () => {
  const random = rng(7)
  // Circuits take tens of ms here (seconds over Tor, scaled down); cells 2–10 ms one way.
  const network = new MemoryNetwork({ latency: { dial: () => 10 + random() * 40, message: () => 2 + random() * 8 } })
  const nodes: SimNode[] = []
  const refused: HandshakeError[] = []
  for (let i = 0; i < NODES; i++) {
    const keys = generateNodeKeys()
    const transport = network.transport()
    const address = await transport.listen(acceptHandshakes({ keys, protocols: ['dht'] }, session => { serve(keys, session) }, err => { refused.push(err) }))
    nodes.push({ keys, transport, name: transport.name, address })
  }

  async function ping (from: SimNode, to: SimNode, text: string): Promise<string> {
    const session = await dialPeer(from.transport, to.address, { keys: from.keys, protocol: 'dht', expectedNodeId: to.keys.nodeId, timeoutMs: 120_000 })
    try {
      const reader = new FrameReader(session.stream, { maxFrameBytes: MAX_FRAME })
      await writeFrame(session.stream, Buffer.from(text), { maxFrameBytes: MAX_FRAME })
      const answer = await reader.next()
      assert.ok(answer !== null, 'an answer')
      return answer.toString()
    } finally {
      session.stream.destroy()
    }
  }

  try {
    // Every node pings three others at once.
    const pairs = nodes.flatMap((from, i) => [1, 2, 3].map(k => [from, nodes[(i + k * 37) % NODES]!] as const))
    const answers = await within(Promise.all(pairs.map(async ([from, to], j) => await ping(from, to, `ping ${j}`))), 300_000, 'every ping') // deadlines that catch hangs, not a slow machine
    answers.forEach((answer, j) => {
      const [from, to] = pairs[j]!
      assert.equal(answer, `pong ${to.keys.nodeId} to ${from.keys.nodeId}: ping ${j}`)
    })

    // A node that claims the wrong identity is caught: the dialer insists on the id it expected.
    const [a, b, c] = [nodes[0]!, nodes[1]!, nodes[2]!]
    await assert.rejects(dialPeer(a.transport, b.address, { keys: a.keys, protocol: 'dht', expectedNodeId: c.keys.nodeId }),
      (err: unknown) => err instanceof HandshakeError && err.code === 'unexpected-peer')

    // Churn: a tenth of the nodes die; dials to them fail, the rest keep answering.
    const dead = new Set(nodes.filter((_, i) => i % 10 === 5))
    for (const node of dead) assert.equal(network.disconnect(node.name), true)
    const alive = nodes.filter(n => !dead.has(n))
    for (const node of [...dead].slice(0, 5)) {
      await assert.rejects(ping(alive[0]!, node, 'are you there?'), (err: unknown) => err instanceof DialError && err.code === 'refused')
    }
    const after = await within(Promise.all(alive.slice(0, 50).map(async (from, i) => await ping(from, alive[(i + 11) % alive.length]!, 'still there?'))), 300_000, 'pings after churn')
    assert.equal(after.length, 50)
    assert.ok(after.every(answer => answer.endsWith(': still there?')))
    assert.deepEqual(refused.map(e => e.code).filter(code => code !== 'closed'), [], 'no handshake failed except the refused identity')
  } finally {
    await Promise.all(nodes.map(async n => { await n.transport.close() }))
  }
})
