export default {
  'tor.listenIgnored': '--listen gilt für --transport tcp; der Tor-Transport lauscht auf 127.0.0.1 hinter seinem Onion-Dienst (ignoriert)',
  'tor.bootstrap': 'tor: {progress}% gestartet ({summary})',
  'tor.published': 'tor: Onion-Dienst veröffentlicht: {address}',
  'tor.lost': 'Verbindung zu tor verloren: {reason}',
  'tor.bootstrapFailed': 'tor hat das Tor-Netz nach {seconds} s nicht erreicht (zuletzt: {last}): ist dieser Rechner online? `oht demo` startet ein privates Netz',
  'tor.badControl': 'ungültige --tor-control-Adresse {address}: IP-Adresse und Port angeben, z. B. 127.0.0.1:9051',
  'tor.description': "der Tor des laufenden Daemons",
  'tor.newonions.description': 'eine neue Onion-Adresse für den laufenden Daemon: neuer Dienstschlüssel (gespeichert, der alte vernichtet), seine Freigaben in der DHT damit neu angekündigt; die alte Adresse antwortet nicht mehr',
  'tor.newonions.noDaemon': 'oht tor newonions braucht einen laufenden Daemon (oht daemon): eine neue Adresse ergibt nur für einen Knoten Sinn, der sie ankündigen kann'
}
