// ESM face of the stand-in (see index.cjs): named exports for `import { PeerConnection } from ...`.
import stub from './index.cjs'

export const {
  PeerConnection, DataChannel, Track, Video, Audio, RtcpReceivingSession, WebSocket, WebSocketServer,
  RTCPeerConnection, RTCDataChannel, RTCSessionDescription, RTCIceCandidate,
  initLogger, preload, setSctpSettings, getLibraryVersion, cleanup
} = stub
export default stub
