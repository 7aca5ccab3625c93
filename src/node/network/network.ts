import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { CID } from 'multiformats/cid'
import {
  deriveSwarmInfoHash, decodeManifest, type BlockSource, type SealedManifest
} from '../../blocks/index.ts'
import { Swarm, sourceStore, RateLimiter, PerPeerRate, throttleReads, type SwarmEvent, type SwarmStore } from '../../swarm/index.ts'
import { initiateHandshake, initiateOptimistic, respondHandshake, type HandshakeResult, type Transport } from '../../onion/index.ts'
import type { NodeKeys } from '../identity/keystore.ts'
import { stripe } from './lanes.ts'
import { InboundAdmission, type AdmissionLimits } from './admission.ts'
import createDebug from 'debug'

/** DEBUG=oht:net: dials and handshakes (peer addresses: onion names under Tor). */
const log = createDebug('oht:net')

export const SWARM_PROTOCOL = 'swarm'
/** The BitTorrent handshake that opens every swarm stream: its bytes 28..48 name the swarm. */
const BT_HANDSHAKE_BYTES = 68
/** How long a refused swarm connection may go on sending before it is cut. */
const QUIET_CLOSE_MS = 5000

export interface SwarmEntry {
  id: string
  swarm: Swarm
  infoHash: string
}

/** Rate limits in bytes per second: over all swarms, and for each peer on its own. */
export interface NetworkLimits {
  maxUploadBytesPerSecond?: number
  maxDownloadBytesPerSecond?: number
  maxUploadPerPeerBytesPerSecond?: number
  maxDownloadPerPeerBytesPerSecond?: number
}

/** Serves one authenticated stream of a protocol other than `swarm` (`dht`, `pin`); owns it. */
export type ProtocolHandler = (session: HandshakeResult) => void

export interface NetworkEvents {
  swarm: [string, SwarmEvent]
}

/**
 * The node on the network: accepts oht connections on its transport, routes each swarm stream
 * to the swarm of the share it names, and dials peers for fetches.
 */
export class NodeNetwork extends EventEmitter<NetworkEvents> {
  readonly transport: Transport
  readonly keys: NodeKeys
  address?: string
  readonly #swarms = new Map<string, SwarmEntry>()
  readonly #protocols = new Map<string, ProtocolHandler>()
  readonly #nodeIdBytes: Uint8Array

  /** `--max-upload` over every swarm; Infinity when unlimited (setLimits changes it live). */
  readonly uploadLimiter: RateLimiter
  /** `--max-download`: paces what every swarm stream reads, so senders are slowed by flow control. */
  readonly downloadLimiter: RateLimiter

  /** `--max-upload-per-peer`, `--max-download-per-peer`: a bucket per peer, whose rate changes live. */
  readonly perPeerUpload: PerPeerRate
  readonly perPeerDownload: PerPeerRate
  /** Inbound connections held at once (admission.ts). */
  readonly admission: InboundAdmission

  constructor (transport: Transport, keys: NodeKeys, options: NetworkLimits = {}, admission?: AdmissionLimits) {
    super()
    this.admission = new InboundAdmission(admission)
    this.transport = transport
    this.keys = keys
    // Both buckets always exist (unlimited: Infinity, which costs nothing) so a limit set later
    // applies to the swarms and streams already running.
    this.uploadLimiter = new RateLimiter(options.maxUploadBytesPerSecond ?? Infinity)
    this.downloadLimiter = new RateLimiter(options.maxDownloadBytesPerSecond ?? Infinity)
    this.perPeerUpload = new PerPeerRate(options.maxUploadPerPeerBytesPerSecond ?? Infinity)
    this.perPeerDownload = new PerPeerRate(options.maxDownloadPerPeerBytesPerSecond ?? Infinity)
    this.#nodeIdBytes = new Uint8Array(Buffer.from(keys.nodeId, 'hex'))
  }

