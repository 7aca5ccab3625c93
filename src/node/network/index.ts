// The node on the network: its transport and swarms (network.ts), the onion DHT as the node uses
// it (discovery.ts, dht-service.ts) and a network's shared bootstrap address (bootstrap.ts).
export * from './network.ts'
export * from './discovery.ts'
export * from './bootstrap.ts'
export * from './dht-service.ts'
export * from './dht-admin.ts'
