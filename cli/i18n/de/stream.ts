export default {
  'stream.description': 'eine Datei einer Freigabe an einen Mediaplayer streamen, während sie lädt: gibt eine lokale URL aus, die HTTP-Range-Anfragen beantwortet, sobald die Blöcke darunter da sind (was der Player liest, wird zuerst geholt; der Rest der Freigabe lädt, solange der Stream offen ist, mit geringerem Vorrang, damit ein Sprung nicht dahinter wartet: `oht fetch` holt eine ganze Freigabe am schnellsten), oder startet --player damit. Läuft ein Daemon, lädt und liefert er.',
  'stream.argLink': 'oht://-Link',
  'stream.optFile': 'die abzuspielende Datei der Freigabe (ihr Pfad darin; Standard: die erste Audio-/Videodatei)',
  'stream.optPlayer': 'diesen Player mit der URL starten, z. B. mpv oder vlc (ohne Shell; {url} markiert die Stelle der URL)',
  'stream.optPeer': 'ein Peer, von dem geladen wird, z. B. tcp:127.0.0.1:4001 (wiederholbar)',
  'stream.optOutput': 'wohin die geladenen Dateien kommen (Standard: <Datenverzeichnis>/streams)',
  'stream.serving': 'liefert bis zur Unterbrechung (Strg-C)',
  'stream.complete': 'Download vollständig: {path}',
  'stream.failed': 'der Download ist fehlgeschlagen: {reason}',
  'stream.daemonNoStreams': 'der laufende Daemon liefert keine Streams (er ist älter); beende ihn oder nimm ein anderes --data-dir',
  'stream.playerExited': 'der Player wurde mit Status {code} beendet'
}
