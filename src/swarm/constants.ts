// Every tunable of the swarm in one place, each with why it has its value. Measurements behind
// the values are in docs/DECISIONS.md ("Swarm", "Swarm hot path") and bench/RESULTS.md.

// ---- Defaults of SwarmOptions and PeerWireOptions ----

/** Connections per swarm: enough peers to pick from without a socket and timer per stranger. */
export const DEFAULT_MAX_PEERS = 50
/** Unanswered requests are re-queued elsewhere after this long: generous, as Tor round trips vary. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000
/** Peers unchoked at once (one of them the optimistic slot), as BitTorrent clients default to. */
export const DEFAULT_UPLOAD_SLOTS = 4
/** A peer that has not proven the swarm key by then is dropped (a stranger holds no slot long). */
export const DEFAULT_AUTH_TIMEOUT_MS = 30_000
/** Largest block accepted before the manifest says the real size: the format's largest block. */
export const MAX_BLOCK_BYTES_BEFORE_MANIFEST = 16 * 1024 * 1024

// ---- Wire ----

/** A piece message's header: length(4) id(1) index(4) begin(4) (BEP 3). */
export const PIECE_HEADER_BYTES = 13
/** Room above the largest payload for a message's own header in the wire guard's limit. */
export const WIRE_HEADER_SLACK_BYTES = 64
/** Leaves per `leaves` message: 16,384 × 32 bytes = 512 KiB, well under the extension limit. */
export const MAX_LEAVES_PER_MESSAGE = 16_384
/** Largest extension payload accepted: a manifest is at most 8 MiB, plus its CBOR framing. */
export const MAX_EXTENSION_BYTES = 8 * 1024 * 1024 + 1024
/** Sibling hashes a proof may carry: a Merkle tree of up to 2^64 leaves. */
export const MAX_PROOF_SIBLINGS = 64
/** Longest refusal reason accepted: a reason is for logs, not a channel for data. */
export const MAX_REFUSAL_CHARS = 200
/** A node leaving a swarm with a reason closes each connection once the reason is written, or after this. */
export const LEAVE_FLUSH_MS = 2000
/**
 * A node that refused a block this often is not asked for it again: a seed deflects a block once
 * (upload.ts) and serves the second ask, so a second refusal means it cannot serve it.
 */
export const MAX_REFUSALS_PER_BLOCK = 2

// ---- Piece picker ----

/** Blocks picked at random before rarest-first: a newcomer needs something to trade quickly. */
export const RANDOM_FIRST = 4
/** Missing blocks at which the endgame starts duplicating requests: the tail does not wait on the slowest peer. */
export const ENDGAME_BLOCKS = 8
/** Peers a block may be asked of at once in the endgame (and for a window's urgent head): duplicates stay few. */
export const MAX_ASKS_PER_BLOCK = 2
/** Blocks at the head of a window that may be asked of a second peer (the player waits on them). */
export const URGENT_BLOCKS = 2
/**
 * While a reader waits on a window, or a stream of the fetch is open, each connection keeps at
 * most this many requests in flight besides the heads of windows (read-ahead deeper in a window,
 * rarest-first background): a seeder serves requests in order, so a deep pipeline would sit in
 * front of the block the player needs after a seek. Withdrawn blocks still on their way take
 * these slots too: a cancel does not recall them from the circuit.
 */
export const SHALLOW_SLOTS_WHILE_STREAMING = 1
/** Round trips after its request that a withdrawn block the peer may have sent counts as on its way (Pipeline.recentlyWithdrawnInTransit). */
export const TRANSIT_HORIZON_RTTS = 2
/**
 * For this long after a reader appears or goes away, only the blocks readers are blocked on (the
 * first block of a window) are asked for: a player probing a file opens and drops readers within
 * tens of milliseconds (ffmpeg: most under 60 ms, some 80–110), and over Tor a seeder sends
 * whatever it was asked before the cancel arrives, so each dropped reader's head, read-ahead and
 * the background refill behind it would sit in the circuits in front of the next seek's block.
 */
export const READER_SETTLE_MS = 120

// ---- Pipeline (requests in flight per peer) ----

