// Introductions between real `oht daemon` processes on 127.0.0.1 (TCP): alice, a contact of both
// bob and carol, introduces them; each hears of the other "via" its own petname for alice; carol
// asks bob with nothing but the introduction (no address: the one alice passed on), and bob sees
// the request, then the contact, "via" alice; carol sees bob "via" alice once he accepts.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAccounts, nextEvent, startNamedDaemons, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'

let dir = ''
const d: Record<'alice' | 'bob' | 'carol', Daemon> = {} as never
const ids: Record<string, string> = {}

interface Overview {
  contacts: Array<{ petname: string, account: string, state: string, viaName: string | null }>
  requests: Array<{ account: string, viaName: string | null }>
  introductions: Array<{ account: string, viaName: string | null }>
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-intro-'))
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob', 'carol']))
  await startNamedDaemons(dir, ['alice', 'bob', 'carol'], d)
  // alice and bob, alice and carol: contacts known out of band.
  await ohtJson(d.alice.dataDir, ['contact', 'add', ids.bob!, 'bob', '--address', d.bob.address])
  await ohtJson(d.alice.dataDir, ['contact', 'add', ids.carol!, 'carol', '--address', d.carol.address])
  await ohtJson(d.bob.dataDir, ['contact', 'add', ids.alice!, 'ally', '--address', d.alice.address])
  await ohtJson(d.carol.dataDir, ['contact', 'add', ids.alice!, 'alicia', '--address', d.alice.address])
})

after(async () => {
  await Promise.all(Object.values(d).map(async x => { await x?.stop() }))
  await rm(dir, { recursive: true, force: true })
})

describe('introductions between daemons', { timeout: 180_000 }, () => {
  it('a contact introduces two others: each hears of the other via its own petname for the introducer', async () => {
    const atCarol = await nextEvent(d.carol, e => e.type === 'introduction')
    const atBob = await nextEvent(d.bob, e => e.type === 'introduction')
    const r = await ohtJson<{ introduced: string, to: string, results: Array<{ state: string }> }>(d.alice.dataDir, ['contact', 'introduce', 'bob', 'carol'])
    assert.deepEqual(r.value.results.map(x => x.state), ['delivered', 'delivered'])
    const [c, b] = [await atCarol.event, await atBob.event]
    atCarol.close()
    atBob.close()
    assert.deepEqual(c, { type: 'introduction', account: ids.bob, via: 'alicia' })
    assert.deepEqual(b, { type: 'introduction', account: ids.carol, via: 'ally' })
    const carolSees = (await ohtJson<Overview>(d.carol.dataDir, ['contact', 'list'])).value
    assert.deepEqual(carolSees.introductions.map(i => [i.account, i.viaName]), [[ids.bob, 'alicia']])
    assert.match((await oht(d.carol.dataDir, ['contact', 'list'])).stdout, new RegExp(`${ids.bob}  via alicia`))
  })

  it('the introduced ask each other with the introduction: the request and the contact show "via"', async () => {
    const asked = await nextEvent(d.bob, e => e.type === 'contact-request')
    // No address given: the one alice passed on in the introduction is dialled.
    const r = await ohtJson<{ contact: { petname: string, viaName?: string } }>(d.carol.dataDir, ['contact', 'request', ids.bob!, 'alice says hi', '--name', 'bobby'])
    assert.equal(r.value.contact.petname, 'bobby')
    await asked.event
    asked.close()
    const bobSees = (await ohtJson<Overview>(d.bob.dataDir, ['contact', 'list'])).value
    assert.deepEqual(bobSees.requests.map(q => [q.account, q.viaName]), [[ids.carol, 'ally']])
    const accepted = await nextEvent(d.carol, e => e.type === 'contact-accepted')
    await ohtJson(d.bob.dataDir, ['contact', 'accept', ids.carol!, '--name', 'carol'])
    await accepted.event
    accepted.close()
    const bobContacts = (await ohtJson<Overview>(d.bob.dataDir, ['contact', 'list'])).value
    assert.deepEqual(bobContacts.contacts.map(c => [c.petname, c.viaName]), [['ally', null], ['carol', 'ally']])
    assert.deepEqual(bobContacts.introductions, [], 'an introduction is dropped once its account is a contact')
    const carolContacts = (await ohtJson<Overview>(d.carol.dataDir, ['contact', 'list'])).value
    assert.deepEqual(carolContacts.contacts.map(c => [c.petname, c.state, c.viaName]), [['alicia', 'approved', null], ['bobby', 'approved', 'alicia']])
  })

  it('introducing a contact to itself, or an unknown one, is one clear error', async () => {
    for (const args of [['bob', 'bob'], ['bob', 'nobody']]) {
      const r = await oht(d.alice.dataDir, ['contact', 'introduce', ...args])
      assert.notEqual(r.code, 0)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    }
  })
})
