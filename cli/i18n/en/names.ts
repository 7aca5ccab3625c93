export default {
  'names.noDht': 'resolving a name needs the DHT: this node does not use it (--transport, --bootstrap)',
  'names.needsDaemon': 'names are published by the daemon (it republishes them): start `oht daemon` first',
  'names.description': 'names: a link or address published under your account, resolved as oht://name/<account>/<name> or <petname>/<name>',
  'names.help': '\nA name is a signed, expiring record in the DHT that the daemon republishes while it runs\n(it lapses within a day after the daemon stops). DHT nodes see neither the name nor the target:\nonly someone who knows the account and the name can find and read it.\nResolve as oht://name/<account>/<name>, <account>/<name>, or <petname>/<name> for a contact;\n`oht fetch` takes the same forms.',
  'names.argName': 'the name: 1 to 63 of a-z 0-9 . _ -, starting and ending with a letter or digit',
  'names.argTarget': 'an oht:// link or a node address',
  'names.argRef': 'oht://name/<account>/<name>, <account>/<name> or <petname>/<name>',
  'names.publish.description': 'publish (or update) a name under the daemon\'s account',
  'names.publish.done': '{name} published to {nodes} DHT nodes, valid until {expires} and republished while the daemon runs',
  'names.publish.later': '{name} saved, but no DHT node took it yet: the daemon republishes it',
  'names.resolve.description': 'print the link or address a name stands for (checked against its account\'s signature)',
  'names.list.description': 'the names this daemon publishes',
  'names.list.empty': 'no names published (oht name publish <name> <link>)',
  'names.list.until': 'until {expires}',
  'names.rm.description': 'stop publishing a name (a tombstone replaces it in the DHT)',
  'names.rm.done': '{name} is no longer published',
  'names.rm.none': '{name} was not published here'
}
