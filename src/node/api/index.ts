// The daemon's local API (docs/API.md): the HTTP/WebSocket server (server.ts, http.ts), its
// routes per concern (routes-*.ts) and the clients that call it (client.ts, pin-client.ts,
// dht-client.ts).
export * from './protocol.ts'
export * from './http.ts'
export * from './server.ts'
export * from './routes-node.ts'
export * from './routes-transfers.ts'
export * from './routes-config.ts'
export * from './routes-pins.ts'
export * from './routes-dht.ts'
export * from './routes-stream.ts'
export * from './client.ts'
export * from './pin-client.ts'
export * from './dht-client.ts'
export * from './routes-dht-admin.ts'
export * from './routes-tor.ts'
export * from './admin-client.ts'
export * from './routes-webui.ts'
