// Channels over onion services on the private Tor network (src/onion/tor/testnet.ts; nothing
// touches the real Tor network), six daemons on three client tors: a private channel with three
// writers (alice, who owns it, bob, carol) and two followers (dave, erin). bob joins knowing only
// the channel id (alice found under its DHT topic), the others through a member; a post reaches
// every online member; erin, offline during 20 posts, catches up by herself after a restart; a
// share posted to the channel is fetched and seeded by both followers, and frank, a new member,
// fetches it from the two of them at once; carol, removed, cannot read what follows.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'
import type { ApiEvent } from '../../src/node/api/protocol.ts'
import type { ChannelReading, ChannelSummary } from '../../src/people/channels/index.ts'

const suite = torSuite('oht-tor-channels-', 3)
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const
type Name = typeof NAMES[number]

describe('channels over Tor onion services, six daemons', { timeout: 900_000 }, () => {
  it('three writers, two followers, a late member: delivery to all, catch-up, a share feed, removal', async () => {
    const ids = {} as Record<Name, string>
    const d = {} as Record<Name, Daemon>
    for (const name of NAMES) ids[name] = (await ohtJson<{ id: string }>(join(suite.dir, name), ['account', 'create'])).value.id
    const start = async (name: Name): Promise<Daemon> => {
      const i = NAMES.indexOf(name) % 3
      const extra = name === 'alice' ? [] : ['--bootstrap', d.alice.address]
      const daemon = await startDaemon(join(suite.dir, name), [...torArgs(suite.clients[i]!), ...extra], 180_000, ['--channel-sync', '5s'])
      suite.daemons.push(daemon)
      return daemon
    }
    d.alice = await start('alice')
    for (const name of NAMES.slice(1)) d[name] = await start(name)
    const channel = (await ohtJson<ChannelSummary>(d.alice.dataDir, ['channel', 'create', 'six', '--private'])).value.id
    for (const name of ['bob', 'carol'] as const) await ohtJson(d.alice.dataDir, ['channel', 'invite', channel, ids[name]])
    for (const name of ['dave', 'erin'] as const) await ohtJson(d.alice.dataDir, ['channel', 'invite', channel, ids[name], '--role', 'reader'])

    // bob knows only the id; alice's provider record may be stored nowhere until her next round.
    let joined = await oht(d.bob.dataDir, ['channel', 'join', channel], { json: true, timeoutMs: 240_000 })
    for (let i = 0; i < 20 && joined.code !== 0 && /no member of channel/.test(joined.stderr); i++) {
      await new Promise(resolve => setTimeout(resolve, 3000))
      joined = await oht(d.bob.dataDir, ['channel', 'join', channel], { json: true, timeoutMs: 240_000 })
    }
    assert.equal(joined.code, 0, joined.stderr)
    for (const name of ['carol', 'dave', 'erin'] as const) await ohtJson(d[name].dataDir, ['channel', 'join', channel, '--peer', d.bob.address], { timeoutMs: 240_000 })
    const feeds = { dave: join(suite.dir, 'feed-dave'), erin: join(suite.dir, 'feed-erin') }
    for (const name of ['dave', 'erin'] as const) await ohtJson(d[name].dataDir, ['channel', 'follow', channel, '--auto-fetch', '-o', feeds[name]])

    const postedAt = async (name: Name, text: string): Promise<{ event: Promise<ApiEvent>, close: () => void }> =>
      await nextEvent(d[name], e => e.type === 'channel-post' && e.channel === channel && e.post.text === text)
    const read = async (name: Name): Promise<ChannelReading> => (await ohtJson<ChannelReading>(d[name].dataDir, ['channel', 'read', channel])).value

    // A post of each writer reaches every other member.
    for (const [writer, text] of [['bob', 'from bob'], ['carol', 'from carol'], ['alice', 'from alice']] as const) {
      const waits = await Promise.all(NAMES.filter(n => n !== writer && n !== 'frank').map(async n => await postedAt(n, text)))
      await ohtJson(d[writer].dataDir, ['channel', 'post', channel, text])
      for (const w of waits) { await w.event; w.close() }
    }

    // erin is offline during 20 posts, then catches up by her own sync round.
    await d.erin.stop()
    for (let i = 0; i < 20; i++) await ohtJson(d.carol.dataDir, ['channel', 'post', channel, `while erin was away ${i}`])
    d.erin = await start('erin')
    const last = await postedAt('erin', 'while erin was away 19')
    if (!(await read('erin')).posts.some(p => p.text === 'while erin was away 19')) await last.event
    last.close()
    assert.equal((await read('erin')).posts.filter(p => p.text?.startsWith('while erin was away') === true).length, 20)

    // A share posted to the channel: both followers fetch and seed it.
    const file = join(suite.dir, 'film.bin')
    const content = randomBytes(6 * 1024 * 1024)
    await writeFile(file, content)
    const { value: shared } = await ohtJson<{ link: string }>(d.alice.dataDir, ['share', file], { timeoutMs: 240_000 })
    const seeding = await Promise.all((['dave', 'erin'] as const).map(async n => await nextEvent(d[n], e => e.type === 'transfer:state' && (e.state === 'seeding' || e.state === 'complete'))))
    await ohtJson(d.alice.dataDir, ['channel', 'post', channel, '--link', shared.link, '--title', 'the film', '--size', String(content.length)])
    for (const s of seeding) { await s.event; s.close() }
    for (const name of ['dave', 'erin'] as const) assert.ok((await readFile(join(feeds[name], 'film.bin'))).equals(content))

    // frank, a new member, fetches it from the two followers at once (not from alice).
    await ohtJson(d.alice.dataDir, ['channel', 'invite', channel, ids.frank, '--role', 'reader'])
    await ohtJson(d.frank.dataDir, ['channel', 'join', channel, '--peer', d.alice.address], { timeoutMs: 240_000 })
    const link = (await read('frank')).posts.find(p => p.kind === 'share')!.link!
    const got = await ohtJson<{ path: string, peers: number }>(d.frank.dataDir, ['fetch', link, '--peer', d.dave.address, '--peer', d.erin.address, '-o', join(suite.dir, 'frank-out')], { timeoutMs: 400_000 })
    assert.ok((await readFile(got.value.path)).equals(content))
    assert.equal(got.value.peers, 2, 'both followers served blocks')

    // carol is removed: what follows is unreadable to her.
    assert.equal((await ohtJson<{ rotated: boolean }>(d.alice.dataDir, ['channel', 'revoke', channel, ids.carol])).value.rotated, true)
    const atBob = await postedAt('bob', 'without carol')
    await ohtJson(d.alice.dataDir, ['channel', 'post', channel, 'without carol'])
    await atBob.event
    atBob.close()
    await ohtJson(d.carol.dataDir, ['channel', 'sync', channel, '--peer', d.alice.address], { timeoutMs: 240_000 })
    const r = await read('carol')
    assert.equal(r.posts.at(-1)!.unreadable, true)
    assert.equal(r.summary.role, null)
  })
})
