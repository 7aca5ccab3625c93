// The sealed store: the node's state at rest. Values AES-256-GCM under a storage key, database
// keys keyed hashes, over a LevelDB or an in-memory backend (docs/ARCHITECTURE.md "The store").
export * from './caps.ts'
export * from './backend.ts'
export * from './seal.ts'
export * from './sealed.ts'
export * from './shred.ts'
export * from './migrate.ts'
export * from './level-log.ts'
export * from './table-ledger.ts'
