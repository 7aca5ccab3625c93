// Pins: leases, reference counts and the journaled sweep (pin-store.ts), fetching and seeding
// pinned shares (pins.ts), remote pinning over the `pin` protocol (pin-protocol.ts) and the
// service the CLI and the API use (pin-service.ts). docs/PINNING.md.
export * from './pin-store.ts'
export * from './pins.ts'
export * from './pin-protocol.ts'
export * from './pin-service.ts'
