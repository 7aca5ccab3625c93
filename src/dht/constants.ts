// Every protocol constant of the onion DHT in one commented place (as js-libp2p kad-dht's
// constants.ts). Timings are sized for Tor: building a circuit to an onion service takes 2–10 s,
// a round trip on an open circuit 0.3–1.5 s, and an unreachable onion fails only after seconds.
// Each value is written here only: config.ts derives DEFAULT_DHT_CONFIG from the tunables below,
// and a DhtNode's `config` may override them (tests and the simulator shrink caps; they never
// change the wire format).

/** Protocol name of DHT streams in the oht handshake. */
export const DHT_PROTOCOL = 'dht'

// --- Kademlia shape -----------------------------------------------------------------------------

/** Bits of a node id, a topic and a record key (SHA-256). */
export const ID_BITS = 256
export const ID_BYTES = ID_BITS / 8
/** Bucket size, and how many closest nodes a record is stored on (Kademlia's k). */
export const K = 20
/**
 * Disjoint lookup paths (S/Kademlia's d): each candidate is queried by one path only, so one
 * adversary on a path cannot steer the others.
 */
export const DISJOINT_PATHS = 3
/**
 * Requests each path keeps in flight: α = DISJOINT_PATHS × ALPHA_PER_PATH in all. Over Tor a
 * query to a new peer costs a circuit, so a lookup's time is its number of rounds, and more in
 * flight means fewer rounds (see docs/DECISIONS.md, "DHT constants"). A request outstanding
 * longer than QUERY_STALL_MS lets its path start one more (up to MAX_PER_PATH): an unreachable
 * onion fails only after seconds, and a path must not sit idle.
 */
export const ALPHA_PER_PATH = 2
export const MAX_PER_PATH = 4
/** Longer than a normal connect + handshake + round trip (≈ 12 s at worst), so only trouble counts as a stall. */
export const QUERY_STALL_MS = 12_000
/** Contacts returned by a find-node answer (at most; also the cap a reader enforces). */
export const MAX_CONTACTS_PER_REPLY = K

/**
 * Cold requests (to a contact without an open session: each costs a new circuit, seconds) each
 * path may have in flight when it has no warm request running: connect times vary by seconds,
 * so racing several dials makes the fastest circuit, not the average one, set the hop's time.
 */
export const COLD_ALPHA_PER_PATH = 4
/** Cold requests per path at most, stalled ones included. */
export const MAX_COLD_PER_PATH = 6
/**
 * A request on an open session counts as stalled (letting its path start another) after this
 * many of the session's smoothed round trips: a warm peer that has not answered by then is
 * overloaded or gone, and waiting QUERY_STALL_MS (sized for a circuit build) would cost seconds.
 */
export const WARM_STALL_RTTS = 3
/** Floor of a warm request's stall time, so one fast sample cannot make every hiccup a stall. */
export const MIN_WARM_STALL_MS = 1_500

// --- Timeouts (Tor-sized) ----------------------------------------------------------------------

/** Dial plus oht handshake: connect 2–10 s and 1.5 round trips, with room for a slow circuit. */
export const DIAL_TIMEOUT_MS = 30_000
/** One request on an open session: a round trip is ≤ 1.5 s on a healthy circuit. */
export const RPC_TIMEOUT_MS = 10_000
/** A whole lookup: several rounds of new circuits fit with room (see docs/DECISIONS.md); bounded even when every peer stalls. */
export const LOOKUP_TIMEOUT_MS = 120_000
/** An outbound session unused this long is closed (a Tor circuit is worth keeping a while). */
export const SESSION_IDLE_MS = 5 * 60_000
/** How long an inbound session may stay silent before we close it. */
export const INBOUND_IDLE_MS = 10 * 60_000

// --- Connections --------------------------------------------------------------------------------

/** Outbound sessions kept open at once; the least recently used idle one is closed first. */
export const MAX_OUTBOUND_SESSIONS = 64
/** Inbound sessions served at once; beyond, the oldest idle one is closed. */
export const MAX_INBOUND_SESSIONS = 256
/** Requests pipelined on one outbound session; more wait their turn. */
export const MAX_INFLIGHT_PER_SESSION = 8

