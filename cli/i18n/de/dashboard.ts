import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

export default {
  'dashboard.description': 'eine Live-Ansicht eines laufenden Daemons: jede Übertragung (Größe, Fortschritt, Raten, Restzeit, Peers; Streams, die er ausliefert, als Stream) ' +
    'und für die gewählte ihre Peers und Blockkarte. Tasten: Pfeile oder j/k wählen, p Pause/weiter, ' +
    'c abbrechen, f Dateiauswahl, ? Hilfe, q beenden. Spricht nur über die API mit dem Daemon.',
  'dashboard.noDaemon': 'für dieses Datenverzeichnis läuft kein Daemon: mit oht daemon starten',
  'dashboard.noTty': 'das Dashboard braucht ein Terminal (in Skripten oht status --json verwenden)',
  'dashboard.connecting': 'verbinde mit dem Daemon…',
  'dashboard.node': 'Knoten {id}…',
  'dashboard.listening': '{transport} {address}',
  'dashboard.notListening': 'lauscht nicht',
  'dashboard.tor': 'Tor {percent} %',
  'dashboard.dht': 'DHT {nodes} Knoten',
  'dashboard.broken': 'DEFEKT (Dateien geändert, nicht geliefert): {names}',
  'dashboard.totals': (p: Params) => `${p.count} ${plural('de', p.count, { one: 'Übertragung', other: 'Übertragungen' })} (${p.active} aktiv)  runter ${p.down}  hoch ${p.up}`,
  'dashboard.live': '● live',
  'dashboard.disconnected': '○ verbinde neu…',
  'dashboard.col.name': 'NAME',
  'dashboard.col.size': 'GRÖSSE',
  'dashboard.col.progress': 'FORTSCHRITT',
  'dashboard.col.down': 'RUNTER',
  'dashboard.col.up': 'HOCH',
  'dashboard.col.eta': 'REST',
  'dashboard.col.peers': 'P',
  'dashboard.col.state': 'ZUSTAND',
  'dashboard.state.fetching': 'lädt',
  'dashboard.state.paused': 'pausiert',
  'dashboard.state.complete': 'fertig',
  'dashboard.state.seeding': 'teilt',
  'dashboard.state.failed': 'Fehler',
  'dashboard.state.cancelled': 'abgebr.',
  'dashboard.state.streaming': 'Stream',
  'dashboard.empty': 'noch keine Übertragungen: oht fetch <Link> --peer <Adresse> fügt eine hinzu',
  'dashboard.mapTitle': 'Blöcke von {name} ({blocks}):  # da  + teils  > angefragt  . fehlt',
  'dashboard.mapWaiting': 'warte auf die Metadaten der Freigabe…',
  'dashboard.mapNone': 'keine Blockkarte (lädt nicht)',
  'dashboard.peer.id': 'PEER',
  'dashboard.peer.kind': 'ART',
  'dashboard.peer.given': 'BLÖCKE',
  'dashboard.peer.inflight': 'ANF',
  'dashboard.peer.state': 'ZUSTAND',
  'dashboard.peer.banned': 'gesperrt',
  'dashboard.peer.choked': 'gedrosselt',
  'dashboard.peer.unchoked': 'frei',
  'dashboard.peer.chokesUs': 'drosselt uns',
  'dashboard.peer.none': 'keine Peers',
  'dashboard.peer.more': '… {count} weitere Peers',
  'dashboard.keys': '↑↓/jk wählen  p Pause/weiter  c abbrechen  f Dateien  ? Hilfe  q Ende',
  'dashboard.confirmCancel': '{name} abbrechen? y = ja, jede andere Taste = nein',
  'dashboard.cancelled': 'abgebrochen (die .part-Dateien bleiben: erneutes Abrufen setzt fort)',
  'dashboard.pausing': 'pausiere {name}…',
  'dashboard.resuming': 'setze {name} fort…',
  'dashboard.streamNoPause': 'ein Stream lässt sich nicht pausieren oder eingrenzen: c bricht ihn ab',
  'dashboard.filesUnknown': 'die Dateiliste ist noch unbekannt (warte auf das Manifest)',
  'dashboard.filesTitle': 'Dateien: Leertaste = laden oder überspringen, Enter = übernehmen, Esc = zurück',
  'dashboard.filesKeys': '↑↓/jk bewegen  Leertaste laden/überspringen  Enter übernehmen  Esc zurück',
  'dashboard.error': 'Fehler: {error}',
  'dashboard.help': 'oht dashboard: Tasten\n\n' +
    '  ↑ ↓ oder k j  eine Übertragung wählen\n' +
    '  p             pausieren oder fortsetzen (Pause trennt ihre Peers; Fortsetzen macht\n' +
    '                bei den schon geschriebenen Blöcken weiter)\n' +
    '  c             abbrechen (fragt vorher; geschriebene .part-Dateien bleiben)\n' +
    '  f             wählen, welche ihrer Dateien geladen werden\n' +
    '  ?             diese Hilfe\n' +
    '  q, Strg-C     beenden (die Übertragungen laufen im Daemon weiter)\n\n' +
    'Blockkarte: # da, + teils da, > angefragt, . fehlt, leer = übersprungen.\n' +
    'Peers: BLÖCKE = Blöcke, die er uns gab, ANF = unsere offenen Anfragen an ihn;\n' +
    'gedrosselt = wir laden nicht zu ihm hoch, drosselt uns = er lädt nicht zu uns hoch.',
  'dashboard.helpClose': 'beliebige Taste: zurück'
}
