// Fuzz target: the BitTorrent wire behind the guard, as a PeerWire runs it. A hostile peer that
// knows the swarm key logs in with a real PeerWire, then writes arbitrary messages of every type
// straight into the connection: the node's side never throws out of its stream handlers, and it
// either stays up or closes the connection with an error it documents.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { MemoryStream } from '../../src/onion/pair.ts'
import { PeerAuthError, PeerStalledError, PeerWire } from '../../src/swarm/peer-wire.ts'
import { MessageError } from '../../src/swarm/messages.ts'
import { WireMessageStalledError, WireMessageTooLargeError } from '../../src/swarm/guard.ts'
import { ENGINE_ERROR, fc, mutated, params } from './fuzz.ts'

const frame = (payload: Uint8Array): Buffer => { const b = Buffer.alloc(4 + payload.length); b.writeUInt32BE(payload.length); b.set(payload, 4); return b }
const DOCUMENTED = [PeerAuthError, PeerStalledError, MessageError, WireMessageTooLargeError, WireMessageStalledError]

/** A BitTorrent message of any known type (choke … extended) or an unknown one, with any payload. */
const wireMessage = fc.tuple(fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 20, 21, 255), fc.uint8Array({ maxLength: 40 }))
  .map(([id, payload]) => frame(Uint8Array.from([id, ...payload])))
/** An extended message to the id we announced for oht_v1, or to the extended handshake (0). */
const extended = fc.tuple(fc.constantFrom(0, 1, 2, 7), fc.uint8Array({ maxLength: 60 })).map(([ext, payload]) => frame(Uint8Array.from([20, ext, ...payload])))

async function loggedInPair (): Promise<{ node: PeerWire, hostile: PeerWire, raw: MemoryStream, uncaught: Error[] }> {
  const [a, b] = MemoryStream.pair()
  const infoHash = randomBytes(20)
  const swarmKey = randomBytes(32)
  const aId = randomBytes(32)
  const bId = randomBytes(32)
  const hostile = new PeerWire({ stream: a, initiator: true, infoHash, swarmKey, localNodeId: aId, remoteNodeId: bId, maxBlockBytes: 1 << 16 })
  const node = new PeerWire({ stream: b, initiator: false, infoHash, swarmKey, localNodeId: bId, remoteNodeId: aId, maxBlockBytes: 1 << 16 })
  await Promise.all([once(hostile, 'ready'), once(node, 'ready')])
  return { node, hostile, raw: a, uncaught: [] }
}

test('fuzz BitTorrent wire: arbitrary messages after login are handled or refused with a documented error', async () => {
  const script = fc.array(fc.oneof(wireMessage, extended, wireMessage.chain(m => mutated(m))), { minLength: 1, maxLength: 12 })
  await fc.assert(fc.asyncProperty(script, async messages => {
    const { node, hostile, raw } = await loggedInPair()
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown): void => { uncaught.push(err) }
    process.on('uncaughtException', onUncaught)
    const closed = new Promise<Error | undefined>(resolve => { node.once('close', resolve) })
    node.on('message', () => {})
    try {
      for (const m of messages) { if (raw.destroyed) break; raw.write(m) }
      // Then a clean goodbye: the node closes, with the error of the first message it refused.
      setImmediate(() => { hostile.close() })
      const error = await closed
      assert.deepEqual(uncaught, [])
      if (error != null) {
        assert.ok(!ENGINE_ERROR.test(error.message), `an unchecked input reached the engine: ${error.name}: ${error.message}`)
        if (!DOCUMENTED.some(E => error instanceof E)) {
          // The wire itself may refuse a malformed message with its own Error; it must say what it refused.
          assert.equal(error.constructor, Error, `undocumented ${error.name}: ${error.message}`)
        }
      }
    } finally {
      process.off('uncaughtException', onUncaught)
      hostile.close()
      node.close()
    }
  }), params(150))
})
