// The part of bittorrent-protocol (untyped JS) that oht uses.
declare module 'bittorrent-protocol' {
  import type { Duplex } from 'node:stream'
  interface BitFieldLike { get (index: number): boolean, buffer: Uint8Array }
  interface ExtensionInstance { onHandshake?: (...a: unknown[]) => void, onExtendedHandshake?: (h: unknown) => void, onMessage?: (buf: Uint8Array) => void }
  type ExtensionClass = (new (wire: Wire) => ExtensionInstance) & { prototype: { name: string } }
  export default class Wire extends Duplex {
    constructor (type?: string, peEnabled?: number)
    peerId: string | null
    amChoking: boolean
    amInterested: boolean
    peerChoking: boolean
    peerInterested: boolean
    peerPieces: BitFieldLike
    hasFast: boolean
    requests: Array<{ piece: number, offset: number, length: number }>
    peerRequests: Array<{ piece: number, offset: number, length: number }>
    extendedMapping: Record<number, string>
    peerExtendedMapping: Record<string, number>
    uploaded: number
    downloaded: number
    use (ext: ExtensionClass): void
    handshake (infoHash: Uint8Array | string, peerId: Uint8Array | string, extensions?: { dht?: boolean, fast?: boolean }): void
    setTimeout (ms: number, unref?: boolean): void
    setKeepAlive (enable: boolean): void
    choke (): void
    unchoke (): void
    interested (): void
    uninterested (): void
    have (index: number): void
    bitfield (bitfield: Uint8Array): void
    request (index: number, offset: number, length: number, cb: (err: Error | null, buf?: Uint8Array) => void): void
    piece (index: number, offset: number, buffer: Uint8Array): void
    cancel (index: number, offset: number, length: number): void
    extended (ext: string | number, obj: Uint8Array): void
  }
}