/** Shallowest pipeline: one block in transfer while the next request is on its way. */
export const MIN_DEPTH = 2
/** Deepest pipeline: bounds the memory a peer's blocks can take (64 × 256 KiB = 16 MiB). */
export const MAX_DEPTH = 64
/** Withdrawn requests per connection whose late answers are still used (Pipeline.withdrawn): a pipeline's worth, twice. */
export const MAX_WITHDRAWN = 2 * MAX_DEPTH
/** A new peer's depth, before any rate is measured: a little more than the minimum to start probing. */
export const INITIAL_DEPTH = MIN_DEPTH * 2
/** A new peer's round-trip estimate until its first block: Tor-like, so nothing times out early. */
export const INITIAL_RTT_MS = 1000
/** Weight of a new round-trip sample in the smoothed round trip: steady, yet follows load within a few blocks. */
export const RTT_SAMPLE_WEIGHT = 0.2
/** Weight of a new rate window in the smoothed delivery rate. */
export const RATE_SAMPLE_WEIGHT = 0.3
/** Weight of a new sample in a connection's smoothed drain time per queued block (Pipeline.msPerQueuedBlock): blocks come in bursts. */
export const DRAIN_SAMPLE_WEIGHT = 0.1
/** Shortest window a delivery rate is measured over (and at least the shortest round trip): shorter ones are bursts. */
export const MIN_RATE_WINDOW_MS = 20
/** Slack on top of bandwidth × delay (× this, plus DEPTH_SLACK_BLOCKS): a slow start still grows geometrically. */
export const DEPTH_SLACK_FACTOR = 1.5
export const DEPTH_SLACK_BLOCKS = 2
/**
 * The least round trip the fetch's pipelines are sized for, shared among the peers that have
 * requests in flight: at loopback's ~0.5 ms, rate × round trip leaves too few blocks in flight to
 * cover a burst of hashing, AES and disk work at either end. It is the fetcher's own slack, hence
 * divided among the senders.
 */
export const RTT_FLOOR_MS = 10

// ---- Full-pipe probe (as BBR's start-up) ----

/** The depth grows while a full pipeline's delivery rate still grows by this factor per probe window. */
export const PROBE_GAIN = 1.25
/** Growth of the probed depth per window that still bought rate. */
export const PROBE_GROWTH = 1.5
/** Windows without such growth after which the pipe counts as full. */
export const PROBE_FLAT_WINDOWS = 3
/** A full pipe keeps this much more than the depth that first reached the best rate. */
export const PROBE_FULL_MARGIN = 1.25
/** Windows after the pipe is full before the probe tries again: paths and loads change. */
export const PROBE_REARM_WINDOWS = 40
/** Shortest probe window (and at least a smoothed round trip): fewer, steadier samples. */
export const MIN_PROBE_WINDOW_MS = 100
/**
 * Paths whose shortest round trip is below this skip the probe: on loopback and LANs rate ×
 * shortest round trip is enough, and the probe's noisy early windows only deepen the pipeline.
 */
export const PROBE_MIN_RTT_MS = 30

// ---- Flow ----

/**
 * Blocks received but not yet stored (hashing, decrypting, writing) at which no new requests go
 * out: back-pressure from the disk and the crypto workers, so a fast network cannot pile pieces
 * up in memory (at most this many plus the pipelines already in flight).
 */
export const MAX_STORING = 8
/**
 * Longest a `have` waits to go out with other messages to the same peer: sent one by one, a fetch
 * from several seeders writes lone `have`s per block (a write and a wake-up each).
 */
export const HAVE_DELAY_MS = 20

// ---- Choker ----

/** Choking is re-ranked this often: long enough to measure rates, short enough to follow them. */
export const CHOKE_ROUND_MS = 10_000
/** The optimistic slot moves every third round (30 s), as in the BitTorrent reference client. */
export const OPTIMISTIC_EVERY = 3

// ---- Lanes (striping over several connections to one node, lanes.ts) ----

/**
 * Most connections (lanes) one node may have in a swarm, each over its own Tor circuit: one
 * circuit is held back by latency and Tor's flow-control windows, a few carry more. An inbound
 * side refuses lanes beyond this, so one node cannot take many connection slots this way.
 */
export const MAX_LANES = 4
/** Another lane is opened while the last one raised the node's delivery rate by at least this factor. */
export const LANE_GAIN = 1.15
/** A lane decision measures the node's delivery rate over this many shortest round trips... */
export const LANE_WINDOW_RTTS = 4
/** ...but at least this long (loopback round trips are far under a millisecond)... */
export const LANE_WINDOW_MIN_MS = 300
/** ...and at most this long (a lane still helps a transfer that lasts seconds). */
export const LANE_WINDOW_MAX_MS = 8_000
/** How often the lane controller looks at its node (a few counters: cheap). */
export const LANE_POLL_MS = 50
/**
 * Longest a new lane may take to deliver its first block before the rate is measured anyway:
 * a lane the peer has nothing for (the fetch's tail) must not hold the decision forever.
 */
export const LANE_SETTLE_MS = 20_000
/**
 * A fetch still missing at least this many blocks from a node dials its second lane at once,
 * beside the first, instead of after the first delivered and was measured: the rule adds a
 * second lane anyway, and over Tor the wait cost a measuring window and a rendezvous (~10 s at
 * WAN latency). Smaller fetches keep the measured ladder (a circuit would outlive their need).
 */
