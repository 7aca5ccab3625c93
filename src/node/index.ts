// The node layer (between cli/ and src/streaming, src/swarm): one room per concern, each with its
// own index.ts, and the module that builds a running node (runtime.ts).
//   identity/   who the node is: data dir, keystores, accounts, config, state
//   network/    transport and swarms, the DHT as the node uses it, network bootstrap
//   transfers/  local operations: shares, fetch, transfers, streams, CAR
//   pins/       pins, leases, remote pinning
//   api/        the daemon's HTTP/WebSocket API: server, routes per concern, clients
export * from './errors.ts'
export * from './identity/index.ts'
export * from './network/index.ts'
export * from './transfers/index.ts'
export * from './pins/index.ts'
export * from './service.ts'
export * from './api/index.ts'
export * from './runtime.ts'
