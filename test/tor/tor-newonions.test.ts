// `/newonions` on a private Tor network on 127.0.0.1 (src/onion/tor/testnet.ts): a daemon that
// seeds a share gets a new onion address through the API. The old address stops answering (a
// dial to it fails), the new one serves, a fresh daemon that finds the share's providers in the
// DHT fetches it (the seeder is its only provider, so it can only have reached the new address),
// a lookup of its node id names the new address, and a restart keeps it (its key replaced the
// old one in the data directory).
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { TorTestNetwork } from '../../src/onion/tor/testnet.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { startTestNetwork, torArgs } from '../helpers/tor-network.ts'
import { generateFile, sha256File } from '../../cli/demo.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ohtJson } from '../helpers/cli.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { AdminApiClient } from '../../src/node/api/admin-client.ts'
import { DialError, TorTransport } from '../../src/onion/index.ts'
import { loadKey } from '../../src/onion/tor/key-file.ts'
import { fileSealer } from '../../src/store/index.ts'
import { readKeystore } from '../../src/node/identity/keystore.ts'

let network: TorTestNetwork
let clients: TorProcess[] = []
let dir = ''
const daemons: Daemon[] = []
let dialer: TorTransport | undefined

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-tor-newonions-'))
  network = await startTestNetwork()
  clients = await Promise.all([network.startClient(), network.startClient()])
})

after(async () => {
  await dialer?.close()
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await network?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('/newonions over Tor onion services', { timeout: 600_000 }, () => {
  it('a seeding daemon gets a new address: the old one stops, the new one serves, the DHT finds it, a restart keeps it', async () => {
    const hub = await startDaemon(join(dir, 'hub'), torArgs(clients[0]!), 120_000)
    daemons.push(hub)
    const seeder = await startDaemon(join(dir, 'seeder'), [...torArgs(clients[0]!), '--bootstrap', hub.address], 120_000)
    daemons.push(seeder)
    const input = join(dir, 'payload.bin')
    await generateFile(input, 512 * 1024 + 77)
    const { link } = (await ohtJson<{ link: string }>(seeder.dataDir, ['share', input], { timeoutMs: 120_000 })).value
    // The key file is sealed under the node's storage key (it names no address at rest).
    const sealer = fileSealer((await readKeystore(join(seeder.dataDir, 'keystore.json'), '')).storageKey, 'onion.key')
    const keyFile = join(seeder.dataDir, 'onion.key')
    const keyBefore = (await loadKey(keyFile, sealer))!
    assert.ok(!(await readFile(keyFile, 'utf8')).includes(seeder.address.slice('onion:'.length, 'onion:'.length + 56)))

    const api = new DaemonClient(join(seeder.dataDir, 'api.sock'))
    const r = await new AdminApiClient(api).newOnions()
    assert.match(r.address, /^onion:[a-z2-7]{56}\.onion:\d+$/)
    assert.notEqual(r.address, seeder.address)
    assert.equal(r.previous, seeder.address)
    assert.equal(r.reannounced, 1, 'the seeded share was re-announced')
    assert.equal((await api.status()).address, r.address)
    const keyAfter = (await loadKey(keyFile, sealer))!
    assert.notEqual(keyAfter.key, keyBefore.key, 'the key file holds the new key only')
    assert.equal(keyAfter.serviceId, r.address.slice('onion:'.length).split('.')[0])

    // From the other client tor: the old onion is gone, the new one answers.
    dialer = new TorTransport({ tor: { kind: 'attach', port: clients[1]!.controlPort, cookieFile: clients[1]!.cookieFile } })
    await assert.rejects(dialer.dial(seeder.address, { timeoutMs: 30_000 }), DialError, 'the old address no longer answers')
    const stream = await dialer.dial(r.address, { timeoutMs: 90_000 })
    stream.destroy()

    // A fresh daemon with the link alone: the DHT's provider record names the new address.
    const fetcher = await startDaemon(join(dir, 'fetcher'), [...torArgs(clients[1]!), '--bootstrap', hub.address], 120_000)
    daemons.push(fetcher)
    const fetched = (await ohtJson<{ path: string, peers: number }>(fetcher.dataDir, ['fetch', link, '-o', join(dir, 'out')], { timeoutMs: 200_000 })).value
    assert.equal(await sha256File(fetched.path), await sha256File(input))
    assert.equal(fetched.peers, 1)
    // Its routing-table entry moved too: a lookup of its node id names the new address. The
    // DHT is eventually consistent (a lookup whose request to the seeder times out on a slow
    // circuit ends without it; the old entry is evicted only after failures), so the lookup is
    // repeated until it does, within a deadline that only catches a table that never learns.
    const admin = new AdminApiClient(new DaemonClient(join(fetcher.dataDir, 'api.sock')))
    const deadline = Date.now() + 120_000
    let found = await admin.lookup(seeder.nodeId)
    while (found.address !== r.address && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 3000))
      found = await admin.lookup(seeder.nodeId)
    }
    assert.equal(found.address, r.address, `lookup of the seeder's id: ${JSON.stringify(found)}`)

    await seeder.stop()
    const again = await startDaemon(seeder.dataDir, torArgs(clients[0]!), 120_000)
    daemons.push(again)
    assert.equal(again.address, r.address, 'a restart keeps the new address')
  })
})
