// Names over onion services on the private Tor network (src/onion/tor/testnet.ts; nothing
// touches the real Tor network): bob publishes a name for a share under his account (a signed,
// expiring DHT record, stored on alice's DHT node over onion streams); alice resolves
// oht://name/<account>/<name> and fetches the share by that name alone (the provider found in
// the DHT), byte-identical, over Tor.
// A name nobody published is one clear error.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { assertCliError, oht, ohtJson } from '../helpers/cli.ts'

const suite = torSuite('oht-tor-names-')

describe('names over Tor onion services', { timeout: 400_000 }, () => {
  it('published on one node, resolved and fetched by oht://name/<account>/<name> on another', async () => {
    const ids: Record<string, string> = {}
    for (const name of ['alice', 'bob']) ids[name] = (await ohtJson<{ id: string }>(join(suite.dir, name), ['account', 'create', '--label', name])).value.id
    const alice = await startDaemon(join(suite.dir, 'alice'), torArgs(suite.clients[0]!), 120_000)
    suite.daemons.push(alice)
    const bob = await startDaemon(join(suite.dir, 'bob'), [...torArgs(suite.clients[1]!), '--bootstrap', alice.address], 120_000)
    suite.daemons.push(bob)
    assert.match(bob.address, /^onion:[a-z2-7]{56}\.onion:\d+$/)

    const file = join(suite.dir, 'holiday.txt')
    const content = 'sand, sea and a very long nap\n'.repeat(2000)
    await writeFile(file, content)
    const { value: shared } = await ohtJson<{ link: string }>(bob.dataDir, ['share', file], { timeoutMs: 180_000 })
    const published = await ohtJson<{ target: string, stored: number }>(bob.dataDir, ['name', 'publish', 'holiday', shared.link], { timeoutMs: 180_000 })
    assert.equal(published.value.target, shared.link)
    assert.ok(published.value.stored > 0, 'alice\'s DHT node took the record over Tor')

    const name = `oht://name/${ids.bob!}/holiday`
    const resolved = await ohtJson<{ account: string, target: string }>(alice.dataDir, ['name', 'resolve', name], { timeoutMs: 180_000 })
    assert.deepEqual([resolved.value.account, resolved.value.target], [ids.bob, shared.link])

    // Fetched by the name alone: the link it resolves to, its provider (bob's onion address) found in the DHT.
    const got = await ohtJson<{ path: string, peers: number }>(alice.dataDir, ['fetch', name, '-o', join(suite.dir, 'out')], { timeoutMs: 240_000 })
    assert.equal(await readFile(got.value.path, 'utf8'), content)

    assertCliError(await oht(alice.dataDir, ['name', 'resolve', `oht://name/${ids.bob!}/nobody-published-this`], { timeoutMs: 180_000 }), /nobody-published-this/)
  })
})
