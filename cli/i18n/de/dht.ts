import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

export default {
  'dht.peers.description': 'die DHT-Routingtabelle anzeigen: die Knoten, die dieser Knoten kennt (ID und Adresse)',
  'dht.peers.header': (p: Params) => `${String(p.n)} Knoten in der Routingtabelle`,
  'dht.peers.failures': (p: Params) => `${String(p.n)} ${plural('de', p.n, { one: 'fehlgeschlagene Anfrage', other: 'fehlgeschlagene Anfragen' })}`,
  'dht.description': 'signierte, ablaufende Werte in der Onion-DHT speichern und lesen',
  'dht.put.description': 'einen Wert speichern; gibt seine Referenz aus. Unveränderlich (Standard: der Schlüssel ist sein Hash), ' +
    '--mutable (mit dem Schlüssel dieses Knotens signiert, durch neuere ersetzt) oder --private (verschlüsselt; nur der ausgegebene Handle findet und liest ihn)',
  'dht.put.argValue': 'der Wert als Text (oder --file)',
  'dht.put.optFile': 'den Wert aus einer Datei lesen (höchstens 16 KiB)',
  'dht.put.optMutable': 'ein veränderlicher Wert dieses Knotens',
  'dht.put.optSalt': 'mit --mutable: ein Salt in Hex, um mehrere Werte unter einem Schlüssel zu halten',
  'dht.put.optPrivate': 'ein privater Wert unter einem neuen zufälligen Handle',
  'dht.put.optHandle': 'den privaten Wert dieses private:<handle> aktualisieren',
  'dht.put.oneValue': 'den Wert entweder als Argument oder mit --file angeben',
  'dht.put.oneKind': '--mutable und --private schließen einander aus',
  'dht.put.stored': (p: Params) => `auf ${String(p.n)} DHT-Knoten gespeichert`,
  'dht.argRef': 'ein 64-stelliger Hex-Schlüssel, mutable:<Eigentümerschlüssel hex>[:<Salt hex>] oder private:<handle>',
  'dht.get.description': 'einen Wert über seine Referenz lesen (gibt den Wert aus; --json in Base64)',
  'dht.get.notFound': 'kein solcher Wert in der DHT (nie gespeichert oder abgelaufen)',
  'dht.get.deleted': 'der Wert wurde gelöscht (ein signierter Grabstein ersetzt ihn)',
  'dht.delete.description': 'einen veränderlichen oder privaten Wert löschen, indem ein signierter Grabstein veröffentlicht wird ' +
    '(unveränderliche Werte können nicht gelöscht werden; sie laufen ab)',
  'dht.delete.done': (p: Params) => `Grabstein auf ${String(p.n)} DHT-Knoten gespeichert`,
  'network.description': 'Netze, die eine Onion-Adresse zum Einstieg teilen',
  'network.create.description': 'einen Netzschlüssel erzeugen: Gastgeber starten oht daemon --network <Schlüssel> --bootstrap-host (Tor); Neue treten nur mit --network <Schlüssel> bei. Den Schlüssel nur Mitgliedern geben: er erlaubt jedem, die Adresse zu veröffentlichen.',
  'network.created': 'Netzschlüssel (nur für Mitglieder; geheim): {key}\ngemeinsame Adresse: {address}\nGastgeber: oht daemon --network <Schlüssel> --bootstrap-host; Neue: --network <Schlüssel>'
}
