export default {
  'tor.listenIgnored': '--listen is for --transport tcp; the Tor transport listens on 127.0.0.1 behind its onion service (ignored)',
  'tor.bootstrap': 'tor: bootstrapped {progress}% ({summary})',
  'tor.published': 'tor: onion service published: {address}',
  'tor.lost': 'lost the connection to tor: {reason}',
  'tor.bootstrapFailed': 'tor could not reach the Tor network after {seconds} s (last: {last}): is this machine online? `oht demo` runs a private network',
  'tor.badControl': 'bad --tor-control address {address}: give an IP address and port, e.g. 127.0.0.1:9051',
  'tor.description': "the running daemon's tor",
  'tor.newonions.description': 'a new onion address for the running daemon: a new service key (saved, the old one destroyed), its shares re-announced in the DHT with it; the old address stops answering',
  'tor.newonions.noDaemon': 'oht tor newonions needs a running daemon (oht daemon): a new address means something only for a node that stays up to announce it'
}
