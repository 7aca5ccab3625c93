// The people layer: contacts (petnames, requests, refusals, the DHT locator of an account's node)
// and direct messages (forward-secret sessions over onion connections, the sealed message log).
// Above identity, dht and onion; composed into a daemon by src/node.
export * from './caps.ts'
export * from './errors.ts'
export * from './contacts/book.ts'
export * from './contacts/limits.ts'
export * from './contacts/locator.ts'
export * from './contacts/introductions.ts'
export * from './contacts/invite-tokens.ts'
export * from './messages/session.ts'
export * from './messages/channel.ts'
export * from './messages/log.ts'
export * from './messages/contactcast.ts'
export * from './people.ts'
export * from './names/index.ts'
export * from './mailbox/record.ts'
export * from './mailbox/mailbox.ts'
