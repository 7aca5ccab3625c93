// Die Wörter der Konsole und der Web-Oberfläche für Kontakte, die `oht contact` noch nicht hat.
export default {
  'contacts.event.request': 'Kontaktanfrage von {account}{text}: /accept oder /reject',
  'contacts.event.accepted': '{name} hat angenommen: jetzt ein Kontakt',
  'contacts.event.message': '{name}: {text}',
  'contacts.event.online': '{name} ist online',
  'contacts.event.offline': '{name} ist offline',
  'contacts.console.sendOther': 'auf der anderen Seite: oht receive {code} (oder /receive {code} in deren Konsole)'
}
