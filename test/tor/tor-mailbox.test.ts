// Offline delivery through DHT mailboxes over onion services on the private Tor network
// (src/onion/tor/testnet.ts; nothing touches the real Tor network): alice and bob, contacts,
// exchange mailbox keys over onion; bob stops, alice's whisper is left in his mailbox (DHT records
// held by carol, a third daemon), alice stops too; bob comes back and reads it from the DHT over
// onion streams, with alice gone. (The TCP test checks that the holder's bytes name no one.)
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ohtJson } from '../helpers/cli.ts'

const suite = torSuite('oht-tor-mailbox-')

describe('offline delivery through DHT mailboxes over Tor', { timeout: 600_000 }, () => {
  it('a whisper to an offline contact waits in its mailbox and is read when it comes back, the sender gone', async () => {
    const ids: Record<string, string> = {}
    for (const name of ['alice', 'bob']) ids[name] = (await ohtJson<{ id: string }>(join(suite.dir, name), ['account', 'create'])).value.id
    const carol = await startDaemon(join(suite.dir, 'carol'), torArgs(suite.clients[0]!), 120_000)
    suite.daemons.push(carol)
    const start = async (name: 'alice' | 'bob', client: number): Promise<Daemon> => {
      const d = await startDaemon(join(suite.dir, name), [...torArgs(suite.clients[client]!), '--bootstrap', carol.address], 120_000, ['--presence-interval', '5s'])
      suite.daemons.push(d)
      return d
    }
    const alice = await start('alice', 0)
    let bob = await start('bob', 1)

    const aliceReady = await nextEvent(alice, e => e.type === 'mailbox-ready')
    const bobReady = await nextEvent(bob, e => e.type === 'mailbox-ready')
    await ohtJson(alice.dataDir, ['contact', 'add', ids.bob!, 'bob', '--address', bob.address])
    await ohtJson(bob.dataDir, ['contact', 'add', ids.alice!, 'alice', '--address', alice.address])
    await Promise.all([aliceReady.event, bobReady.event])
    aliceReady.close()
    bobReady.close()

    await bob.stop()
    const w = await ohtJson<{ id: string, state: string }>(alice.dataDir, ['whisper', 'bob', 'left in the DHT, over onion'], { timeoutMs: 300_000 })
    assert.equal(w.value.state, 'mailboxed')
    await alice.stop()

    bob = await start('bob', 1)
    const check = await ohtJson<{ received: number }>(bob.dataDir, ['contact', 'mailbox'], { timeoutMs: 300_000 })
    assert.ok(check.value.received <= 1)
    const log = (await ohtJson<{ messages: Array<{ id: string, direction: string, text: string }> }>(bob.dataDir, ['whisper', 'alice'])).value.messages
    assert.deepEqual(log.map(m => [m.id, m.direction, m.text]), [[w.value.id, 'in', 'left in the DHT, over onion']])
  })
})
