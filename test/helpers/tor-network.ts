// Starts the private Tor network of the test/tor suites: LAN (bare loopback) unless OHT_TESTNET=wan
// asks for the WAN testbed (every link into a relay delayed; see src/onion/tor/testnet.ts).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { TorTestNetwork, testNetworkKindFromEnv, type TestNetworkOptions } from '../../src/onion/tor/testnet.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import type { Daemon } from './daemon.ts'

export async function startTestNetwork (options: TestNetworkOptions = {}): Promise<TorTestNetwork> {
  return await TorTestNetwork.start({ net: testNetworkKindFromEnv(), ...options })
}

/** The global options that attach an `oht` command or daemon to one of the network's client tors. */
export function torArgs (tor: { controlPort: number, cookieFile: string }): string[] {
  return ['--transport', 'tor', '--tor-control', `127.0.0.1:${tor.controlPort}`, '--tor-cookie', tor.cookieFile]
}

/** What a Tor test file shares: its temporary folder, the network, its client tors, its daemons. */
export interface TorSuite {
  dir: string
  network: TorTestNetwork
  clients: TorProcess[]
  /** Daemons to stop after the file's tests (push each one started). */
  daemons: Daemon[]
}

/**
 * Registers the file's before/after hooks: a temporary folder and a private Tor network with
 * `clientCount` client tors before; after, every daemon pushed to `daemons` stopped, the network
 * stopped and the folder removed.
 */
export function torSuite (prefix: string, clientCount = 2): TorSuite {
  const suite: TorSuite = { dir: '', network: undefined as unknown as TorTestNetwork, clients: [], daemons: [] }
  before(async () => {
    suite.dir = await mkdtemp(join(tmpdir(), prefix))
    suite.network = await startTestNetwork()
    suite.clients = await Promise.all(Array.from({ length: clientCount }, async () => await suite.network.startClient()))
  })
  after(async () => {
    await Promise.all(suite.daemons.map(async d => { await d.stop() }))
    await (suite.network as TorTestNetwork | undefined)?.stop()
    if (suite.dir !== '') await rm(suite.dir, { recursive: true, force: true })
  })
  return suite
}
