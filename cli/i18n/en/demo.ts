import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

export default {
  'demo.directory': 'demo directory: {dir}',
  'demo.transport': 'transport: TCP on 127.0.0.1 (NOT anonymous; with tor installed, oht demo runs over onion services of a private Tor network)',
  'demo.torStarting': 'starting a private Tor network on 127.0.0.1 (4 directory authorities that relay, 1 client tor; nothing touches the real Tor network)...',
  'demo.torReady': 'private Tor network ready in {seconds} s; every node below is an onion service',
  'demo.found': '{name} has only the link: the DHT names {n} providers ({hops} hops, {messages} messages)',
  'demo.progress': '  {name}: {percent}% ({rate}) from {peers} peers',
  'demo.generating': 'generating {size} of test data...',
  'demo.node': '  {name} node {nodeId}…  listening on {address}',
  'demo.shared': 'alice shared film.bin in {seconds} s ({rate}): encrypted and hashed in place, nothing copied',
  'demo.link': '  link:              {link}',
  'demo.verifyCap': '  verify capability: {verifyCap}',
  'demo.fetched': (p: Params) => `${p.name} fetched it from ${p.peers} ${plural('en', p.peers, { one: 'peer', other: 'peers' })} in ${p.seconds} s (${p.rate}) and now seeds it`,
  'demo.fetchedAll': '{name} fetched it from {peers} of {of} peers at once in {seconds} s ({rate})',
  'demo.differs': 'demo failed: the fetched file differs from the original ({a} vs {b})',
  'demo.identical': 'sha256 of original and fetched file: {sha} (identical)',
  'demo.traffic': '  {name} uploaded {up}, downloaded {down}',
  'demo.carDiffers': 'demo failed: the CAR round trip differs',
  'demo.car': 'CAR export ({blocks} blocks, UnixFS root {root}…) imported and decrypted on an offline node: identical',
  'demo.passed': 'demo passed.',
  'demo.kept': 'kept {dir}'
}
