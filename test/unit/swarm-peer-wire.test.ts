import { test } from 'node:test'
import assert from 'node:assert/strict'
import { socketPair } from '../helpers/sockets.ts'
import type { Socket } from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { PeerWire, PeerAuthError } from '../../src/swarm/peer-wire.ts'

function pair (a: { key: Uint8Array, hash?: Uint8Array }, b: { key: Uint8Array, hash?: Uint8Array }, [s1, s2]: [Socket, Socket]): [PeerWire, PeerWire] {
  const infoHash = randomBytes(20)
  const idA = randomBytes(32)
  const idB = randomBytes(32)
  const common = { maxBlockBytes: 256 * 1024 + 16, authTimeoutMs: 3000 }
  return [
    new PeerWire({ ...common, stream: s1, initiator: true, infoHash: a.hash ?? infoHash, swarmKey: a.key, localNodeId: idA, remoteNodeId: idB }),
    new PeerWire({ ...common, stream: s2, initiator: false, infoHash: b.hash ?? infoHash, swarmKey: b.key, localNodeId: idB, remoteNodeId: idA })
  ]
}

test('two peers that know the swarm key become ready and exchange extension messages', async () => {
  const key = randomBytes(32)
  const [a, b] = pair({ key }, { key }, await socketPair())
  await Promise.all([once(a, 'ready'), once(b, 'ready')])
  const got = once(b, 'message')
  a.send({ t: 'leaves?', from: 0, count: 4 })
  assert.deepEqual((await got)[0], { t: 'leaves?', from: 0, count: 4 })
  a.close(); b.close()
})

test('a peer with the wrong swarm key is dropped before anything is exchanged', async () => {
  const [a, b] = pair({ key: randomBytes(32) }, { key: randomBytes(32) }, await socketPair())
  let ready = false
  a.on('ready', () => { ready = true }); b.on('ready', () => { ready = true })
  const [err] = await once(b, 'close') as [Error | undefined]
  assert.ok(err instanceof PeerAuthError)
  await once(a, 'close')
  assert.equal(ready && a.authenticated && b.authenticated, false)
})

test('a peer asking for another swarm is dropped', async () => {
  const key = randomBytes(32)
  const [a, b] = pair({ key, hash: randomBytes(20) }, { key, hash: randomBytes(20) }, await socketPair())
  const [err] = await once(b, 'close') as [Error | undefined]
  assert.ok(err instanceof PeerAuthError)
  a.close()
})
