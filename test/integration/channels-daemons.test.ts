// Channels between real `oht daemon` processes on 127.0.0.1 (TCP transport): alice creates a
// private channel and authorizes bob and carol; bob joins knowing only the channel id (members
// found under its DHT topic), carol joins through bob; posts reach every member; carol, removed,
// cannot read what follows and her post is refused; the console's commands; hostile input gets
// one clear line.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAccounts, nextEvent, startDaemon, startNamedDaemons, type Daemon } from '../helpers/daemon.ts'
import { assertCliError, oht, ohtJson } from '../helpers/cli.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { COMMANDS } from '../../cli/console/table.ts'
import { parseLine } from '../../cli/console/parser.ts'
import type { CommandContext } from '../../cli/console/spec.ts'
import type { ChannelReading, ChannelSummary } from '../../src/people/channels/index.ts'

let dir = ''
const d: Record<'alice' | 'bob' | 'carol', Daemon> & { dave?: Daemon } = {} as never
const ids: Record<string, string> = {}
let channel = ''
const LINK = 'oht://bafyreig376r6shtdf5f6ih64n2rk673ghep6hgvuzjy5nw2lwmn5kjuww4#' + 'A'.repeat(43)

const read = async (who: Daemon, ...extra: string[]): Promise<ChannelReading> => (await ohtJson<ChannelReading>(who.dataDir, ['channel', 'read', channel, ...extra])).value
const posted = async (who: Daemon, text: string): Promise<{ event: Promise<unknown>, close: () => void }> =>
  await nextEvent(who, e => e.type === 'channel-post' && e.channel === channel && e.post.text === text)

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-channels-'))
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob', 'carol']))
  await startNamedDaemons(dir, ['alice', 'bob', 'carol'], d)
})

after(async () => {
  await Promise.all(Object.values(d).map(async x => { await x?.stop() }))
  await rm(dir, { recursive: true, force: true })
})

