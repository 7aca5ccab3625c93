// Names between real `oht daemon` processes on 127.0.0.1 (TCP transport): bob publishes a name
// for a share under his account; alice resolves it by oht://name/<account>/<name>, then adds bob
// as a contact and fetches by <petname>/<name>; an updated name resolves to the new target, a
// removed one no longer resolves, a node without a daemon resolves through --bootstrap, and
// hostile or unknown names fail with one clear line.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAccounts, nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { assertCliError, oht, ohtJson } from '../helpers/cli.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { nameCommands } from '../../cli/console/commands-names.ts'
import type { CommandContext } from '../../cli/console/spec.ts'

let dir = ''
const d: Record<'alice' | 'bob', Daemon> = {} as never
const ids: Record<string, string> = {}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-names-'))
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob']))
  d.alice = await startDaemon(join(dir, 'alice'))
  // A 6 s TTL: bob's records would lapse within the test unless the daemon republished them.
  d.bob = await startDaemon(join(dir, 'bob'), ['--bootstrap', d.alice.address], 60_000, ['--name-ttl', '6s'])
})

after(async () => {
  await Promise.all(Object.values(d).map(async x => { await x?.stop() }))
  await rm(dir, { recursive: true, force: true })
})

describe('names between daemons', { timeout: 240_000 }, () => {
  it('published on one daemon, resolved and fetched on another by account and by petname', async () => {
    const file = join(dir, 'holiday.txt')
    const content = 'sand, sea and a very long nap\n'.repeat(500)
    await writeFile(file, content)
    const { value: shared } = await ohtJson<{ link: string }>(d.bob.dataDir, ['share', file], { timeoutMs: 120_000 })

    const p = await ohtJson<{ name: string, target: string, stored: number }>(d.bob.dataDir, ['name', 'publish', 'holiday', shared.link], { timeoutMs: 90_000 })
    assert.equal(p.value.target, shared.link)
    assert.ok(p.value.stored > 0, 'alice\'s DHT node took the record')
    const listed = (await ohtJson<{ names: Array<{ name: string, target: string }> }>(d.bob.dataDir, ['name', 'list'])).value.names
    assert.deepEqual(listed.map(n => [n.name, n.target]), [['holiday', shared.link]])

    const byAccount = await ohtJson<{ account: string, target: string }>(d.alice.dataDir, ['name', 'resolve', `oht://name/${ids.bob!}/holiday`], { timeoutMs: 90_000 })
    assert.deepEqual([byAccount.value.account, byAccount.value.target], [ids.bob, shared.link])
    const plain = await oht(d.alice.dataDir, ['name', 'resolve', `${ids.bob!}/holiday`], { timeoutMs: 90_000 })
    assert.equal(plain.stdout.trim(), shared.link)

    // A petname is only known once bob is alice's contact.
    assertCliError(await oht(d.alice.dataDir, ['name', 'resolve', 'bobby/holiday']), /no contact "bobby"/)
    await ohtJson(d.alice.dataDir, ['contact', 'add', ids.bob!, 'bobby'])
    const byPetname = await ohtJson<{ target: string }>(d.alice.dataDir, ['name', 'resolve', 'bobby/holiday'], { timeoutMs: 90_000 })
    assert.equal(byPetname.value.target, shared.link)

    const out = join(dir, 'out')
    const got = await ohtJson<{ path: string }>(d.alice.dataDir, ['fetch', 'bobby/holiday', '--peer', d.bob.address, '-o', out], { timeoutMs: 120_000 })
    assert.equal(await readFile(got.value.path, 'utf8'), content)
    // A second share, named and fetched by oht://name/<account>/<name> (one share feeds one output).
    const notes = join(dir, 'notes.txt')
    await writeFile(notes, 'remember the sunscreen\n')
    const { value: shared2 } = await ohtJson<{ link: string }>(d.bob.dataDir, ['share', notes], { timeoutMs: 120_000 })
    await ohtJson(d.bob.dataDir, ['name', 'publish', 'notes', shared2.link], { timeoutMs: 90_000 })
    const got2 = await ohtJson<{ path: string }>(d.alice.dataDir, ['fetch', `oht://name/${ids.bob!}/notes`, '--peer', d.bob.address, '-o', join(dir, 'out2')], { timeoutMs: 120_000 })
    assert.equal(await readFile(got2.value.path, 'utf8'), 'remember the sunscreen\n')
    await ohtJson(d.bob.dataDir, ['name', 'rm', 'notes'], { timeoutMs: 90_000 })
  })

  it('the daemon republishes a name before it expires: it resolves past the first record\'s expiry', async () => {
    const first = (await ohtJson<{ seq: number, expires: number }>(d.bob.dataDir, ['name', 'publish', 'lasting', d.alice.address], { timeoutMs: 90_000 })).value
    // Waits for the daemon's own republish (an event), not for a clock.
    const later = await nextEvent(d.bob, e => e.type === 'name-published' && e.name === 'lasting' && e.seq > first.expires)
    await later.event
    later.close()
    const r = (await ohtJson<{ seq: number, expires: number, target: string }>(d.alice.dataDir, ['name', 'resolve', `${ids.bob!}/lasting`], { timeoutMs: 90_000 })).value
    assert.equal(r.target, d.alice.address)
    assert.ok(r.seq > first.expires, 'a record signed after the first one expired')
    await ohtJson(d.bob.dataDir, ['name', 'rm', 'lasting'], { timeoutMs: 90_000 })
  })

  it('without a daemon, a node in the process joins the DHT through --bootstrap and resolves', async () => {
    const embedded = ['--transport', 'tcp', '--bootstrap', d.alice.address]
    const r = await ohtJson<{ account: string, name: string, target: string }>(join(dir, 'embedded'), [...embedded, 'name', 'resolve', `oht://name/${ids.bob!}/holiday`], { timeoutMs: 90_000 })
    assert.deepEqual([r.value.account, r.value.name], [ids.bob, 'holiday'])
    assert.match(r.value.target, /^oht:\/\//)
    // Its data directory has no contacts: a petname names nobody.
    assertCliError(await oht(join(dir, 'embedded'), [...embedded, 'name', 'resolve', 'bobby/holiday'], { timeoutMs: 90_000 }), /no contact "bobby"/)
  })

  it('an update resolves to the new target; a removed name no longer resolves', async () => {
    const other = d.bob.address // a name may also stand for a node address
    await ohtJson(d.bob.dataDir, ['name', 'publish', 'holiday', other], { timeoutMs: 90_000 })
    assert.equal((await ohtJson<{ target: string }>(d.alice.dataDir, ['name', 'resolve', 'bobby/holiday'], { timeoutMs: 90_000 })).value.target, other)
    assert.equal((await ohtJson<{ removed: boolean }>(d.bob.dataDir, ['name', 'rm', 'holiday'], { timeoutMs: 90_000 })).value.removed, true)
    assertCliError(await oht(d.alice.dataDir, ['name', 'resolve', 'bobby/holiday'], { timeoutMs: 90_000 }), /no current name "holiday"/)
    assert.deepEqual((await ohtJson<{ names: unknown[] }>(d.bob.dataDir, ['name', 'list'])).value.names, [])
  })

  it('the console\'s /name publishes, lists, resolves and removes through the daemon', async () => {
    const lines: string[] = []
    const ctx = (dataDir: string): CommandContext => ({ client: new DaemonClient(join(dataDir, 'api.sock')), print: (text: string) => { lines.push(text) } }) as unknown as CommandContext
    const run = async (dataDir: string, ...args: string[]): Promise<string> => {
      lines.length = 0
      await nameCommands[0]!.run(ctx(dataDir), { args, options: {} })
      return lines.join('\n')
    }
    assert.match(await run(d.bob.dataDir, 'publish', 'console-made', d.alice.address), /console-made published to \d+ DHT nodes/)
    assert.match(await run(d.bob.dataDir, 'list'), /^console-made {2}tcp:127\.0\.0\.1:\d+ {2}until /)
    assert.equal(await run(d.alice.dataDir, 'resolve', `bobby/console-made`), d.alice.address)
    assert.equal(await run(d.bob.dataDir, 'rm', 'console-made'), 'console-made is no longer published')
    await assert.rejects(run(d.bob.dataDir, 'publish', 'only-a-name'), /usage: \/name publish/)
  })

  it('hostile names and references fail with one clear line', async () => {
    assertCliError(await oht(d.bob.dataDir, ['name', 'publish', '../../etc/passwd', 'oht://x']), /a name is 1 to 63 characters/)
    assertCliError(await oht(d.bob.dataDir, ['name', 'publish', 'x'.repeat(5000), 'oht://x']), /a name is 1 to 63 characters/)
    assertCliError(await oht(d.bob.dataDir, ['name', 'publish', 'ok', 'a\nb']), /target is an oht link/)
    assertCliError(await oht(d.bob.dataDir, ['name', 'publish', 'ok', 'oht://not-a-link']), /target is an oht link or a node address: not an oht link/)
    assertCliError(await oht(d.alice.dataDir, ['name', 'resolve', 'bobby/Evil\u202eName']), /a name is 1 to 63 characters/)
    assertCliError(await oht(d.alice.dataDir, ['fetch', 'bobby/Bad Name', '-o', join(dir, 'x')]), /a name is 1 to 63 characters/)
    assertCliError(await oht(d.alice.dataDir, ['fetch', 'oht://name/bobby/holiday', '-o', join(dir, 'x')]), /a name link is oht:\/\/name\/<account id>\/<name>/)
    assertCliError(await oht(d.alice.dataDir, ['name', 'resolve', `${ids.bob!}/nothing-here`], { timeoutMs: 90_000 }), /no current name "nothing-here"/)
  })
})
