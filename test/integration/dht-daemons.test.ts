// 20 real `oht daemon` processes on 127.0.0.1 (TCP transport) that know only one bootstrap node:
// a link shared on one is fetched by another with the link alone (providers found in the DHT),
// by an embedded node that only knows the bootstrap address, and DHT values cross between nodes.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { randomBytes, createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'

const NODES = 20
let dir = ''
const daemons: Daemon[] = []
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-dht-daemons-'))
  daemons.push(await startDaemon(join(dir, 'node0')))
  const bootstrap = daemons[0]!.address
  // Started five at a time: a 2-core machine starts twenty Node processes slowly.
  for (let i = 1; i < NODES; i += 5) {
    const batch = []
    for (let j = i; j < Math.min(i + 5, NODES); j++) batch.push(startDaemon(join(dir, `node${j}`), ['--bootstrap', bootstrap], 60_000))
    daemons.push(...await Promise.all(batch))
  }
})

after(async () => {
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await rm(dir, { recursive: true, force: true })
})

describe(`a DHT of ${NODES} daemons joined through one bootstrap node`, { timeout: 300_000 }, () => {
  // Shared before any test, so each runs alone or in any order; no test stops a daemon another uses.
  let link = ''
  const data = randomBytes(3 * 1024 * 1024 + 777)
  before(async () => {
    await writeFile(join(dir, 'file.bin'), data)
    link = (await ohtJson<{ link: string }>(daemons[7]!.dataDir, ['share', join(dir, 'file.bin')], { timeoutMs: 90_000 })).value.link
  }, { timeout: 120_000 })

  it('a link shared on one daemon is fetched by another with the link alone', async () => {
    const r = (await ohtJson<{ path: string, peers: number }>(daemons[15]!.dataDir, ['fetch', link, '-o', join(dir, 'out15')], { timeoutMs: 90_000 })).value
    assert.equal(sha(await readFile(r.path)), sha(data))
    assert.ok(r.peers >= 1)
    const peers = (await ohtJson<{ peers: Array<{ address: string }> }>(daemons[15]!.dataDir, ['peers'])).value.peers
    assert.ok(peers.length >= 5, `routing table of ${peers.length}`)
    assert.ok(peers.every(p => p.address.startsWith('tcp:127.0.0.1:')))
  })

  it('an embedded node that knows only the bootstrap address fetches the link', async () => {
    const r = (await ohtJson<{ path: string, peers: number }>(join(dir, 'embedded'),
      ['--transport', 'tcp', '--bootstrap', daemons[0]!.address, 'fetch', link, '-o', join(dir, 'out-embedded')], { timeoutMs: 90_000 })).value
    assert.equal(sha(await readFile(r.path)), sha(data))
  })

  it('without peers or a DHT to ask, fetch says how to find peers', async () => {
    const r = await oht(join(dir, 'lonely'), ['--transport', 'tcp', 'fetch', link, '-o', join(dir, 'out-lonely')])
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /--bootstrap/)
  })

  it('mutable and private values cross the DHT; a tombstone deletes them', async () => {
    const put = (await ohtJson<{ ref: string, stored: number }>(daemons[3]!.dataDir, ['dht', 'put', '--mutable', '--salt', 'beef', 'first'])).value
    assert.match(put.ref, /^mutable:[0-9a-f]{64}:beef$/)
    assert.ok(put.stored >= 1)
    await ohtJson(daemons[3]!.dataDir, ['dht', 'put', '--mutable', '--salt', 'beef', 'second'])
    const got = await oht(daemons[18]!.dataDir, ['dht', 'get', put.ref])
    assert.equal(got.code, 0, got.stderr)
    assert.equal(got.stdout, 'second')

    const secret = (await ohtJson<{ ref: string }>(daemons[4]!.dataDir, ['dht', 'put', '--private', 'meet at noon'])).value.ref
    assert.match(secret, /^private:[A-Za-z0-9_-]{43}$/)
    const read = await oht(join(dir, 'embedded-values'), ['--transport', 'tcp', '--bootstrap', daemons[0]!.address, 'dht', 'get', secret])
    assert.equal(read.stdout, 'meet at noon', read.stderr)
    await ohtJson(daemons[4]!.dataDir, ['dht', 'delete', secret])
    const gone = await oht(daemons[11]!.dataDir, ['dht', 'get', secret])
    assert.notEqual(gone.code, 0)
    assert.match(gone.stderr, /deleted/)

    const other = await oht(daemons[9]!.dataDir, ['dht', 'delete', put.ref])
    assert.notEqual(other.code, 0, 'only the owner deletes a mutable value')
    assert.match(other.stderr, /owner/)
    const bad = await oht(daemons[9]!.dataDir, ['dht', 'get', 'not-a-ref'])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /not a DHT reference/)
  })

  it('oht stream through a daemon finds the providers in the DHT and serves byte ranges', async () => {
    const { url } = (await ohtJson<{ url: string }>(daemons[16]!.dataDir, ['stream', link, '--file', 'file.bin'], { timeoutMs: 60_000 })).value
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\//)
    const res = await fetch(url, { headers: { range: 'bytes=1000000-1999999' } })
    assert.equal(res.status, 206)
    assert.equal(sha(new Uint8Array(await res.arrayBuffer())), sha(data.subarray(1_000_000, 2_000_000)))
  })

  it('a restarted daemon rejoins from its saved routing table, without --bootstrap', async () => {
    const d = daemons[12]! // used by no other test
    await d.stop()
    const again = await startDaemon(d.dataDir, [], 60_000)
    daemons[12] = again
    const r = (await ohtJson<{ path: string }>(again.dataDir, ['fetch', link, '-o', join(dir, 'out12')], { timeoutMs: 90_000 })).value
    assert.equal(sha(await readFile(r.path)), sha(data))
  })
})
