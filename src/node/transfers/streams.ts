// Streaming a share while it downloads: a fetch into .part files (fetch.ts) whose blocks are
// prioritized by the readers of a local HTTP Range server (src/streaming). Used by `oht stream`
// with an embedded node, and by a daemon (one StreamService per daemon, its server on 127.0.0.1).
import { join, resolve } from 'node:path'
import { parseReadCap, type ReadCap } from '../../blocks/index.ts'
import { FetchedShare, StreamServer, type StreamFile } from '../../streaming/index.ts'
import { fetchFromPeers, type FetchEvent, type FetchResult } from './fetch.ts'
import type { OhtNode } from './node.ts'
import type { NodeNetwork } from '../network/network.ts'
import type { PeerSource } from '../network/discovery.ts'
import { NodeError } from '../errors.ts'

export interface StreamRequest {
  /** Peers to fetch from (as `oht fetch --peer`), or a DHT lookup's providers as it finds them. */
  peers: PeerSource
  /** The file of the share to open (its path in the share); default: the first audio or video file. */
  file?: string
  /** Where the fetched plaintext goes (.part files, renamed when complete); default `<data dir>/streams`. */
  output?: string
  signal?: AbortSignal
  onEvent?: (e: FetchEvent) => void
}

export interface StreamHandle {
  /** The URL a player opens (http://127.0.0.1:<port>/<token>/<share id>/<path>). */
  url: string
  id: string
  /** Path in the share of the file `url` serves. */
  file: string
  /** Every file of the share this stream serves, by path in share. */
  urls: Record<string, string>
  /** Settles when the download is complete (or failed, or was closed). */
  fetched: Promise<FetchResult>
  /** Stops the download and the share's endpoints. */
  close: () => Promise<void>
}

interface ActiveStream {
  share: FetchedShare
  abort: AbortController
  fetched: Promise<FetchResult>
}

/** The streams of one node: a fetch per share, all served by one StreamServer. */
export class StreamService {
  readonly server: StreamServer
  readonly #node: OhtNode
  readonly #network: NodeNetwork
  readonly #active = new Map<string, ActiveStream>()
  #listening?: Promise<string>

  constructor (node: OhtNode, network: NodeNetwork, server: StreamServer = new StreamServer()) {
    this.#node = node
    this.#network = network
    this.server = server
  }

  /**
   * Starts (or joins) the download of the share and returns the URL of the file to play as soon
   * as its metadata is known; its first and last blocks are fetched first.
   */
  async start (cap: ReadCap, request: StreamRequest): Promise<StreamHandle> {
    const id = cap.manifestCid.toString()
    await (this.#listening ??= this.server.origin != null ? Promise.resolve(this.server.origin) : this.server.listen())
    let active = this.#active.get(id)
    if (active == null) {
      active = await this.#begin(cap, id, request)
      this.#active.set(id, active)
      const mine = active
      // A failed or cancelled download stops serving (a new start retries); a complete one keeps
      // serving its files.
      mine.fetched.catch(() => { if (this.#active.get(id) === mine) void this.#end(id) })
    }
    const share = active.share
    const file = pickFile(share.files, request.file)
    share.prefetchEnds(file)
    const urls = Object.fromEntries(share.files.map(f => [f.path, this.server.urlFor(id, f.path)]))
    return { url: urls[file.path]!, id, file: file.path, urls, fetched: active.fetched, close: async () => { await this.#end(id) } }
  }

  async close (): Promise<void> {
    for (const id of [...this.#active.keys()]) await this.#end(id)
    await this.server.close()
  }

  async #begin (cap: ReadCap, id: string, request: StreamRequest): Promise<ActiveStream> {
    const abort = new AbortController()
    const signal = request.signal != null ? AbortSignal.any([abort.signal, request.signal]) : abort.signal
    let onShare!: (s: FetchedShare) => void
    const shareReady = new Promise<FetchedShare>(resolve => { onShare = resolve })
    const fetched = fetchFromPeers(this.#node, this.#network, cap, {
      output: resolve(request.output ?? join(this.#node.dirs.root, 'streams')),
      peers: request.peers,
      ...(request.file != null ? { select: [request.file] } : {}),
      signal,
      ...(request.onEvent != null ? { onEvent: request.onEvent } : {}),
      onStore: (store, entry) => { onShare(new FetchedShare(store, entry.swarm)) }
    })
    try {
      const share = await Promise.race([shareReady, fetched.then(() => shareReady)])
      this.server.addShare(share)
      return { share, abort, fetched }
    } catch (err) {
      abort.abort(err)
      // A swarm this failed start opened and never gave a store (no peer answered) would keep
      // waiting for metadata on its behalf: drop it, so the next start begins afresh.
      if (this.#network.swarmFor(id)?.swarm.have == null) this.#network.closeSwarm(id)
      throw err
    }
  }

  async #end (id: string): Promise<void> {
    const active = this.#active.get(id)
    if (active == null) return
    this.#active.delete(id)
    this.server.removeShare(id)
    active.abort.abort(new Error('the stream was closed'))
    const complete = await active.fetched.then(() => true, () => false)
    await active.share.close()
    // An unfinished download's swarm holds a closed store: drop it, so the share can be
    // streamed or fetched again. A complete one keeps seeding.
    if (!complete) this.#network.closeSwarm(id)
  }
}

/** The requested file, else the first audio or video file, else the first file. */
function pickFile (files: readonly StreamFile[], path?: string): StreamFile {
  if (path != null) {
    const f = files.find(x => x.path === path)
    if (f == null) {
      const known = `${files.slice(0, 5).map(x => x.path).join(', ')}${files.length > 5 ? ', ...' : ''}`
      throw new NodeError('stream.noFile', { path, files: known }, `the share has no file ${JSON.stringify(path)} (files: ${known})`)
    }
    return f
  }
  return files.find(f => /^(video|audio)\//.test(f.mime)) ?? files[0]!
}

const services = new WeakMap<NodeNetwork, StreamService>()

/**
 * Streams a share through the network's StreamService (created, and listening on 127.0.0.1, on
 * first use); `closeStreams` at shutdown. For callers that hold a link as text (it is parsed here,
 * once); a running node (runtime.ts) keeps its own StreamService.
 */
export async function startStream (node: OhtNode, network: NodeNetwork, link: ReadCap | string, request: StreamRequest): Promise<StreamHandle> {
  let service = services.get(network)
  if (service == null) {
    service = new StreamService(node, network)
    services.set(network, service)
  }
  return await service.start(typeof link === 'string' ? parseReadCap(link) : link, request)
}

/** Stops every stream of the network's StreamService and its server. */
export async function closeStreams (network: NodeNetwork): Promise<void> {
  const service = services.get(network)
  services.delete(network)
  await service?.close()
}
