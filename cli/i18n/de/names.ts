export default {
  'names.noDht': 'einen Namen auflösen braucht das DHT: dieser Knoten nutzt es nicht (--transport, --bootstrap)',
  'names.needsDaemon': 'Namen veröffentlicht der Daemon (er veröffentlicht sie neu): zuerst `oht daemon` starten',
  'names.description': 'Namen: ein Link oder eine Adresse unter deinem Konto veröffentlicht, aufgelöst als oht://name/<konto>/<name> oder <petname>/<name>',
  'names.help': '\nEin Name ist ein signierter, ablaufender Eintrag im DHT, den der Daemon neu veröffentlicht, solange er läuft\n(er verfällt binnen eines Tages, nachdem der Daemon stoppt). DHT-Knoten sehen weder Namen noch Ziel:\nnur wer Konto und Namen kennt, kann ihn finden und lesen.\nAuflösen als oht://name/<konto>/<name>, <konto>/<name> oder <petname>/<name> für einen Kontakt;\n`oht fetch` nimmt dieselben Formen.',
  'names.argName': 'der Name: 1 bis 63 Zeichen aus a-z 0-9 . _ -, Anfang und Ende ein Buchstabe oder eine Ziffer',
  'names.argTarget': 'ein oht://-Link oder eine Knotenadresse',
  'names.argRef': 'oht://name/<konto>/<name>, <konto>/<name> oder <petname>/<name>',
  'names.publish.description': 'einen Namen unter dem Konto des Daemons veröffentlichen (oder ändern)',
  'names.publish.done': '{name} an {nodes} DHT-Knoten veröffentlicht, gültig bis {expires}, neu veröffentlicht solange der Daemon läuft',
  'names.publish.later': '{name} gespeichert, aber noch kein DHT-Knoten hat ihn: der Daemon veröffentlicht ihn erneut',
  'names.resolve.description': 'den Link oder die Adresse eines Namens ausgeben (gegen die Signatur seines Kontos geprüft)',
  'names.list.description': 'die Namen, die dieser Daemon veröffentlicht',
  'names.list.empty': 'keine Namen veröffentlicht (oht name publish <name> <link>)',
  'names.list.until': 'bis {expires}',
  'names.rm.description': 'einen Namen nicht mehr veröffentlichen (ein Grabstein ersetzt ihn im DHT)',
  'names.rm.done': '{name} wird nicht mehr veröffentlicht',
  'names.rm.none': '{name} wurde hier nicht veröffentlicht'
}
