// Real `oht daemon` processes over the Tor transport on a private Tor network on 127.0.0.1
// (src/onion/tor/testnet.ts; nothing touches the real Tor network). Each daemon attaches to its
// own client tor, as a user's node would attach to a system tor, publishes its onion service,
// and a share crosses from one to the other through onion services only. The sockets of each
// daemon process are read from /proc to show what Tor mode promises: listeners on 127.0.0.1
// only, and no outbound connection but to tor's control and SOCKS ports.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { TorTestNetwork } from '../../src/onion/tor/testnet.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { generateFile, sha256File } from '../../cli/demo.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ohtJson } from '../helpers/cli.ts'
import { ownTcpSockets } from '../helpers/tor-sockets.ts'

let network: TorTestNetwork
let clients: TorProcess[] = []
let dir = ''
const daemons: Daemon[] = []

function torArgs (tor: TorProcess): string[] {
  return ['--transport', 'tor', '--tor-control', `127.0.0.1:${tor.controlPort}`, '--tor-cookie', tor.cookieFile]
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-tor-daemons-'))
  network = await TorTestNetwork.start()
  clients = await Promise.all([network.startClient(), network.startClient()])
})

after(async () => {
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await network?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('oht daemons over Tor onion services', { timeout: 240_000 }, () => {
  it('a share travels between two daemons by onion address, and neither opens a socket beyond tor', async () => {
    const seeder = await startDaemon(join(dir, 'seeder'), torArgs(clients[0]!), 120_000)
    daemons.push(seeder)
    const leecher = await startDaemon(join(dir, 'leecher'), torArgs(clients[1]!), 120_000)
    daemons.push(leecher)
    assert.match(seeder.address, /^onion:[a-z2-7]{56}\.onion:\d+$/)
    assert.match(leecher.address, /^onion:[a-z2-7]{56}\.onion:\d+$/)

    const input = join(dir, 'payload.bin')
    await generateFile(input, 3 * 1024 * 1024 + 12_345)
    const shared = (await ohtJson<{ link: string }>(seeder.dataDir, ['share', input])).value
    const out = join(dir, 'out')
    const fetched = (await ohtJson<{ path: string, bytes: number, peers: number }>(leecher.dataDir,
      ['fetch', shared.link, '-o', out, '--peer', seeder.address], { timeoutMs: 150_000 })).value
    assert.equal(fetched.bytes, 3 * 1024 * 1024 + 12_345)
    assert.equal(fetched.peers, 1)
    assert.equal(await sha256File(fetched.path), await sha256File(input))

    for (const [daemon, tor] of [[seeder, clients[0]!], [leecher, clients[1]!]] as const) {
      const sockets = await ownTcpSockets(daemon.proc.pid!)
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

  it('a restarted daemon keeps its onion address (the key stays in the data directory)', async () => {
    const first = daemons[0]!
    const before = first.address
    await first.stop()
    const again = await startDaemon(first.dataDir, torArgs(clients[0]!), 120_000)
    daemons[0] = again
    assert.equal(again.address, before)
  })
})
