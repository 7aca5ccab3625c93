import type { Params } from '../index.ts'

export default {
  'daemon.dhtJoinFailed': 'could not join the DHT: {reason}',
  'daemon.alreadyRunning': 'a daemon already runs for {dataDir}',
  'daemon.node': 'oht daemon: node {nodeId}',
  'daemon.listening': 'listening on {address}',
  'daemon.seeding': (p: Params) => `seeding ${p.count} share${Number(p.count) === 1 ? '' : 's'}`,
  'daemon.api': 'API: {socket}',
  'daemon.apiTcp': 'API over TCP: {address} (token in {token})'
}
