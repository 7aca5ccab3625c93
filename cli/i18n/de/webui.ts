export default {
  'webui.description': 'die Web-Oberfläche des Daemons auf 127.0.0.1 (Freigaben, Übertragungen, Holen, Player, Pins, DHT, Peers, Einstellungen), mit --onion auch als eigener Onion-Dienst für den Tor Browser. Noch nicht gebaut: die Holen-Seite ohne Installation (--public-fetch)',
  'webui.start.optOnion': 'die Oberfläche auch als eigenen Onion-Dienst veröffentlichen, den nur erreicht, wer den ausgegebenen Client-Schlüssel hat (Tor-v3-Client-Autorisierung; nur mit dem Tor-Transport)',
  'webui.onion': 'über Tor: {origin}; öffne im Tor Browser',
  'webui.onionKey': 'und wenn er nach dem Schlüssel des Onion-Dienstes fragt, füge ein:',
  'webui.onionAuthLine': '(für das ClientOnionAuthDir eines tor-Clients eine .auth_private-Datei mit dieser Zeile:)',
  'webui.start.description': 'die Web-Oberfläche starten (oder laufen lassen) und eine einmalige Anmelde-Adresse ausgeben',
  'webui.start.optPort': 'Loopback-Port (0: ein beliebiger freier Port)',
  'webui.stop.description': 'die Web-Oberfläche beenden (alle Browser-Sitzungen enden)',
  'webui.status.description': 'ob die Web-Oberfläche läuft, und wo',
  'webui.noDaemon': 'die Web-Oberfläche läuft im Daemon: starte zuerst `oht daemon`',
  'webui.badPort': 'kein Port: {port}',
  'webui.started': 'Web-Oberfläche auf {origin}; öffne diese Adresse im Browser, um dich anzumelden:',
  'webui.once': '(die Adresse gilt einmal und 15 Minuten lang; `oht webui start` erneut gibt eine neue)',
  'webui.stopped': 'Web-Oberfläche beendet',
  'webui.running': 'Web-Oberfläche läuft auf {origin}',
  'webui.notRunning': 'Web-Oberfläche läuft nicht'
}
