// The `channel` stream protocol (docs/PROTOCOL.md "Channel sync"): after the oht handshake, the
// dialer says which channel and which log heads it holds; the answerer answers with its own heads
// (and the channel's descriptor), or one error frame. Then each side sends, in batches, the
// entries the other lacks (everything past the other's head of each writer, plus the entry at that
// head when its id differs: the evidence of a fork) and a `done`. Frames are length-prefixed JSON
// (onion/framing.ts). Nothing received is trusted: each side checks every entry before it keeps it.
import type { Duplex } from 'node:stream'
import { FrameReader, writeFrame } from '../../onion/index.ts'
import { isAccountId } from '../../node/identity/account-keys.ts'
import { ChannelError } from './errors.ts'
import { MAX_ENTRY_CHARS } from './entry.ts'

export const CHANNEL_PROTOCOL = 'channel'
export const MAX_SYNC_FRAME_BYTES = 512 * 1024
/** Writers a hello may name; entries sent in one session, each way. */
export const MAX_HEADS = 2000
export const MAX_SYNC_ENTRIES = 5000
export const SYNC_FRAME_TIMEOUT_MS = 60_000

/** Each writer's last entry held in an unbroken log: [seq, id]. */
export type Heads = Record<string, [number, string]>

export type SyncRefusal = 'unknown' | 'left' | 'bad-frame'

export interface SyncPeer {
  /** The descriptor text, when held. */
  descriptor: () => string | undefined
  heads: () => Promise<Heads>
  /** The entry texts a peer with `heads` lacks (at most MAX_SYNC_ENTRIES). */
  missing: (heads: Heads) => Promise<string[]>
  /** Checks and keeps what arrived (a descriptor first, when one came); how many entries were new. */
  accept: (texts: string[], descriptor: string | undefined) => Promise<number>
}

export interface SyncResult { sent: number, received: number, peerAddress: string | null }

type Frame =
  | { t: 'hello', v: 1, ch: string, d: string | null, heads: Heads, addr: string | null }
  | { t: 'error', code: SyncRefusal, reason: string }
  | { t: 'entries', es: string[] }
  | { t: 'done' }

const bad = (why: string): ChannelError => new ChannelError('channel.protocol', `a channel peer broke the protocol: ${why}`)

async function send (stream: Duplex, f: Frame): Promise<void> {
  await writeFrame(stream, Buffer.from(JSON.stringify(f)), { maxFrameBytes: MAX_SYNC_FRAME_BYTES })
}

