'use strict'
// Stand-in for node-datachannel in oht's benchmarks (see package.json): same export names as the
// real package, so importers load, but nothing works — every constructor and call throws.
const message = 'node-datachannel is stubbed out in oht (bench/stubs): WebRTC is not available; use TCP peers'

function unavailable () { throw new Error(message) }

class Unavailable {
  constructor () { unavailable() }
}

const classes = ['PeerConnection', 'DataChannel', 'Track', 'Video', 'Audio', 'RtcpReceivingSession',
  'WebSocket', 'WebSocketServer', 'RTCPeerConnection', 'RTCDataChannel', 'RTCSessionDescription', 'RTCIceCandidate']
for (const name of classes) {
  module.exports[name] = class extends Unavailable {}
  Object.defineProperty(module.exports[name], 'name', { value: name })
}
for (const name of ['initLogger', 'preload', 'setSctpSettings', 'getLibraryVersion']) module.exports[name] = unavailable
// Called by webrtc-polyfill when its last peer connection closes: nothing to release here.
module.exports.cleanup = function cleanup () {}
module.exports.stub = true
module.exports.default = module.exports
