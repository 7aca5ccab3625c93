// Channels (docs/CHANNELS.md): group rooms and share feeds as signed, append-only per-writer logs
// under a channel key, writers authorized by delegation chains under a declarative policy,
// private channels sealed under rotating read keys.
export * from './caps.ts'
export * from './errors.ts'
export * from './policy.ts'
export * from './cert.ts'
export * from './node-key.ts'
export * from './entry.ts'
export * from './keys.ts'
export * from './descriptor.ts'
export * from './view.ts'
export * from './writer.ts'
export * from './store.ts'
export * from './sync.ts'
export * from './replica.ts'
export * from './service-types.ts'
export * from './channels.ts'
