// Contacts and whispers between real `oht daemon` processes on 127.0.0.1 (TCP transport): a
// request found through the DHT locator, accepted, contacts on both sides under their petnames;
// whispers both ways with receipts; a stranger's flood rate-limited; a rejected account refused
// for good; hostile frames on the `people` protocol answered with one clear error.
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAccounts, nextEvent, startDaemon, startNamedDaemons, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'
import { FrameReader, initiateHandshake, TcpTransport } from '../../src/onion/index.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'

let dir = ''
const d: Record<'alice' | 'bob' | 'carol', Daemon> = {} as never
const ids: Record<string, string> = {}


before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-people-'))
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob', 'carol']))
  const presence = ['--presence-interval', '2s']
  await startNamedDaemons(dir, ['alice', 'bob', 'carol'], d, { alice: presence, bob: presence })
})

after(async () => {
  await Promise.all(Object.values(d).map(async x => { await x?.stop() }))
  await rm(dir, { recursive: true, force: true })
})

describe('contacts and whispers between daemons', { timeout: 240_000 }, () => {
  it('a request, found through the DHT, accepted: contacts on both sides under the petnames they gave', async () => {
    const received = await nextEvent(d.alice, e => e.type === 'contact-request')
    // bob knows only alice's account id: its node is found through alice's locator record.
    const r = await ohtJson<{ contact: { petname: string, state: string } }>(d.bob.dataDir, ['contact', 'request', ids.alice!, 'hi, I am "Bob the Great"', '--name', 'ally'], { timeoutMs: 90_000 })
    assert.equal(r.value.contact.petname, 'ally')
    assert.equal(r.value.contact.state, 'requested')
    const e = await received.event
    received.close()
    assert.equal(e.type === 'contact-request' && e.account, ids.bob)
    const waiting = (await ohtJson<{ requests: Array<{ account: string, text: string }> }>(d.alice.dataDir, ['contact', 'list'])).value.requests
    assert.deepEqual(waiting.map(w => [w.account, w.text]), [[ids.bob, 'hi, I am "Bob the Great"']])

    const accepted = await nextEvent(d.bob, e => e.type === 'contact-accepted')
    const a = await ohtJson<{ contact: { petname: string }, delivered: boolean }>(d.alice.dataDir, ['contact', 'accept', ids.bob!.slice(0, 10), '--name', 'bobby'])
    assert.equal(a.value.delivered, true)
    await accepted.event
    accepted.close()
    const aliceSees = (await ohtJson<{ contacts: Array<{ petname: string, account: string, state: string }>, requests: unknown[] }>(d.alice.dataDir, ['contact', 'list'])).value
    assert.deepEqual(aliceSees.contacts.map(c => [c.petname, c.account, c.state]), [['bobby', ids.bob, 'approved']])
    assert.equal(aliceSees.requests.length, 0)
    const bobSees = (await ohtJson<{ contacts: Array<{ petname: string, account: string, state: string }> }>(d.bob.dataDir, ['contact', 'list'])).value
    assert.deepEqual(bobSees.contacts.map(c => [c.petname, c.account, c.state]), [['ally', ids.alice, 'approved']])
    // Shown by the petname given, never by the name the requester chose.
    const text = await oht(d.alice.dataDir, ['contact', 'list'])
    assert.match(text.stdout, /^bobby /m)
    assert.doesNotMatch(text.stdout, /Bob the Great/)
  })

  it('whispers both ways, with receipts, sealed at rest', async () => {
    const got = await nextEvent(d.alice, e => e.type === 'message')
    const w = await ohtJson<{ state: string }>(d.bob.dataDir, ['whisper', 'ally', 'meet at noon, the blue door'])
    assert.equal(w.value.state, 'delivered')
    const e = await got.event
    got.close()
    assert.ok(e.type === 'message' && e.contact === 'bobby' && e.text === 'meet at noon, the blue door')
    const back = await ohtJson<{ state: string }>(d.alice.dataDir, ['whisper', 'bobby', 'see you there'])
    assert.equal(back.value.state, 'delivered')
    // A delivered session is presence: each sees the other online.
    const online = (await ohtJson<{ contacts: Array<{ petname: string, online: boolean }> }>(d.alice.dataDir, ['contact', 'list'])).value.contacts
    assert.deepEqual(online.map(c => [c.petname, c.online]), [['bobby', true]])
    const log = (await ohtJson<{ messages: Array<{ direction: string, text: string, state: string }> }>(d.bob.dataDir, ['whisper', 'ally'])).value.messages
    assert.deepEqual(log.map(m => [m.direction, m.text, m.state]), [['out', 'meet at noon, the blue door', 'delivered'], ['in', 'see you there', 'received']])
    // Nothing identifying in clear in the state directory: no message text, no account id.
    const stateDir = join(d.alice.dataDir, 'state')
    for (const f of await readdir(stateDir)) {
      const bytes = await readFile(join(stateDir, f)).catch(() => Buffer.alloc(0))
      assert.equal(bytes.includes('blue door'), false, f)
      assert.equal(bytes.includes(ids.bob!), false, f)
      assert.equal(bytes.includes('bobby'), false, f)
    }
  })

  it('a whisper to a stranger or to an unknown petname is one clear error', async () => {
    const r = await oht(d.carol.dataDir, ['whisper', 'ally', 'hello?'])
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /no contact "ally"/)
    assert.equal(r.stderr.trim().split('\n').length, 1)
  })

  it('a rejected account cannot retry; a stranger\'s request flood is rate-limited', async () => {
    // One knock, rejected, then a second: well inside the knock limit, so only the refusal stops it.
    const first = await oht(d.carol.dataDir, ['contact', 'request', ids.alice!, 'hello', '--address', d.alice.address])
    assert.equal(first.code, 0, first.stderr)
    const rejected = await ohtJson<{ account: string }>(d.alice.dataDir, ['contact', 'reject', ids.carol!])
    assert.equal(rejected.value.account, ids.carol)
    const again = await oht(d.carol.dataDir, ['contact', 'request', ids.alice!, 'please', '--address', d.alice.address])
    assert.notEqual(again.code, 0, 'a rejected account\'s second request was taken')
    assert.match(again.stderr, /does not take requests from you/)
    const list = (await ohtJson<{ requests: unknown[] }>(d.alice.dataDir, ['contact', 'list'])).value
    assert.equal(list.requests.length, 0)
    // carol, a stranger to bob, floods him: three requests taken, then limited.
    const codes: string[] = []
    for (let i = 0; i < 5; i++) {
      const r = await oht(d.carol.dataDir, ['contact', 'request', ids.bob!, `knock ${i}`, '--address', d.bob.address])
      codes.push(r.code === 0 ? 'ok' : /too many requests/.test(r.stderr) ? 'limited' : r.stderr.trim())
    }
    assert.deepEqual(codes, ['ok', 'ok', 'ok', 'limited', 'limited'])
  })

  it('hostile frames on the people protocol get one clear error, and the daemon goes on', async () => {
    const transport = new TcpTransport()
    const send = async (bytes: Buffer): Promise<string> => {
      const session = await initiateHandshake(await transport.dial(d.alice.address), { keys: generateNodeKeys(), protocol: 'people' })
      const reader = new FrameReader(session.stream, { maxFrameBytes: 64 * 1024 })
      session.stream.write(bytes)
      const frames: string[] = []
      for await (const f of reader) frames.push(f.toString())
      return frames.join('|')
    }
    const frame = (s: string): Buffer => { const b = Buffer.from(s); const p = Buffer.alloc(4); p.writeUInt32BE(b.length); return Buffer.concat([p, b]) }
    assert.match(await send(frame('not json')), /"t":"error","code":"bad-frame"/)
    assert.match(await send(frame(JSON.stringify({ t: 'hello', v: 1 }))), /"code":"bad-hello","reason":"malformed hello"/)
    const huge = Buffer.alloc(4)
    huge.writeUInt32BE(50 * 1024 * 1024)
    // An oversized length is refused as its 4 bytes arrive: the framing layer closes the stream
    // before anything is buffered (no error frame can follow on a destroyed stream).
    // Within 5 s: without the bound the daemon waits for the 50 MiB and the test hung until its timeout.
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('the oversized length was not refused within 5 s')) }, 5000) })
    assert.equal(await Promise.race([send(huge), late]).finally(() => { clearTimeout(timer) }), '')
    await transport.close()
    // Still serving its contacts.
    const w = await ohtJson<{ state: string }>(d.bob.dataDir, ['whisper', 'ally', 'still there?'])
    assert.equal(w.value.state, 'delivered')
  })

  it('presence: a contact that stops goes offline, a whisper to it waits, and is delivered when it is back at a new address', async () => {
    const offline = await nextEvent(d.alice, e => e.type === 'contact-offline')
    await d.bob.stop()
    await offline.event
    offline.close()
    const w = await ohtJson<{ id: string, state: string }>(d.alice.dataDir, ['whisper', 'bobby', 'are you back?'])
    assert.equal(w.value.state, 'mailboxed', 'contacts that met online once have each other\'s mailbox key')
    // bob comes back at another port: alice finds it through its new locator record (or bob reads
    // its mailbox first, and its receipt comes back), sees it
    // online and delivers the queued whisper (a receipt).
    const back = await nextEvent(d.alice, e => e.type === 'receipt' && e.id === w.value.id)
    d.bob = await startDaemon(join(dir, 'bob'), ['--bootstrap', d.alice.address], 60_000, ['--presence-interval', '2s'])
    await back.event
    back.close()
    const log = (await ohtJson<{ messages: Array<{ direction: string, text: string }> }>(d.bob.dataDir, ['whisper', 'ally'])).value.messages
    assert.equal(log.at(-1)?.text, 'are you back?')
  })
})
