// Starts the private Tor network of the test/tor suites: LAN (bare loopback) unless OHT_TESTNET=wan
// asks for the WAN testbed (every link into a relay delayed; see src/onion/tor/testnet.ts).
import { TorTestNetwork, testNetworkKindFromEnv, type TestNetworkOptions } from '../../src/onion/tor/testnet.ts'

export async function startTestNetwork (options: TestNetworkOptions = {}): Promise<TorTestNetwork> {
  return await TorTestNetwork.start({ net: testNetworkKindFromEnv(), ...options })
}

/** The global options that attach an `oht` command or daemon to one of the network's client tors. */
export function torArgs (tor: { controlPort: number, cookieFile: string }): string[] {
  return ['--transport', 'tor', '--tor-control', `127.0.0.1:${tor.controlPort}`, '--tor-cookie', tor.cookieFile]
}