async function receive (reader: FrameReader, stream: Duplex): Promise<Frame | null> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { stream.destroy(); reject(new ChannelError('channel.unreachable', 'a channel peer stopped answering')) }, SYNC_FRAME_TIMEOUT_MS)
  })
  let bytes: Buffer | null
  try {
    bytes = await Promise.race([reader.next(), timeout])
  } catch (err) {
    if (err instanceof ChannelError) throw err
    throw new ChannelError('channel.unreachable', `the connection to a channel peer broke: ${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
  if (bytes == null) return null
  let f: Frame
  try { f = JSON.parse(bytes.toString('utf8')) as Frame } catch { throw bad('a frame that is not JSON') }
  if (f == null || typeof f !== 'object') throw bad('a frame that is not an object')
  return f
}

function checkHeads (h: unknown): Heads {
  if (h == null || typeof h !== 'object' || Array.isArray(h)) throw bad('heads are not an object')
  const e = Object.entries(h)
  if (e.length > MAX_HEADS) throw bad(`over ${MAX_HEADS} writers`)
  for (const [a, v] of e) {
    if (!isAccountId(a) || !Array.isArray(v) || v.length !== 2 || !Number.isSafeInteger(v[0]) || v[0] < 0 || typeof v[1] !== 'string' || v[1].length > 64) throw bad('a malformed head')
  }
  return h as Heads
}

const isHello = (f: Frame | null): f is Extract<Frame, { t: 'hello' }> =>
  f?.t === 'hello' && f.v === 1 && typeof f.ch === 'string' && (f.d === null || (typeof f.d === 'string' && f.d.length <= 16 * 1024)) &&
  (f.addr === null || (typeof f.addr === 'string' && f.addr.length <= 128))

/** Sends `texts` in frames under the limit, then `done`. */
async function sendAll (stream: Duplex, texts: string[]): Promise<void> {
  let batch: string[] = []
  let size = 0
  for (const t of texts) {
    if (size + t.length + 16 > MAX_SYNC_FRAME_BYTES - 64 && batch.length > 0) { await send(stream, { t: 'entries', es: batch }); batch = []; size = 0 }
    batch.push(t)
    size += t.length + 16
  }
  if (batch.length > 0) await send(stream, { t: 'entries', es: batch })
  await send(stream, { t: 'done' })
}

/** Reads entry batches until `done`; at most MAX_SYNC_ENTRIES are taken. */
async function receiveAll (reader: FrameReader, stream: Duplex): Promise<string[]> {
  const got: string[] = []
  for (;;) {
    const f = await receive(reader, stream)
    if (f == null) throw new ChannelError('channel.unreachable', 'a channel peer closed the session early')
    if (f.t === 'done') return got
    if (f.t === 'error') throw new ChannelError('channel.protocol', `a channel peer refused: ${String(f.reason).slice(0, 200)}`)
    if (f.t !== 'entries' || !Array.isArray(f.es) || !f.es.every(e => typeof e === 'string' && e.length <= MAX_ENTRY_CHARS)) throw bad('expected entries')
    if (got.length + f.es.length > MAX_SYNC_ENTRIES) throw bad(`over ${MAX_SYNC_ENTRIES} entries in one session`)
    got.push(...f.es)
  }
}

/** The dialer's side of one session: both sides end up with what either held. */
export async function syncDial (stream: Duplex, ch: string, peer: SyncPeer, ownAddress: string | null): Promise<SyncResult> {
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_SYNC_FRAME_BYTES })
  try {
    await send(stream, { t: 'hello', v: 1, ch, d: peer.descriptor() ?? null, heads: await peer.heads(), addr: ownAddress })
    const hello = await receive(reader, stream)
    if (hello?.t === 'error') throw new ChannelError(hello.code === 'unknown' ? 'channel.unknown' : 'channel.protocol', `the peer refused: ${String(hello.reason).slice(0, 200)}`)
    if (!isHello(hello) || hello.ch !== ch) throw bad('expected its hello')
    const heads = checkHeads(hello.heads)
    if (hello.d != null && peer.descriptor() == null) await peer.accept([], hello.d)
    const out = peer.descriptor() != null ? await peer.missing(heads) : []
    const [, texts] = await Promise.all([sendAll(stream, out), receiveAll(reader, stream)])
    const received = await peer.accept(texts, hello.d ?? undefined)
    stream.end()
    return { sent: out.length, received, peerAddress: null }
  } catch (err) {
    stream.destroy()
    throw err
  }
}

/** The answerer's side: `find` gives the channel's peer view, or a refusal when it does not hold it. */
export async function syncAnswer (stream: Duplex, find: (ch: string) => Promise<SyncPeer | SyncRefusal>): Promise<SyncResult & { ch: string | null }> {
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_SYNC_FRAME_BYTES })
  try {
    let hello: Frame | null
    try { hello = await receive(reader, stream) } catch (err) {
      if (!(err instanceof ChannelError && err.code === 'channel.protocol')) throw err
      await send(stream, { t: 'error', code: 'bad-frame', reason: err.message }).catch(() => {})
      stream.end()
      return { sent: 0, received: 0, peerAddress: null, ch: null }
    }
    if (!isHello(hello)) {
      await send(stream, { t: 'error', code: 'bad-frame', reason: 'expected a hello' }).catch(() => {})
      stream.end()
      return { sent: 0, received: 0, peerAddress: null, ch: null }
    }
    let heads: Heads
    try { heads = checkHeads(hello.heads) } catch (err) {
      await send(stream, { t: 'error', code: 'bad-frame', reason: (err as Error).message }).catch(() => {})
      stream.end()
      return { sent: 0, received: 0, peerAddress: null, ch: null }
    }
    const peer = await find(hello.ch)
    if (typeof peer === 'string') {
      await send(stream, { t: 'error', code: peer, reason: peer === 'unknown' ? 'this node does not hold that channel' : 'this node left that channel' }).catch(() => {})
      stream.end()
      return { sent: 0, received: 0, peerAddress: null, ch: hello.ch }
    }
    await send(stream, { t: 'hello', v: 1, ch: hello.ch, d: peer.descriptor() ?? null, heads: await peer.heads(), addr: null })
    const out = await peer.missing(heads)
    const [, texts] = await Promise.all([sendAll(stream, out), receiveAll(reader, stream)])
    const received = await peer.accept(texts, hello.d ?? undefined)
    stream.end()
    return { sent: out.length, received, peerAddress: hello.addr, ch: hello.ch }
  } catch (err) {
    stream.destroy()
    throw err
  }
}
