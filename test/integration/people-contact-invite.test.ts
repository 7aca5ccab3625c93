// `oht contact invite` between real daemons on 127.0.0.1 (TCP): a code made on one side and used
// on the other makes both contacts at once (no request to accept), under the names each gave;
// whispers then flow both ways. A used, a wrongly guessed, an expired code, and a file's code,
// each fail with one clear line, and leave no contact or request behind.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAccounts, nextEvent, startNamedDaemons, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { INVITE_WORDS } from '../../src/people/invite/index.ts'

let dir = ''
const d: Record<'alice' | 'bob' | 'carol', Daemon> = {} as never
const ids: Record<string, string> = {}
const oneLine = (stderr: string): string => {
  const lines = stderr.trim().split('\n').filter(l => !l.startsWith('oht: warning'))
  assert.equal(lines.length, 1, stderr)
  return lines[0]!
}
interface Overview { contacts: Array<{ petname: string, account: string, state: string }>, requests: unknown[] }
const overview = async (x: Daemon): Promise<Overview> => (await ohtJson<Overview>(x.dataDir, ['contact', 'list'])).value
const invite = async (x: Daemon, args: string[] = []): Promise<{ id: string, code: string }> =>
  (await ohtJson<{ id: string, code: string }>(x.dataDir, ['contact', 'invite', ...args], { timeoutMs: 90_000 })).value

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-cinvite-'))
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob', 'carol']))
  await startNamedDaemons(dir, ['alice', 'bob', 'carol'], d)
})

after(async () => {
  await Promise.all(Object.values(d).map(async x => { await x?.stop() }))
  await rm(dir, { recursive: true, force: true })
})

describe('contact invite codes between daemons', { timeout: 300_000 }, () => {
  let used = ''

  it('a code made by alice and used by bob makes both contacts, under the names each gave', async () => {
    const { code } = await invite(d.alice, ['--name', 'bobby'])
    used = code
    assert.match(code, /^\d+-[a-z]+-[a-z]+$/)
    const atAlice = await nextEvent(d.alice, e => e.type === 'contact-accepted')
    const atBob = await nextEvent(d.bob, e => e.type === 'contact-accepted')
    const r = await ohtJson<{ contact: { petname: string, account: string } }>(d.bob.dataDir, ['contact', 'invite', code, '--name', 'ally'], { timeoutMs: 90_000 })
    assert.deepEqual([r.value.contact.petname, r.value.contact.account], ['ally', ids.alice])
    assert.deepEqual(await atAlice.event, { type: 'contact-accepted', account: ids.bob, contact: 'bobby' })
    assert.deepEqual(await atBob.event, { type: 'contact-accepted', account: ids.alice, contact: 'ally' })
    atAlice.close()
    atBob.close()
    assert.deepEqual((await overview(d.alice)).contacts.map(c => [c.petname, c.account, c.state]), [['bobby', ids.bob, 'approved']])
    assert.deepEqual((await overview(d.bob)).contacts.map(c => [c.petname, c.account, c.state]), [['ally', ids.alice, 'approved']])
    assert.equal((await overview(d.alice)).requests.length, 0, 'no request was left to accept')
    const w = await ohtJson<{ state: string }>(d.bob.dataDir, ['whisper', 'ally', 'hello through a code'])
    assert.equal(w.value.state, 'delivered')
    const back = await ohtJson<{ state: string }>(d.alice.dataDir, ['whisper', 'bobby', 'hello back'])
    assert.equal(back.value.state, 'delivered')
  })

  it('a used code fails with one clear line', async () => {
    const r = await oht(d.carol.dataDir, ['contact', 'invite', used], { timeoutMs: 90_000 })
    assert.notEqual(r.code, 0)
    assert.match(oneLine(r.stderr), /^oht: error: the code .* was already used/)
  })

  it('a wrong code fails, closes the code, and carol becomes nobody\'s contact', async () => {
    const { code } = await invite(d.alice)
    const [plate, first, second] = code.split('-')
    const wrong = `${plate}-${INVITE_WORDS.find(w => w !== first)!}-${second}`
    const r = await oht(d.carol.dataDir, ['contact', 'invite', wrong], { timeoutMs: 90_000 })
    assert.notEqual(r.code, 0)
    assert.match(oneLine(r.stderr), /^oht: error: wrong code: /)
    const again = await oht(d.carol.dataDir, ['contact', 'invite', code], { timeoutMs: 90_000 })
    assert.notEqual(again.code, 0)
    assert.match(oneLine(again.stderr), /closed after a wrong guess/)
    assert.deepEqual((await overview(d.alice)).contacts.map(c => c.petname), ['bobby'])
    assert.deepEqual((await overview(d.carol)).contacts, [])
  })

  it('an expired code fails with one clear line', async () => {
    const { id, code } = await invite(d.alice, ['--expires', '1s'])
    // The daemon closes the code at its expiry: wait for that, not for a clock.
    const closed = await new DaemonClient(join(d.alice.dataDir, 'api.sock')).call('GET', `/invites/${id}?wait=1`) as { state: string }
    assert.equal(closed.state, 'expired')
    const r = await oht(d.carol.dataDir, ['contact', 'invite', code], { timeoutMs: 90_000 })
    assert.notEqual(r.code, 0)
    assert.match(oneLine(r.stderr), /has expired/)
    assert.deepEqual((await overview(d.carol)).contacts, [])
  })

  it('a code that sends a file is not a contact invite', async () => {
    await writeFile(join(dir, 'note.txt'), 'not a contact')
    const sent = (await ohtJson<{ code: string }>(d.alice.dataDir, ['send', join(dir, 'note.txt')], { timeoutMs: 90_000 })).value
    const r = await oht(d.carol.dataDir, ['contact', 'invite', sent.code], { timeoutMs: 90_000 })
    assert.notEqual(r.code, 0)
    assert.match(oneLine(r.stderr), /is not a contact invite: it sends a file \(oht receive /)
    assert.deepEqual((await overview(d.carol)).contacts, [])
  })
})
