import { test } from 'node:test'
import assert from 'node:assert/strict'
import { socketPair } from '../helpers/sockets.ts'
import type { Socket } from 'node:net'
import { once } from 'node:events'
import { setImmediate } from 'node:timers/promises'
import { randomBytes } from 'node:crypto'
import { duplexPair, type Duplex } from 'node:stream'
import { freeWhenSent, isFreedWhenSent } from '../../src/blocks/index.ts'
import { PeerWire, PeerAuthError, pieceParts } from '../../src/swarm/peer-wire.ts'

function pair (a: { key: Uint8Array, hash?: Uint8Array }, b: { key: Uint8Array, hash?: Uint8Array }, [s1, s2]: [Socket, Socket] | [Duplex, Duplex]): [PeerWire, PeerWire] {
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
  const seen: string[] = []
  for (const [name, peer] of [['a', a], ['b', b]] as const) {
    peer.on('ready', () => { seen.push(`${name} ready`) })
    peer.on('message', () => { seen.push(`${name} message`) })
    for (const event of ['bitfield', 'have', 'request', 'piece', 'unchoke']) peer.wire.on(event, () => { seen.push(`${name} ${event}`) })
  }
  const bClosed = once(b, 'close') as Promise<[Error | undefined]>
  const aClosed = once(a, 'close')
  const [err] = await bClosed
  assert.ok(err instanceof PeerAuthError)
  await aClosed
  assert.equal(a.authenticated, false)
  assert.equal(b.authenticated, false)
  assert.deepEqual(seen, [], 'neither side got anything of the share')
})

test('a peer asking for another swarm is dropped', async () => {
  const key = randomBytes(32)
  const [a, b] = pair({ key, hash: randomBytes(20) }, { key, hash: randomBytes(20) }, await socketPair())
  const [err] = await once(b, 'close') as [Error | undefined]
  assert.ok(err instanceof PeerAuthError)
  a.close()
})

/** Ready peers; `b` asks `a` for one piece and `a` answers with `parts`. Resolves with what `b` got. */
async function servePiece (streams: [Socket, Socket] | [Duplex, Duplex], parts: Uint8Array[]): Promise<Buffer> {
  const key = randomBytes(32)
  const [a, b] = pair({ key }, { key }, streams)
  try {
    await Promise.all([once(a, 'ready'), once(b, 'ready')])
    let length = 0
    for (const p of parts) length += p.length
    a.wire.on('request', (_index: number, _offset: number, _length: number, respond: (err: Error | null, block?: Uint8Array) => void) => { respond(null, pieceParts(parts)) })
    const unchoked = once(b.wire, 'unchoke')
    a.wire.unchoke()
    await unchoked
    return await new Promise<Buffer>((resolve, reject) => {
      // A piece mangled in transit (freed memory) may never parse: fail, do not hang.
      const timer = setTimeout(() => { reject(new Error('no piece within 5 s')) }, 5000)
      b.wire.request(0, 0, length, (err: Error | null, block?: Uint8Array) => {
        clearTimeout(timer)
        if (err != null) reject(err); else resolve(Buffer.from(block!))
      })
    })
  } finally {
    a.close(); b.close()
  }
}

/** A 256 KiB ciphertext in memory of its own and a 16-byte tag, as serving makes them. */
function sealedParts (): [Buffer, Buffer] {
  const ciphertext = Buffer.allocUnsafeSlow(256 * 1024)
  ciphertext.set(randomBytes(ciphertext.length))
  return [ciphertext, randomBytes(16)]
}

test('a block marked to be freed once sent arrives intact and is freed when the socket has sent it', async () => {
  const [ciphertext, tag] = sealedParts()
  const expected = Buffer.concat([ciphertext, tag])
  freeWhenSent(ciphertext)
  const got = await servePiece(await socketPair(), [ciphertext, tag])
  assert.ok(got.equals(expected), 'the peer got the block byte for byte')
  // The write's completion and the peer's read are events of the same loop, in either order.
  for (let turn = 0; turn < 100 && ciphertext.byteLength !== 0; turn++) await setImmediate()
  assert.equal(ciphertext.byteLength, 0, 'freed (detached) after the write completed')
  assert.equal(isFreedWhenSent(ciphertext), false)
})

test('a block not marked is left alone after sending, and an in-memory stream never frees one (its reader gets the very chunk)', async () => {
  const [unmarked, tag] = sealedParts()
  const expected = Buffer.concat([unmarked, tag])
  assert.ok((await servePiece(await socketPair(), [unmarked, tag])).equals(expected))
  assert.equal(unmarked.byteLength, 256 * 1024, 'not marked: kept')

  const [marked, tag2] = sealedParts()
  const expected2 = Buffer.concat([marked, tag2])
  freeWhenSent(marked)
  assert.ok((await servePiece(duplexPair() as [Duplex, Duplex], [marked, tag2])).equals(expected2))
  assert.equal(marked.byteLength, 256 * 1024, 'not a socket: kept')
})
