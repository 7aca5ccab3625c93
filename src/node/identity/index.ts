// Who the node is and where it keeps things: the data directory, the node keystore, accounts
// (and their signing labels, caps.ts), the config file and the node's LevelDB state.
export * from './caps.ts'
export * from './datadir.ts'
export * from './keystore.ts'
export * from './accounts.ts'
export * from './config.ts'
export * from './state.ts'
export * from './wipe.ts'
