// The Tor layer of the onion transport: control-port client, tor process management, the
// TorTransport, and the private test network (used by tests, benchmarks and `oht demo`).
export { TorTransport, type TorTransportOptions, type TorTransportEvent, type TorSource } from './transport.ts'
export { TorControl, TorControlError, type TorControlOptions, type ProtocolInfo } from './control.ts'
export { ReplyParser, ReplyProtocolError, parseArguments, quoteString, type Reply, type ReplyLine } from './reply.ts'
export { parseEvent, bootstrapOf, type TorEvent, type HsDescEvent, type StatusClientEvent, type CircEvent, type BootstrapProgress } from './events.ts'
export { startTor, attachTor, TorProcess, AttachedTor, TorStartError, TorBootstrapError, type TorInstance, type StartTorOptions, type AttachTorOptions } from './process.ts'
export { SocksDialError } from './socks.ts'
export { OnionStream, OnionStreamError, ONION_STREAM_MAX_FRAME } from './stream.ts'
export { TorTestNetwork, testNetworkKindFromEnv, type TestNetworkOptions, type TestNetworkKind, type WanOptions, type CircuitRtt } from './testnet.ts'
export { DelayProxy, type DelayProxyOptions } from './delay-proxy.ts'
export type { KeySealer } from './key-file.ts'
export * from './constants.ts'
