// The message session's crypto (src/people/messages/session.ts): two accounts agree on a session
// from signed ephemeral keys; messages round-trip both ways; an altered, replayed or reordered
// message is refused; what a running session holds cannot open what it already sent or received.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { randomBytes } from 'node:crypto'
import { generateAccountKey, accountIdOf, type AccountKind } from '../../src/node/identity/account-keys.ts'
import { seal, open } from '../../src/blocks/crypto/aead.ts'
import {
  checkHello, deriveSession, Ephemeral, makeHello, SessionError, stepChain, type Session
} from '../../src/people/messages/session.ts'
import { KnockLimiter } from '../../src/people/contacts/limits.ts'
import { locatorRecord, readLocator } from '../../src/people/contacts/locator.ts'

const account = (kind: AccountKind = 'ed25519'): { id: string, privateKey: ReturnType<typeof generateAccountKey> } => {
  const privateKey = generateAccountKey(kind)
  return { id: accountIdOf(privateKey), privateKey }
}
const NODE_A = 'a'.repeat(64)
const NODE_B = 'b'.repeat(64)

/** A full opening between a (initiator, on NODE_A) and b (responder, on NODE_B), as the wire does it. */
function pair (kindA: AccountKind = 'ed25519', kindB: AccountKind = 'ed25519'): { alice: Session, bob: Session, ephA: Ephemeral, ephB: Ephemeral } {
  const a = account(kindA)
  const b = account(kindB)
  const ephA = new Ephemeral()
  const helloA = checkHello(JSON.parse(JSON.stringify(makeHello(a, { to: b.id, eph: ephA, addr: 'tcp:127.0.0.1:1', fromNode: NODE_A, toNode: NODE_B }))), { role: 'initiator', to: b.id, fromNode: NODE_A, toNode: NODE_B })
  const ephB = new Ephemeral()
  const helloB = checkHello(JSON.parse(JSON.stringify(makeHello(b, { to: a.id, eph: ephB, peerEph: helloA.eph, addr: null, fromNode: NODE_B, toNode: NODE_A }))), { role: 'responder', to: a.id, from: b.id, fromNode: NODE_B, toNode: NODE_A, peerEph: ephA.hex })
  return { alice: deriveSession('initiator', ephA, helloA, helloB), bob: deriveSession('responder', ephB, helloA, helloB), ephA, ephB }
}

