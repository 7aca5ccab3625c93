// The console's and the web UI's words for contacts that `oht contact` does not already have.
export default {
  'contacts.cast.description': 'send one whisper to every approved contact (each as its own end-to-end encrypted whisper)',
  'contacts.cast.help': '\nA contactcast is one whisper per approved contact, through the same send path as `oht whisper`:\ndelivered now to contacts that are online, left in the DHT mailboxes of the others (or queued). Nothing marks it as one message to many.',
  'contacts.cast.delivered': 'delivered to {name}',
  'contacts.cast.mailboxed': '{name} is offline: left in its DHT mailbox',
  'contacts.cast.queued': '{name} is not reachable now: queued',
  'contacts.cast.failed': 'not sent to {name}: {reason}',
  'contacts.event.request': 'contact request from {account}{text}: /accept or /reject it',
  'contacts.event.accepted': '{name} accepted: now a contact',
  'contacts.event.message': '{name}: {text}',
  'contacts.event.online': '{name} is online',
  'contacts.event.offline': '{name} is offline',
  'contacts.event.introduction': '{name} introduced {account}: /request it to ask',
  'contacts.console.sendOther': 'on the other side: oht receive {code} (or /receive {code} in its console)'
}