export const LANE_EARLY_MIN_BLOCKS = 32

// ---- Hostile peers (docs/SECURITY.md): what one peer may make this node hold ----

/**
 * Bytes of answers (blocks, leaves, manifest) queued for one connection, not yet taken by its
 * socket, before serving waits: a peer that stops reading while it keeps requesting makes the
 * seeder wait, not buffer. 4 MiB keeps a Tor circuit's window full many times over.
 */
export const MAX_QUEUED_ANSWER_BYTES = 4 * 1024 * 1024
/**
 * Bytes queued for one connection at which it is dropped: the answer bound plus the largest
 * message that may go out at once (a 16 MiB block, or the 8 MiB manifest) and room for small
 * messages (`have`s, rejects). Only a peer that does not read ever reaches it.
 */
export const MAX_QUEUED_BYTES = MAX_QUEUED_ANSWER_BYTES + MAX_BLOCK_BYTES_BEFORE_MANIFEST + 1024 * 1024
/**
 * Requests one connection may have waiting to be served. Our own fetcher keeps at most MAX_DEPTH
 * in flight per lane; a peer with more does not follow the protocol and is dropped.
 */
export const MAX_QUEUED_REQUESTS = 2 * MAX_DEPTH
/**
 * Metadata requests (`manifest?`, `leaves?`, `proof?`) one connection may have waiting. A fetcher
 * asks `leaves?` in ranges of MAX_LEAVES_PER_MESSAGE: 1,024 of them cover 2^24 blocks (4 TiB at
 * 256 KiB blocks). Beyond it the peer is dropped.
 */
export const MAX_QUEUED_METADATA_REQUESTS = 1024
/**
 * A connection whose answers could not go out for this long (its queue stayed above
 * MAX_QUEUED_ANSWER_BYTES) is dropped: it holds an upload slot and takes nothing.
 */
export const SEND_STALL_TIMEOUT_MS = 90_000
/** How often a waiting answer looks again at its connection's queue (besides the socket's 'drain'). */
export const QUEUE_POLL_MS = 50
/**
 * Largest message before the peer proved the swarm key: only the extended handshake and `auth`
 * (well under 1 KiB) are due then, so a stranger cannot make this node hold megabytes.
 */
export const MAX_PREAUTH_MESSAGE_BYTES = 16 * 1024
/**
 * Largest oht_v1 message once the manifest is known (a `leaves` answer and its CBOR framing):
 * only a fetcher still waiting for the manifest accepts MAX_EXTENSION_BYTES.
 */
export const MAX_KNOWN_EXTENSION_BYTES = MAX_LEAVES_PER_MESSAGE * 32 + 1024
/** Largest message of any other kind (bitfield of up to 2^23 blocks; the rest are bytes). */
export const MAX_OTHER_MESSAGE_BYTES = 1024 * 1024 + 64
/**
 * A message that has begun must be complete within this much time plus its length at
 * MIN_MESSAGE_BYTES_PER_SECOND: a peer that starts a large message and stops (or drips it) does
 * not hold the memory for long. Lenient for slow Tor circuits: a 1 MiB block has ~46 s.
 */
export const MESSAGE_DEADLINE_BASE_MS = 30_000
export const MIN_MESSAGE_BYTES_PER_SECOND = 64 * 1024
/**
 * Bytes of unfinished incoming messages held over all connections of this process. Past it, the
 * connection whose message made the least recent progress is dropped (a staller, not a sender).
 */
export const MAX_PARTIAL_BYTES_TOTAL = 128 * 1024 * 1024
/**
 * When a swarm is full (maxPeers nodes), a newcomer takes the slot of the node that exchanged no
 * block with this one (either way) for the longest, if that is longer than this: identities that
 * log in and say nothing cannot lock honest fetchers out. A node joined less than this ago is
 * never evicted (it had no time to start).
 */
export const PEER_IDLE_EVICT_MS = 20_000
/**
 * A node unchoked this long without asking for anything loses its upload slot and is ranked
 * after every node that has not idled (it stays eligible for the optimistic slot): interested
 * but silent identities cannot hold the slots an honest fetcher would use.
 */
export const UNCHOKED_IDLE_MS = 5_000
/**
 * The peer asked for the manifest (or a leaf range) that has not answered in this long is passed
 * over for another: a peer that advertises every block and never answers cannot stall a fetch.
 * Its answer is still taken if it comes later. Plus the leaves' bytes at MIN_MESSAGE_BYTES_PER_SECOND.
 */
export const DEFAULT_METADATA_TIMEOUT_MS = 20_000
