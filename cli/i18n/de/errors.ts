// Die Fehler des Knotens nach Code (src/node/errors.ts), mit den Optionen und Befehlen, die helfen.
export default {
  'errors.keystore.missing': 'kein Schlüsselspeicher unter {path}: `oht init` ausführen',
  'errors.keystore.locked': '{what} lässt sich nicht entsperren: falsche Passphrase (OHT_PASSPHRASE) oder beschädigte Datei',
  'errors.account.badId': 'keine Konto-ID: {id} (64 Hex-Ziffern für Ed25519, 66 für secp256k1, wie `oht account list` sie zeigt)',
  'errors.account.none': 'noch kein Konto: `oht account create` ausführen',
  'errors.account.several': 'mehrere Konten: mit --account <id> eines wählen',
  'errors.account.badNodeId': 'keine Knoten-ID: {id} (64 Hex-Ziffern, wie `oht status` sie zeigt)',
  'errors.account.badLifetime': 'ein Delegationszertifikat braucht eine endliche, positive Laufzeit (z. B. --ttl 30d)',
  'errors.fetch.notHeld': 'Freigabe {share} liegt nicht auf diesem Knoten; mit --peer <Adresse> von Peers holen oder ihr CAR importieren',
  'errors.fetch.notHeldOffline': 'Freigabe {share} liegt nicht auf diesem Knoten: --peer <Adresse> angeben, oder --bootstrap <Adresse>, um ihre Peers in der DHT zu finden (oder oht daemon starten, der in der DHT bleibt)',
  'errors.fetch.noPeers': 'keine Peers zum Holen: --peer <Adresse> angeben, oder --bootstrap <Adresse>, um sie in der DHT zu finden',
  'errors.fetch.noProviders': 'kein Peer bietet Freigabe {share} in der DHT an (Routing-Tabelle: {nodes} Knoten); --bootstrap <Adresse> für den Beitritt zu einem Netz oder --peer <Adresse> angeben',
  'errors.pin.badLifetime': 'ein Pin braucht eine positive Laufzeit (--ttl 30d oder never)',
  'errors.pin.noPeer': 'Freigabe {share} liegt nicht auf diesem Knoten und kein Peer wurde gefunden: --peer <Adresse> angeben oder mit --bootstrap <Adresse> einer DHT beitreten',
  'errors.pin.noTransport': 'Pinnen auf anderen Knoten braucht einen Transport (--transport tcp, solange Tor nicht gebaut ist)',
  'errors.dht.badSalt': '--salt muss hexadezimal sein',
  'errors.dht.badHandle': '--handle muss eine private:<handle>-Referenz sein',
  'errors.account.badKind': 'unbekannte Kontoart {kind} (ed25519 oder secp256k1)',
  'errors.account.needsYes': 'das Löschen von Konto {id} lässt sich nicht rückgängig machen (vorher exportieren): --yes angeben',
  'errors.account.boxRefused': 'die versiegelte Box lässt sich nicht öffnen: sie ist nicht an dieses Konto versiegelt, oder sie wurde verändert',
  'errors.account.v3Kind': 'nur secp256k1-Konten haben einen v3-Keystore (Ethereum); dieses ist Ed25519'
}
