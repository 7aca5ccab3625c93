import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { ristretto255 } from '@noble/curves/ed25519.js'
import { FrameReader, memoryDuplexPair, writeFrame } from '../../src/onion/index.ts'
import {
  InviteError, InviteHost, encodeMessage, decodeMessage, Pake, PakeError, parseCode, receiveInvite, tagsEqual, INVITE_WORDS, formatCode,
  type InviteBoard, type Rendezvous, type Offer
} from '../../src/people/invite/index.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const sid = new Uint8Array(randomBytes(16))

describe('invite PAKE (CPace over ristretto255)', () => {
  test('the same code on both sides gives the same keys', () => {
    const r = new Pake('receiver', enc('7-guitar-nebula'), sid)
    const s = new Pake('sender', enc('7-guitar-nebula'), sid)
    const kr = r.finish(s.share)
    const ks = s.finish(r.share)
    assert.ok(tagsEqual(kr.senderConfirm, ks.senderConfirm))
    assert.ok(tagsEqual(kr.receiverConfirm, ks.receiverConfirm))
    assert.deepEqual(kr.offerKey, ks.offerKey)
    assert.notDeepEqual(kr.senderConfirm, kr.receiverConfirm)
  })

  test('a wrong code gives keys that fail confirmation both ways', () => {
    const r = new Pake('receiver', enc('7-guitar-nebulae'), sid)
    const s = new Pake('sender', enc('7-guitar-nebula'), sid)
    const kr = r.finish(s.share)
    const ks = s.finish(r.share)
    assert.ok(!tagsEqual(kr.senderConfirm, ks.senderConfirm))
    assert.ok(!tagsEqual(kr.receiverConfirm, ks.receiverConfirm))
    assert.notDeepEqual(kr.offerKey, ks.offerKey)
  })

  test('another session id with the right code fails too', () => {
    const r = new Pake('receiver', enc('7-guitar-nebula'), sid)
    const s = new Pake('sender', enc('7-guitar-nebula'), new Uint8Array(16))
    assert.ok(!tagsEqual(r.finish(s.share).senderConfirm, s.finish(r.share).senderConfirm))
  })

  test('a share changed in transit (another valid point) fails confirmation', () => {
    const r = new Pake('receiver', enc('7-guitar-nebula'), sid)
    const s = new Pake('sender', enc('7-guitar-nebula'), sid)
    const tampered = ristretto255.Point.fromBytes(s.share).add(ristretto255.Point.BASE).toBytes()
    const kr = r.finish(tampered)
    const ks = s.finish(r.share)
    assert.ok(!tagsEqual(kr.senderConfirm, ks.senderConfirm))
    assert.ok(!tagsEqual(kr.receiverConfirm, ks.receiverConfirm))
  })

  test('the identity, a non-point and a short share are refused', () => {
    const r = new Pake('receiver', enc('7-guitar-nebula'), sid)
    assert.throws(() => r.finish(new Uint8Array(32)), PakeError)
    assert.throws(() => r.finish(new Uint8Array(32).fill(0xff)), PakeError)
    assert.throws(() => r.finish(new Uint8Array(31)), PakeError)
  })
})

describe('invite codes', () => {
  test('a code reads as people type it, and formats back', () => {
    const code = parseCode('  7 Guitar-NEBULA ')
    assert.equal(formatCode(code), '7-guitar-nebula')
    assert.equal(INVITE_WORDS.length, 256)
    assert.equal(new Set(INVITE_WORDS).size, 256)
  })

  test('malformed codes are one clear error each', () => {
    for (const bad of ['', 'guitar-nebula', '7-guitar', '7-guitar-nebula-comet', '0-guitar-nebula', '123456-guitar-nebula', '7-guitar-nebulla']) {
      assert.throws(() => parseCode(bad), (err: Error) => err.name === 'InviteCodeError' && !err.message.includes('\n'), bad)
    }
  })
})

/** A DHT stand-in (a map) and endpoints joined by in-memory stream pairs. */
function world (): { board: InviteBoard, rendezvous: Rendezvous, records: Map<string, Uint8Array>, raw: (address: string) => Duplex } {
  const records = new Map<string, Uint8Array>()
  const endpoints = new Map<string, (s: Duplex) => void>()
  let n = 0
  const raw = (address: string): Duplex => {
    const handler = endpoints.get(address)
    if (handler == null) throw new Error('refused')
    const [a, b] = memoryDuplexPair()
    handler(a)
    return b
  }
  return {
    records,
    raw,
    board: {
      put: async (h, v) => { records.set(Buffer.from(h).toString('hex'), v) },
      get: async h => records.get(Buffer.from(h).toString('hex')) ?? null
    },
    rendezvous: {
      open: async handler => {
        const address = `mem:invite-${++n}`
        endpoints.set(address, handler)
        return { address, close: async () => { endpoints.delete(address) } }
      },
      dial: async address => raw(address)
    }
  }
}

const offer: Offer = { link: 'oht://bafyexample#key', name: 'holiday.mkv', bytes: 1234, peers: ['tcp:127.0.0.1:4001'] }
/** Fails at once, naming what did not happen, instead of hanging until the exchange deadline (120 s) or the test's. */
async function within<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`not within ${ms} ms: ${what}`)) }, ms) })
  try { return await Promise.race([p, late]) } finally { clearTimeout(timer) }
}

