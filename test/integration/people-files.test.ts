// `oht send <file> --to <contact>` between real daemons on 127.0.0.1 (TCP): the link travels in
// a sealed message; the receiver's daemon asks first (the file waits for `oht receive --from`),
// and fetches by itself once the contact is allowed to (`oht contact autofetch ... on`); both
// byte-identical. An unknown contact is one clear error.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAccounts, nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'

let dir = ''
const d: Record<'alice' | 'bob', Daemon> = {} as never
const ids: Record<string, string> = {}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-pfiles-'))
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob']))
  d.alice = await startDaemon(join(dir, 'alice'))
  d.bob = await startDaemon(join(dir, 'bob'), ['--bootstrap', d.alice.address])
  await ohtJson(d.alice.dataDir, ['contact', 'add', ids.bob!, 'bobby', '--address', d.bob.address])
  await ohtJson(d.bob.dataDir, ['contact', 'add', ids.alice!, 'ally', '--address', d.alice.address])
})

after(async () => {
  await Promise.all(Object.values(d).map(async x => { await x?.stop() }))
  await rm(dir, { recursive: true, force: true })
})

describe('files to contacts between daemons', { timeout: 240_000 }, () => {
  it('a file sent to a contact waits until it is fetched with oht receive --from, byte-identical', async () => {
    const data = randomBytes(300_000)
    await writeFile(join(dir, 'plans.bin'), data)
    const offered = await nextEvent(d.bob, e => e.type === 'file-offered')
    const sent = await ohtJson<{ state: string, name: string, bytes: number }>(d.alice.dataDir, ['send', join(dir, 'plans.bin'), '--to', 'bobby'], { timeoutMs: 90_000 })
    assert.deepEqual([sent.value.state, sent.value.name, sent.value.bytes], ['delivered', 'plans.bin', data.length])
    const e = await offered.event
    offered.close()
    assert.ok(e.type === 'file-offered' && e.contact === 'ally' && e.name === 'plans.bin' && e.bytes === data.length && !e.auto, JSON.stringify(e))
    const log = await oht(d.bob.dataDir, ['whisper', 'ally'])
    assert.match(log.stdout, /ally: \[file\] plans\.bin \(oht receive --from to fetch it\)/)
    const got = await ohtJson<{ path: string, name: string }>(d.bob.dataDir, ['receive', '--from', 'ally', '-o', join(dir, 'bob-out')], { timeoutMs: 90_000 })
    assert.equal(got.value.name, 'plans.bin')
    assert.equal(sha(await readFile(got.value.path)), sha(data))
    const again = await ohtJson<{ files: unknown[] }>(d.bob.dataDir, ['receive', '--from', 'ally'])
    assert.deepEqual(again.value.files, [], 'fetched once: nothing waits any more')
  })

  it('from a contact allowed to, the daemon fetches by itself into <data-dir>/received', async () => {
    const on = await ohtJson<{ contact: { autoFetch: boolean } }>(d.bob.dataDir, ['contact', 'autofetch', 'ally', 'on'])
    assert.equal(on.value.contact.autoFetch, true)
    const data = randomBytes(200_000)
    await writeFile(join(dir, 'photo.bin'), data)
    const done = await nextEvent(d.bob, e => e.type === 'transfer:state' && (e.state === 'seeding' || e.state === 'complete'))
    const sent = await ohtJson<{ state: string }>(d.alice.dataDir, ['send', join(dir, 'photo.bin'), '--to', 'bobby'], { timeoutMs: 90_000 })
    assert.equal(sent.value.state, 'delivered')
    const e = await done.event
    done.close()
    assert.ok(e.type === 'transfer:state' && e.result != null, JSON.stringify(e))
    assert.equal(e.result.path, join(d.bob.dataDir, 'received', 'photo.bin'))
    assert.equal(sha(await readFile(e.result.path)), sha(data))
    const waiting = await ohtJson<{ files: unknown[] }>(d.bob.dataDir, ['receive', '--from', 'ally'])
    assert.deepEqual(waiting.value.files, [])
  })

  it('an unknown contact, or a code together with --from, is one clear error', async () => {
    const r = await oht(d.alice.dataDir, ['send', join(dir, 'plans.bin'), '--to', 'nobody'])
    assert.notEqual(r.code, 0)
    assert.match(r.stderr.trim(), /^oht: error: no contact "nobody"/)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    const both = await oht(d.bob.dataDir, ['receive', '1-a-b', '--from', 'ally'])
    assert.notEqual(both.code, 0)
    assert.equal(both.stderr.trim().split('\n').length, 1)
  })
})
