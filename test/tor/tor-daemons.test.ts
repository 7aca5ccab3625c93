// Real `oht daemon` processes over the Tor transport on a private Tor network on 127.0.0.1
// (src/onion/tor/testnet.ts; nothing touches the real Tor network). Daemons attach to client tors,
// as a user's node would attach to a system tor, publish their onion services, join a DHT over
// onion streams, and a share crosses between them through onion services only. The sockets of each
// daemon process are read from /proc to show what Tor mode promises: listeners on 127.0.0.1
// only, and no outbound connection but to tor's control and SOCKS ports.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { TorTestNetwork } from '../../src/onion/tor/testnet.ts'
import { startTestNetwork } from '../helpers/tor-network.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { generateFile, sha256File } from '../../cli/demo.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ohtJson } from '../helpers/cli.ts'
import { ownTcpSockets, sampleTcpSockets } from '../helpers/tor-sockets.ts'
import { createNetworkKey } from '../../src/onion/network-key.ts'
import { TOR_DIAL_TIMEOUT_MS } from '../../src/onion/tor/constants.ts'

let network: TorTestNetwork
let clients: TorProcess[] = []
let dir = ''
const daemons: Daemon[] = []
let link = ''

function torArgs (tor: TorProcess): string[] {
  return ['--transport', 'tor', '--tor-control', `127.0.0.1:${tor.controlPort}`, '--tor-cookie', tor.cookieFile]
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-tor-daemons-'))
  network = await startTestNetwork()
  clients = await Promise.all([network.startClient(), network.startClient()])
})

after(async () => {
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await network?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('oht daemons over Tor onion services', { timeout: 300_000 }, () => {
  // What every test may use, made before any of them (so each runs alone or in any order): four
  // daemons on two client tors (several onion services per tor, one circuit per peer) joined
  // through the first, which shares the file. Tests add their own daemons; none stops these.
  let first: Daemon
  let seeder1: Daemon
  let seeder2: Daemon
  let leecher: Daemon
  let input = ''
  before(async () => {
    first = await startDaemon(join(dir, 'seeder0'), torArgs(clients[0]!), 120_000)
    daemons.push(first)
    const joined = ['--bootstrap', first.address]
    const more = await Promise.all([
      startDaemon(join(dir, 'seeder1'), [...torArgs(clients[1]!), ...joined], 120_000),
      startDaemon(join(dir, 'seeder2'), [...torArgs(clients[0]!), ...joined], 120_000),
      startDaemon(join(dir, 'leecher'), [...torArgs(clients[1]!), ...joined], 120_000)
    ])
    daemons.push(...more)
    ;[seeder1, seeder2, leecher] = more as [Daemon, Daemon, Daemon]
    input = join(dir, 'payload.bin')
    await generateFile(input, 3 * 1024 * 1024 + 12_345)
    link = (await ohtJson<{ link: string }>(first.dataDir, ['share', input], { timeoutMs: 120_000 })).value.link
  }, { timeout: 600_000 })

  it('share → DHT announce → a leecher fetches from several of 3 onion seeders with the link alone; no socket beyond tor', async () => {
    for (const d of daemons) assert.match(d.address, /^onion:[a-z2-7]{56}\.onion:\d+$/)
    // Two more seeders fetch it (from the DHT's answer) and announce themselves once they hold blocks.
    for (const [i, s] of [seeder1, seeder2].entries()) {
      const r = (await ohtJson<{ path: string }>(s.dataDir, ['fetch', link, '-o', join(dir, `seed${i + 1}`)], { timeoutMs: 150_000 })).value
      assert.equal(await sha256File(r.path), await sha256File(input))
    }
    const out = join(dir, 'out')
    // Every daemon's sockets, sampled while the leecher fetches (and once more after).
    const sampler = sampleTcpSockets([first, seeder1, seeder2, leecher].map(d => d.proc.pid!))
    const fetched = (await ohtJson<{ path: string, bytes: number, peers: number }>(leecher.dataDir,
      ['fetch', link, '-o', out], { timeoutMs: 150_000 })).value
    const sampled = await sampler.stop()
    assert.equal(fetched.bytes, 3 * 1024 * 1024 + 12_345)
    assert.equal(await sha256File(fetched.path), await sha256File(input))
    assert.ok(fetched.peers >= 2, `blocks came from ${fetched.peers} onion seeders`)

    const torOf = new Map<Daemon, TorProcess>([[first, clients[0]!], [seeder1, clients[1]!], [seeder2, clients[0]!], [leecher, clients[1]!]])
    for (const [daemon, tor] of torOf) {
      const sockets = [...sampled.get(daemon.proc.pid!)!, ...await ownTcpSockets(daemon.proc.pid!)]
      assert.ok(sockets.length > 0, 'the daemon holds tor connections')
      const listeners = sockets.filter(s => s.state === 'LISTEN')
      for (const l of listeners) assert.equal(l.localAddress, '127.0.0.1', `listener on ${l.localAddress}:${l.localPort}`)
      const listenPorts = new Set(listeners.map(l => l.localPort))
      const torPorts = new Set([tor.controlPort, tor.socks!.port])
      for (const s of sockets.filter(x => x.state !== 'LISTEN')) {
        assert.equal(s.remoteAddress, '127.0.0.1', `connection to ${s.remoteAddress}:${s.remotePort}`)
        // Accepted connections come from tor to our onion service's local listener; every other
        // connection this process opened must go to its tor.
        if (!listenPorts.has(s.localPort)) assert.ok(torPorts.has(s.remotePort), `outbound connection to port ${s.remotePort}, not tor's`)
      }
    }
  })

  it('an onion peer that does not exist is skipped without stalling the fetch', async () => {
    const nobody = createNetworkKey().address // a valid onion address nobody publishes
    const r = (await ohtJson<{ path: string, peers: number, seconds: number }>(join(dir, 'embedded'),
      [...torArgs(clients[1]!), 'fetch', link, '-o', join(dir, 'out-embedded'), '--peer', nobody, '--peer', first.address], { timeoutMs: 150_000 })).value
    assert.equal(r.peers, 1)
    assert.equal(await sha256File(r.path), await sha256File(input))
    // The fetch (its own duration, not the process start) ended before a dial to the dead peer
    // could have given up: it did not wait for that dial.
    assert.ok(r.seconds < TOR_DIAL_TIMEOUT_MS / 1000, `took ${r.seconds} s`)
  })

  it('a restarted daemon keeps its onion address (the key stays in the data directory)', async () => {
    const own = await startDaemon(join(dir, 'restarted'), torArgs(clients[0]!), 120_000)
    daemons.push(own)
    const address = own.address
    await own.stop()
    const again = await startDaemon(own.dataDir, torArgs(clients[0]!), 120_000)
    daemons.push(again)
    assert.equal(again.address, address)
  })
})