  get nodeIdBytes (): Uint8Array { return this.#nodeIdBytes }

  /**
   * A rate limit changed while running (a daemon's `oht config set maxUpload 1MiB`): it applies at
   * once to every swarm and stream, and a per-peer one to every peer already connected. Undefined
   * removes it.
   */
  setLimit (which: 'upload' | 'download' | 'uploadPerPeer' | 'downloadPerPeer', bytesPerSecond: number | undefined): void {
    const buckets = { upload: this.uploadLimiter, download: this.downloadLimiter, uploadPerPeer: this.perPeerUpload, downloadPerPeer: this.perPeerDownload }
    buckets[which].setRate(bytesPerSecond ?? Infinity)
  }

  async listen (): Promise<string> {
    this.address = await this.transport.listen(stream => { void this.#accept(stream) })
    return this.address
  }

  /** Routes inbound streams of `protocol` to `handler`; register before listen(). */
  registerProtocol (protocol: string, handler: ProtocolHandler): void {
    if (protocol === SWARM_PROTOCOL || this.#protocols.has(protocol)) throw new Error(`protocol ${protocol} is already handled`)
    this.#protocols.set(protocol, handler)
  }

  /** Dials `address` and runs the oht handshake for `protocol`; the caller owns the stream. */
  async dialProtocol (address: string, protocol: string, options: { signal?: AbortSignal, expectedNodeId?: string } = {}): Promise<HandshakeResult> {
    log('dial %s (%s)', address, protocol)
    const raw = await this.transport.dial(address, options.signal != null ? { signal: options.signal } : {}).catch((err: Error) => {
      log('dial %s failed: %s', address, err.message)
      throw err
    })
    try {
      return await initiateHandshake(raw, { keys: this.keys, protocol, ...options })
    } catch (err) {
      log('handshake with %s failed: %s', address, (err as Error).message)
      raw.destroy()
      throw err
    }
  }

  swarms (): SwarmEntry[] { return [...this.#swarms.values()] }
  swarmFor (id: string): SwarmEntry | undefined { return [...this.#swarms.values()].find(s => s.id === id) }

  /** Opens (or returns) the swarm of a share. `store` is omitted for a fetch that lacks metadata. */
  openSwarm (manifestCid: CID, swarmKey: Uint8Array, init: { manifest?: SealedManifest, leaves?: Uint8Array, store?: SwarmStore } = {}): SwarmEntry {
    const infoHash = Buffer.from(deriveSwarmInfoHash(swarmKey, manifestCid.bytes)).toString('hex')
    const existing = this.#swarms.get(infoHash)
    if (existing != null) return existing
    const swarm = new Swarm({
      manifestCid,
      swarmKey,
      infoHash: Buffer.from(infoHash, 'hex'),
      localNodeId: this.#nodeIdBytes,
      uploadLimiter: this.uploadLimiter,
      perPeerUpload: this.perPeerUpload,
      ...init
    })
    const id = manifestCid.toString()
    swarm.on('event', e => { this.emit('swarm', id, e) })
    const entry = { id, swarm, infoHash }
    this.#swarms.set(infoHash, entry)
    return entry
  }

  /** A seeding swarm over a complete local source (owned files, blockstore, finished fetch). */
  async seed (manifestCid: CID, swarmKey: Uint8Array, manifestBytes: Uint8Array, leaves: Uint8Array, source: BlockSource): Promise<SwarmEntry> {
    const entry = this.openSwarm(manifestCid, swarmKey, { manifest: decodeManifest(manifestBytes, manifestCid), leaves, store: sourceStore(source) })
    await entry.swarm.start()
    return entry
  }

  closeSwarm (id: string, reason?: string): void {
    for (const [hash, entry] of this.#swarms) {
      if (entry.id === id) { entry.swarm.close(reason); this.#swarms.delete(hash) }
    }
  }

  /**
   * Dials a peer and joins it to `entry`'s swarm; resolves once the oht handshake is done. The
   * swarm's first messages go out before the peer's answer (optimistic.ts): one round trip less.
   */
  async connect (entry: SwarmEntry, address: string, signal?: AbortSignal): Promise<void> {
    const raw = await this.transport.dial(address, signal != null ? { signal } : {})
    try {
      const session = await initiateOptimistic(raw, { keys: this.keys, protocol: SWARM_PROTOCOL, ...(signal != null ? { signal } : {}) })
      const paced = (s: Duplex): Duplex => this.#paced(s, entry, session.remoteNodeId)
      const added = entry.swarm.addPeer(paced(session.stream), true, new Uint8Array(Buffer.from(session.remoteNodeId, 'hex')))
      if (added == null) return
      // A refusal or a bad signature fails the dial here; the peer's wire closes with it.
      await session.accepted
      // More lanes (circuits) to this peer while they pay (src/node/network/lanes.ts): only where
      // lanes take separate paths, and not while a per-peer download limit is set, which is then
      // the bottleneck. A limit set later leaves the lanes open: they share the peer's one bucket,
      // so the limit holds, and lanes that stop paying are not added to.
      if (this.transport.separateLanes === true && this.perPeerDownload.bytesPerSecond === Infinity) stripe({ transport: this.transport, keys: this.keys, protocol: SWARM_PROTOCOL, paced }, entry.swarm, address, session.remoteNodeId, signal)
    } catch (err) {
      raw.destroy()
      throw err
    }
  }

  /**
   * The stream with its reads paced: by the bucket of this peer in this swarm (shared by its
   * lanes), then by the node's. Both always exist, so a limit set later reaches the stream.
   */
  #paced (stream: Duplex, entry: SwarmEntry, remoteNodeId: string): Duplex {
    const own = this.perPeerDownload.bucket(`${entry.infoHash}/${remoteNodeId}`)
    const paced = throttleReads(stream, own.limiter, this.downloadLimiter)
    stream.once('close', own.release)
    paced.once('close', own.release)
    return paced
  }

  async close (): Promise<void> {
    for (const entry of this.#swarms.values()) entry.swarm.close()
    this.#swarms.clear()
    await this.transport.close()
  }

  async #accept (raw: Duplex): Promise<void> {
    raw.on('error', () => {})
    const handshaken = this.admission.startHandshake()
    if (handshaken == null) { log('inbound connection closed: %d handshakes at once', this.admission.limits.handshaking); raw.destroy(); return }
    try {
      let session: HandshakeResult
      try {
        session = await respondHandshake(raw, { keys: this.keys, protocols: [SWARM_PROTOCOL, ...this.#protocols.keys()] })
      } finally { handshaken() }
      if (!this.admission.admit(session.remoteNodeId, raw)) {
        log('inbound connection of %s closed: connection limit', session.remoteNodeId.slice(0, 12))
        session.stream.destroy()
        raw.destroy()
        return
      }
      const other = this.#protocols.get(session.protocol)
      if (other != null) { other(session); return }
      const stream = session.stream
      const head = await readExactly(stream, BT_HANDSHAKE_BYTES, 30_000)
      const entry = this.#swarms.get(head.subarray(28, 48).toString('hex'))
      if (entry == null) { closeQuietly(stream); return } // a swarm we do not serve: say nothing
      stream.unshift(head)
      entry.swarm.addPeer(this.#paced(stream, entry, session.remoteNodeId), false, new Uint8Array(Buffer.from(session.remoteNodeId, 'hex')))
    } catch {
      raw.destroy()
    }
  }
}

/**
 * Ends a stream the peer is still writing to without a reset: what it sent (its optimistic first
 * flight) is read and dropped, so the handshake's answer written just before reaches it (a close
 * with unread bytes is a TCP reset, which can discard what is still in flight to the peer).
 */
function closeQuietly (stream: Duplex): void {
  stream.on('data', () => {})
  stream.end()
  setTimeout(() => { stream.destroy() }, QUIET_CLOSE_MS).unref()
}

/** Reads exactly `n` bytes from a paused-mode read, without losing what follows. */
async function readExactly (stream: Duplex, n: number, timeoutMs: number): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = []
    let have = 0
    const timer = setTimeout(() => { cleanup(); reject(new Error('peer sent no swarm handshake')) }, timeoutMs)
    const onReadable = (): void => {
      let chunk: Buffer | null
      while (have < n && (chunk = stream.read() as Buffer | null) != null) {
        const need = n - have
        if (chunk.length > need) { stream.unshift(chunk.subarray(need)); chunk = chunk.subarray(0, need) }
        parts.push(chunk)
        have += chunk.length
      }
      if (have >= n) { cleanup(); resolve(Buffer.concat(parts, n)) }
    }
    const onEnd = (): void => { cleanup(); reject(new Error('peer closed before the swarm handshake')) }
    const cleanup = (): void => { clearTimeout(timer); stream.off('readable', onReadable); stream.off('end', onEnd); stream.off('close', onEnd) }
    stream.on('readable', onReadable)
    stream.on('end', onEnd)
    stream.on('close', onEnd)
    onReadable()
  })
}
