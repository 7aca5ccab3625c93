export default {
  'tor.listenIgnored': '--listen is for --transport tcp; the Tor transport listens on 127.0.0.1 behind its onion service (ignored)',
  'tor.bootstrap': 'tor: bootstrapped {progress}% ({summary})',
  'tor.published': 'tor: onion service published: {address}',
  'tor.lost': 'lost the connection to tor: {reason}',
  'tor.bootstrapFailed': 'tor could not reach the Tor network after {seconds} s (last: {last}): is this machine online? `oht demo` runs a private network',
  'tor.badControl': 'bad --tor-control address {address}: give an IP address and port, e.g. 127.0.0.1:9051'
}
