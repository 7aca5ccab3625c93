import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

const nodes = (n: string | number | undefined): string => `${String(n)} ${plural('en', n, { one: 'DHT node', other: 'DHT nodes' })}`

export default {
  'dht.peers.description': 'list the DHT routing table: the nodes this node knows (id and address)',
  'dht.peers.header': (p: Params) => `${String(p.n)} ${plural('en', p.n, { one: 'node', other: 'nodes' })} in the routing table`,
  'dht.peers.failures': (p: Params) => `${String(p.n)} failed ${plural('en', p.n, { one: 'request', other: 'requests' })}`,
  'dht.description': 'store and read signed, expiring values in the onion DHT',
  'dht.put.description': 'store a value; prints its reference. Immutable (default: the key is its hash), ' +
    '--mutable (signed by this node\'s key, replaced by newer puts) or --private (encrypted; only the printed handle finds and reads it)',
  'dht.put.argValue': 'the value as text (or --file)',
  'dht.put.optFile': 'read the value from a file (at most 16 KiB)',
  'dht.put.optMutable': 'a mutable value owned by this node',
  'dht.put.optSalt': 'with --mutable: a hex salt, to keep several values under one key',
  'dht.put.optPrivate': 'a private value under a new random handle',
  'dht.put.optHandle': 'update the private value of this private:<handle>',
  'dht.put.oneValue': 'give the value either as an argument or with --file',
  'dht.put.oneKind': '--mutable and --private exclude each other',
  'dht.put.stored': (p: Params) => `stored on ${nodes(p.n)}`,
  'dht.argRef': 'a 64-hex key, mutable:<owner key hex>[:<salt hex>] or private:<handle>',
  'dht.get.description': 'read a value by its reference (prints the value; --json prints it in base64)',
  'dht.get.notFound': 'no such value in the DHT (never stored, or expired)',
  'dht.get.deleted': 'the value was deleted (a signed tombstone replaces it)',
  'dht.delete.description': 'delete a mutable or private value by publishing a signed tombstone ' +
    '(immutable values cannot be deleted; they expire)',
  'dht.delete.done': (p: Params) => `tombstone stored on ${nodes(p.n)}`,
  'network.description': 'networks that share one onion address for bootstrap',
  'network.create.description': "make a network key: hosts run oht daemon --network <key> --bootstrap-host (Tor); newcomers join with --network <key> alone. Keep the key to the network's members: it lets anyone publish the address.",
  'network.created': "network key (give it to the network's members; it is a secret): {key}\nshared address: {address}\nhosts: oht daemon --network <key> --bootstrap-host; newcomers: --network <key>"
}
