// Contacts and whispers over onion services on the private Tor network (src/onion/tor/testnet.ts;
// nothing touches the real Tor network): two daemons on two client tors become contacts through
// a request (the requester knows only the account id: the node is found through the DHT locator
// record, over onion streams) and an acceptance, then whisper both ways with delivery receipts.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { nextEvent, startDaemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'

const suite = torSuite('oht-tor-people-')

describe('contacts and whispers over Tor onion services', { timeout: 400_000 }, () => {
  it('request → accept → whispers both ways, the node found through the DHT', async () => {
    const ids: string[] = []
    for (const name of ['alice', 'bob']) ids.push((await ohtJson<{ id: string }>(join(suite.dir, name), ['account', 'create'])).value.id)
    const [aliceId, bobId] = ids as [string, string]
    const alice = await startDaemon(join(suite.dir, 'alice'), torArgs(suite.clients[0]!), 120_000, ['--presence-interval', '5s'])
    suite.daemons.push(alice)
    const bob = await startDaemon(join(suite.dir, 'bob'), [...torArgs(suite.clients[1]!), '--bootstrap', alice.address], 120_000)
    suite.daemons.push(bob)

    const asked = await nextEvent(alice, e => e.type === 'contact-request')
    // Alice started alone: her locator record stored nowhere until her next presence round after
    // Bob joined (--presence-interval 5s). Until then the request says the DHT has no record; ask
    // again (bounded) while that is the answer.
    let request = await oht(bob.dataDir, ['contact', 'request', aliceId, 'hello from bob', '--name', 'alice'], { json: true, timeoutMs: 180_000 })
    for (let i = 0; i < 20 && request.code !== 0 && /no locator record/.test(request.stderr); i++) {
      await new Promise(resolve => setTimeout(resolve, 3000))
      request = await oht(bob.dataDir, ['contact', 'request', aliceId, 'hello from bob', '--name', 'alice'], { json: true, timeoutMs: 180_000 })
    }
    assert.equal(request.code, 0, request.stderr)
    assert.equal((JSON.parse(request.stdout.trim()) as { contact: { petname: string } }).contact.petname, 'alice')
    const e = await asked.event
    asked.close()
    assert.ok(e.type === 'contact-request' && e.account === bobId && e.text === 'hello from bob')

    const accepted = await nextEvent(bob, e => e.type === 'contact-accepted')
    const a = await ohtJson<{ delivered: boolean }>(alice.dataDir, ['contact', 'accept', bobId, '--name', 'bob'], { timeoutMs: 180_000 })
    assert.equal(a.value.delivered, true)
    await accepted.event
    accepted.close()

    const got = await nextEvent(alice, e => e.type === 'message')
    assert.equal((await ohtJson<{ state: string }>(bob.dataDir, ['whisper', 'alice', 'over onion'], { timeoutMs: 180_000 })).value.state, 'delivered')
    const m = await got.event
    got.close()
    assert.ok(m.type === 'message' && m.contact === 'bob' && m.text === 'over onion')
    assert.equal((await ohtJson<{ state: string }>(alice.dataDir, ['whisper', 'bob', 'and back'], { timeoutMs: 180_000 })).value.state, 'delivered')
    const log = (await ohtJson<{ messages: Array<{ text: string, direction: string }> }>(bob.dataDir, ['whisper', 'alice'])).value.messages
    assert.deepEqual(log.map(x => [x.direction, x.text]), [['out', 'over onion'], ['in', 'and back']])
  })
})
