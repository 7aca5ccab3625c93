// The console's and the web UI's words for contacts that `oht contact` does not already have.
export default {
  'contacts.event.request': 'contact request from {account}{text}: /accept or /reject it',
  'contacts.event.accepted': '{name} accepted: now a contact',
  'contacts.event.message': '{name}: {text}',
  'contacts.event.online': '{name} is online',
  'contacts.event.offline': '{name} is offline',
  'contacts.console.sendOther': 'on the other side: oht receive {code} (or /receive {code} in its console)'
}