// --- Warm sessions -------------------------------------------------------------------------------
// Over Tor a request on an open session costs one round trip (under a second), to a new peer a
// circuit build first (seconds). So a node keeps sessions open to a bounded set of its routing
// table's contacts, chosen per bucket (warm-sessions.ts), and its lookups start from them.

/**
 * Contacts per bucket kept warm, spread over the bucket's sub-ranges (the bits after its prefix)
 * so that some warm contact shares as many bits as possible with any target in the bucket.
 */
export const WARM_PER_BUCKET = 4
/**
 * Warm sessions at most, filled from the farthest bucket (half of all targets fall in it) inward;
 * well under MAX_OUTBOUND_SESSIONS so lookups in progress keep room for their cold sessions, and
 * every node holds about as many inbound warm sessions as it keeps outbound (under MAX_INBOUND_SESSIONS).
 */
export const MAX_WARM_SESSIONS = 40
/**
 * A warm session unused this long is pinged at the next maintenance round: it keeps the circuit
 * and the peer's inbound session (closed after INBOUND_IDLE_MS of silence) alive, and finds a
 * dead peer before a lookup does.
 */
export const WARM_KEEPALIVE_MS = 4 * 60_000
/** New warm sessions dialed per maintenance round at most (each a Tor circuit): a fresh node warms up over a few rounds. */
export const WARM_DIALS_PER_ROUND = 10

// --- Relayed provider lookups -------------------------------------------------------------------
// A lookup's first hop goes to a warm contact (a round trip), but the nodes closer to the topic
// that it names are in its table, not ours: asking them costs a circuit build (seconds). So an
// answerer without the topic's records may relay the get-providers, over a session it already has
// open, to its open contact closest to the topic (strictly closer than itself: no loops), and
// answer with what comes back: the next hops ride on circuits that are already built.

/**
 * Relays a get-providers may go through after its first answerer (the querier asks for this many,
 * an answerer relays at most this many whatever it is asked): each costs one more round trip on
 * an open session, and one relay gains the few bits a warm set spreads over (WARM_PER_BUCKET).
 */
export const MAX_FORWARD_HOPS = 3
/**
 * How long a relaying node waits per relay still allowed below it (a round trip is ≤ 1.5 s on a
 * healthy circuit); then it answers with its own contacts. Three of them stay under RPC_TIMEOUT_MS.
 */
export const FORWARD_HOP_TIMEOUT_MS = 3_000
/** Relayed requests a node has in flight at once; beyond, it answers from its own table only. */
export const MAX_FORWARDS_IN_FLIGHT = 32
/** Answers an inbound session may have pending at once (relayed ones take round trips); more wait. */
export const MAX_PENDING_ANSWERS_PER_SESSION = 8

// --- Sizes --------------------------------------------------------------------------------------

/** Largest DHT frame (either direction): 20 provider records or a 16 KiB value fit with room. */
export const MAX_FRAME_BYTES = 64 * 1024
/** Largest stored value (immutable or mutable), as bytes. */
export const MAX_VALUE_BYTES = 16 * 1024
/** Largest mutable-record salt (BEP 44 allows 64). */
export const MAX_SALT_BYTES = 64
/** Longest announced transport address (an onion address with scheme and port is 75). */
export const MAX_ADDRESS_BYTES = 128
/** Provider records returned for one topic per answer. */
export const MAX_PROVIDERS_PER_REPLY = 20

// --- Records ------------------------------------------------------------------------------------

/** Lifetime of a provider record; the provider re-signs and republishes well before it ends. */
export const PROVIDER_TTL_MS = 24 * 3600_000
/** Interval at which a node republishes its provider records (a third of their TTL). */
export const PROVIDER_REPUBLISH_MS = 8 * 3600_000
/** Default lifetime of a value record (immutable or mutable); the putter republishes. */
export const VALUE_TTL_MS = 24 * 3600_000
/** Interval at which a node republishes the values it put. */
export const VALUE_REPUBLISH_MS = 8 * 3600_000
/** Longest lifetime a storing node accepts (records asking for more are refused). */
export const MAX_RECORD_TTL_MS = 48 * 3600_000
/** Clock disagreement tolerated between nodes when checking an expiry against the maximum. */
export const CLOCK_SKEW_MS = 10 * 60_000

