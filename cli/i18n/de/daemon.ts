import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

export default {
  'daemon.hostNeedsNetwork': '--bootstrap-host braucht --network <Schlüssel>',
  'daemon.hostNeedsTor': '--bootstrap-host braucht den Tor-Transport (eine gemeinsame Onion-Adresse)',
  'daemon.networkRetry': 'die gemeinsame Adresse des Netzes hat noch nicht geantwortet ({reason}); neuer Versuch',
  'daemon.republishFailed': 'Neuveröffentlichung der gemeinsamen Adresse fehlgeschlagen: {reason}',
  'daemon.hosting': 'gemeinsame Adresse des Netzes wird angeboten: {address}',
  'daemon.dhtJoinFailed': 'Beitritt zur DHT fehlgeschlagen: {reason}',
  'daemon.alreadyRunning': 'für {dataDir} läuft bereits ein Daemon',
  'daemon.node': 'oht-Daemon: Knoten {nodeId}',
  'daemon.listening': 'lauscht auf {address}',
  'daemon.seeding': (p: Params) => `verteilt ${p.count} ${plural('de', p.count, { one: 'Freigabe', other: 'Freigaben' })}`,
  'daemon.api': 'API: {socket}',
  'daemon.apiTcp': 'API über TCP: {address} (Token in {token})'
}
