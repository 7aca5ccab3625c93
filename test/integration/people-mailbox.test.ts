// Offline delivery through DHT mailboxes between real `oht daemon` processes on 127.0.0.1 (TCP):
// two contacts exchange mailbox keys while both are online; bob goes away, alice's whisper is
// left in bob's mailbox, alice goes away too; bob comes back and reads it from the DHT (alice is
// not there to deliver it), and its receipt waits in alice's mailbox until alice comes back. The
// DHT node that held both records (an in-process node over the same TCP transport, the others'
// bootstrap) never stored a byte naming either account, the text, or the petnames.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAccounts, nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ohtJson } from '../helpers/cli.ts'
import { acceptHandshakes, dialPeer, TcpTransport } from '../../src/onion/index.ts'
import { DhtNode, DHT_PROTOCOL, MemoryRoutingTableStore, type Dialer } from '../../src/dht/index.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'
import { PRIVATE_VALUE_OVERHEAD } from '../../src/dht/private-values.ts'
import { MAILBOX_RECORD_BYTES } from '../../src/people/index.ts'

let dir = ''
const d: Partial<Record<'alice' | 'bob', Daemon>> = {}
const ids: Record<string, string> = {}
/** Every record the holder was asked to keep: all its fields' bytes, and the size of its value. */
const stored: Array<{ bytes: Buffer, valueBytes: number }> = []
let holder: { dht: DhtNode, transport: TcpTransport }

async function startHolder (): Promise<typeof holder> {
  const keys = generateNodeKeys()
  const transport = new TcpTransport({ listen: '127.0.0.1:0' })
  const dial: Dialer = async (target, signal) => await dialPeer(transport, target.address, { keys, protocol: DHT_PROTOCOL, signal, ...(target.nodeId === undefined ? {} : { expectedNodeId: target.nodeId }) })
  let dht: DhtNode | null = null
  const address = await transport.listen(acceptHandshakes({ keys, protocols: [DHT_PROTOCOL] }, session => {
    if (dht === null) session.stream.destroy()
    else dht.handleStream(session)
  }))
  dht = new DhtNode({ keys, address, dial, routingStore: new MemoryRoutingTableStore(), config: { rpcTimeoutMs: 5_000, dialTimeoutMs: 5_000 } })
  // Every record this node is asked to hold, as the bytes it keeps (all its fields).
  const put = dht.records.putValue.bind(dht.records)
  dht.records.putValue = (record, from, now) => {
    stored.push({ bytes: Buffer.concat(Object.values(record).map(v => v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v)))), valueBytes: record.value.length })
    put(record, from, now)
  }
  await dht.start()
  return { dht, transport }
}

const daemon = async (name: 'alice' | 'bob'): Promise<Daemon> => await startDaemon(join(dir, name), ['--bootstrap', holder.dht.address!], 60_000, ['--presence-interval', '2s'])

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-mailbox-'))
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob']))
  holder = await startHolder()
  d.alice = await daemon('alice')
  d.bob = await daemon('bob')
})

after(async () => {
  await Promise.all(Object.values(d).map(async x => { await x?.stop() }))
  await holder?.dht.stop()
  await holder?.transport.close()
  await rm(dir, { recursive: true, force: true })
})

describe('offline delivery through DHT mailboxes', { timeout: 240_000 }, () => {
  it('contacts added both ways exchange mailbox keys at their first direct session', async () => {
    const aliceReady = await nextEvent(d.alice!, e => e.type === 'mailbox-ready')
    const bobReady = await nextEvent(d.bob!, e => e.type === 'mailbox-ready')
    await ohtJson(d.alice!.dataDir, ['contact', 'add', ids.bob!, 'bobby', '--address', d.bob!.address])
    await ohtJson(d.bob!.dataDir, ['contact', 'add', ids.alice!, 'ally', '--address', d.alice!.address])
    await Promise.all([aliceReady.event, bobReady.event])
    aliceReady.close()
    bobReady.close()
    const list = (await ohtJson<{ contacts: Array<{ petname: string, mailbox: boolean }> }>(d.alice!.dataDir, ['contact', 'list'])).value.contacts
    assert.deepEqual(list.map(c => [c.petname, c.mailbox]), [['bobby', true]])
  })

  it('a whisper to an offline contact is left in its mailbox, read when it is back, and the receipt waits in the sender\'s', async () => {
    await d.bob!.stop()
    const w = await ohtJson<{ id: string, state: string }>(d.alice!.dataDir, ['whisper', 'bobby', 'the key is under the blue pot'], { timeoutMs: 90_000 })
    assert.equal(w.value.state, 'mailboxed')
    await d.alice!.stop()

    // Only the mailbox can bring it: alice is not running.
    d.bob = await daemon('bob')
    const check = await ohtJson<{ received: number }>(d.bob.dataDir, ['contact', 'mailbox'], { timeoutMs: 90_000 })
    assert.ok(check.value.received <= 1)
    const bobLog = (await ohtJson<{ messages: Array<{ id: string, direction: string, text: string, state: string }> }>(d.bob.dataDir, ['whisper', 'ally'])).value.messages
    assert.deepEqual(bobLog.map(m => [m.id, m.direction, m.text, m.state]), [[w.value.id, 'in', 'the key is under the blue pot', 'received']])
    await d.bob.stop()

    // Its receipt came through alice's mailbox: bob is not running either.
    d.alice = await daemon('alice')
    await ohtJson(d.alice.dataDir, ['contact', 'mailbox'], { timeoutMs: 90_000 })
    const aliceLog = (await ohtJson<{ messages: Array<{ id: string, state: string }> }>(d.alice.dataDir, ['whisper', 'bobby'])).value.messages
    assert.deepEqual(aliceLog.map(m => [m.id, m.state]), [[w.value.id, 'delivered']])
  })

  it('the DHT node that held the mailboxes stored nothing naming either side, and records of one size', () => {
    const mailboxRecords = stored.filter(r => r.valueBytes === MAILBOX_RECORD_BYTES + PRIVATE_VALUE_OVERHEAD)
    assert.ok(mailboxRecords.length >= 2, `the whisper and its receipt were held (${stored.length} records)`)
    for (const { bytes: b } of stored) {
      for (const id of [ids.alice!, ids.bob!]) {
        assert.equal(b.includes(id), false)
        assert.equal(b.includes(Buffer.from(id, 'hex')), false)
      }
      for (const text of ['blue pot', 'bobby', 'ally', 'alice', '"whisper"']) assert.equal(b.includes(text), false, text)
    }
  })
})
