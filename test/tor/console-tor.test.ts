// The console's daemon routes over real onion services (private Tor network on 127.0.0.1):
// /ping samples round trips to another daemon's onion address and by its node id, /lookup finds
// the node's onion address in the DHT, /tor reports an attached tor and refuses to stop it, and
// /newtor sends NEWNYM once and refuses a second within tor's 10 s.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { AdminApiClient, ApiError, DaemonClient } from '../../src/node/index.ts'
import { ApiDhtService } from '../../src/node/api/index.ts'

const admin = (d: Daemon): AdminApiClient => new AdminApiClient(new DaemonClient(join(d.dataDir, 'api.sock')))

const suite = torSuite('oht-console-tor-')

describe('console routes over Tor', { timeout: 300_000 }, () => {
  it('ping and lookup over onion services; tor status, stop refused, NEWNYM rate-limited', async () => {
    const a = await startDaemon(join(suite.dir, 'a'), torArgs(suite.clients[0]!), 120_000)
    suite.daemons.push(a)
    const b = await startDaemon(join(suite.dir, 'b'), [...torArgs(suite.clients[1]!), '--bootstrap', a.address], 120_000)
    suite.daemons.push(b)
    assert.match(a.address, /^onion:[a-z2-7]{56}\.onion:\d+$/)

    const ping = await admin(b).ping(a.address, 3)
    assert.equal(ping.nodeId, a.nodeId, 'the node behind the onion address answered')
    assert.equal(ping.samples.length, 3)
    assert.ok(ping.samples.every(s => typeof s.rttMs === 'number' && s.rttMs > 0), JSON.stringify(ping.samples))
    process.stdout.write(`# ping over onion services (ms): ${ping.samples.map(s => s.rttMs).join(', ')}\n`)

    // a learns b once b's join reached it and a verified b at its onion address (a ping back, a
    // cold onion dial): wait for b in a's routing table, bounded, before asking a for b by id.
    const dht = new ApiDhtService(new DaemonClient(join(a.dataDir, 'api.sock')))
    for (let i = 0; i < 240 && !(await dht.info()).peers.some(p => p.nodeId === b.nodeId); i++) await new Promise(resolve => setTimeout(resolve, 250))
    const byId = await admin(a).ping(b.nodeId, 2)
    assert.equal(byId.address, b.address, 'a node id is pinged at the address the DHT knows for it')
    assert.ok(byId.samples.every(s => s.rttMs != null))

    const found = await admin(a).lookup(b.nodeId)
    assert.equal(found.found, true)
    assert.equal(found.address, b.address)

    const tor = await admin(a).tor()
    assert.deepEqual({ transport: tor.transport, owned: tor.owned }, { transport: 'tor', owned: false })
    assert.equal(tor.bootstrap?.progress, 100)
    await assert.rejects(admin(a).torAction('stop'), (err: ApiError) => err.code === 'tor.attached' && /did not start/.test(err.message))

    const first = await admin(a).newnym()
    assert.equal(first.ok, true)
    await assert.rejects(admin(a).newnym(), (err: ApiError) => err.code === 'tor.rateLimited' && Number(err.params?.seconds) >= 1)
  })
})
