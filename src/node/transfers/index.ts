// Local operations of a node: its shares and blockstore (node.ts), fetches from peers (fetch.ts),
// the daemon's background transfers (transfers.ts), streaming while fetching (streams.ts) and
// CAR export and import (car.ts).
export * from './node.ts'
export * from './fetch.ts'
export * from './transfers.ts'
export * from './journal.ts'
export * from './streams.ts'
export * from './car.ts'
