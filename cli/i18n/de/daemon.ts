import type { Params } from '../index.ts'

export default {
  'daemon.dhtJoinFailed': 'Beitritt zur DHT fehlgeschlagen: {reason}',
  'daemon.alreadyRunning': 'für {dataDir} läuft bereits ein Daemon',
  'daemon.node': 'oht-Daemon: Knoten {nodeId}',
  'daemon.listening': 'lauscht auf {address}',
  'daemon.seeding': (p: Params) => `verteilt ${p.count} Freigabe${Number(p.count) === 1 ? '' : 'n'}`,
  'daemon.api': 'API: {socket}',
  'daemon.apiTcp': 'API über TCP: {address} (Token in {token})'
}
