export default {
  'tor.listenIgnored': '--listen is for --transport tcp; the Tor transport listens on 127.0.0.1 behind its onion service (ignored)',
  'tor.bootstrap': 'tor: bootstrapped {progress}% ({summary})',
  'tor.published': 'tor: onion service published: {address}',
  'tor.lost': 'lost the connection to tor: {reason}',
  'tor.badControl': 'bad --tor-control address {address}: give an IP address and port, e.g. 127.0.0.1:9051'
}
