// Der Befehl oht und seine bestehenden Unterbefehle (cli/main.ts, cli/commands.ts, cli/context.ts).
import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

export default {
  'cli.description': 'oht: verschlüsseltes, inhaltsadressiertes Teilen von Dateien über Tor-Onion-Dienste.\n\n' +
    'Jede Verbindung läuft über Tor-Onion-Dienste (Standard; oht startet ein eigenes tor oder nutzt ' +
    'ein laufendes) oder, nur für Tests und Entwicklung, über einfaches TCP. Peers werden allein über den ' +
    'Link in einer Onion-DHT gefunden (--bootstrap oder --network zum Beitreten) oder mit --peer angegeben.',
  'cli.optVersion': 'Version ausgeben',
  'cli.optHelp': 'Hilfe zu einem Befehl zeigen',
  'cli.optDataDir': 'Datenverzeichnis des Knotens (Standard: $OHT_HOME, sonst der Datenpfad der Plattform)',
  'cli.optTransport': 'tor (Standard: Onion-Dienste, braucht tor im PATH) oder tcp (Tests und Entwicklung: NICHT anonym)',
  'cli.daemon.optBootstrapHost': 'auch die gemeinsame Onion-Adresse des Netzes veröffentlichen (mit --network; nur Tor) und Neuen eine Auswahl lebender Peers nennen',
  'cli.daemon.optRepublish': 'mit --bootstrap-host: die gemeinsame Adresse so oft neu veröffentlichen (± 25 %), z. B. 30m',
  'cli.optNetwork': 'ein Netzschlüssel (oht-net:…, von oht network create): Peers über seine gemeinsame Onion-Adresse erfragen',
  'cli.optMaxDownload': 'Download-Grenze pro Sekunde über alle Freigaben, z. B. 4MiB',
  'cli.optMaxUploadPerPeer': 'Upload-Grenze pro Sekunde für jeden Peer einzeln, z. B. 512KiB',
  'cli.optMaxDownloadPerPeer': 'Download-Grenze pro Sekunde von jedem Peer einzeln, z. B. 1MiB',
  'cli.optBootstrap': 'ein DHT-Knoten zum Beitreten, z. B. tcp:127.0.0.1:4001 oder onion:<56>.onion:4001 (wiederholbar)',
  'cli.optTorControl': 'ControlPort eines laufenden tor, z. B. 127.0.0.1:9051 (Standard: eigenes tor starten; Passwort in $OHT_TOR_PASSWORD)',
  'cli.optTorCookie': 'Cookie-Datei dieses tor (Standard: der Pfad, den tor nennt)',
  'cli.optListen': 'Adresse, auf der der Daemon lauscht, z. B. 127.0.0.1:4001',
  'cli.optMaxUpload': 'Upload-Grenze pro Sekunde über alle Freigaben, z. B. 2MiB',
  'cli.optJson': 'ein JSON-Objekt (das Ergebnis) auf stdout ausgeben',
  'cli.optQuiet': 'nur das Ergebnis ausgeben',
  'cli.optLang': 'Sprache der Meldungen: en oder de (Standard: lang aus der Konfiguration, sonst LANG)',
  'cli.optProgress': 'Fortschritt langer Befehle auf stderr: auto (Balken im Terminal, sonst Zeilen, nichts bei --json/--quiet), bar, lines, json oder none',
  'cli.helpCommand': 'Hilfe zu einem Befehl zeigen',
  'cli.helpAfterError': '(oht --help zeigt die Verwendung)',
  'cli.errorPrefix': 'oht: Fehler: ',
  'cli.warningPrefix': 'oht: Warnung: ',
  'cli.badProgressMode': 'unbekannter Fortschrittsmodus {mode} (bekannt: {known})',
  'cli.badOption': 'ungültiger Wert {value} für {option}: {reason}',
  'cli.expectedTransport': 'erwartet tor oder tcp',
  'cli.expectedRate': 'erwartet eine positive Größe pro Sekunde, z. B. 512KiB, 2MiB',
  'cli.badBlockSize': 'ungültige Blockgröße {value}: erwartet eine Zweierpotenz von 16KiB bis 16MiB, z. B. 256KiB',
  'cli.unknownTransport': 'unbekannter Transport {kind} (tor oder tcp)',

  'cli.init.description': 'Schlüssel und Datenverzeichnis dieses Knotens anlegen (andere Befehle tun das beim ersten Aufruf)',
  'cli.init.daemonRunning': 'bereits eingerichtet: Knoten {nodeId} (sein Daemon läuft)',
  'cli.init.noPassphrase': 'Schlüsselspeicher ohne Passphrase geschrieben: die Schlüssel sind nur durch Dateirechte geschützt (OHT_PASSPHRASE vor init setzen, um sie zu verschlüsseln)',
  'cli.init.created': 'eingerichtet: Knoten {nodeId}\nDatenverzeichnis: {dataDir}',
  'cli.init.existed': 'bereits eingerichtet: Knoten {nodeId}\nDatenverzeichnis: {dataDir}',

  'cli.share.description': 'Dateien oder Verzeichnisse an Ort und Stelle teilen (nichts wird kopiert) und den Link ausgeben; ' +
    'mehrere Pfade werden eine Freigabe. Ein laufender Daemon (oht daemon) verteilt sie an Peers.',
  'cli.share.argPath': 'Dateien oder Verzeichnisse',
  'cli.share.optName': 'oberster Name der Freigabe (Standard: der Datei- oder Verzeichnisname)',
  'cli.share.optFollowSymlinks': 'das Ziel symbolischer Links aufnehmen (Standard: Links überspringen)',
  'cli.share.optBlockSize': 'Blockgröße des Klartexts, eine Zweierpotenz von 16KiB bis 16MiB',
  'cli.share.optVerifyCap': 'auch die Prüf-Berechtigung ausgeben (abrufen, prüfen und weitergeben ohne zu entschlüsseln)',
  'cli.share.skipped': '{path} übersprungen: {reason}',
  'cli.share.verifyCap': 'Prüf-Berechtigung: {verifyCap}',

  'cli.status.description': 'dieser Knoten: ID, Adresse, Transport und die Schwärme eines laufenden Daemons (ohne Daemon die ID aus dem entsperrten Keystore: ein geschützter braucht OHT_PASSPHRASE)',
  'cli.status.node': 'Knoten {nodeId}',
  'cli.status.daemon': 'Daemon lauscht auf {address} ({transport})',
  'cli.status.noDaemon': 'kein Daemon läuft',
  'cli.status.broken': '  {id}  {name}  DEFEKT, wird nicht mehr geliefert: {reason}',
  'cli.status.swarm': '  {id}  {role}  {held}/{wanted} Blöcke  {peers} Peers  hoch {up}  runter {down}',
  'cli.status.seeding': 'verteilt',
  'cli.status.fetching': 'ruft ab',

  'cli.ls.description': 'die Freigaben auflisten, die dieser Knoten besitzt oder hält, und die sein Daemon abgerufen hat (mit Zustand: lädt, pausiert, verteilt, fertig, fehlgeschlagen)',
  'cli.ls.own': 'eig.',
  'cli.ls.hold': 'hält',
  'cli.ls.broken': '      DEFEKT, wird nicht mehr geliefert: {reason} (die Dateien erneut freigeben, um den neuen Inhalt zu veröffentlichen)',
  'cli.ls.empty': 'noch keine Freigaben (oht share <Pfad>)',

  'cli.fetch.description': 'eine Freigabe von den angegebenen Peers gleichzeitig in ein Verzeichnis abrufen; jeder Block ' +
    'wird geprüft (Blatt-Hash und Merkle-Wurzel), bevor er geschrieben wird; Dateien entstehen als .part ' +
    'und werden umbenannt, wenn sie vollständig sind; ein abgebrochener Abruf wird fortgesetzt. Freigaben, ' +
    'die dieser Knoten hält, brauchen keine Peers. Läuft ein Daemon, ist der Abruf eine seiner ' +
    'Übertragungen (siehe oht dashboard); Strg-C bricht ihn ab. ' +
    'Ohne --peer werden die Anbieter der Freigabe in der DHT gesucht (ein Daemon ist dort; ein ' +
    'eingebetteter Abruf tritt über --bootstrap bei).',
  'cli.fetch.argLink': 'oht://-Link, oder ein Name: oht://name/<konto>/<name> oder <petname>/<name>',
  'cli.fetch.optOutput': 'Ausgabeverzeichnis',
  'cli.fetch.optPeer': 'ein Peer zum Abrufen, z. B. tcp:127.0.0.1:4001 (wiederholbar)',
  'cli.fetch.optFile': 'nur diesen Pfad einer Verzeichnisfreigabe abrufen (wiederholbar)',
  'cli.fetch.optForce': 'vorhandene Dateien ersetzen; auch eine Freigabe mit verstecktem Namen (.ssh) in den Home-Ordner oder in einen vorhandenen Ordner dieses Namens holen',
  'cli.fetch.optMerge': 'in einen schon vorhandenen Ordner mit dem Namen der Freigabe schreiben (seine Dateien werden ohne --force trotzdem nie ersetzt)',
  'cli.fetch.interrupted': 'unterbrochen',
  'cli.fetch.dialFailed': '{address} nicht erreichbar: {reason}',
  'cli.fetch.banned': 'Peer {peer}… gesperrt: {reason}',
  'cli.fetch.resuming': 'setze fort: {resumed} von {blocks} Blöcken schon hier',
  'cli.fetch.done': (p: Params) => `${p.path} (${p.bytes} in ${p.seconds} s, ${Number(p.peers) === 0 ? 'aus lokalen Blöcken' : `von ${p.peers} ${plural('de', p.peers, { one: 'Peer', other: 'Peers' })}`})`,

  'cli.export.description': 'den Chiffretext einer Freigabe als CAR-Datei schreiben: ein UnixFS-DAG, dessen Blätter die ' +
    'verschlüsselten Blöcke sind, dazu das Manifest. Jeder IPFS-Knoten kann sie importieren und ' +
    'anbieten; nur der Link entschlüsselt sie.',
  'cli.export.argLink': 'oht://-Link oder oht-verify://-Berechtigung einer Freigabe, die dieser Knoten hält',
  'cli.export.optCar': 'als CAR exportieren (das einzige Format)',
  'cli.export.optOutput': 'Ausgabedatei (Standard: <id>.car)',
  'cli.export.done': '{path} ({blocks} Blöcke, {bytes}; UnixFS-Wurzel {root})',

  'cli.import.description': 'eine von oht exportierte CAR-Datei importieren: jeder Block wird gegen seine CID und die ' +
    'Merkle-Wurzel geprüft, bevor etwas gespeichert wird; danach lässt sich die Freigabe mit ihrem Link abrufen',
  'cli.import.argFile': 'CAR-Datei',
  'cli.import.done': '{id} importiert ({blocks} Blöcke, {bytes} Klartext)',

  'cli.daemon.description': 'diesen Knoten betreiben: auf dem Transport lauschen, jede eigene und jede abgerufene Freigabe ' +
    'verteilen, Übertragungen ausführen und die lokale API anbieten, die die anderen Befehle und das ' +
    'Dashboard nutzen (ein Unix-Socket im Datenverzeichnis; mit --api-tcp oder dem Schlüssel api.tcp ' +
    'zusätzlich ein Loopback-TCP-Port, der das Token aus <Datenverzeichnis>/api.token verlangt). ' +
    'Der Transport sind standardmäßig Tor-Onion-Dienste (--transport tcp für Tests: NICHT anonym).',
  'cli.daemon.optLogFile': 'ein Debug-Protokoll an diese Datei anhängen (Modus 0600): DEBUG=oht:swarm,oht:dht,… wählt aus, Standard alle oht-Namensräume außer oht:swarm:block',
  'cli.daemon.optApiTcp': 'die API zusätzlich auf dieser Loopback-Adresse anbieten, z. B. 127.0.0.1:7701 (Token nötig)',

  'cli.demo.description': 'ein privates Netz von Knoten auf diesem Rechner (alle auf 127.0.0.1) in einer DHT: einer ' +
    'teilt eine erzeugte Datei, die anderen rufen sie von ihm und voneinander ab, der letzte findet alle allein ' +
    'über den Link in der DHT und ruft von allen gleichzeitig ab; dann reist die Freigabe als IPFS-CAR zu einem ' +
    'Offline-Knoten. Die Knoten sind Onion-Dienste eines eigens gestarteten privaten Tor-Netzes (wenn tor ' +
    'installiert ist; sonst einfaches TCP, NICHT anonym, mit Hinweis); --transport tcp erzwingt TCP (schneller).',
  'cli.demo.optSize': 'Größe der erzeugten Datei (Standard 16MiB über Tor, 64MiB über TCP)',
  'cli.demo.noTor': 'die Demo über Tor braucht tor im PATH (apt-get install tor); --transport tcp läuft ohne',
  'cli.demo.fallback': 'tor ist nicht installiert (apt-get install tor): die Demo läuft stattdessen über einfaches TCP auf 127.0.0.1, das NICHT anonym ist',
  'cli.demo.optSeeders': 'Knoten, die vor dem letzten Abruf verteilen',
  'cli.demo.optKeep': 'das Demo-Verzeichnis behalten',

  'cli.help.usage': 'Aufruf:',
  'cli.help.arguments': 'Argumente:',
  'cli.help.options': 'Optionen:',
  'cli.help.globalOptions': 'Globale Optionen:',
  'cli.help.commands': 'Befehle:',
  'cli.help.default': 'Standard',
  'cli.help.choices': 'Auswahl',
  'cli.group.basic': 'Grundbefehle:',
  'cli.group.node': 'Einen Knoten betreiben:',
  'cli.group.pinning': 'Pinnen und Konten:',
  'cli.group.network': 'Netzwerkbefehle:',
  'cli.group.tools': 'Werkzeuge:',
  'cli.summary.init': 'Schlüssel und Datenverzeichnis dieses Knotens anlegen',
  'cli.summary.share': 'Dateien oder Verzeichnisse freigeben und den Link ausgeben',
  'cli.summary.fetch': 'eine Freigabe über ihren Link abrufen',
  'cli.summary.stream': 'eine Datei einer Freigabe an einen Mediaplayer streamen',
  'cli.summary.ls': 'die eigenen und gehaltenen Freigaben auflisten',
  'cli.summary.status': 'dieser Knoten und sein Daemon',
  'cli.summary.daemon': 'diesen Knoten betreiben: verteilen, abrufen, API anbieten',
  'cli.summary.dashboard': 'Live-Ansicht eines laufenden Daemons',
  'cli.summary.demo': 'ein privates Netz auf diesem Rechner, um oht auszuprobieren',
  'cli.summary.pin': 'die Blöcke einer Freigabe hier oder auf einem anderen Knoten halten',
  'cli.summary.unpin': 'einen Pin dieses Knotens beenden',
  'cli.summary.pins': 'welche Konten hier pinnen dürfen',
  'cli.summary.caps': 'die Prüf-Capability eines Links ausgeben',
  'cli.summary.account': 'Kontoschlüssel, Signaturen, Delegationen',
  'cli.summary.peers': 'die DHT-Routingtabelle auflisten',
  'cli.summary.dht': 'signierte, ablaufende Werte in der Onion-DHT',
  'cli.summary.tor': 'der Tor des Daemons: eine neue Onion-Adresse',
  'cli.summary.network': 'Netze, die sich eine Bootstrap-Adresse teilen',
  'cli.summary.config': 'die Konfigurationsdatei lesen und ändern',
  'cli.summary.export': 'den Chiffretext einer Freigabe als IPFS-CAR schreiben',
  'cli.summary.import': 'ein von oht exportiertes CAR importieren',
  'cli.help.examples': 'Beispiele:\n' +
    '  oht demo --transport tcp           ausprobieren: ein privates Netz auf diesem Rechner\n' +
    '  oht share ./fotos                  ein Verzeichnis freigeben, den oht://-Link ausgeben\n' +
    '  oht daemon &                       über Tor verteilen\n' +
    '  oht fetch oht://… -o ~/Downloads   eine Freigabe allein über ihren Link abrufen\n' +
    '  oht stream oht://… --player mpv    ein Video schon während des Downloads ansehen\n' +
    '  oht help <Befehl>                  alles über einen Befehl'
}