// --- Storage bounds -----------------------------------------------------------------------------

/** Records stored in total (providers + values). */
export const MAX_STORED_RECORDS = 100_000
/** Bytes of stored records in total. */
export const MAX_STORED_BYTES = 64 * 1024 * 1024
/** Records one peer (by handshake-verified node id) may have stored with us. */
export const MAX_RECORDS_PER_PEER = 1_000
/**
 * Bytes one peer may have stored with us: 64 values of the largest size, or ~3,000 provider
 * records. Without it four identities' 16 KiB values filled MAX_STORED_BYTES.
 */
export const MAX_STORED_BYTES_PER_PEER = 1024 * 1024
/**
 * Provider records kept per topic. When a topic (or the whole store) is full, a new record is
 * not refused: the oldest record of the peer that stored the most (in the topic, or in all) is
 * dropped for it, so a flood evicts the flooder's own records before anyone else's.
 */
export const MAX_PROVIDERS_PER_TOPIC = 64
/** How often expired records are swept out (they are also re-checked on every read). */
export const STORE_SWEEP_MS = 10 * 60_000

// --- Routing table maintenance ------------------------------------------------------------------

/** How often the table is maintained: stale buckets refreshed, idle sessions closed, table saved. */
export const MAINTENANCE_INTERVAL_MS = 5 * 60_000
/** A bucket with no lookup through it for this long is refreshed with a random-id lookup. */
export const BUCKET_REFRESH_MS = 60 * 60_000
/** At most this many bucket refreshes per maintenance round (each is a Tor lookup). */
export const MAX_REFRESHES_PER_ROUND = 3
/** Consecutive failed requests after which a contact is evicted from the routing table. */
export const MAX_CONTACT_FAILURES = 2
/**
 * A contact heard from this recently is good (BEP 5's rule): a full bucket of good contacts
 * turns newcomers away without a ping, and only a least recently seen contact older than this is
 * pinged to make room. Without it every call from a stranger cost its callee two pings (verify
 * the caller, probe its oldest contact), over Tor two circuits, on every call.
 */
export const GOOD_CONTACT_MS = 15 * 60_000
/** Least recently seen contacts of full buckets pinged at once to see whether a newcomer may take their place. */
export const MAX_EVICTION_PINGS = 4
/**
 * A node that called us enters the routing table only once it answered a ping at the address it
 * announced (its own claim, unchecked otherwise): identities announcing dead addresses cannot
 * fill the buckets. Pings of new callers in flight at once; callers beyond wait for their next call.
 */
export const MAX_CALLER_VERIFICATIONS = 8
/** Candidates kept per bucket to replace evicted contacts (Kademlia's replacement cache). */
export const REPLACEMENT_CACHE_SIZE = K
/** Extra random-bucket lookups after the self-lookup of a bootstrap, to fill far buckets. */
export const BOOTSTRAP_EXTRA_LOOKUPS = 2

// --- Replication on join ------------------------------------------------------------------------

/**
 * Kademlia's store-on-join: when a node newly enters our table and is among the k closest nodes
 * we know to a key we store, we push it the record, so replicas move to the nodes that are now
 * the closest instead of dwindling as holders leave until the next republish (8 h). Only the
 * holders that see themselves among the REPLICATION_PUSHERS closest to the key push: in a
 * consistent view that is ~3 pushes per joiner and key instead of k (each a Tor circuit to the
 * joiner), and one stale, dead or dishonest holder cannot keep the record from it.
 */
export const REPLICATION_PUSHERS = 3
/**
 * A node's own records are stored on the k closest of each disjoint lookup path besides the k
 * closest overall (up to DISJOINT_PATHS × K stores, mostly the same nodes in a network without
 * attackers): an eclipse, ids ground near a key that acknowledge stores and keep nothing, then
 * cannot hold every copy (docs/DECISIONS.md "DHT lookups against adversaries").
 */
export const STORE_ON_EVERY_PATH = true
/** Records pushed to one newcomer at most (bounds the work one join can cause). */
export const REPLICATION_MAX_RECORDS = 64
/** Newcomers waiting for their records at most (pushed one at a time); more are skipped. */
export const REPLICATION_QUEUE = 64
