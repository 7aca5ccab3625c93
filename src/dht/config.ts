// The tunables of a DhtNode. Every default is a constant of constants.ts, the one place each value
// is written and explained; the config only gives them the names a DhtNode's `config` option
// overrides them by (tests and the simulator do, per node).
import * as C from './constants.ts'
import type { RecordStoreLimits } from './record-store.ts'

export const DEFAULT_DHT_CONFIG = {
  k: C.K,
  paths: C.DISJOINT_PATHS,
  alphaPerPath: C.ALPHA_PER_PATH,
  maxPerPath: C.MAX_PER_PATH,
  stallMs: C.QUERY_STALL_MS,
  coldAlphaPerPath: C.COLD_ALPHA_PER_PATH,
  maxColdPerPath: C.MAX_COLD_PER_PATH,
  warmStallRtts: C.WARM_STALL_RTTS,
  minWarmStallMs: C.MIN_WARM_STALL_MS,
  dialTimeoutMs: C.DIAL_TIMEOUT_MS,
  rpcTimeoutMs: C.RPC_TIMEOUT_MS,
  lookupTimeoutMs: C.LOOKUP_TIMEOUT_MS,
  sessionIdleMs: C.SESSION_IDLE_MS,
  inboundIdleMs: C.INBOUND_IDLE_MS,
  maxOutboundSessions: C.MAX_OUTBOUND_SESSIONS,
  maxInboundSessions: C.MAX_INBOUND_SESSIONS,
  maxInflightPerSession: C.MAX_INFLIGHT_PER_SESSION,
  warmPerBucket: C.WARM_PER_BUCKET,
  maxWarmSessions: C.MAX_WARM_SESSIONS,
  warmKeepaliveMs: C.WARM_KEEPALIVE_MS,
  warmDialsPerRound: C.WARM_DIALS_PER_ROUND,
  forwardHops: C.MAX_FORWARD_HOPS,
  forwardHopTimeoutMs: C.FORWARD_HOP_TIMEOUT_MS,
  maxForwardsInFlight: C.MAX_FORWARDS_IN_FLIGHT,
  maxPendingAnswers: C.MAX_PENDING_ANSWERS_PER_SESSION,
  maxFrameBytes: C.MAX_FRAME_BYTES,
  providerTtlMs: C.PROVIDER_TTL_MS,
  providerRepublishMs: C.PROVIDER_REPUBLISH_MS,
  valueTtlMs: C.VALUE_TTL_MS,
  valueRepublishMs: C.VALUE_REPUBLISH_MS,
  maintenanceIntervalMs: C.MAINTENANCE_INTERVAL_MS,
  bucketRefreshMs: C.BUCKET_REFRESH_MS,
  maxRefreshesPerRound: C.MAX_REFRESHES_PER_ROUND,
  storeSweepMs: C.STORE_SWEEP_MS,
  bootstrapExtraLookups: C.BOOTSTRAP_EXTRA_LOOKUPS,
  replicationPushers: C.REPLICATION_PUSHERS,
  replicationMaxRecords: C.REPLICATION_MAX_RECORDS,
  replicationQueue: C.REPLICATION_QUEUE,
  storeOnEveryPath: C.STORE_ON_EVERY_PATH,
  /** Overrides of the record store's bounds (MAX_STORED_RECORDS and the rest). */
  storeLimits: {} as Partial<RecordStoreLimits>
}

/** A DhtNode's tunables; each field's meaning is that of its default's constant. */
export type DhtConfig = typeof DEFAULT_DHT_CONFIG