describe('people session crypto', () => {
  for (const [ka, kb] of [['ed25519', 'ed25519'], ['secp256k1', 'ed25519'], ['secp256k1', 'secp256k1']] as const) {
    it(`round-trips both ways (${ka} → ${kb})`, () => {
      const { alice, bob } = pair(ka, kb)
      for (let i = 0; i < 5; i++) {
        const m = Buffer.from(`hello ${i} ${'x'.repeat(i * 100)}`)
        assert.deepEqual(bob.open(alice.seal(m)), m)
        const r = Buffer.from(`reply ${i}`)
        assert.deepEqual(alice.open(bob.seal(r)), r)
      }
    })
  }

  it('wipes the ephemeral secrets once the session is derived', () => {
    const { ephA, ephB } = pair()
    assert.ok(ephA.secret.every(b => b === 0))
    assert.ok(ephB.secret.every(b => b === 0))
  })

  it('refuses an altered message, and one sealed in another session', () => {
    const { alice, bob } = pair()
    const m = alice.seal(Buffer.from('pay 10'))
    const c = Buffer.from(m.c)
    c[0] = c[0]! ^ 1
    assert.throws(() => bob.open({ n: m.n, c }), (e: SessionError) => e.code === 'tampered')
    // The refusal did not advance the chain: the genuine message still opens.
    assert.equal(bob.open(m).toString(), 'pay 10')
    const other = pair()
    assert.throws(() => other.bob.open(alice.seal(Buffer.from('x'))), (e: SessionError) => e.code === 'out-of-order' || e.code === 'tampered')
    // A message of one direction cannot be reflected back as the other's.
    // (bob has received message 0, so its own message 1 carries the number it expects next.)
    bob.seal(Buffer.from('first'))
    const reflected = bob.seal(Buffer.from('to alice'))
    assert.equal(reflected.n, 1)
    assert.throws(() => bob.open(reflected), (e: SessionError) => e.code === 'tampered')
  })

  it('refuses a replayed or reordered message', () => {
    const { alice, bob } = pair()
    const m0 = alice.seal(Buffer.from('zero'))
    const m1 = alice.seal(Buffer.from('one'))
    assert.throws(() => bob.open(m1), (e: SessionError) => e.code === 'out-of-order')
    bob.open(m0)
    assert.throws(() => bob.open(m0), (e: SessionError) => e.code === 'replay')
    assert.equal(bob.open(m1).toString(), 'one')
    assert.throws(() => bob.open(m1), (e: SessionError) => e.code === 'replay')
  })

  it('forward secrecy: the keys a session holds now open none of the messages before them', () => {
    const { alice, bob } = pair()
    const recorded = [0, 1, 2].map(i => alice.seal(Buffer.from(`secret ${i}`)))
    for (const m of recorded) bob.open(m)
    // An attacker takes both sides' state now, and derives every key forward from it.
    const stolen = [alice.snapshot().send, bob.snapshot().recv]
    assert.deepEqual(stolen[0], stolen[1]) // both sides hold the same chain (the attack is on the real key)
    let chain = stolen[0]!
    for (let step = 0; step < 50; step++) {
      const { messageKey, next } = stepChain(chain)
      for (const m of recorded) {
        for (const dir of [0, 1]) {
          const aad = Buffer.alloc(9)
          aad[0] = dir
          aad.writeBigUInt64BE(BigInt(m.n), 1)
          assert.throws(() => open(messageKey, Buffer.alloc(12), m.c, aad))
        }
      }
      chain = next
    }
    // ... while the same chain does open what is sent next (the test can tell keys apart).
    const next = alice.seal(Buffer.from('later'))
    const aad = Buffer.alloc(9)
    aad.writeBigUInt64BE(BigInt(next.n), 1)
    assert.equal(open(stepChain(stolen[0]!).messageKey, Buffer.alloc(12), next.c, aad).toString(), 'later')
    assert.ok(seal) // the AEAD is the share format's
  })

  it('refuses hellos that are forged, meant elsewhere, stale, or for another connection', () => {
    const a = account()
    const b = account()
    const eph = new Ephemeral()
    const good = makeHello(a, { to: b.id, eph, addr: null, fromNode: NODE_A, toNode: NODE_B })
    const expect = { role: 'initiator' as const, to: b.id, fromNode: NODE_A, toNode: NODE_B }
    assert.equal(checkHello(good, expect).from, a.id)
    const code = (h: unknown, e: typeof expect = expect): string => { try { checkHello(h, e); return 'accepted' } catch (err) { return (err as SessionError).code } }
    assert.equal(code({ ...good, eph: randomBytes(32).toString('hex') }), 'bad-signature')
    assert.equal(code({ ...good, from: account().id }), 'bad-signature')
    assert.equal(code(good, { ...expect, to: account().id }), 'wrong-account')
    assert.equal(code(good, { ...expect, fromNode: 'c'.repeat(64) }), 'wrong-node')
    assert.equal(code(makeHello(a, { to: b.id, eph, addr: null, fromNode: NODE_A, toNode: NODE_B, now: Date.now() - 3600_000 })), 'stale-hello')
    assert.equal(code({ ...good, addr: 'x'.repeat(10_000) }), 'bad-hello')
    assert.equal(code('not a hello'), 'bad-hello')
    assert.equal(code(null), 'bad-hello')
    assert.equal(code({ ...good, peerEph: eph.hex }), 'bad-hello')
  })
})

describe('knock limits', () => {
  it('limit each account, and all strangers together, and refill', () => {
    let now = 0
    const l = new KnockLimiter({ perAccount: 2, total: 5, refillMs: 1000 }, () => now)
    assert.equal(l.take('a'), undefined)
    assert.equal(l.take('a'), undefined)
    assert.equal(l.take('a'), 'account')
    assert.equal(l.take('b'), undefined)
    assert.equal(l.take('c'), undefined)
    assert.equal(l.take('d'), undefined)
    assert.equal(l.take('e'), 'total')
    now += 1000
    assert.equal(l.take('e'), undefined)
    assert.equal(l.take('a'), 'total')
  })
})

describe('locator records', () => {
  it('name the node for its account only, and nothing once altered', () => {
    const a = account('secp256k1')
    const rec = locatorRecord(a, NODE_A, 'tcp:127.0.0.1:9')
    assert.deepEqual(readLocator(a.id, rec), { address: 'tcp:127.0.0.1:9', node: NODE_A })
    assert.equal(readLocator(account().id, rec), null)
    const edited = Buffer.from(Buffer.from(rec).toString().replace('127.0.0.1:9', '127.0.0.1:8'))
    assert.equal(readLocator(a.id, edited), null)
    assert.equal(readLocator(a.id, Buffer.from('{')), null)
    assert.equal(readLocator(a.id, rec, Date.now() + 7 * 3600_000), null)
  })
})
