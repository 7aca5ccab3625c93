import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

export default {
  'daemon.hostNeedsNetwork': '--bootstrap-host needs --network <key>',
  'daemon.hostNeedsTor': '--bootstrap-host needs the Tor transport (a shared onion address)',
  'daemon.networkRetry': 'the network\'s shared address did not answer yet ({reason}); trying again',
  'daemon.republishFailed': 're-publishing the shared address failed: {reason}',
  'daemon.hosting': "hosting the network's shared address {address}",
  'daemon.dhtJoinFailed': 'could not join the DHT: {reason}',
  'daemon.alreadyRunning': 'a daemon already runs for {dataDir}',
  'daemon.node': 'oht daemon: node {nodeId}',
  'daemon.listening': 'listening on {address}',
  'daemon.seeding': (p: Params) => `seeding ${p.count} ${plural('en', p.count, { one: 'share', other: 'shares' })}`,
  'daemon.api': 'API: {socket}',
  'daemon.apiTcp': 'API over TCP: {address} (token in {token})'
}
