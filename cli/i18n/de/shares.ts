// `oht unshare`, die abgerufenen Freigaben in `oht ls` und die fortgesetzten Übertragungen des Daemons.
export default {
  'shares.unshare.description': 'eine Freigabe nicht mehr teilen und vergessen: der Daemon verteilt sie nicht mehr und kündigt ' +
    'sie nicht mehr an (ihr DHT-Eintrag läuft dann ab) und vergisst sie. Eigene Dateien bleiben, wo sie sind; die Dateien einer ' +
    'abgerufenen Freigabe bleiben auch, außer mit --delete-data.',
  'shares.unshare.argRef': 'die Freigabe: ihre ID oder ihr oht://-Link (wie oht ls sie zeigt)',
  'shares.unshare.optDeleteData': 'auch die Dateien löschen, die Abrufe dieser Freigabe geschrieben haben (samt .part-Dateien)',
  'shares.unshare.done': '{id} wird nicht mehr geteilt',
  'shares.unshare.removed': 'gelöscht: {path}',
  'shares.fetched': 'abgerufen',
  'shares.state.fetching': 'lädt',
  'shares.state.paused': 'pausiert',
  'shares.state.seeding': 'verteilt',
  'shares.state.complete': 'fertig',
  'shares.state.failed': 'fehlgeschlagen',
  'shares.optSeedRatio': 'mit Daemon: diese Freigabe nicht mehr verteilen, sobald das Vielfache ihrer Größe hochgeladen ist (Standard: config seedRatio, sonst weiter verteilen)',
  'shares.optSeedTime': 'mit Daemon: diese Freigabe nach dieser Zeit nicht mehr verteilen, z. B. 12h (Standard: config seedTime, sonst weiter verteilen)',
  'shares.badRatio': 'kein Verhältnis: {value} (eine Zahl ≥ 0, z. B. 2)',
  'shares.resumed': 'setzt {count} unfertige(n) Abruf/Abrufe fort'
}
