// Invite codes (docs/FORMAT.md "Invite codes"): a short code moves a share's link from one person
// to another without contacts. The code's nameplate names a rendezvous record in the DHT that
// points at a fresh endpoint; the exchange there is a PAKE (CPace) on the whole code, so each
// guess costs an attacker an online attempt, and the first wrong one closes the code.
export * from './code.ts'
export * from './words.ts'
export * from './caps.ts'
export * from './pake.ts'
export * from './wire.ts'
export * from './errors.ts'
export * from './board.ts'
export * from './endpoint.ts'
export * from './sender.ts'
export * from './receiver.ts'
