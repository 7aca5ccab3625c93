// Privatsphäre auf dem Datenträger: --memory, oht wipe, was fetch in .part-Dateien hinterlässt.
export default {
  'privacy.optMemory': 'nur im Speicher: gar kein Datenverzeichnis; Schlüssel, Zustand, Blöcke und DHT-Einträge leben in ' +
    'diesem Prozess und sind weg, wenn er endet (der Knoten ist jedes Mal neu: neue Knoten-ID und über Tor eine neue Onion-Adresse)',
  'privacy.daemonOptMemory': 'einen Knoten nur im Speicher betreiben (wie das globale --memory): geschrieben wird nur, was Sie abrufen; ' +
    'seine Onion-Adresse ist bei jedem Start neu (über --tor-control mit Flags=DiscardPK angelegt, so dass nicht einmal tor den Schlüssel behält); ' +
    'andere Befehle erreichen ihn mit `oht --memory <Befehl>`',
  'privacy.memoryWithDataDir': '--memory und --data-dir schließen sich aus: ein Knoten nur im Speicher hat kein Datenverzeichnis',
  'privacy.memoryNoDataDir': '{what} braucht ein Datenverzeichnis: geht nicht mit --memory',
  'privacy.fetchParts': '\nPrivatsphäre: eine Datei im Abruf wird als Klartext in <Name>.part neben ihrem endgültigen Namen geschrieben ' +
    '(Blöcke werden beim Eintreffen entschlüsselt); ein unterbrochener Abruf lässt also lesbare Daten im Ausgabeverzeichnis, bis er fortgesetzt oder gelöscht wird. ' +
    'Mit --encrypted-parts wird nichts von der Freigabe als Klartext geschrieben, bevor alle Blöcke da sind: sie bleiben ' +
    'Chiffretext in <Name>.encrypted.part (ohne den Link nutzlos), dann entschlüsselt ein letzter Durchgang sie in die Dateien ' +
    '(jede synchronisiert und umbenannt, sobald vollständig) und löscht sie. Dieser Durchgang liest und schreibt die Freigabe ein weiteres Mal: ' +
    'gemessen etwa der halbe Durchsatz bei Loopback-Geschwindigkeit, 6-7 s pro GiB über Tor (bench/RESULTS.md); solange braucht er doppelt so viel freien Platz wie die Freigabe. Ein Abruf wird in dem Modus fortgesetzt, in dem er begann. ' +
    '`oht stream` schreibt immer Klartext-Teildateien (es spielt sie beim Eintreffen ab); eine Freigabe, die dieser Knoten schon ganz hält, wird ohne Netzwerkabruf wiederhergestellt.',
  'privacy.fetchOptEncryptedParts': 'abgerufene Blöcke bis zum Ende des Abrufs als Chiffretext behalten und dann in einem Durchgang entschlüsseln (siehe Privatsphäre unten)',
  'privacy.wipe.description': 'das Datenverzeichnis dieses Knotens löschen: Keystore und Konto-Keystores werden vor dem Löschen ' +
    'mit Nullen überschrieben, dann Zustand, Blöcke und alle übrigen Dateien (ebenfalls überschrieben). ' +
    'Grenzen: auf SSDs und Dateisystemen mit Journal oder Copy-on-Write (ext4-Journal, btrfs, ZFS, APFS) können alte Kopien ' +
    'der Bytes anderswo auf dem Gerät überleben; dagegen schützt eine Vollverschlüsselung des Datenträgers. ' +
    'Abgerufene Dateien anderswo und die freigegebenen Originaldateien bleiben unberührt.',
  'privacy.wipe.optYes': 'wirklich löschen (erforderlich)',
  'privacy.wipe.needsYes': 'oht wipe löscht den Knoten in {dataDir} endgültig (Schlüssel, Freigaben, Pins): mit --yes ausführen',
  'privacy.wipe.daemonRunning': 'auf {dataDir} läuft ein Daemon: erst beenden',
  'privacy.wipe.nothing': 'nichts zu löschen: {dataDir} existiert nicht',
  'privacy.wipe.notNode': '{dataDir} sieht nicht wie ein oht-Datenverzeichnis aus (kein keystore.json, state oder blocks): wird nicht gelöscht',
  'privacy.wipe.done': '{dataDir} gelöscht: {files} Dateien überschrieben und entfernt'
}
