// The attacker who records a people session on the wire and later takes both accounts' private
// keys (a seized device, a leaked keystore): the account keys only sign the hellos, so nothing they
// give opens what was recorded. The session runs over a real loopback TCP connection through the
// same initiate/answer code as the daemon; every byte each side wrote is the recording.
import assert from 'node:assert/strict'
import { createServer, connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { generateAccountKey, accountIdOf } from '../../src/node/identity/account-keys.ts'
import { answer, initiate } from '../../src/people/messages/channel.ts'
import { checkHello, deriveSession, Ephemeral, type Hello } from '../../src/people/messages/session.ts'

const NODE_A = 'a'.repeat(64)
const NODE_B = 'b'.repeat(64)

/** What every byte written to `socket` was, in order. */
function recordWrites (socket: Socket): Buffer[] {
  const chunks: Buffer[] = []
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    chunks.push(Buffer.from(chunk as Uint8Array))
    return write(chunk, ...rest)
  }) as typeof socket.write
  return chunks
}

/** Length-prefixed frames (u32 BE) out of a recording, parsed as JSON. */
function frames (chunks: Buffer[]): Array<Record<string, unknown>> {
  const all = Buffer.concat(chunks)
  const out: Array<Record<string, unknown>> = []
  for (let at = 0; at + 4 <= all.length;) {
    const n = all.readUInt32BE(at)
    out.push(JSON.parse(all.subarray(at + 4, at + 4 + n).toString()) as Record<string, unknown>)
    at += 4 + n
  }
  return out
}

/** The X25519 secrets an attacker can make of an ed25519 account key (its seed, as is and as Montgomery). */
function secretsOf (privateKey: ReturnType<typeof generateAccountKey>): Uint8Array[] {
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')
  return [new Uint8Array(seed), ed25519.utils.toMontgomerySecret(seed)]
}

test('account keys taken later open no recorded people session', async () => {
  const alice = { id: '', privateKey: generateAccountKey('ed25519') }
  alice.id = accountIdOf(alice.privateKey)
  const bob = { id: '', privateKey: generateAccountKey('ed25519') }
  bob.id = accountIdOf(bob.privateKey)
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const accepted = new Promise<Socket>(resolve => server.once('connection', resolve))
  const client = connect(port, '127.0.0.1')
  await new Promise(resolve => client.once('connect', resolve))
  const serverSide = await accepted
  const fromAlice = recordWrites(client)
  const fromBob = recordWrites(serverSide)
  try {
    const [a, b] = await Promise.all([
      initiate(client, { account: alice, localNode: NODE_A, remoteNode: NODE_B, address: null }, bob.id),
      answer(serverSide, { account: bob, localNode: NODE_B, remoteNode: NODE_A, address: null }, async () => {})
    ])
    const secret = 'meet at the north gate at nine'
    const whisper = { k: 'whisper' as const, id: 'm1', text: secret, at: 1 }
    await a.send(whisper)
    assert.deepEqual(await b.receive(), whisper, 'the session works')
    await b.send({ k: 'receipt', id: 'm1' })
    assert.deepEqual(await a.receive(), { k: 'receipt', id: 'm1' })
  } finally {
    client.destroy()
    serverSide.destroy()
    server.close()
  }

  const recordedA = frames(fromAlice)
  const recordedB = frames(fromBob)
  const helloA = checkHello(recordedA[0], { role: 'initiator', to: bob.id, fromNode: NODE_A, toNode: NODE_B }) as Hello
  const helloB = checkHello(recordedB[0], { role: 'responder', to: alice.id, from: bob.id, fromNode: NODE_B, toNode: NODE_A, peerEph: helloA.eph }) as Hello
  const boxOf = (recorded: Array<Record<string, unknown>>): { n: number, c: Buffer } => {
    const box = recorded.find(f => f['t'] === 'box')
    assert.ok(box != null, 'the recording holds a message')
    return { n: box['n'] as number, c: Buffer.from(box['c'] as string, 'base64') }
  }
  const toBob = boxOf(recordedA)
  const toAlice = boxOf(recordedB)
  assert.ok(!Buffer.concat(fromAlice).includes(Buffer.from('north gate')), 'the message is not in clear on the wire')

  // Later: both accounts' private keys, every X25519 secret they make, as either side: the
  // responder's session would open what Alice sent, the initiator's what Bob sent.
  let tried = 0
  for (const s of [...secretsOf(alice.privateKey), ...secretsOf(bob.privateKey)]) {
    for (const [role, box] of [['responder', toBob], ['initiator', toAlice]] as const) {
      tried++
      const session = deriveSession(role, new Ephemeral(new Uint8Array(s)), helloA, helloB)
      assert.throws(() => session.open(box), 'a session made from account keys opened a recorded message')
    }
  }
  assert.equal(tried, 8)
  // The hellos carry ephemeral keys, not keys of the accounts.
  for (const s of [...secretsOf(alice.privateKey), ...secretsOf(bob.privateKey)]) {
    const pub = Buffer.from(x25519.getPublicKey(s)).toString('hex')
    assert.notEqual(helloA.eph, pub)
    assert.notEqual(helloB.eph, pub)
  }
})
