// The onion layer: transports (TCP, memory, Tor), their address syntax, the framer of
// control protocols and the oht connection handshake. compliance.ts is deliberately not
// exported: it registers node:test cases and is meant for test files only.
export * from './transport.ts'
export * from './address.ts'
export * from './constants.ts'
export * from './framing.ts'
export * from './handshake.ts'
export { initiateOptimistic, type OptimisticSession } from './optimistic.ts'
export { dialConnection, acceptConnection, type Connection } from './connection.ts'
export { TcpTransport, TCP_WARNING, type TcpTransportOptions } from './tcp.ts'
export { MemoryNetwork, MemoryTransport, type MemoryLatency, type MemoryNetworkOptions, type MemoryTransportOptions } from './memory.ts'
export { memoryDuplexPair, MemoryStream, ConnectionResetError, type ChunkLatency, type DuplexPairOptions } from './pair.ts'
export { dialWithDeadline } from './deadline.ts'
export { sniffHttp, type HttpSocketHandler } from './sniff.ts'
export {
  TorTransport, TorControl, TorControlError, TorTestNetwork, TorStartError, TorBootstrapError, SocksDialError, startTor, attachTor, OnionStream,
  type TorTransportOptions, type TorTransportEvent, type TorSource, type TorInstance, type TorEvent, type BootstrapProgress, type KeySealer
} from './tor/index.ts'
