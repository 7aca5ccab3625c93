// The onion DHT: Kademlia over authenticated oht streams (see docs/DHT.md).
export * from './constants.ts'
export { systemClock, scaledClock, VirtualClock, sleep, type Clock, type TimerHandle, type VirtualClockOptions } from './clock.ts'
export { type Id, idToHex, idFromHex, nodeIdBytes, xorDistance, compareDistance, commonPrefixLength, randomIdInBucket } from './id.ts'
export { type Contact, type ContactRecord, contactFrom, contactToRecord, contactFromRecord, isValidAddress } from './contact.ts'
export { DHT_LABELS, immutableKey, mutableKey, derivePrivateValueSecrets, type PrivateValueSecrets } from './caps.ts'
export * from './records.ts'
export { RecordStore, StoreRefusedError, type RecordStoreLimits, type StoreRefusal } from './record-store.ts'
export { RoutingTable, type TableEntry, type AddOutcome } from './routing-table.ts'
export { type RoutingTableStore, MemoryRoutingTableStore } from './persistence.ts'
export { privateValueLocation, sealPrivateValue, openPrivateValue, MAX_PRIVATE_VALUE_BYTES, type PrivateValueLocation } from './private-values.ts'
export { iterativeLookup, type LookupResult, type LookupParams, type QueryAnswer } from './lookup.ts'
export { OutboundSession, RpcError, type RpcFailure } from './session.ts'
export { WIRE_VERSION, encodeRequest, decodeRequest, encodeResponse, decodeResponse, WireError, type Request, type RequestFrame, type ResponseFrame, type ResponseBody } from './wire.ts'
export {
  DhtNode, DHT_PROTOCOL, DEFAULT_DHT_CONFIG,
  type DhtNodeOptions, type DhtConfig, type Dialer, type DialTarget, type DhtStats, type PeerInfo,
  type StoreResult, type ProvidersResult, type PutMutableOptions, type OperationOptions
} from './node.ts'
