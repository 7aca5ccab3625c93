'use strict'
// Stand-in for ip-set in oht's benchmarks (see package.json). WebTorrent's load-ip-set imports it
// at load time but constructs an IPSet only when a client is given a blocklist.
module.exports = class IPSet {
  constructor () {
    throw new Error('ip-set is stubbed out in oht (bench/stubs): WebTorrent blocklists are not available')
  }
}
