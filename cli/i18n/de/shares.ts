// `oht unshare`, die abgerufenen Freigaben in `oht ls` und die fortgesetzten Übertragungen des Daemons.
export default {
  'shares.unshare.description': 'eine Freigabe nicht mehr teilen und vergessen: der Daemon verteilt sie nicht mehr und kündigt ' +
    'sie nicht mehr an (ihr DHT-Eintrag läuft dann ab) und vergisst sie. Eigene Dateien bleiben, wo sie sind; die Dateien einer ' +
    'abgerufenen Freigabe bleiben auch, außer mit --delete-data.',
  'shares.unshare.argRef': 'die Freigabe: ihre ID oder ihr oht://-Link (wie oht ls sie zeigt)',
  'shares.unshare.optDeleteData': 'auch die Dateien löschen, die Abrufe dieser Freigabe geschrieben haben (samt .part-Dateien)',
  'shares.unshare.done': '{id} wird nicht mehr geteilt',
  'shares.unshare.removed': 'gelöscht: {path}',
  'shares.unshare.badRef': 'keine Freigabe-ID und kein Link: "{ref}" (oht ls zeigt die IDs)',
  'shares.fetched': 'abgerufen',
  'shares.state.fetching': 'lädt',
  'shares.state.paused': 'pausiert',
  'shares.state.seeding': 'verteilt',
  'shares.state.complete': 'fertig',
  'shares.state.failed': 'fehlgeschlagen',
  'shares.optSeedRatio': 'mit Daemon: diese Freigabe nicht mehr verteilen, sobald das Vielfache ihrer Größe hochgeladen ist (Standard: config seedRatio, sonst weiter verteilen)',
  'shares.optSeedTime': 'mit Daemon: diese Freigabe nach dieser Zeit nicht mehr verteilen, z. B. 12h (Standard: config seedTime, sonst weiter verteilen)',
  'shares.badRatio': 'kein Verhältnis: {value} (eine Zahl ≥ 0, z. B. 2)',
  'shares.resumed': 'setzt {count} unfertige(n) Abruf/Abrufe fort',
  'shares.daemonHelp': '\nÜber Neustarts hinweg: der Daemon hält seine Übertragungen im Datenverzeichnis fest (versiegelt). ' +
    'Nach einem Stopp oder Absturz (kill -9) wieder gestartet, verteilt er seine eigenen, gepinnten und abgerufenen ' +
    'Freigaben, setzt unfertige Abrufe von selbst fort (ihre Peers und die Anbieter aus der DHT, mit wachsenden ' +
    'Wartezeiten) und lässt pausierte pausiert. Ein Abruf, der nicht auf seinen Datenträger passt oder ihn füllt, wird ' +
    'pausiert und läuft weiter, sobald Platz ist. oht unshare beendet das Teilen; oht config set ' +
    'maxUpload|maxDownload|seedRatio|seedTime wirkt sofort.'
}