const rejects = (code: string) => (err: unknown): boolean => {
  assert.ok(err instanceof InviteError, String(err))
  assert.equal(err.code, code, err.message)
  assert.ok(!err.message.includes('\n'))
  return true
}

describe('invite exchange', () => {
  test('the right code gets the offer once; the code is then used', async () => {
    const w = world()
    const host = new InviteHost({ board: w.board, rendezvous: w.rendezvous })
    const info = await host.open(offer)
    assert.match(info.code, /^\d+-[a-z]+-[a-z]+$/)
    assert.deepEqual(await receiveInvite(parseCode(info.code), w), offer)
    assert.equal((await host.waitClosed(info.id)).state, 'used')
    await assert.rejects(receiveInvite(parseCode(info.code), w), rejects('invite.used'))
  })

  test('a wrong code fails, closes the code, and the right one then fails too', async () => {
    const w = world()
    const host = new InviteHost({ board: w.board, rendezvous: w.rendezvous })
    const info = await host.open(offer)
    const [plate, first] = info.code.split('-')
    const other = INVITE_WORDS.find(x => x !== first)!
    await assert.rejects(receiveInvite(parseCode(`${plate}-${other}-${info.code.split('-')[2]}`), w), rejects('invite.wrongCode'))
    // One guess: the code closes right after the wrong one (a second guess is never weighed).
    const closed = await within(host.waitClosed(info.id), 5000, 'the code closed after one wrong guess')
    assert.equal(closed.state, 'wrong-code')
    assert.equal(closed.failures, 1)
    await assert.rejects(receiveInvite(parseCode(info.code), w), rejects('invite.closedWrongCode'))
  })

  test('an expired code fails (injected clock), at the record and at the endpoint', async () => {
    const w = world()
    let now = 1_000_000
    const host = new InviteHost({ board: w.board, rendezvous: w.rendezvous, now: () => now })
    const info = await host.open(offer, 60_000)
    now += 61_000
    // The receiver's clock sees the record's expiry...
    await assert.rejects(receiveInvite(parseCode(info.code), { ...w, now: () => now }), rejects('invite.expired'))
    // ...and a receiver with a slow clock reaches the endpoint, which refuses and closes the code.
    await assert.rejects(receiveInvite(parseCode(info.code), { ...w, now: () => 0 }), rejects('invite.expired'))
    assert.equal((await host.waitClosed(info.id)).state, 'expired')
    await host.stop()
  })

  test('garbage before the PAKE ends that exchange and costs no attempt', async () => {
    const w = world()
    const host = new InviteHost({ board: w.board, rendezvous: w.rendezvous })
    const info = await host.open(offer)
    const junk = w.raw('mem:invite-1')
    junk.on('error', () => {})
    await writeFrame(junk, new Uint8Array([0xff, 0x00, 0x13]))
    junk.resume()
    await new Promise(resolve => junk.once('end', resolve))
    assert.equal(host.get(info.id).failures, 0)
    assert.equal(host.get(info.id).state, 'open')
    assert.deepEqual(await receiveInvite(parseCode(info.code), w), offer)
  })

  test('an oversized frame or a share that is no point (or the identity) costs no attempt', async () => {
    const w = world()
    const host = new InviteHost({ board: w.board, rendezvous: w.rendezvous })
    const info = await host.open(offer)
    const big = w.raw('mem:invite-1')
    big.on('error', () => {})
    big.write(Buffer.from([0x00, 0x01, 0x00, 0x00])) // a 64 KiB frame announced, never sent
    big.resume()
    // Refused at the length, not after the exchange deadline (120 s) of a reader that waits for it.
    await within(new Promise(resolve => big.once('close', resolve)), 5000, 'the oversized frame was refused at its length')
    for (const y of [new Uint8Array(32).fill(0xff), new Uint8Array(32)]) {
      const bad = w.raw('mem:invite-1')
      bad.on('error', () => {})
      await writeFrame(bad, encodeMessage({ t: 'hello', y }))
      const frames = new FrameReader(bad)
      const answer = await within(frames.next(), 5000, 'the sender answered or hung up')
      assert.equal(answer, null, `a hello with ${Buffer.from(y).toString('hex').slice(0, 8)}… got an answer: the share was taken`)
    }
    assert.deepEqual({ state: host.get(info.id).state, failures: host.get(info.id).failures }, { state: 'open', failures: 0 })
    await host.stop()
  })

  test('a receiver that breaks off after the sender\'s PAKE message has spent its guess: the code closes', async () => {
    const w = world()
    const host = new InviteHost({ board: w.board, rendezvous: w.rendezvous })
    const info = await host.open(offer)
    const s = w.raw('mem:invite-1')
    s.on('error', () => {})
    await writeFrame(s, encodeMessage({ t: 'hello', y: new Pake('receiver', enc('1-acorn-actor'), sid).share }))
    const answer = decodeMessage((await new FrameReader(s).next())!)
    assert.equal(answer.t, 'pake')
    s.destroy()
    const closed = await within(host.waitClosed(info.id), 5000, 'the code closed after the broken-off run')
    assert.deepEqual({ state: closed.state, failures: closed.failures }, { state: 'wrong-code', failures: 1 })
    await assert.rejects(receiveInvite(parseCode(info.code), w), rejects('invite.closedWrongCode'))
  })

  test('a code for a nameplate nobody uses is not found', async () => {
    const w = world()
    await assert.rejects(receiveInvite(parseCode('42-guitar-nebula'), w), rejects('invite.notFound'))
  })
})
