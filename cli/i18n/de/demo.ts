import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

export default {
  'demo.directory': 'Demo-Verzeichnis: {dir}',
  'demo.transport': 'Transport: TCP auf 127.0.0.1 (NICHT anonym; mit installiertem tor läuft oht demo über Onion-Dienste eines privaten Tor-Netzes)',
  'demo.torStarting': 'starte ein privates Tor-Netz auf 127.0.0.1 (4 Verzeichnisautoritäten, die weiterleiten, 1 Client-tor; das echte Tor-Netz wird nicht berührt)...',
  'demo.torReady': 'privates Tor-Netz in {seconds} s bereit; jeder Knoten unten ist ein Onion-Dienst',
  'demo.found': '{name} hat nur den Link: die DHT nennt {n} Anbieter ({hops} Sprünge, {messages} Nachrichten)',
  'demo.progress': '  {name}: {percent}% ({rate}) von {peers} Peers',
  'demo.generating': 'erzeuge {size} Testdaten...',
  'demo.node': '  {name} Knoten {nodeId}…  lauscht auf {address}',
  'demo.shared': 'alice hat film.bin in {seconds} s geteilt ({rate}): an Ort und Stelle verschlüsselt und gehasht, nichts kopiert',
  'demo.link': '  Link:              {link}',
  'demo.verifyCap': '  Prüf-Berechtigung: {verifyCap}',
  'demo.fetched': (p: Params) => `${p.name} hat sie von ${p.peers} ${plural('de', p.peers, { one: 'Peer', other: 'Peers' })} in ${p.seconds} s abgerufen (${p.rate}) und verteilt sie jetzt`,
  'demo.fetchedAll': '{name} hat sie von {peers} von {of} Peers gleichzeitig in {seconds} s abgerufen ({rate})',
  'demo.differs': 'Demo fehlgeschlagen: die abgerufene Datei weicht vom Original ab ({a} gegen {b})',
  'demo.identical': 'sha256 von Original und abgerufener Datei: {sha} (identisch)',
  'demo.traffic': '  {name} hochgeladen {up}, heruntergeladen {down}',
  'demo.carDiffers': 'Demo fehlgeschlagen: der CAR-Umweg weicht ab',
  'demo.car': 'CAR-Export ({blocks} Blöcke, UnixFS-Wurzel {root}…) auf einem Offline-Knoten importiert und entschlüsselt: identisch',
  'demo.passed': 'Demo bestanden.',
  'demo.kept': '{dir} behalten'
}