describe('channels between daemons', { timeout: 300_000 }, () => {
  it('create, authorize, join by id alone and through a member, post to everyone', async () => {
    const c = (await ohtJson<ChannelSummary>(d.alice.dataDir, ['channel', 'create', 'book club', '--private'])).value
    channel = c.id
    assert.deepEqual([c.name, c.private, c.owner], ['book club', true, true])
    await ohtJson(d.alice.dataDir, ['channel', 'invite', channel, ids.bob!, '--role', 'writer'])
    // Carol by the petname alice gave her as a contact.
    await ohtJson(d.alice.dataDir, ['contact', 'add', ids.carol!, 'caz'])
    const invited = await ohtJson<{ account: string, exp: number }>(d.alice.dataDir, ['channel', 'invite', channel, 'caz', '--role', 'writer', '--days', '7'])
    assert.equal(invited.value.account, ids.carol)
    assertCliError(await oht(d.alice.dataDir, ['channel', 'invite', channel, 'nobody-known']), /no contact "nobody-known"/)
    // Bob knows only the id: alice is found under the channel's DHT topic.
    const joined = await ohtJson<ChannelSummary>(d.bob.dataDir, ['channel', 'join', channel], { timeoutMs: 90_000 })
    assert.deepEqual([joined.value.name, joined.value.role], ['book club', 'writer'])
    // Carol joins through bob (any member serves the channel).
    await ohtJson(d.carol.dataDir, ['channel', 'join', channel, '--peer', d.bob.address], { timeoutMs: 90_000 })

    const atAlice = await posted(d.alice, 'chapter one was slow')
    const atCarol = await posted(d.carol, 'chapter one was slow')
    await ohtJson(d.bob.dataDir, ['channel', 'post', channel, 'chapter', 'one', 'was', 'slow'])
    await atAlice.event
    await atCarol.event
    atAlice.close()
    atCarol.close()
    await ohtJson(d.alice.dataDir, ['channel', 'post', channel, '--link', LINK, '--title', 'the audiobook', '--size', '300MiB'])
    await ohtJson(d.carol.dataDir, ['channel', 'sync', channel], { timeoutMs: 90_000 })
    const r = await read(d.carol)
    assert.deepEqual(r.posts.map(p => p.kind === 'share' ? `${p.title} ${p.size}` : p.text), ['chapter one was slow', `the audiobook ${300 * 1024 * 1024}`])
    assert.deepEqual(r.members.map(m => m.role).sort(), ['owner', 'writer', 'writer'])
    const text = (await oht(d.carol.dataDir, ['channel', 'read', channel])).stdout
    assert.match(text, /book club .* private {2}writer {2}3 members, 2 posts/)
    assert.match(text, /shared the audiobook \(300(\.0)? MiB\)/)
  })

  it('a removed member cannot read what follows, and may not post', async () => {
    const rotated = (await ohtJson<{ rotated: boolean }>(d.alice.dataDir, ['channel', 'revoke', channel, ids.carol!])).value
    assert.equal(rotated.rotated, true)
    await ohtJson(d.bob.dataDir, ['channel', 'sync', channel, '--peer', d.alice.address], { timeoutMs: 90_000 })
    await ohtJson(d.bob.dataDir, ['channel', 'post', channel, 'just the two of us now'])
    await ohtJson(d.carol.dataDir, ['channel', 'sync', channel, '--peer', d.bob.address], { timeoutMs: 90_000 })
    const r = await read(d.carol)
    assert.equal(r.summary.role, null)
    assert.ok(r.posts.at(-1)!.unreadable, JSON.stringify(r.posts.at(-1)))
    assert.ok(!JSON.stringify(r).includes('just the two of us'))
    assertCliError(await oht(d.carol.dataDir, ['channel', 'post', channel, 'let me in']), /may not write to the channel/)
    assert.ok((await read(d.bob)).posts.some(p => p.text === 'just the two of us now'))
    assert.ok(!(await read(d.alice)).members.some(m => m.account === ids.carol))
  })

  it('a node key revoked (its copy may have leaked): the daemon writes on under a new one, the account stays a member', async () => {
    assertCliError(await oht(d.bob.dataDir, ['channel', 'revoke', channel]), /give the account to remove/)
    const k = (await ohtJson<{ account: string, node: string }>(d.bob.dataDir, ['channel', 'revoke', channel, '--node-key'])).value
    assert.equal(k.account, ids.bob)
    assert.match(k.node, /^[A-Za-z0-9_-]{22}$/)
    await ohtJson(d.bob.dataDir, ['channel', 'post', channel, 'under a new node key'])
    await ohtJson(d.alice.dataDir, ['channel', 'sync', channel, '--peer', d.bob.address], { timeoutMs: 90_000 })
    const r = await read(d.alice)
    assert.ok(r.posts.some(p => p.text === 'under a new node key'), JSON.stringify(r.posts))
    assert.ok(r.members.some(m => m.account === ids.bob))
    assert.deepEqual(r.refused.filter(x => x.author === ids.bob), [])
  })

  it('a share feed: a share posted to a followed channel is fetched by the follower, not one over its size limit', async () => {
    const file = join(dir, 'minutes.txt')
    const content = 'we agreed on the next book\n'.repeat(2000)
    await writeFile(file, content)
    const { value: shared } = await ohtJson<{ link: string }>(d.alice.dataDir, ['share', file], { timeoutMs: 120_000 })
    const big = join(dir, 'big.txt')
    await writeFile(big, 'x'.repeat(300_000))
    const { value: tooBig } = await ohtJson<{ link: string }>(d.alice.dataDir, ['share', big], { timeoutMs: 120_000 })
    const out = join(dir, 'feed')
    const f = (await ohtJson<ChannelSummary>(d.bob.dataDir, ['channel', 'follow', channel, '--auto-fetch', '--max-size', '100KiB', '-o', out])).value
    assert.deepEqual(f.follow, { autoFetch: true, maxSize: 100 * 1024, output: out })
    const added: string[] = []
    const fetched = await nextEvent(d.bob, e => {
      if (e.type === 'transfer:added') added.push(e.transfer.shareId)
      return e.type === 'transfer:state' && (e.state === 'seeding' || e.state === 'complete')
    })
    // The big one first: had it been fetched, its transfer would be added before the small one's.
    await ohtJson(d.alice.dataDir, ['channel', 'post', channel, '--link', tooBig.link, '--title', 'too big', '--size', '300000'])
    await ohtJson(d.alice.dataDir, ['channel', 'post', channel, '--link', shared.link, '--title', 'minutes', '--size', String(content.length)])
    await fetched.event
    fetched.close()
    assert.equal(await readFile(join(out, 'minutes.txt'), 'utf8'), content)
    assert.deepEqual(added, [/^oht:\/\/([^#]+)#/.exec(shared.link)![1]], 'only the share within the size limit was fetched')
    await ohtJson(d.bob.dataDir, ['channel', 'follow', channel, '--stop'])
  })

  it('a member offline during 20 posts catches up by itself after a restart, its state kept on disk', async () => {
    ids.dave = (await ohtJson<{ id: string }>(join(dir, 'dave'), ['account', 'create', '--label', 'dave'])).value.id
    let dave = await startDaemon(join(dir, 'dave'), ['--bootstrap', d.alice.address], 60_000, ['--channel-sync', '1s'])
    await ohtJson(d.alice.dataDir, ['channel', 'invite', channel, ids.dave!])
    await ohtJson(dave.dataDir, ['channel', 'join', channel, '--peer', d.alice.address], { timeoutMs: 90_000 })
    const before = (await read(dave)).posts.length
    await dave.stop()
    for (let i = 0; i < 20; i++) await ohtJson(d.alice.dataDir, ['channel', 'post', channel, `while dave was away ${i}`])
    dave = await startDaemon(join(dir, 'dave'), ['--bootstrap', d.alice.address], 60_000, ['--channel-sync', '1s'])
    d.dave = dave
    // Subscribed before looking, so the last post's event cannot slip between the two.
    const last = await nextEvent(dave, e => e.type === 'channel-post' && e.post.text === 'while dave was away 19')
    if (!(await read(dave)).posts.some(p => p.text === 'while dave was away 19')) await last.event
    last.close()
    const r = await read(dave)
    assert.equal(r.posts.length, before + 20)
    assert.equal(r.summary.role, 'writer')
  })

  it('the console: /channels, /channel, /channelcast, /leave', async () => {
    const lines: string[] = []
    const ctx = (dataDir: string): CommandContext => ({ client: new DaemonClient(join(dataDir, 'api.sock')), print: (text: string) => { lines.push(text) } }) as unknown as CommandContext
    // Each line goes through the console's parser, as typed.
    const run = async (who: Daemon, line: string): Promise<string> => {
      lines.length = 0
      const parsed = parseLine(line, COMMANDS)
      if (parsed.kind !== 'command') throw new Error(`${parsed.kind}: ${JSON.stringify(parsed)}`)
      await parsed.command.run(ctx(who.dataDir), parsed.input)
      return lines.join('\n')
    }
    assert.match(await run(d.bob, '/channels'), /^book club {2}[0-9a-f]{64} {2}private {2}writer/)
    const atAlice = await posted(d.alice, 'from the console')
    assert.match(await run(d.bob, '/channelcast "book club" from the console'), /^posted [\w-]{8}/)
    await atAlice.event
    atAlice.close()
    assert.match(await run(d.alice, '/channel "book club"'), /from the console/)
    assert.match(await run(d.alice, `/channel read ${channel.slice(0, 12)}`), /from the console/)
    await assert.rejects(run(d.bob, '/channelcast "book club"'), /missingArg|usage: \/channelcast/)
    assert.match(await run(d.bob, `/leave ${channel.slice(0, 10)}`), /^left channel/)
    assertCliError(await oht(d.bob.dataDir, ['channel', 'post', channel, 'still here?']), /left the channel/)
  })

  it('hostile and wrong input: one clear line each', async () => {
    assertCliError(await oht(d.alice.dataDir, ['channel', 'join', 'not-a-channel']), /not an account id/)
    assertCliError(await oht(d.alice.dataDir, ['channel', 'read', 'nope']), /no channel "nope"/)
    assertCliError(await oht(d.alice.dataDir, ['channel', 'invite', channel, ids.bob!, '--role', 'emperor']), /no role "emperor"/)
    assertCliError(await oht(d.alice.dataDir, ['channel', 'post', channel, 'x'.repeat(9000)]), /1 to 8192 bytes/)
    assertCliError(await oht(d.alice.dataDir, ['channel', 'post', channel, '--link', 'https://example.com/x']), /oht link/)
    assertCliError(await oht(d.alice.dataDir, ['channel', 'create', '\u001b[31mred']), /printable characters/)
    const policy = join(dir, 'policy.json')
    await writeFile(policy, '{"v":1,"roles":{"w":{"may":["post"],"maxDays":7,"run":"rm -rf /"}}}')
    assertCliError(await oht(d.alice.dataDir, ['channel', 'create', 'scripted', '--policy', policy]), /unknown field "run"/)
    // Only the owner's node holds the channel key that signs a policy.
    assertCliError(await oht(d.carol.dataDir, ['channel', 'policy', channel, '--set', policy]), /only the owner/)
  })
})
