// Die Wörter der Konsole und der Web-Oberfläche für Kontakte, die `oht contact` noch nicht hat.
export default {
  'contacts.cast.description': 'eine Flüsternachricht an jeden bestätigten Kontakt senden (jede als eigene Ende-zu-Ende-verschlüsselte Nachricht)',
  'contacts.cast.help': '\nEin contactcast ist eine Flüsternachricht je bestätigtem Kontakt, über denselben Sendeweg wie `oht whisper`:\nan Kontakte, die online sind, sofort zugestellt, den anderen in ihre DHT-Postfächer gelegt (oder in die Warteschlange gestellt). Nichts kennzeichnet sie als eine Nachricht an viele.',
  'contacts.cast.delivered': 'an {name} zugestellt',
  'contacts.cast.mailboxed': '{name} ist offline: in seinem DHT-Postfach abgelegt',
  'contacts.cast.queued': '{name} ist gerade nicht erreichbar: in der Warteschlange',
  'contacts.cast.failed': 'nicht an {name} gesendet: {reason}',
  'contacts.event.request': 'Kontaktanfrage von {account}{text}: /accept oder /reject',
  'contacts.event.accepted': '{name} hat angenommen: jetzt ein Kontakt',
  'contacts.event.message': '{name}: {text}',
  'contacts.event.online': '{name} ist online',
  'contacts.event.offline': '{name} ist offline',
  'contacts.event.introduction': '{name} hat {account} vorgestellt: /request, um anzufragen',
  'contacts.console.sendOther': 'auf der anderen Seite: oht receive {code} (oder /receive {code} in deren Konsole)'
}
