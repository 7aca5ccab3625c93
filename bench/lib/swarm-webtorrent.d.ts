// The part of webtorrent (untyped JS, ESM) that bench/swarm uses.
declare module 'webtorrent' {
  import { EventEmitter } from 'node:events'

  interface ClientOptions {
    torrentPort?: number
    dht?: boolean | object
    tracker?: boolean | object
    lsd?: boolean
    utp?: boolean
    utPex?: boolean
    webSeeds?: boolean
    natUpnp?: boolean | 'permanent'
    natPmp?: boolean
    /** Protocol encryption: 0 off, 1 PE with plaintext fallback (the default), 2 PE + RC4 only. */
    secure?: number
    maxConns?: number
  }

  interface TorrentOptions {
    announce?: string[]
    path?: string
    skipVerify?: boolean
    name?: string
  }

  interface Wire extends EventEmitter {
    remoteAddress?: string
    remotePort?: number
    type?: string
    downloaded: number
    uploaded: number
    /** bittorrent-protocol: 1 plaintext, 2 RC4 (after the PE handshake). */
    _encryptionMethod?: number
  }

  export interface Torrent extends EventEmitter {
    infoHash: string
    name: string
    length: number
    pieceLength: number
    path: string
    done: boolean
    ready: boolean
    received: number
    uploaded: number
    readonly downloaded: number
    readonly progress: number
    readonly numPeers: number
    torrentFile: Uint8Array
    wires: Wire[]
    addPeer (addr: string): boolean
    destroy (cb?: (err?: Error | null) => void): void
  }

  export default class WebTorrent extends EventEmitter {
    static VERSION: string
    constructor (opts?: ClientOptions)
    torrentPort: number
    torrents: Torrent[]
    seed (input: string | Uint8Array, opts: TorrentOptions, onseed?: (torrent: Torrent) => void): Torrent
    add (torrentId: string | Uint8Array, opts: TorrentOptions, ontorrent?: (torrent: Torrent) => void): Torrent
    address (): { address: string, family: string, port: number } | null
    destroy (cb?: (err?: Error | null) => void): void
  }
}
