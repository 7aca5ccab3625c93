// `oht send` / `oht receive` between real daemons on 127.0.0.1 (TCP transport) joined through a
// bootstrap node: the file arrives byte-identical; a used, a wrongly guessed and an expired code
// each fail with one clear line.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'
import * as dagCbor from '@ipld/dag-cbor'
import { INVITE_WORDS, nameplateHandle } from '../../src/people/invite/index.ts'

let dir = ''
const daemons: Daemon[] = []
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const oneLine = (stderr: string): string => {
  const lines = stderr.trim().split('\n').filter(l => !l.startsWith('oht: warning'))
  assert.equal(lines.length, 1, stderr)
  return lines[0]!
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-invite-'))
  daemons.push(await startDaemon(join(dir, 'boot')))
  daemons.push(...await Promise.all(['sender', 'receiver'].map(async n => await startDaemon(join(dir, n), ['--bootstrap', daemons[0]!.address], 60_000))))
})

after(async () => {
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await rm(dir, { recursive: true, force: true })
})

describe('invite codes between daemons over TCP', { timeout: 300_000 }, () => {
  const [, sender, receiver] = [0, 1, 2]
  const data = randomBytes(1024 * 1024 + 333)
  let code = ''

  it('oht send prints a code; oht receive fetches the file byte-identical', async () => {
    await writeFile(join(dir, 'holiday.bin'), data)
    const sent = (await ohtJson<{ code: string, state: string }>(daemons[sender]!.dataDir, ['send', join(dir, 'holiday.bin')], { timeoutMs: 90_000 })).value
    code = sent.code
    assert.match(code, /^\d+-[a-z]+-[a-z]+$/)
    assert.equal(sent.state, 'open')
    const got = (await ohtJson<{ path: string, name: string }>(daemons[receiver]!.dataDir, ['receive', code, '-o', join(dir, 'out')], { timeoutMs: 90_000 })).value
    assert.equal(got.name, 'holiday.bin')
    assert.equal(sha(await readFile(got.path)), sha(data))
  })

  it('the DHT record names a fresh endpoint, never the sender node (its address or id)', async () => {
    const sent = (await ohtJson<{ code: string, id: string }>(daemons[sender]!.dataDir, ['send', join(dir, 'holiday.bin')], { timeoutMs: 90_000 })).value
    const handle = Buffer.from(nameplateHandle(Number(sent.code.split('-')[0]))).toString('base64url')
    const got = (await ohtJson<{ value: string }>(daemons[receiver]!.dataDir, ['dht', 'get', `private:${handle}`], { timeoutMs: 90_000 })).value
    const raw = Buffer.from(got.value, 'base64')
    const record = dagCbor.decode(raw) as { a: string }
    assert.match(record.a, /^tcp:127\.0\.0\.1:\d+$/)
    assert.notEqual(record.a, daemons[sender]!.address)
    const nodeId = (await ohtJson<{ nodeId: string }>(daemons[sender]!.dataDir, ['status'])).value.nodeId
    assert.ok(!raw.toString('latin1').includes(daemons[sender]!.address) && !raw.toString('hex').includes(nodeId.slice(0, 16)))
  })

  it('a used code fails with one clear line', async () => {
    const r = await oht(join(dir, 'receiver'), ['receive', code, '-o', join(dir, 'out2')], { timeoutMs: 90_000 })
    assert.equal(r.code, 1, r.stderr)
    assert.match(oneLine(r.stderr), /^oht: error: the code .* was already used/)
  })

  it('a wrong code fails with one clear line and closes the code', async () => {
    const sent = (await ohtJson<{ code: string }>(daemons[sender]!.dataDir, ['send', join(dir, 'holiday.bin')], { timeoutMs: 90_000 })).value
    const [plate, first, second] = sent.code.split('-')
    const wrong = `${plate}-${INVITE_WORDS.find(w => w !== first)!}-${second}`
    const r = await oht(daemons[receiver]!.dataDir, ['receive', wrong, '-o', join(dir, 'out3')], { timeoutMs: 90_000 })
    assert.equal(r.code, 1, r.stderr)
    assert.match(oneLine(r.stderr), /^oht: error: wrong code: /)
    const again = await oht(daemons[receiver]!.dataDir, ['receive', sent.code, '-o', join(dir, 'out3')], { timeoutMs: 90_000 })
    assert.equal(again.code, 1, again.stderr)
    assert.match(oneLine(again.stderr), /closed after a wrong guess/)
  })

  it('an expired code fails (a 1 s code, waited for by `send --wait`)', async () => {
    const waited = await oht(daemons[sender]!.dataDir, ['send', '--expires', '1s', '--wait', join(dir, 'holiday.bin')], { timeoutMs: 90_000 })
    assert.equal(waited.code, 1, waited.stderr)
    assert.match(oneLine(waited.stderr), /expired unused/)
    const expired = /code: (\S+)/.exec(waited.stdout)?.[1]
    assert.ok(expired != null, waited.stdout)
    const r = await oht(daemons[receiver]!.dataDir, ['receive', expired, '-o', join(dir, 'out4')], { timeoutMs: 90_000 })
    assert.equal(r.code, 1, r.stderr)
    assert.match(oneLine(r.stderr), /has expired/)
  })

  it('without a daemon, oht receive joins the DHT through --bootstrap and fetches', async () => {
    const sent = (await ohtJson<{ code: string }>(daemons[sender]!.dataDir, ['send', join(dir, 'holiday.bin')], { timeoutMs: 90_000 })).value
    const got = (await ohtJson<{ path: string }>(join(dir, 'embedded'), ['--transport', 'tcp', '--bootstrap', daemons[0]!.address, 'receive', sent.code, '-o', join(dir, 'out5')], { timeoutMs: 90_000 })).value
    assert.equal(sha(await readFile(got.path)), sha(data))
  })

  it('a malformed code is a usage error that names the problem', async () => {
    const r = await oht(daemons[receiver]!.dataDir, ['receive', '7-guitar-nebulla'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(oneLine(r.stderr), /not one of the code words/)
  })
})
