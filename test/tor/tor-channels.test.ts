// Channels over onion services on the private Tor network (src/onion/tor/testnet.ts; nothing
// touches the real Tor network): alice creates a private channel and authorizes bob and carol;
// bob joins knowing only the channel id (alice found under the channel's DHT topic, over onion
// streams), carol through bob; a post reaches both other members; carol, removed, cannot read
// what follows.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'
import type { ChannelReading, ChannelSummary } from '../../src/people/channels/index.ts'

const suite = torSuite('oht-tor-channels-', 3)

describe('channels over Tor onion services', { timeout: 600_000 }, () => {
  it('create, join through the DHT and through a member, post to all, remove a member', async () => {
    const ids: Record<string, string> = {}
    const d: Record<string, Daemon> = {}
    for (const name of ['alice', 'bob', 'carol']) ids[name] = (await ohtJson<{ id: string }>(join(suite.dir, name), ['account', 'create'])).value.id
    d.alice = await startDaemon(join(suite.dir, 'alice'), torArgs(suite.clients[0]!), 120_000, ['--channel-sync', '5s'])
    suite.daemons.push(d.alice)
    for (const [i, name] of [[1, 'bob'], [2, 'carol']] as const) {
      d[name] = await startDaemon(join(suite.dir, name), [...torArgs(suite.clients[i]!), '--bootstrap', d.alice.address], 120_000, ['--channel-sync', '5s'])
      suite.daemons.push(d[name])
    }
    const { alice, bob, carol } = d as Record<'alice' | 'bob' | 'carol', Daemon>
    const channel = (await ohtJson<ChannelSummary>(alice.dataDir, ['channel', 'create', 'hidden club', '--private'])).value.id
    await ohtJson(alice.dataDir, ['channel', 'invite', channel, ids.bob!])
    await ohtJson(alice.dataDir, ['channel', 'invite', channel, ids.carol!])

    // Bob knows only the id. Alice's provider record may be stored nowhere until her next sync
    // round after the others joined the DHT: ask again (bounded) while no member is found.
    let joined = await oht(bob.dataDir, ['channel', 'join', channel], { json: true, timeoutMs: 240_000 })
    for (let i = 0; i < 20 && joined.code !== 0 && /no member of channel/.test(joined.stderr); i++) {
      await new Promise(resolve => setTimeout(resolve, 3000))
      joined = await oht(bob.dataDir, ['channel', 'join', channel], { json: true, timeoutMs: 240_000 })
    }
    assert.equal(joined.code, 0, joined.stderr)
    await ohtJson(carol.dataDir, ['channel', 'join', channel, '--peer', bob.address], { timeoutMs: 240_000 })

    const matches = (text: string) => (e: { type: string, post?: { text?: string } }): boolean => e.type === 'channel-post' && e.post?.text === text
    const atAlice = await nextEvent(alice, matches('over onion') as never)
    const atCarol = await nextEvent(carol, matches('over onion') as never)
    await ohtJson(bob.dataDir, ['channel', 'post', channel, 'over onion'])
    await atAlice.event
    await atCarol.event
    atAlice.close()
    atCarol.close()

    assert.equal((await ohtJson<{ rotated: boolean }>(alice.dataDir, ['channel', 'revoke', channel, ids.carol!])).value.rotated, true)
    await ohtJson(bob.dataDir, ['channel', 'sync', channel, '--peer', alice.address], { timeoutMs: 240_000 })
    await ohtJson(bob.dataDir, ['channel', 'post', channel, 'without carol'])
    await ohtJson(carol.dataDir, ['channel', 'sync', channel, '--peer', bob.address], { timeoutMs: 240_000 })
    const r = (await ohtJson<ChannelReading>(carol.dataDir, ['channel', 'read', channel])).value
    assert.deepEqual(r.posts.map(p => p.text ?? (p.unreadable === true ? 'UNREADABLE' : '?')), ['over onion', 'UNREADABLE'])
    assert.equal(r.summary.role, null)
  })
})
