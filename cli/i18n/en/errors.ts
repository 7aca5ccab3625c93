// The node's errors by code (src/node/errors.ts), with the flags and commands that fix them.
// A code without an entry here is shown with the node's own (English) message.
export default {
  'errors.keystore.missing': 'no keystore at {path}: run `oht init`',
  'errors.keystore.locked': 'cannot unlock {what}: wrong passphrase (OHT_PASSPHRASE) or a damaged file',
  'errors.account.badId': 'not an account id: {id} (64 hex digits for Ed25519, 66 for secp256k1, as `oht account list` prints)',
  'errors.account.none': 'no account yet: run `oht account create`',
  'errors.account.several': 'several accounts: say which with --account <id>',
  'errors.account.badNodeId': 'not a node id: {id} (64 hex digits, as `oht status` prints)',
  'errors.account.badLifetime': 'a delegation certificate needs a finite, positive lifetime (e.g. --ttl 30d)',
  'errors.fetch.notHeld': 'share {share} is not held by this node; give --peer <address> to fetch it from peers, or import its CAR',
  'errors.fetch.notHeldOffline': 'share {share} is not held by this node: give --peer <address>, or --bootstrap <address> to find its peers in the DHT (or start oht daemon, which stays on the DHT)',
  'errors.fetch.noPeers': 'no peers to fetch from: give --peer <address>, or --bootstrap <address> to find them in the DHT',
  'errors.fetch.noProviders': 'no peer provides share {share} in the DHT (routing table: {nodes} nodes); give --bootstrap <address> to join a network, or --peer <address>',
  'errors.pin.badLifetime': 'a pin needs a positive lifetime (--ttl 30d, or never)',
  'errors.pin.noPeer': 'share {share} is not on this node and no peer was found: give --peer <address>, or join a DHT with --bootstrap <address>',
  'errors.pin.noTransport': 'remote pinning needs a transport (--transport tcp while Tor is not built)',
  'errors.dht.badSalt': '--salt must be hex',
  'errors.dht.badHandle': '--handle must be a private:<handle> reference',
  'errors.account.badKind': 'unknown account kind {kind} (ed25519 or secp256k1)',
  'errors.account.needsYes': 'deleting account {id} cannot be undone (export it first): add --yes',
  'errors.account.boxRefused': 'cannot open the sealed box: it was not sealed to this account, or it was altered',
  'errors.account.v3Kind': 'only secp256k1 accounts have a v3 (Ethereum) keystore; this one is Ed25519'
}
