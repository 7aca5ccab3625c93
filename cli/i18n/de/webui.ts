export default {
  'webui.description': 'die Web-Oberfläche des Daemons auf 127.0.0.1 (Freigaben, Übertragungen, Holen, Player, Pins, DHT, Peers, Einstellungen). Noch nicht gebaut: die Oberfläche als eigener Onion-Dienst (--onion, für den Tor Browser) und die Holen-Seite ohne Installation (--public-fetch)',
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
